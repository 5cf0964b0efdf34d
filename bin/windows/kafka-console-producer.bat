@echo off
rem kafka-console-producer.bat: the same tool as bin/kafka-console-producer.sh, over the same executable.
setlocal
set "SAMSA_PROJECT=Samsa.Cli"
call "%~dp0samsa-run-class.bat" kafka-console-producer %*
exit /b %ERRORLEVEL%
