@echo off
rem kafka-topics.bat: the same tool as bin/kafka-topics.sh, over the same executable.
setlocal
set "SAMSA_PROJECT=Samsa.Cli"
call "%~dp0samsa-run-class.bat" kafka-topics %*
exit /b %ERRORLEVEL%
