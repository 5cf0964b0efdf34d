#!/usr/bin/env bash
# Starts a Samsa broker: kafka-server-start.sh [-daemon] server.properties [--override key=value]...
# Without zookeeper.connect in the file it runs standalone, metadata kept in its log dir.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*" >&2
  exit 1
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/samsa-run-class.sh" Samsa.Server "$@"
