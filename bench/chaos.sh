#!/usr/bin/env bash
# The cluster chaos loop (docs/reliability.md, "Cluster chaos"): a 3-server ZooKeeper ensemble and
# 3 brokers under idempotent acks=all producers and a committing group consumer; each round kills or
# pauses (SIGSTOP/SIGCONT) a broker, a ZooKeeper server or the controller, waits for every replica
# to be in sync again and audits the log and the committed offsets (the crash loop's audits).
#   bench/chaos.sh --seed S --rounds N [--producers P] [--partitions N] [--rate MSG_PER_S]
#                  [--max-pause SECONDS] [--faults BrokerKill,BrokerPause,ZooKeeperKill,ZooKeeperPause,ControllerKill] [--evidence DIR]
# Needs Java and the Debian package zookeeper. Exit status 0: passed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dotnet build "$root/bench/Samsa.CrashLoop/Samsa.CrashLoop.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
exec dotnet "$root/artifacts/bin/Samsa.CrashLoop/release/Samsa.CrashLoop.dll" cluster "$@"
