#!/usr/bin/env bash
# Runs the raw load generator (bench/Samsa.LoadGenerator): pre-encoded Produce and Fetch requests
# over pipelined connections, no Kafka client library. Builds it (Release) first when it is
# missing or older than its sources, like bin/samsa-run-class.sh.
# Usage: bench/loadgen.sh <produce|fetch|produce-fetch> --bootstrap-server HOST:PORT [options]
#        (bench/loadgen.sh with no arguments prints every option)
# SAMSA_SKIP_BUILD=1 runs an existing build as it is.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="Samsa.LoadGenerator"
dll="$root/artifacts/bin/$project/release/$project.dll"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The load generator needs the .NET 10 SDK (dotnet) on PATH: https://dotnet.microsoft.com/download" >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

stale=0
if [ ! -f "$dll" ]; then
  stale=1
elif [ "${SAMSA_SKIP_BUILD:-0}" = 1 ]; then
  stale=0
elif [ -n "$(find "$root/bench/$project" "$root/src/Samsa.Protocol" "$root/Directory.Build.props" "$root/Directory.Packages.props" \
           \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.schema' \) \
           -not -path '*/obj/*' -newer "$dll" -print -quit 2>/dev/null)" ]; then
  stale=1
fi

if [ "$stale" = 1 ]; then
  echo "Building $project (first run or sources changed)..." >&2
  mkdir -p "$root/artifacts"
  # Same lock as bin/samsa-run-class.sh: concurrent first runs build one at a time.
  exec 9>"$root/artifacts/.build.lock"
  flock 9
  dotnet build "$root/bench/$project/$project.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
  touch "$dll"
  flock -u 9
fi

exec dotnet "$dll" "$@"
