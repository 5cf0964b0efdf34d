#!/usr/bin/env bash
# Builds everything and runs every test project: the one test command (README, .ci/run).
# Installs what the tests need on first use; ends with a line that counts the tests.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK (dotnet) is required: https://dotnet.microsoft.com/download" >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Debian packages the tests run, installed when missing (as root, or through sudo when there is
# one): Apache ZooKeeper for the ZooKeeper client's tests and the cluster tests; kcat,
# kafka-python (python3-kafka) and Node.js for the second-opinion client tests.
packages=()
[ -f /usr/share/java/zookeeper.jar ] || packages+=(zookeeper)
command -v kcat >/dev/null 2>&1 || packages+=(kcat)
/usr/bin/python3 -c 'import kafka' >/dev/null 2>&1 || packages+=(python3-kafka)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
if [ ${#packages[@]} -gt 0 ]; then
  echo "== installing ${packages[*]} (apt-get) for the tests"
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"
  elif command -v sudo >/dev/null 2>&1; then
    sudo DEBIAN_FRONTEND=noninteractive apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"
  else
    echo "test.sh: ${packages[*]} missing and neither root nor sudo is available; the tests that use them will fail" >&2
  fi
fi

# kafkajs, the third second opinion, from the npm registry: pinned, installed once under artifacts/.
if [ ! -f artifacts/kafkajs/node_modules/kafkajs/package.json ]; then
  echo "== installing kafkajs 2.2.4 (npm) for the tests"
  npm install --silent --no-audit --no-fund --prefix artifacts/kafkajs kafkajs@2.2.4 \
    || echo "test.sh: npm install kafkajs failed; the kafkajs test will fail" >&2
fi

echo "== build"
dotnet build Samsa.slnx -c Release -nologo -v quiet -clp:ErrorsOnly

echo "== generated protocol code matches the schemas"
dotnet run --no-build -c Release --project tools/Samsa.Protocol.Generator -- --check

echo "== tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Samsa.slnx -c Release --no-build -nologo 2>&1 | tee "$log" || status=$?

# dotnet test prints one summary per test project; add them up into the final line.
awk '
  /(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  { f += $(i+1) + 0 }
      if ($i == "Passed:")  { p += $(i+1) + 0 }
      if ($i == "Skipped:") { s += $(i+1) + 0 }
    }
    projects++
  }
  END { printf "%d passed, %d failed, %d skipped (%d test projects)\n", p, f, s, projects }
' "$log"
exit $status
