#!/usr/bin/env bash
# Runs one of Samsa's executables (Samsa.Server, Samsa.Cli), building it first when it is missing
# or older than the sources, so the kafka-*.sh scripts work straight after a clone.
# Usage: samsa-run-class.sh <Samsa.Server|Samsa.Cli> [args...]
# SAMSA_CONFIGURATION picks the build to run (release by default, as the scripts build it);
# SAMSA_SKIP_BUILD=1 runs an existing build as it is (the tests, which built it themselves, while
# other work may be editing the sources); SAMSA_BUILD_ONLY=1 builds what is stale and exits.
# Samsa.Server also gets a ReadyToRun publish (precompiled code: start-up spends far less time in
# the JIT; docs/benchmarks.md, "Latency and start-up") in artifacts/publish/Samsa.Server/<config>-r2r,
# which runs whenever it is at least as new as the plain build; SAMSA_READY_TO_RUN=0 skips it. If
# the publish cannot run (its crossgen2 and runtime packs neither in the NuGet cache nor
# downloadable), the plain build runs, and artifacts/<config>-r2r.unavailable keeps later starts
# from trying again until the sources change (or it is deleted).
set -euo pipefail

project="$1"; shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
configuration="${SAMSA_CONFIGURATION:-release}"
dll="$root/artifacts/bin/$project/$configuration/$project.dll"
r2r_dir="$root/artifacts/publish/$project/$configuration-r2r"
r2r_dll="$r2r_dir/$project.dll"
r2r_unavailable="$root/artifacts/$configuration-r2r.unavailable"
ready_to_run=0
if [ "$project" = Samsa.Server ] && [ "${SAMSA_READY_TO_RUN:-1}" != 0 ]; then ready_to_run=1; fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "Samsa needs the .NET 10 SDK (dotnet) on PATH: https://dotnet.microsoft.com/download" >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# newer_sources <file>: true when a source is newer than <file>.
newer_sources() {
  [ -n "$(find "$root/src" "$root/Directory.Build.props" "$root/Directory.Packages.props" \
           \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.schema' \) \
           -newer "$1" -print -quit 2>/dev/null)" ]
}

# quietly <command...>: runs a build step with its output held in a temp file, shown only if the
# step fails: dotnet prints its "Build succeeded ... Time Elapsed" summary even with -clp:ErrorsOnly
# or NoSummary, and a broker's first start should show the broker's log, not that.
quietly() {
  local status=0
  build_output="$(mktemp "${TMPDIR:-/tmp}/samsa-build.XXXXXX")"
  trap 'rm -f "$build_output"' EXIT # also when stopped mid-build (samsa-daemon.sh stop)
  "$@" >"$build_output" 2>&1 || status=$?
  if [ "$status" != 0 ]; then cat "$build_output" >&2; fi
  rm -f "$build_output"
  trap - EXIT
  return "$status"
}

# try_ready_to_run: the ReadyToRun publish is wanted and did not fail for these sources.
try_ready_to_run() {
  [ "$ready_to_run" = 1 ] && { [ ! -f "$r2r_unavailable" ] || newer_sources "$r2r_unavailable"; }
}

stale=0
if [ ! -f "$dll" ]; then
  stale=1
elif [ "${SAMSA_SKIP_BUILD:-0}" = 1 ]; then
  stale=0
elif newer_sources "$dll"; then
  stale=1
elif try_ready_to_run && { [ ! -f "$r2r_dll" ] || newer_sources "$r2r_dll"; }; then
  stale=1
fi

if [ "$stale" = 1 ]; then
  echo "Building $project (first run or sources changed)..." >&2
  # Serialize concurrent first runs (e.g. a broker and a tool started together).
  # (The braces keep 2>/dev/null to this one try: on exec itself it would silence the script's stderr.)
  { exec 9>"$root/artifacts/.build.lock"; } 2>/dev/null || { mkdir -p "$root/artifacts"; exec 9>"$root/artifacts/.build.lock"; }
  flock 9
  quietly dotnet build "$root/src/$project/$project.csproj" -c "$configuration" -nologo -v quiet -clp:ErrorsOnly
  # An up-to-date incremental build leaves the dll's time alone; mark it checked so the next run skips the build.
  touch "$dll"
  if try_ready_to_run; then
    # The libraries are built above and only compiled to native code here; the project alone is
    # built again, for the runtime identifier (SamsaReadyToRun in Samsa.Server.csproj).
    if quietly env SamsaReadyToRun=true dotnet publish "$root/src/$project/$project.csproj" -c "$configuration" \
         -o "$r2r_dir" -nologo -v quiet -clp:ErrorsOnly; then
      touch "$r2r_dll"
      rm -f "$r2r_unavailable"
    else
      echo "The ReadyToRun publish of $project failed; running the plain build until the sources change." >&2
      touch "$r2r_unavailable"
    fi
  fi
  flock -u 9
fi

[ "${SAMSA_BUILD_ONLY:-0}" = 1 ] && exit 0

# The precompiled copy when it was made from the same sources as the plain build (or later): no
# assembly of the plain build is newer (a library can change without the server's dll changing).
if [ "$ready_to_run" = 1 ] && [ -f "$r2r_dll" ] \
   && [ -z "$(find "$(dirname "$dll")" -maxdepth 1 -name '*.dll' -newer "$r2r_dll" -print -quit 2>/dev/null)" ]; then
  dll="$r2r_dll"
fi

exec dotnet "$dll" "$@"
