#!/usr/bin/env bash
# Starts a Samsa broker: kafka-server-start.sh [-daemon] server.properties [--override key=value]...
# Without zookeeper.connect in the file it runs standalone, metadata kept in its log dir.
# -daemon runs it in the background: output in $LOG_DIR/<config name>.log (logs/server.log for
# config/server.properties), pid in $LOG_DIR/kafka-<config name>.pid; bin/kafka-server-stop.sh
# stops it. The script returns once the broker reports "started", or fails if it exits first.
set -euo pipefail

usage() {
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*" >&2
  exit 1
}

[ $# -ge 1 ] || usage
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ "$1" = "-daemon" ]; then
  shift
  [ $# -ge 1 ] || usage
  # shellcheck source=samsa-daemon.sh
  . "$here/samsa-daemon.sh"
  samsa_daemon_start kafka "$(samsa_daemon_name "$1")" Samsa.Server "started (kafka.server.KafkaServer)" \
    "$here/samsa-run-class.sh" Samsa.Server "$@"
  exit $?
fi

exec "$here/samsa-run-class.sh" Samsa.Server "$@"
