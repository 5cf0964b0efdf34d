#!/usr/bin/env bash
# bench/run.sh: the one benchmark command (docs/benchmarks.md, "bench/run.sh").
# Starts a standalone broker on an empty temp log dir and measures, with the perf-test tools and the
# raw load generator, produce/consume throughput, produce latency at half the peak rate, idle RSS and
# start-up time, next to baselines taken in the same run (librdkafka's mock cluster for produce and
# consume, fio, iperf3, and NATS JetStream and Redis Streams when nats-server and redis-server are
# installed: this script does not install those two).
# Each measurement is repeated --runs times, baseline and Samsa alternating; one Markdown table of
# medians goes to stdout, progress to stderr.
# With --cluster each run also starts a three-broker cluster (three ZooKeeper nodes) and measures
# produce (acks=all and 1, 1 and 6 partitions) and consume with replication factor 3 against the
# standalone figures of the same run.
# Usage: bench/run.sh [--quick] [--runs N] [--cluster] [--dir DIR] [--no-build] [--keep]
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
Usage: bench/run.sh [options]
  --runs N     repeat every measurement N times, baseline and Samsa alternating (default 3)
  --quick      smoke run: small counts, 1 run (about 1-2 minutes on an idle machine)
  --cluster    also a three-broker cluster (config/cluster/*.properties copies, Apache ZooKeeper
               from the Debian package `zookeeper`), replication factor 3, acks=all
  --dir DIR    where the temp broker log dir and fio's file go (default ${TMPDIR:-/tmp}): the disk measured
  --no-build   use the existing Release build as it is (default: build Server, Cli, LoadGenerator first)
  --keep       keep the work dir (broker logs and data) instead of only the tool outputs
The table goes to stdout; every tool's output stays in a logs dir whose path is printed at the end.
EOF
  exit 2
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=3
quick=0
build=1
keep=0
cluster=0
base="${TMPDIR:-/tmp}"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) [ $# -ge 2 ] || usage; runs="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --cluster) cluster=1; shift ;;
    --dir) [ $# -ge 2 ] || usage; base="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "bench/run.sh: unknown option '$1'" >&2; usage ;;
  esac
done
case "$runs" in ''|*[!0-9]*|0) echo "bench/run.sh: --runs needs a positive number" >&2; exit 2 ;; esac

# Counts: full runs last long enough (several seconds per tool run) for the client to reach its
# steady rate; --quick only shows that every step works.
if [ "$quick" = 1 ]; then
  runs=1
  records_100=200000; records_1k=50000
  fio_size=256M; iperf_seconds=2
  loadgen_seconds=3; loadgen_warmup=1
  latency_seconds=2
  tool_timeout=120
else
  records_100=1000000; records_1k=300000
  fio_size=1G; iperf_seconds=5
  loadgen_seconds=10; loadgen_warmup=3
  latency_seconds=5
  tool_timeout=300
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { echo "[bench $(date -u +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------- tools and machine
ensure_packages() {
  local missing=()
  command -v fio >/dev/null 2>&1 || missing+=(fio)
  command -v iperf3 >/dev/null 2>&1 || missing+=(iperf3)
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      log "missing ${missing[*]} and no root/sudo to install them: their rows say n/a"; return 0
    fi
  fi
  log "installing ${missing[*]} (apt-get)"
  { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"; } \
    >/dev/null 2>&1 || log "apt-get install ${missing[*]} failed: their rows say n/a"
}
ensure_packages
have() { command -v "$1" >/dev/null 2>&1; }
if ! have jq; then
  echo "bench/run.sh: jq is needed to read fio's and iperf3's JSON (apt-get install jq)" >&2
  exit 1
fi

load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started_at="$(date -u '+%Y-%m-%d %H:%M UTC')"
cpu_model="$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)"
mem_gib="$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)"

if [ "$build" = 1 ]; then
  log "building Samsa.Server, Samsa.Cli, Samsa.LoadGenerator, Samsa.Alternatives (Release)"
  for project in src/Samsa.Server/Samsa.Server.csproj src/Samsa.Cli/Samsa.Cli.csproj bench/Samsa.LoadGenerator/Samsa.LoadGenerator.csproj \
                 bench/Samsa.Alternatives/Samsa.Alternatives.csproj; do
    # Other builds may hold file locks for a moment (MSB3026/3027): retry a few times.
    ok=0
    for _ in 1 2 3; do
      if dotnet build "$root/$project" -c Release -nologo -v quiet -clp:ErrorsOnly >&2; then ok=1; break; fi
      sleep 5
    done
    [ "$ok" = 1 ] || { echo "bench/run.sh: build of $project failed" >&2; exit 1; }
  done
  # The broker's ReadyToRun publish, which kafka-server-start.sh runs (bin/samsa-run-class.sh).
  SAMSA_BUILD_ONLY=1 "$root/bin/samsa-run-class.sh" Samsa.Server >&2
fi
# The runner scripts must not rebuild half-way through a measurement when sources change.
export SAMSA_SKIP_BUILD=1
for dll in Samsa.Server/release/Samsa.Server.dll Samsa.Cli/release/Samsa.Cli.dll Samsa.LoadGenerator/release/Samsa.LoadGenerator.dll \
           Samsa.Alternatives/release/Samsa.Alternatives.dll; do
  [ -f "$root/artifacts/bin/$dll" ] || { echo "bench/run.sh: artifacts/bin/$dll is missing (run without --no-build)" >&2; exit 1; }
done

# ---------------------------------------------------------------- processes (stopped by PID only)
mkdir -p "$base"
work="$(mktemp -d "$base/samsa-bench.XXXXXX")"
logs="$work/logs"
mkdir -p "$logs"
broker_pid=""
iperf_pid=""
alt_server_pid=""
cluster_pids=()

stop_pid() {
  local pid="$1"
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  stop_pid "$iperf_pid"; iperf_pid=""
  stop_pid "$alt_server_pid"; alt_server_pid=""
  stop_pid "$broker_pid"; broker_pid=""
  stop_cluster
  if [ "$keep" = 1 ]; then
    log "work dir kept: $work"
  else
    find "$work" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} + 2>/dev/null || true
    log "tool outputs: $logs"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local port
  while true; do
    port=$(( 20000 + RANDOM % 30000 ))
    if ! port_open "$port" && [ -z "$(ss -Htan "( sport = :$port or dport = :$port )" 2>/dev/null)" ]; then
      echo "$port"; return 0
    fi
  done
}

now_ns() { date +%s%N; }

# wait_for_port <port> <pid> <seconds>: 0 once the port accepts, 1 when the process exited first,
# 2 when time ran out. Polls every 10 ms: start_broker's start-up time is measured by it.
wait_for_port() {
  local deadline=$(( $(now_ns) + $3 * 1000000000 ))
  until port_open "$1"; do
    kill -0 "$2" 2>/dev/null || return 1
    [ "$(now_ns)" -lt "$deadline" ] || return 2
    sleep 0.01
  done
}

# start_server <pid variable> <log> <port> <seconds> <command...>: starts the command in the
# background with its output in the log, sets the variable to its PID (what cleanup stops) and
# waits for the port; returns wait_for_port's status.
start_server() {
  local pid_var="$1" out="$2" port="$3" seconds="$4" pid
  shift 4
  "$@" >"$out" 2>&1 &
  pid=$!
  printf -v "$pid_var" '%s' "$pid"
  wait_for_port "$port" "$pid" "$seconds"
}

# start_broker <run>: a fresh broker on an empty log dir; sets broker_pid, broker_port, startup_ms.
start_broker() {
  local run="$1" dir="$work/run$1/broker-logs" t0
  mkdir -p "$dir"
  broker_port="$(free_port)"
  t0="$(now_ns)"
  # The scripts exec down to dotnet, so broker_pid is the broker's own PID.
  start_server broker_pid "$logs/broker-run$run.log" "$broker_port" 60 \
    "$root/bin/kafka-server-start.sh" "$root/config/server.properties" \
    --override "log.dirs=$dir" --override "listeners=PLAINTEXT://127.0.0.1:$broker_port" || case $? in
    1) echo "bench/run.sh: the broker exited during start-up; see $logs/broker-run$run.log" >&2; exit 1 ;;
    *) echo "bench/run.sh: the broker did not listen within 60 s" >&2; exit 1 ;;
  esac
  startup_ms=$(( ($(now_ns) - t0) / 1000000 ))
}

rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo n/a; }

# ---------------------------------------------------------------- the --cluster mode
# Brokers first, then ZooKeeper, each by the PID this script started (the start scripts exec
# down to dotnet and java).
stop_cluster() {
  local i
  for (( i = ${#cluster_pids[@]} - 1; i >= 0; i-- )); do stop_pid "${cluster_pids[i]}"; done
  cluster_pids=()
}

cluster_available() {
  [ -f "${ZOOKEEPER_JARS:-/usr/share/java}/zookeeper.jar" ] && { have java || [ -x "${JAVA_HOME:-/nonexistent}/bin/java" ]; }
}

# wait_for_line <file> <text> <pid> <seconds>
wait_for_line() {
  local deadline=$(( $(date +%s) + $4 ))
  until grep -qF "$2" "$1" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || return 1
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# start_cluster <run>: copies of config/cluster/*.properties with temp dirs and free ports; sets
# cluster_bootstrap. Returns 1 when a server does not come up.
start_cluster() {
  local run="$1" dir="$work/run$1/cluster" i j cfg zk_connect="" servers=""
  local -a client peer election kafka
  mkdir -p "$dir"
  for i in 1 2 3; do
    client[i]="$(free_port)"; peer[i]="$(free_port)"; election[i]="$(free_port)"; kafka[i]="$(free_port)"
  done
  for j in 1 2 3; do
    servers+="server.$j=127.0.0.1:${peer[j]}:${election[j]}"$'\n'
    zk_connect+="${zk_connect:+,}127.0.0.1:${client[j]}"
  done
  for i in 1 2 3; do
    cfg="$dir/zookeeper$i.properties"
    # Keeps the "# samsa.myid=N" comment, from which bin/zookeeper-server-start.sh writes myid.
    sed -e "s|^dataDir=.*|dataDir=$dir/zookeeper$i|" -e "s|^clientPort=.*|clientPort=${client[i]}|" \
        -e '/^server\.[0-9]*=/d' "$root/config/cluster/zookeeper$i.properties" >"$cfg"
    printf 'clientPortAddress=127.0.0.1\n%s' "$servers" >>"$cfg"
    # A small heap: three JVMs share the machine with the brokers and the client.
    KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx256M -Xms256M}" "$root/bin/zookeeper-server-start.sh" "$cfg" \
      >"$logs/zookeeper$i-run$run.log" 2>&1 &
    cluster_pids+=("$!")
  done
  for i in 1 2 3; do
    cfg="$dir/server$i.properties"
    sed -e "s|^listeners=.*|listeners=PLAINTEXT://127.0.0.1:${kafka[i]}|" -e "s|^log.dirs=.*|log.dirs=$dir/kafka$i|" \
        -e "s|^zookeeper.connect=.*|zookeeper.connect=$zk_connect|" "$root/config/cluster/server$i.properties" >"$cfg"
    "$root/bin/kafka-server-start.sh" "$cfg" >"$logs/cluster-broker$i-run$run.log" 2>&1 &
    cluster_pids+=("$!")
  done
  for i in 1 2 3; do
    if ! wait_for_line "$logs/cluster-broker$i-run$run.log" "started (kafka.server.KafkaServer)" "${cluster_pids[i + 2]}" 120; then
      log "  cluster broker $i did not start; see $logs/cluster-broker$i-run$run.log"
      return 1
    fi
  done
  cluster_bootstrap="127.0.0.1:${kafka[1]},127.0.0.1:${kafka[2]},127.0.0.1:${kafka[3]}"
}

run_cluster() {
  local run="$1" size count rps standalone started=0
  if cluster_available; then
    log "run $run/$runs: three-broker cluster (3 ZooKeeper nodes) starting"
    start_cluster "$run" && started=1
  fi
  local acks parts crps
  if [ "$started" = 0 ]; then
    stop_cluster
    for size in 100 1024; do
      for acks in all 1; do
        for parts in 1 6; do add "cluster:$size:$acks:$parts" n/a; add "ratio:cluster:$size:$acks:$parts" n/a; done
      done
      for parts in 1 6; do add "clusterconsume:$size:$parts" n/a; add "ratio:clusterconsume:$size:$parts" n/a; done
    done
    return 0
  fi
  # The standalone rows' records and settings, with replication factor 3: each ratio is to the
  # standalone figure of the same run. acks=all, 1 partition is the row with a target.
  for size in 100 1024; do
    if [ "$size" = 100 ]; then count=$records_100; else count=$records_1k; fi
    for acks in all 1; do
      for parts in 1 6; do
        topic="cluster-$size-acks$acks-p$parts-r$run"
        timeout "$tool_timeout" "$root/bin/kafka-topics.sh" --bootstrap-server "$cluster_bootstrap" --create \
          --topic "$topic" --partitions "$parts" --replication-factor 3 >>"$logs/topics.log" 2>&1 \
          || log "  could not create $topic (see $logs/topics.log)"
        log "run $run/$runs: cluster produce $count x $size B acks=$acks, RF 3, $parts partition(s)"
        rps=""
        read -r rps _ _ < <(producer "$logs/cluster-$size-acks$acks-p$parts-run$run.log" "$size" "$count" -1 \
          "bootstrap.servers=$cluster_bootstrap" "acks=$acks" linger.ms=5 batch.size=1000000) || true
        rps="${rps:-n/a}"
        standalone="$(last "produce:$size:$acks:$parts")"
        add "cluster:$size:$acks:$parts" "$rps"
        add "ratio:cluster:$size:$acks:$parts" "$(ratio "$rps" "$standalone")"
        if [ "$acks" = all ]; then
          log "run $run/$runs: cluster consume $count x $size B, RF 3, $parts partition(s)"
          crps="$(consumer "$logs/cluster-consume-$size-p$parts-run$run.log" "$count" "$cluster_bootstrap")"
          crps="${crps:-n/a}"
          add "clusterconsume:$size:$parts" "$crps"
          add "ratio:clusterconsume:$size:$parts" "$(ratio "$crps" "$(last "consume:$size:$parts")")"
        fi
      done
    done
  done
  stop_cluster
}

# ---------------------------------------------------------------- results: key -> per-run values
declare -A results=()
add() { results[$1]="${results[$1]:-} $2"; }
# last <key>: the key's value from the latest run (what a ratio of the same run compares with).
last() { awk '{ print $NF }' <<<"${results[$1]:-}"; }

# ---------------------------------------------------------------- measurements
# producer <log> <size> <count> <throughput> <props...>: prints "records/s p50 p99" or "n/a n/a n/a".
# With warmup_records > 0 the tool's --warmup-records leaves that many first records out of a last
# "N steady state records sent, ..." line, and the figures are that line's.
warmup_records=0
producer() {
  local out="$1" size="$2" count="$3" throughput="$4"; shift 4
  local warmup=()
  [ "$warmup_records" -gt 0 ] && warmup=(--warmup-records "$warmup_records")
  if timeout "$tool_timeout" "$root/bin/kafka-producer-perf-test.sh" --topic "$topic" --num-records "$count" \
       --record-size "$size" --throughput "$throughput" "${warmup[@]}" --producer-props "$@" >"$out" 2>&1 \
     && grep -q "^$count records sent" "$out"; then
    # "N [steady state] records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, ..."
    awk -F', ' '/ms 99.9th/ { split($2, r, " "); split($5, p50, " "); split($7, p99, " "); print r[1], p50[1], p99[1] }' "$out" | tail -n 1
  else
    log "  failed or incomplete: $out"; echo "n/a n/a n/a"
  fi
}

# The consumer settings both consume rows run with, Samsa's (--consumer.config) and the mock's
# (--consumer-config): librdkafka stops fetching a partition for fetch.queue.backoff.ms (default 1 s)
# once queued.min.messages (100,000) records wait in its queue, which a continuous read of 100 B
# records reaches within a few fetches; the mock's 4 MiB chunks (36,157 records) never do at one
# partition, so with the defaults the two rows measured different things (docs/benchmarks.md,
# "Consume at one partition"). fetch.wait.max.ms=10: the mock needs it (MockConsumeBaseline).
consumer_config="$work/consumer.properties"
printf '%s\n' fetch.queue.backoff.ms=10 fetch.wait.max.ms=10 >"$consumer_config"

# consumer <log> <count> [bootstrap]: prints the fetch-time records/s (group join excluded) or n/a;
# the standalone broker unless a bootstrap list is given.
consumer() {
  local out="$1" count="$2" bootstrap="${3:-127.0.0.1:$broker_port}"
  if timeout "$tool_timeout" "$root/bin/kafka-consumer-perf-test.sh" --bootstrap-server "$bootstrap" \
       --topic "$topic" --messages "$count" --timeout 30000 --consumer.config "$consumer_config" >"$out" 2>&1 \
     && ! grep -q WARNING "$out"; then
    # start, end, MB, MB/s, nMsg, nMsg/s, rebalance ms, fetch ms, fetch MB/s, fetch nMsg/s
    awk -F', ' -v n="$count" '$5 == n { print $10 }' "$out" | tail -n 1
  else
    log "  failed or incomplete: $out"; echo n/a
  fi
}

# alternative <log> <mode> <args...>: runs bench/Samsa.Alternatives; prints its records/s or n/a.
alternative() {
  local out="$1"; shift
  if timeout "$tool_timeout" dotnet "$root/artifacts/bin/Samsa.Alternatives/release/Samsa.Alternatives.dll" "$@" >"$out" 2>&1; then
    # "N records, R records/sec (M MB/sec), T ms"
    local rps
    rps="$(awk '/ records\/sec \(/ { print $3 }' "$out" | tail -n 1)"
    echo "${rps:-n/a}"
  else
    log "  failed: $out"; echo n/a
  fi
}

# run_server_baseline <kind> <run> <size> <count>: starts <kind>-server (nats or redis) on a free port
# with its data in the run's dir, publishes the same records to it with bench/Samsa.Alternatives
# <kind> and adds the records/s as "<kind>:<size>" (n/a when the server is not installed or fails).
#   nats: JetStream, file storage, one stream on one subject, up to 4,096 acks outstanding.
#   redis: appendonly yes, appendfsync everysec (no RDB snapshots: the append-only file is the
#   durability measured), XADD over 8 connections, 64 commands per pipelined write (redis-benchmark's -P 64).
run_server_baseline() {
  local kind="$1" run="$2" size="$3" count="$4" port dir="$work/run$2/$1-$3"
  local -a server client
  have "$kind-server" || { add "$kind:$size" n/a; return 0; }
  mkdir -p "$dir"
  port="$(free_port)"
  case "$kind" in
    nats)
      server=(nats-server -js -sd "$dir" -a 127.0.0.1 -p "$port")
      client=(--server "nats://127.0.0.1:$port" --window 4096) ;;
    redis)
      server=(redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync everysec --save "")
      client=(--server "127.0.0.1:$port" --connections 8 --window 64) ;;
    *) echo "bench/run.sh: no server baseline '$kind'" >&2; exit 1 ;;
  esac
  if start_server alt_server_pid "$logs/$kind-server-$size-run$run.log" "$port" 30 "${server[@]}"; then
    add "$kind:$size" "$(alternative "$logs/$kind-$size-run$run.log" "$kind" "${client[@]}" \
      --record-size "$size" --records "$count" --name "bench$size")"
  else
    log "  $kind-server did not start; see $logs/$kind-server-$size-run$run.log"; add "$kind:$size" n/a
  fi
  stop_pid "$alt_server_pid"; alt_server_pid=""
  rm -rf "$dir"
}

create_topic() {
  timeout "$tool_timeout" "$root/bin/kafka-topics.sh" --bootstrap-server "127.0.0.1:$broker_port" --create \
    --topic "$topic" --partitions "$1" --replication-factor 1 >>"$logs/topics.log" 2>&1 \
    || log "  could not create $topic (see $logs/topics.log)"
}

# json_number <file> <jq filter>: the number the filter selects, or n/a.
json_number() {
  local value
  value="$(jq -r "($2) // empty" "$1" 2>/dev/null | head -n 1)"
  case "$value" in ''|null) echo n/a ;; *) echo "$value" ;; esac
}

run_fio() {
  local run="$1" dir="$work/run$1/fio" out="$logs/fio-run$1.json"
  have fio || { add fio_write n/a; add fio_read n/a; add fio_read_direct n/a; return 0; }
  mkdir -p "$dir"
  # Buffered sequential 1 MiB writes with one fsync at the end, then a sequential read of the same
  # file (mostly from the page cache, as a broker's fetch of recent data is), then one with O_DIRECT
  # (past this machine's page cache, as a fetch of data no longer cached reads it; on a VM the host
  # may still cache it).
  if timeout "$tool_timeout" fio --output-format=json --directory="$dir" --size="$fio_size" --bs=1M --ioengine=psync \
       --name=seqwrite --rw=write --end_fsync=1 \
       --name=seqread --stonewall --rw=read --filename=seqwrite.0.0 >"$out" 2>"$logs/fio-run$run.err"; then
    add fio_write "$(json_number "$out" '.jobs[] | select(.jobname == "seqwrite") | .write.bw_bytes / 1e6')"
    add fio_read "$(json_number "$out" '.jobs[] | select(.jobname == "seqread") | .read.bw_bytes / 1e6')"
  else
    add fio_write n/a; add fio_read n/a
  fi
  # Its own fio run: a file system that refuses O_DIRECT (tmpfs) loses only this row.
  if timeout "$tool_timeout" fio --output-format=json --directory="$dir" --size="$fio_size" --bs=1M --ioengine=psync \
       --name=seqreaddirect --rw=read --direct=1 --filename=seqwrite.0.0 >"$out.direct" 2>>"$logs/fio-run$run.err"; then
    add fio_read_direct "$(json_number "$out.direct" '.jobs[] | select(.jobname == "seqreaddirect") | .read.bw_bytes / 1e6')"
  else
    add fio_read_direct n/a
  fi
  rm -rf "$dir"
}

run_iperf() {
  local run="$1" port out="$logs/iperf3-run$1.json"
  have iperf3 || { add iperf n/a; return 0; }
  port="$(free_port)"
  iperf3 -s -1 -B 127.0.0.1 -p "$port" >"$logs/iperf3-server-run$run.log" 2>&1 &
  iperf_pid=$!
  # Wait for its banner: a probing connect would be taken as the one test -1 serves.
  for _ in $(seq 1 200); do grep -q 'Server listening' "$logs/iperf3-server-run$run.log" && break; sleep 0.05; done
  if timeout 60 iperf3 -J -c 127.0.0.1 -p "$port" -t "$iperf_seconds" >"$out" 2>&1; then
    add iperf "$(json_number "$out" '.end.sum_received.bits_per_second / 8e6')"
  else
    add iperf n/a
  fi
  stop_pid "$iperf_pid"; iperf_pid=""
}

run_loadgen() {
  local run="$1" out="$logs/loadgen-run$1.log"
  # 1 KiB records, 1,000 per batch (1 MiB requests), 2 connections x 4 in flight, acks=-1.
  if timeout "$tool_timeout" "$root/bench/loadgen.sh" produce-fetch --bootstrap-server "127.0.0.1:$broker_port" \
       --topic "loadgen-r$run" --record-size 1024 --batch-records 1000 \
       --duration "$loadgen_seconds" --warmup "$loadgen_warmup" >"$out" 2>&1; then
    # "produce: N records/s; values X MB/s = ... MiB/s; batches Y MB/s = ..."
    add lg_produce_rps "$(awk '/^produce: .* records\/s;/ { gsub(",", "", $2); print $2 }' "$out")"
    add lg_produce_mb "$(awk '/^produce: .* records\/s;/ { for (i = 1; i <= NF; i++) if ($i == "batches") { gsub(",", "", $(i + 1)); print $(i + 1) } }' "$out")"
    add lg_fetch_rps "$(awk '/^fetch: .* records\/s;/ { gsub(",", "", $2); print $2 }' "$out")"
    add lg_fetch_mb "$(awk '/^fetch: .* records\/s;/ { for (i = 1; i <= NF; i++) if ($i == "batches") { gsub(",", "", $(i + 1)); print $(i + 1) } }' "$out")"
  else
    log "  load generator failed: $out"
    add lg_produce_rps n/a; add lg_produce_mb n/a; add lg_fetch_rps n/a; add lg_fetch_mb n/a
  fi
}

# ratio <a> <b>: a / b, or n/a.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.e+-]+$/ && b ~ /^[0-9.e+-]+$/ && b > 0) printf "%.4f", a / b; else print "n/a" }'; }

log "work dir $work; $runs run(s)$([ "$quick" = 1 ] && echo ', quick'); load average $load_at_start"
for run in $(seq 1 "$runs"); do
  log "run $run/$runs: broker start-up on an empty log dir"
  start_broker "$run"
  add startup_ms "$startup_ms"
  sleep 3   # let start-up work (JIT, first GC) settle before reading the idle RSS
  add rss_idle "$(rss_mb "$broker_pid")"

  log "run $run/$runs: fio ($fio_size) and iperf3 (${iperf_seconds} s)"
  run_fio "$run"
  run_iperf "$run"

  for size in 100 1024; do
    if [ "$size" = 100 ]; then count=$records_100; else count=$records_1k; fi
    log "run $run/$runs: NATS JetStream and Redis Streams publish $count x $size B"
    run_server_baseline nats "$run" "$size" "$count"
    run_server_baseline redis "$run" "$size" "$count"
    for acks in all 1; do
      log "run $run/$runs: mock produce $count x $size B acks=$acks"
      topic="mock-$size"
      read -r mock _ _ < <(producer "$logs/mock-$size-acks$acks-run$run.log" "$size" "$count" -1 \
        test.mock.num.brokers=1 "acks=$acks" linger.ms=5 batch.size=1000000) || true
      mock="${mock:-n/a}"
      add "mock:$size:$acks" "$mock"
      for parts in 1 6; do
        topic="bench-$size-acks$acks-p$parts-r$run"
        create_topic "$parts"
        log "run $run/$runs: Samsa produce $count x $size B acks=$acks, $parts partition(s)"
        read -r rps _ _ < <(producer "$logs/produce-$size-acks$acks-p$parts-run$run.log" "$size" "$count" -1 \
          "bootstrap.servers=127.0.0.1:$broker_port" "acks=$acks" linger.ms=5 batch.size=1000000) || true
        rps="${rps:-n/a}"
        add "produce:$size:$acks:$parts" "$rps"
        add "ratio:produce:$size:$acks:$parts" "$(ratio "$rps" "$mock")"
        if [ "$acks" = all ]; then
          if [ "$parts" = 1 ]; then
            add "ratio:nats:$size" "$(ratio "$rps" "$(last "nats:$size")")"
            add "ratio:redis:$size" "$(ratio "$rps" "$(last "redis:$size")")"
          fi
          # The mock consume baseline: the same records and consumer settings against the mock
          # broker in the tool's own process (bench/Samsa.Alternatives mock-consume).
          log "run $run/$runs: mock consume $count x $size B, $parts partition(s)"
          mcrps="$(alternative "$logs/mock-consume-$size-p$parts-run$run.log" mock-consume \
            --record-size "$size" --records "$count" --partitions "$parts" --name "mock-consume-$size-p$parts" \
            --consumer-config "$consumer_config")"
          add "mockconsume:$size:$parts" "$mcrps"
          log "run $run/$runs: Samsa consume $count x $size B, $parts partition(s)"
          crps="$(consumer "$logs/consume-$size-p$parts-run$run.log" "$count")"
          crps="${crps:-n/a}"
          add "consume:$size:$parts" "$crps"
          add "ratio:consume:$size:$parts" "$(ratio "$crps" "$mcrps")"
        fi
        if [ "$acks" = all ] && [ "$parts" = 1 ]; then
          # Latency at half of the peak just measured (acks=all, 1 partition), for latency_seconds
          # after a 1 s warm-up (the client's start-up: metadata, a producer id) that the percentiles
          # leave out, with linger.ms=0: what a user means by produce latency, not the client's
          # batching delay. The mock cluster at the same rate and settings first, as the baseline.
          half="$(awk -v r="$rps" 'BEGIN { if (r ~ /^[0-9.]+$/) printf "%d", r / 2; else print 0 }')"
          if [ "$half" -gt 0 ]; then
            warmup_records=$(( half > 1000 ? half : 1000 ))
            lcount=$(( half * latency_seconds ))
            [ "$lcount" -ge 10000 ] || lcount=10000
            lcount=$(( lcount + warmup_records ))
            add "latency:load" "$(cut -d' ' -f1 /proc/loadavg)"
            topic="mock-latency-$size"
            log "run $run/$runs: mock produce latency, $size B acks=all linger.ms=0 at $half records/s"
            read -r _ mp50 mp99 < <(producer "$logs/mock-latency-$size-run$run.log" "$size" "$lcount" "$half" \
              test.mock.num.brokers=1 acks=all linger.ms=0 batch.size=1000000) || true
            add "mocklatency:$size:p50" "${mp50:-n/a}"; add "mocklatency:$size:p99" "${mp99:-n/a}"
            topic="latency-$size-r$run"
            create_topic 1
            log "run $run/$runs: Samsa produce latency, $size B acks=all linger.ms=0 at $half records/s"
            read -r lrps p50 p99 < <(producer "$logs/latency-$size-run$run.log" "$size" "$lcount" "$half" \
              "bootstrap.servers=127.0.0.1:$broker_port" acks=all linger.ms=0 batch.size=1000000) || true
            warmup_records=0
            add "latency:$size:rate" "${lrps:-n/a}"; add "latency:$size:p50" "${p50:-n/a}"; add "latency:$size:p99" "${p99:-n/a}"
            add "ratio:latency:$size" "$(ratio "${p99:-n/a}" "${mp99:-n/a}")"
          else
            add "latency:$size:rate" n/a; add "latency:$size:p50" n/a; add "latency:$size:p99" n/a
            add "mocklatency:$size:p50" n/a; add "mocklatency:$size:p99" n/a; add "ratio:latency:$size" n/a
          fi
        fi
      done
    done
  done

  log "run $run/$runs: raw load generator, 1 KiB produce then fetch (${loadgen_seconds} s each)"
  run_loadgen "$run"
  add "ratio:lg_produce" "$(ratio "$(last "lg_produce_mb")" "$(last "fio_write")")"
  add "ratio:lg_fetch" "$(ratio "$(last "lg_fetch_mb")" "$(last "iperf")")"
  add rss_after "$(rss_mb "$broker_pid")"

  stop_pid "$broker_pid"; broker_pid=""
  if [ "$cluster" = 1 ]; then run_cluster "$run"; fi
  rm -rf "$work/run$run"
done

# ---------------------------------------------------------------- the table
# stat <key>: "median min max n" over the numeric values, or "n/a".
stat() {
  # shellcheck disable=SC2086 # the values are a space-separated list on purpose
  printf '%s\n' ${results[$1]:-} | awk '/^[0-9.e+-]+$/ { v[n++] = $1 + 0 }
    END {
      if (n == 0) { print "n/a"; exit }
      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      m = (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
      print m, v[0], v[n - 1], n
    }'
}

# fmt <kind> <stat...>: a median with its spread; kind: rate (records/s), mb, ms, plain, x (ratio).
fmt() {
  local kind="$1"; shift
  [ "$1" != n/a ] || { echo "n/a"; return 0; }
  awk -v k="$kind" -v m="$1" -v lo="$2" -v hi="$3" -v n="$4" '
    function f(x) {
      if (k == "rate") return x >= 1e6 ? sprintf("%.2fM", x / 1e6) : x >= 1e3 ? sprintf("%.1fk", x / 1e3) : sprintf("%.0f", x)
      if (k == "mb") return x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x)
      if (k == "x") return sprintf("%.2f", x)
      if (k == "ms") return sprintf("%.0f", x)
      return sprintf("%.1f", x)
    }
    BEGIN { s = f(m); if (n > 1) s = s " (" f(lo) "–" f(hi) ")"; print s }'
}

med() { stat "$1" | awk '{ print $1 }'; }

# verdict <value> <op> <limit>: ✓ or ✗ (or nothing when the value is missing).
verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v !~ /^[0-9.e+-]+$/) exit; ok = (op == ">=") ? v >= l : v <= l; print ok ? "✓" : "✗" }'; }

mbps() { awk -v r="$1" -v s="$2" 'BEGIN { if (r ~ /^[0-9.e+-]+$/) { x = r * s / 1e6; printf(x >= 100 ? "%.0f" : "%.1f", x) } else print "n/a" }'; }

size_name() { if [ "$1" = 100 ]; then echo "100 B"; else echo "1 KiB"; fi; }

echo
echo "**bench/run.sh**, $started_at — $(nproc) CPUs ($cpu_model), $mem_gib GiB memory — load average at start $load_at_start —" \
  "$runs run(s)$([ "$quick" = 1 ] && echo ' (--quick)'), medians with (min–max); MB = 10^6 B of values; data dir on $(df -P "$base" | awk 'NR == 2 { print $1 }')"
echo
echo "| what | records/s | MB/s | baseline (same run) | ratio to baseline | target |"
echo "|---|---:|---:|---|---:|---|"
for size in 100 1024; do
  for acks in all 1; do
    m="$(med "mock:$size:$acks")"
    # shellcheck disable=SC2046
    echo "| mock cluster produce $(size_name "$size") acks=$acks (client's ceiling) | $(fmt rate $(stat "mock:$size:$acks")) | $(mbps "$m" "$size") | — | — | — |"
  done
done
# shellcheck disable=SC2046
echo "| fio sequential write 1 MiB, buffered + final fsync | — | $(fmt mb $(stat fio_write)) | — | — | — |"
# shellcheck disable=SC2046
echo "| fio sequential read 1 MiB (just written) | — | $(fmt mb $(stat fio_read)) | — | — | — |"
# shellcheck disable=SC2046
echo "| fio sequential read 1 MiB, O_DIRECT (past this machine's page cache) | — | $(fmt mb $(stat fio_read_direct)) | — | — | — |"
# shellcheck disable=SC2046
echo "| iperf3 loopback TCP, one stream | — | $(fmt mb $(stat iperf)) | — | — | — |"
for size in 100 1024; do
  if have nats-server; then
    # shellcheck disable=SC2046
    echo "| NATS JetStream publish $(size_name "$size"), file storage, async, ≤ 4,096 acks outstanding | $(fmt rate $(stat "nats:$size")) | $(mbps "$(med "nats:$size")" "$size") | — | — | — |"
  else
    echo "| NATS JetStream publish $(size_name "$size") | nats-server not installed, skipped | | | | |"
  fi
  if have redis-server; then
    # shellcheck disable=SC2046
    echo "| Redis Streams XADD $(size_name "$size"), appendfsync everysec, 8 connections × pipeline 64 | $(fmt rate $(stat "redis:$size")) | $(mbps "$(med "redis:$size")" "$size") | — | — | — |"
  else
    echo "| Redis Streams XADD $(size_name "$size") | redis-server not installed, skipped | | | | |"
  fi
done
for size in 100 1024; do
  for acks in all 1; do
    for parts in 1 6; do
      key="produce:$size:$acks:$parts"
      r="$(med "ratio:$key")"
      target="—"
      [ "$acks" = all ] && target="≥ 0.8 × mock $(verdict "$r" '>=' 0.8)"
      # shellcheck disable=SC2046
      echo "| Samsa produce $(size_name "$size") acks=$acks, $parts partition(s) | $(fmt rate $(stat "$key")) | $(mbps "$(med "$key")" "$size") | mock $(size_name "$size") acks=$acks | $(fmt x $(stat "ratio:$key")) | $target |"
    done
  done
done
for size in 100 1024; do
  for parts in 1 6; do
    key="consume:$size:$parts"
    r="$(med "ratio:$key")"
    # shellcheck disable=SC2046
    echo "| Samsa consume $(size_name "$size"), $parts partition(s) (fetch time, group join excluded) | $(fmt rate $(stat "$key")) | $(mbps "$(med "$key")" "$size") | mock consume $(size_name "$size"), $parts partition(s): $(fmt rate $(stat "mockconsume:$size:$parts")) | $(fmt x $(stat "ratio:$key")) | ≥ 0.8 × mock $(verdict "$r" '>=' 0.8) |"
  done
done
for size in 100 1024; do
  key="produce:$size:all:1"
  r="$(med "ratio:nats:$size")"
  # shellcheck disable=SC2046
  echo "| Samsa produce $(size_name "$size") acks=all, 1 partition, against NATS JetStream | $(fmt rate $(stat "$key")) | $(mbps "$(med "$key")" "$size") | NATS JetStream $(size_name "$size") | $(fmt x $(stat "ratio:nats:$size")) | ≥ 3 × NATS $(verdict "$r" '>=' 3) |"
  r="$(med "ratio:redis:$size")"
  target="—"
  [ "$size" = 1024 ] && target="≥ 2 × Redis $(verdict "$r" '>=' 2)"
  # shellcheck disable=SC2046
  echo "| Samsa produce $(size_name "$size") acks=all, 1 partition, against Redis Streams | $(fmt rate $(stat "$key")) | $(mbps "$(med "$key")" "$size") | Redis Streams $(size_name "$size") | $(fmt x $(stat "ratio:redis:$size")) | $target |"
done
for size in 100 1024; do
  p99="$(med "latency:$size:p99")"
  # shellcheck disable=SC2046
  echo "| Samsa produce latency $(size_name "$size") acks=all, 1 partition, linger.ms=0, at half the peak (1 s warm-up left out; load average $(fmt plain $(stat latency:load))): p50 $(fmt ms $(stat "latency:$size:p50")) ms, p99 $(fmt ms $(stat "latency:$size:p99")) ms | $(fmt rate $(stat "latency:$size:rate")) | $(mbps "$(med "latency:$size:rate")" "$size") | mock cluster, same rate and settings: p50 $(fmt ms $(stat "mocklatency:$size:p50")) ms, p99 $(fmt ms $(stat "mocklatency:$size:p99")) ms | $(fmt x $(stat "ratio:latency:$size")) (p99) | p99 ≤ 5 ms $(verdict "$p99" '<=' 5) |"
done
r="$(med ratio:lg_produce)"
# shellcheck disable=SC2046
echo "| load generator produce 1 KiB, acks=-1 (MB/s of batches) | $(fmt rate $(stat lg_produce_rps)) | $(fmt mb $(stat lg_produce_mb)) | fio write | $(fmt x $(stat ratio:lg_produce)) | ≥ 0.5 × fio $(verdict "$r" '>=' 0.5) |"
r="$(med ratio:lg_fetch)"
# shellcheck disable=SC2046
echo "| load generator fetch 1 KiB, cached (MB/s of batches) | $(fmt rate $(stat lg_fetch_rps)) | $(fmt mb $(stat lg_fetch_mb)) | iperf3 | $(fmt x $(stat ratio:lg_fetch)) | ≥ 0.5 × iperf3 $(verdict "$r" '>=' 0.5) |"
if [ "$cluster" = 1 ]; then
  for size in 100 1024; do
    for acks in all 1; do
      for parts in 1 6; do
        target="—"
        if [ "$acks" = all ] && [ "$parts" = 1 ]; then
          target="≥ 0.5 × standalone $(verdict "$(med "ratio:cluster:$size:$acks:$parts")" '>=' 0.5)"
        fi
        # shellcheck disable=SC2046
        echo "| three-broker cluster produce $(size_name "$size") acks=$acks, RF 3, $parts partition(s) | $(fmt rate $(stat "cluster:$size:$acks:$parts")) | $(mbps "$(med "cluster:$size:$acks:$parts")" "$size") | standalone, same settings | $(fmt x $(stat "ratio:cluster:$size:$acks:$parts")) | $target |"
      done
    done
    for parts in 1 6; do
      # shellcheck disable=SC2046
      echo "| three-broker cluster consume $(size_name "$size"), RF 3, $parts partition(s) | $(fmt rate $(stat "clusterconsume:$size:$parts")) | $(mbps "$(med "clusterconsume:$size:$parts")" "$size") | standalone consume, same records | $(fmt x $(stat "ratio:clusterconsume:$size:$parts")) | — |"
    done
  done
else
  echo "| three-broker cluster, RF 3, acks=all | not measured (run with --cluster) | | | | ≥ 0.5 × standalone |"
fi
m="$(med rss_idle)"
# shellcheck disable=SC2046
echo "| broker RSS, idle after start-up: $(fmt plain $(stat rss_idle)) MB (after the run's load: $(fmt plain $(stat rss_after)) MB) | — | — | — | — | ≤ 100 MB $(verdict "$m" '<=' 100) |"
m="$(med startup_ms)"
# shellcheck disable=SC2046
echo "| broker start-up to a listening port, empty log dir: $(fmt ms $(stat startup_ms)) ms (script + dotnet host included) | — | — | — | — | ≤ 1000 ms $(verdict "$m" '<=' 1000) |"
