#!/usr/bin/env bash
# Stops the brokers started with kafka-server-start.sh -daemon: SIGTERM (a clean shutdown: finish
# in-flight requests, flush, mark the clean shutdown) to the pid in each $LOG_DIR/kafka-*.pid, then
# waits for them to exit. kafka-server-stop.sh config/cluster/server2.properties stops only the
# broker started from that file. Processes are found by pid file only, never by name.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=samsa-daemon.sh
. "$here/samsa-daemon.sh"

name=""
if [ $# -ge 1 ]; then
  name="$(samsa_daemon_name "$1")"
fi

samsa_daemon_stop kafka Samsa.Server "kafka server" "$name"
