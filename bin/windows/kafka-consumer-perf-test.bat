@echo off
rem kafka-consumer-perf-test.bat: the same tool as bin/kafka-consumer-perf-test.sh, over the same executable.
setlocal
set "SAMSA_PROJECT=Samsa.Cli"
call "%~dp0samsa-run-class.bat" kafka-consumer-perf-test %*
exit /b %ERRORLEVEL%
