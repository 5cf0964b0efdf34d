@echo off
rem kafka-server-start.bat config\server.properties [--override key=value]...
if "%~1"=="" (
  echo USAGE: %0 server.properties [--override property=value]* 1>&2
  exit /b 1
)
if "%~1"=="-daemon" (
  rem Windows has no detached start with a pid file here: run it in its own window instead
  rem ^(start "kafka" bin\windows\kafka-server-start.bat ...^) and stop it with Ctrl-C there.
  echo -daemon is not supported on Windows; use: start "kafka" %0 server.properties 1>&2
  exit /b 1
)
setlocal
set "SAMSA_PROJECT=Samsa.Server"
call "%~dp0samsa-run-class.bat" %*
exit /b %ERRORLEVEL%
