#!/usr/bin/env bash
# Hostile-input fuzzer (docs/reliability.md, "Hostile input"): starts a fresh broker, captures real
# client requests, then sends mutated ones for N seconds beside a well-behaved client.
#   bench/fuzz.sh --seconds 600 --seed 42 [--second-seed S2] [--connections 8] [--max-rss-mb 512]
# Prints the seed and the figures; exits 1 on any finding (crash, memory over the bound, an ERROR in
# the broker log, an undecodable response, a well-behaved client that stopped working).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build bench/Samsa.Fuzzer/Samsa.Fuzzer.csproj -c Release -nologo -v quiet -clp:ErrorsOnly

# Run from a private copy of the fuzzer and the server, so a rebuild during a long run cannot
# overwrite the assemblies the running broker has mapped. The copy stays under artifacts/ (the
# fuzzer finds config/ by walking up to Samsa.slnx, and the server next to itself).
snapshot="artifacts/fuzz-run/$$"
trap 'rm -rf "$snapshot"' EXIT
mkdir -p "$snapshot/bin"
cp -r artifacts/bin/Samsa.Fuzzer "$snapshot/bin/"
cp -r artifacts/bin/Samsa.Server "$snapshot/bin/"
dotnet "$snapshot/bin/Samsa.Fuzzer/release/Samsa.Fuzzer.dll" "$@"
