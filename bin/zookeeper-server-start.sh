#!/usr/bin/env bash
# Starts Apache ZooKeeper for a Samsa cluster: zookeeper-server-start.sh [-daemon] zookeeper.properties
#
# Samsa ships no ZooKeeper of its own: this runs the real one from the Debian/Ubuntu package
# `zookeeper` (its jars in /usr/share/java, or $ZOOKEEPER_JARS) on Java, with the main class Kafka's
# script uses, org.apache.zookeeper.server.quorum.QuorumPeerMain: standalone for a file without
# server.N lines, an ensemble member otherwise. An ensemble member reads its number from
# <dataDir>/myid, as in the seed walkthrough. When that file is missing and the config carries a
# "# samsa.myid=N" comment (config/cluster/zookeeper1..3.properties do), this script writes N
# there first; it never overwrites an existing myid. Without the comment, write it yourself:
# echo 1 > <dataDir>/myid.
# -daemon: output in $LOG_DIR/<config name>.log, pid in $LOG_DIR/zookeeper-<config name>.pid,
# stopped by bin/zookeeper-server-stop.sh.
set -euo pipefail

usage() {
  echo "USAGE: $0 [-daemon] zookeeper.properties" >&2
  exit 1
}

[ $# -ge 1 ] || usage
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
daemon=0
if [ "$1" = "-daemon" ]; then
  daemon=1
  shift
  [ $# -ge 1 ] || usage
fi
config="$1"
prog="$(basename "$0")"

if [ ! -f "$config" ]; then
  echo "$prog: $config does not exist" >&2
  exit 1
fi

jars="${ZOOKEEPER_JARS:-/usr/share/java}"
if [ ! -f "$jars/zookeeper.jar" ]; then
  echo "$prog: Apache ZooKeeper is not installed ($jars/zookeeper.jar is missing). Install it with: sudo apt-get install zookeeper" >&2
  exit 1
fi

java="java"
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java="$JAVA_HOME/bin/java"
elif ! command -v java >/dev/null 2>&1; then
  echo "$prog: ZooKeeper needs Java (java on PATH or JAVA_HOME). Install it with: sudo apt-get install zookeeper" >&2
  exit 1
fi

# value <key>: the last "key=value" in the file, spaces around the value trimmed.
value() {
  sed -n "s/^[[:space:]]*$1[[:space:]]*[=:][[:space:]]*//p" "$config" | tail -n 1 | sed 's/[[:space:]]*$//'
}

data_dir="$(value dataDir)"
if [ -z "$data_dir" ]; then
  echo "$prog: $config has no dataDir" >&2
  exit 1
fi
mkdir -p "$data_dir"

if grep -Eq '^[[:space:]]*server\.[0-9]+[[:space:]]*[=:]' "$config"; then
  hint="$(sed -n 's/^#[[:space:]]*samsa\.myid[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$config" | tail -n 1)"
  if [ ! -f "$data_dir/myid" ]; then
    if [ -z "$hint" ]; then
      echo "$prog: $config lists an ensemble (server.N lines) but $data_dir/myid is missing; write this server's number N there, e.g.: echo 1 > $data_dir/myid" >&2
      exit 1
    fi
    echo "$hint" > "$data_dir/myid"
  elif [ -n "$hint" ] && [ "$(tr -d '[:space:]' < "$data_dir/myid")" != "$hint" ]; then
    echo "$prog: warning: $data_dir/myid says $(tr -d '[:space:]' < "$data_dir/myid"), the '# samsa.myid' comment in $config says $hint; ZooKeeper uses myid" >&2
  fi
fi

classpath="$jars/zookeeper.jar"
# ZooKeeper logs through slf4j; the simple binding (package libslf4j-java, a dependency of
# zookeeper) prints to stderr, which -daemon sends to the log file.
if [ -f "$jars/slf4j-simple.jar" ]; then
  classpath="$classpath:$jars/slf4j-simple.jar"
fi

# Heap as Kafka's script sets it, unless KAFKA_HEAP_OPTS says otherwise.
read -r -a heap <<< "${KAFKA_HEAP_OPTS:--Xmx512M -Xms512M}"
command=("$java" "${heap[@]}"
  -Dorg.slf4j.simpleLogger.showDateTime=true
  "-Dorg.slf4j.simpleLogger.dateTimeFormat=[yyyy-MM-dd HH:mm:ss,SSS]"
  -Dzookeeper.jmx.log4j.disable=true
  -cp "$classpath" org.apache.zookeeper.server.quorum.QuorumPeerMain "$config")

if [ "$daemon" = 1 ]; then
  # shellcheck source=samsa-daemon.sh
  . "$here/samsa-daemon.sh"
  # The client port is bound early, before an ensemble has its quorum; that is the "started" line.
  samsa_daemon_start zookeeper "$(samsa_daemon_name "$config")" QuorumPeerMain "binding to port" "${command[@]}"
  exit $?
fi

exec "${command[@]}"
