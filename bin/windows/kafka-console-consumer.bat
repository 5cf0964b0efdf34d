@echo off
rem kafka-console-consumer.bat: the same tool as bin/kafka-console-consumer.sh, over the same executable.
setlocal
set "SAMSA_PROJECT=Samsa.Cli"
call "%~dp0samsa-run-class.bat" kafka-console-consumer %*
exit /b %ERRORLEVEL%
