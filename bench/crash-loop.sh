#!/usr/bin/env bash
# The broker crash loop (docs/reliability.md, "Broker crash loop"): SIGKILLs a real broker under
# idempotent producers and a committing group consumer, restarts it, audits after every round.
#   bench/crash-loop.sh --seed S --rounds N [--producers P] [--partitions N] [--rate MSG_PER_S] [--evidence DIR]
# Builds bench/Samsa.CrashLoop (and the server it runs) in Release first. Exit status 0: passed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dotnet build "$root/bench/Samsa.CrashLoop/Samsa.CrashLoop.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
exec dotnet "$root/artifacts/bin/Samsa.CrashLoop/release/Samsa.CrashLoop.dll" "$@"
