#!/usr/bin/env bash
# Runs one of Samsa's executables (Samsa.Server, Samsa.Cli), building it first when it is missing
# or older than the sources, so the kafka-*.sh scripts work straight after a clone.
# Usage: samsa-run-class.sh <Samsa.Server|Samsa.Cli> [args...]
# SAMSA_CONFIGURATION picks the build to run (release by default, as the scripts build it);
# SAMSA_SKIP_BUILD=1 runs an existing build as it is (the tests, which built it themselves, while
# other work may be editing the sources).
set -euo pipefail

project="$1"; shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
configuration="${SAMSA_CONFIGURATION:-release}"
dll="$root/artifacts/bin/$project/$configuration/$project.dll"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "Samsa needs the .NET 10 SDK (dotnet) on PATH: https://dotnet.microsoft.com/download" >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

stale=0
if [ ! -f "$dll" ]; then
  stale=1
elif [ "${SAMSA_SKIP_BUILD:-0}" = 1 ]; then
  stale=0
elif [ -n "$(find "$root/src" "$root/Directory.Build.props" "$root/Directory.Packages.props" \
           \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.schema' \) \
           -newer "$dll" -print -quit 2>/dev/null)" ]; then
  stale=1
fi

if [ "$stale" = 1 ]; then
  echo "Building $project (first run or sources changed)..." >&2
  # Serialize concurrent first runs (e.g. a broker and a tool started together).
  exec 9>"$root/artifacts/.build.lock" 2>/dev/null || { mkdir -p "$root/artifacts"; exec 9>"$root/artifacts/.build.lock"; }
  flock 9
  dotnet build "$root/src/$project/$project.csproj" -c "$configuration" -nologo -v quiet -clp:ErrorsOnly >&2
  # An up-to-date incremental build leaves the dll's time alone; mark it checked so the next run skips the build.
  touch "$dll"
  flock -u 9
fi

exec dotnet "$dll" "$@"
