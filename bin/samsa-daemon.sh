# Sourced by kafka-server-start/stop.sh and zookeeper-server-start/stop.sh (not run on its own).
#
# A server started with -daemon runs detached (setsid + nohup, stdin from /dev/null), its output
# appended to $LOG_DIR/<name>.log and its process id in $LOG_DIR/<kind>-<name>.pid, where <name>
# is the config file's name without extension: config/server.properties -> logs/server.log and
# logs/kafka-server.pid; config/cluster/zookeeper2.properties -> logs/zookeeper2.log and
# logs/zookeeper-zookeeper2.pid. LOG_DIR defaults to the repository's logs/ folder, as Kafka's
# kafka-run-class.sh does. The stop scripts signal only the pids in those files, and only while
# the process there is still ours (its command line names our program): never by process name.

samsa_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
samsa_prog="$(basename "$0")"

samsa_log_dir() {
  echo "${LOG_DIR:-$samsa_root/logs}"
}

# samsa_daemon_name <config file>: the file's name without directory and extension.
samsa_daemon_name() {
  local base
  base="$(basename "$1")"
  echo "${base%.*}"
}

# samsa_owns <pid> <marker>: the process runs (not a zombie) and its command line contains marker,
# so a pid the system reused for something else is never signalled.
samsa_owns() {
  local args
  args="$(ps -p "$1" -o args= 2>/dev/null)" || return 1
  [[ "$args" == *"$2"* && "$args" != *"<defunct>"* ]]
}

# samsa_alive <pid>: the process exists and is not a zombie, whatever it runs yet.
samsa_alive() {
  local stat
  stat="$(ps -p "$1" -o stat= 2>/dev/null)" || return 1
  [[ "$stat" != Z* ]]
}

# samsa_daemon_start <kind> <name> <marker> <ready-text> <command...>
# Starts the command detached, writes the pid file, then waits (at most $SAMSA_START_WAIT seconds,
# default 60) until the new output contains ready-text, so a server that cannot start (bad config,
# port in use) is reported here with the end of its log and a non-zero exit.
samsa_daemon_start() {
  local kind="$1" name="$2" marker="$3" ready="$4"
  shift 4
  local dir pidfile out
  dir="$(samsa_log_dir)"
  mkdir -p "$dir"
  pidfile="$dir/$kind-$name.pid"
  out="$dir/$name.log"

  if [ -f "$pidfile" ]; then
    local running
    running="$(cat "$pidfile" 2>/dev/null || true)"
    if [ -n "$running" ] && samsa_owns "$running" "$marker"; then
      echo "$samsa_prog: '$name' is already running (pid $running, $pidfile)" >&2
      return 1
    fi
    rm -f "$pidfile"
  fi

  touch "$out"
  local skip
  skip=$(( $(wc -c < "$out") + 1 ))
  # Not a process-group leader here (no job control in a script), so setsid makes the new session
  # in place and $! is the server's own pid after the execs.
  if command -v setsid >/dev/null 2>&1; then
    setsid nohup "$@" >> "$out" 2>&1 < /dev/null &
  else
    nohup "$@" >> "$out" 2>&1 < /dev/null &
  fi
  local pid=$!
  echo "$pid" > "$pidfile"

  local deadline=$(( SECONDS + ${SAMSA_START_WAIT:-60} ))
  while [ "$SECONDS" -lt "$deadline" ]; do
    # (not "tail | grep -q": under pipefail, tail's SIGPIPE would make a match look like a miss)
    if grep -qF -- "$ready" < <(tail -c "+$skip" "$out" 2>/dev/null); then
      return 0
    fi
    # Alive, not "ours": right after the start the pid still runs setsid or nohup on its way to
    # exec the server, whose command line names the marker only then; on a busy machine that takes
    # a while, and reading it as an exit made a good start fail.
    if ! samsa_alive "$pid"; then
      rm -f "$pidfile"
      echo "$samsa_prog: '$name' exited during start-up; the end of $out:" >&2
      tail -c "+$skip" "$out" | tail -n 20 >&2
      return 1
    fi
    sleep 0.2
  done
  echo "$samsa_prog: '$name' (pid $pid) is still starting; follow $out" >&2
  return 0
}

# samsa_daemon_stop <kind> <marker> <what> [name]
# SIGTERM to every running <kind> daemon (or only <name>), then wait (at most $SAMSA_STOP_WAIT
# seconds, default 60) for each to exit and remove its pid file.
samsa_daemon_stop() {
  local kind="$1" marker="$2" what="$3" name="${4:-}"
  local dir
  dir="$(samsa_log_dir)"
  local pids=() files=() candidates=() file pid
  shopt -s nullglob
  if [ -n "$name" ]; then
    candidates=("$dir/$kind-$name.pid")
  else
    candidates=("$dir/$kind-"*.pid)
  fi
  shopt -u nullglob
  for file in "${candidates[@]}"; do
    [ -f "$file" ] || continue
    pid="$(cat "$file" 2>/dev/null || true)"
    if [ -n "$pid" ] && samsa_owns "$pid" "$marker"; then
      pids+=("$pid")
      files+=("$file")
    else
      rm -f "$file" # stale: that server is gone
    fi
  done

  if [ "${#pids[@]}" -eq 0 ]; then
    echo "No $what to stop"
    return 1
  fi

  for pid in "${pids[@]}"; do
    # A daemon started with setsid leads its own process group: signal the group, so a first-run
    # build still in progress (samsa-run-class.sh) stops with it. Otherwise the process alone.
    if [ "$(ps -p "$pid" -o pgid= 2>/dev/null | tr -d ' ')" = "$pid" ]; then
      kill -TERM -- "-$pid" 2>/dev/null || true
    else
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done

  local deadline=$(( SECONDS + ${SAMSA_STOP_WAIT:-60} ))
  local i waiting=1
  while [ "$waiting" = 1 ]; do
    waiting=0
    for i in "${!pids[@]}"; do
      if samsa_owns "${pids[$i]}" "$marker"; then
        waiting=1
      else
        rm -f "${files[$i]}"
      fi
    done
    if [ "$waiting" = 1 ]; then
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "$samsa_prog: still running ${SAMSA_STOP_WAIT:-60} s after SIGTERM: pid(s) ${pids[*]}" >&2
        return 1
      fi
      sleep 0.2
    fi
  done
  return 0
}
