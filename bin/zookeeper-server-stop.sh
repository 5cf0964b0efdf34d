#!/usr/bin/env bash
# Stops the ZooKeeper servers started with zookeeper-server-start.sh -daemon: SIGTERM to the pid in
# each $LOG_DIR/zookeeper-*.pid, then waits for them to exit.
# zookeeper-server-stop.sh config/cluster/zookeeper3.properties stops only that one.
# Processes are found by pid file only, never by name.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=samsa-daemon.sh
. "$here/samsa-daemon.sh"

name=""
if [ $# -ge 1 ]; then
  name="$(samsa_daemon_name "$1")"
fi

samsa_daemon_stop zookeeper QuorumPeerMain "zookeeper server" "$name"
