@echo off
rem kafka-producer-perf-test.bat: the same tool as bin/kafka-producer-perf-test.sh, over the same executable.
setlocal
set "SAMSA_PROJECT=Samsa.Cli"
call "%~dp0samsa-run-class.bat" kafka-producer-perf-test %*
exit /b %ERRORLEVEL%
