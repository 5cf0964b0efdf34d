@echo off
rem kafka-configs.bat: the same tool as bin/kafka-configs.sh, over the same executable.
setlocal
set "SAMSA_PROJECT=Samsa.Cli"
call "%~dp0samsa-run-class.bat" kafka-configs %*
exit /b %ERRORLEVEL%
