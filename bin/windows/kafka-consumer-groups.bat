@echo off
rem kafka-consumer-groups.bat: the same tool as bin/kafka-consumer-groups.sh, over the same executable.
setlocal
set "SAMSA_PROJECT=Samsa.Cli"
call "%~dp0samsa-run-class.bat" kafka-consumer-groups %*
exit /b %ERRORLEVEL%
