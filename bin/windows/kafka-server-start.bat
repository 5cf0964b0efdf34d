@echo off
rem kafka-server-start.bat config\server.properties [--override key=value]...
if "%~1"=="" (
  echo USAGE: %0 server.properties [--override property=value]* 1>&2
  exit /b 1
)
setlocal
set "SAMSA_PROJECT=Samsa.Server"
call "%~dp0samsa-run-class.bat" %*
exit /b %ERRORLEVEL%
