@echo off
rem Runs one of Samsa's executables, building it on first use so the kafka-*.bat scripts work
rem straight after a clone. The caller sets SAMSA_PROJECT (Samsa.Server or Samsa.Cli); every
rem argument is passed on unchanged (%* keeps "key=value" words whole, which shift would split).
setlocal
set "ROOT=%~dp0..\.."
set "DLL=%ROOT%\artifacts\bin\%SAMSA_PROJECT%\release\%SAMSA_PROJECT%.dll"
set DOTNET_CLI_TELEMETRY_OPTOUT=1
set DOTNET_NOLOGO=1
where dotnet >nul 2>nul
if errorlevel 1 (
  echo Samsa needs the .NET 10 SDK ^(dotnet^) on PATH: https://dotnet.microsoft.com/download 1>&2
  exit /b 1
)
if not exist "%DLL%" (
  echo Building %SAMSA_PROJECT% ^(first run^)... 1>&2
  dotnet build "%ROOT%\src\%SAMSA_PROJECT%\%SAMSA_PROJECT%.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly 1>&2
  if errorlevel 1 exit /b 1
)
dotnet "%DLL%" %*
exit /b %ERRORLEVEL%
