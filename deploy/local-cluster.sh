#!/usr/bin/env bash
# A local N-node cluster behind HAProxy on loopback, for development:
#
#   deploy/local-cluster.sh up N [--base-port 18181] [--vip-port 8181] [--stats-port 18404]
#                                [--zk-port 22181 | --zk HOSTS] [--root-key /midonet]
#   deploy/local-cluster.sh status
#   deploy/local-cluster.sh down [--purge]
#
# `up` starts a standalone ZooKeeper (Debian's package, lib/zk/local-server.ts; skipped with --zk),
# N cluster nodes on 127.0.0.1:<base-port + i> (each with its own host id; they register in
# ZooKeeper service discovery), and `midonet-cluster haproxy-config --watch`, which writes the
# HAProxy configuration from the registered nodes, starts HAProxy on 127.0.0.1:<vip-port> (runtime
# API socket, stats page http://127.0.0.1:<stats-port>/stats) and reloads it whenever a node joins
# or leaves: stop a node (kill -TERM <pid>: it drains) or start more with the same command line,
# and HAProxy follows. `down` stops them all by the pids recorded at start (the watcher, HAProxy,
# then the nodes with SIGINT: a drain without the delay, HAProxy being gone, then ZooKeeper);
# `--purge` also deletes the state directory (ZooKeeper data, host ids, logs).
# State, logs and pid files: $MIDO_LOCAL_CLUSTER_DIR (default var/local-cluster in the project).
set -euo pipefail
PROJECT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
STATE=${MIDO_LOCAL_CLUSTER_DIR:-$PROJECT/var/local-cluster}
TSX="$PROJECT/node_modules/tsx/dist/loader.mjs"

die() { echo "local-cluster: $*" >&2; exit 1; }
say() { echo "local-cluster: $*" >&2; }

alive() {
  # A zombie (exited, not reaped yet) counts as gone.
  [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# The pids in a pid file, space-separated (HAProxy's may list several).
pids_of() { [ -f "$1" ] && xargs < "$1" || true; }

# stop_pids SECONDS PID...: SIGTERM, wait, then SIGKILL what is left.
stop_pids() {
  local grace=$1; shift
  local p left
  for p in "$@"; do alive "$p" && kill "-${STOP_SIGNAL:-TERM}" "$p" 2>/dev/null || true; done
  for _ in $(seq 1 $((grace * 20))); do
    left=0
    for p in "$@"; do alive "$p" && left=1; done
    [ $left = 0 ] && return 0
    sleep 0.05
  done
  for p in "$@"; do alive "$p" && kill -KILL "$p" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    left=0
    for p in "$@"; do alive "$p" && left=1; done
    [ $left = 0 ] && return 0
    sleep 0.05
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# http_status PORT METHOD PATH: the status code of one HTTP/1.0 request, or nothing.
http_status() {
  local line
  line=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf '%s %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$2" "$3" >&3 && timeout 2 head -n 1 <&3) 2>/dev/null) || return 0
  echo "$line" | cut -d' ' -f2
}

cmd_up() {
  local n=${1:-}
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "usage: local-cluster.sh up N [options]"
  shift
  local base=18181 vip=8181 stats=18404 zkport=22181 zkhosts="" root=/midonet
  while [ $# -gt 0 ]; do
    case "$1" in
      --base-port) base=$2; shift 2 ;;
      --vip-port) vip=$2; shift 2 ;;
      --stats-port) stats=$2; shift 2 ;;
      --zk-port) zkport=$2; shift 2 ;;
      --zk) zkhosts=$2; shift 2 ;;
      --root-key) root=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  if [ -f "$STATE/cluster.env" ]; then
    for f in "$STATE"/haproxy.pid "$STATE"/haproxy-watch.pid "$STATE"/node-*/node.pid "$STATE"/zookeeper.pid; do
      for p in $(pids_of "$f"); do alive "$p" && die "already up (pid $p from $f); run 'down' first"; done
    done
  fi
  command -v haproxy >/dev/null || die "haproxy is not installed: apt-get install -y haproxy"
  [ -f "$TSX" ] || die "npm dependencies missing: run deploy/setup.sh (or npm ci)"
  local ports=()
  for i in $(seq 1 "$n"); do ports+=($((base + i - 1))); done
  for p in "${ports[@]}" "$vip" "$stats"; do port_open "$p" && die "port $p is in use"; done
  mkdir -p "$STATE"
  : > "$STATE/cluster.env"

  # --- ZooKeeper ------------------------------------------------------------------------------
  if [ -z "$zkhosts" ]; then
    port_open "$zkport" && die "port $zkport is in use (pass --zk HOSTS to use a running ZooKeeper)"
    mkdir -p "$STATE/zookeeper"
    local out
    out=$(cd "$PROJECT" && node --import "$TSX" --input-type=module -e "
      import { startLocalZooKeeper } from './lib/zk/local-server.ts';
      const zk = await startLocalZooKeeper({ port: Number(process.argv[2]), dataDir: process.argv[1] });
      process.stdout.write(zk.pid + '\n');
    " "$STATE/zookeeper" "$zkport") || die "ZooKeeper did not start; see $STATE/zookeeper/zookeeper.log"
    echo "$out" > "$STATE/zookeeper.pid"
    zkhosts="127.0.0.1:$zkport"
    say "ZooKeeper on $zkhosts (pid $out)"
  fi
  {
    echo "ZK_HOSTS=$zkhosts"
    echo "ROOT_KEY=$root"
    echo "VIP=127.0.0.1:$vip"
    echo "STATS=127.0.0.1:$stats"
    echo "NODE_PORTS=\"${ports[*]}\""
  } >> "$STATE/cluster.env"

  # --- nodes ----------------------------------------------------------------------------------
  local i=0
  for p in "${ports[@]}"; do
    i=$((i + 1))
    local d="$STATE/node-$i"
    mkdir -p "$d"
    (
      cd "$PROJECT"
      MIDO_ZOOKEEPER_HOSTS="$zkhosts" MIDO_ZOOKEEPER_ROOT_KEY="$root" nohup node --import "$TSX" services/cluster-node/main.ts \
        --set "cluster.rest_api.http_port=$p" --set cluster.rest_api.http_host=127.0.0.1 \
        --host-id-file "$d/host_id.properties" --log-format text > "$d/node.log" 2>&1 < /dev/null &
      echo $! > "$d/node.pid"
    )
    say "node $i on 127.0.0.1:$p (pid $(cat "$d/node.pid"), log $d/node.log)"
  done
  i=0
  for p in "${ports[@]}"; do
    i=$((i + 1))
    local pid
    pid=$(cat "$STATE/node-$i/node.pid")
    for _ in $(seq 1 600); do
      [ "$(http_status "$p" GET /readyz)" = 200 ] && break
      alive "$pid" || { tail -n 20 "$STATE/node-$i/node.log" >&2; cmd_down; die "node $i exited during start"; }
      sleep 0.1
    done
    [ "$(http_status "$p" GET /readyz)" = 200 ] || { cmd_down; die "node $i not ready (GET /readyz) on $p after 60 s"; }
  done

  # --- HAProxy, following service discovery -------------------------------------------------
  # The watcher starts HAProxy once it sees the nodes, and rewrites + reloads it (-sf, listening
  # sockets handed over through the runtime API socket) whenever nodes join or leave.
  (
    cd "$PROJECT"
    nohup node --import "$TSX" services/cluster-node/main.ts haproxy-config --watch \
      --vip "127.0.0.1:$vip" --stats-socket "$STATE/haproxy.sock" --stats-bind "127.0.0.1:$stats" --log none \
      --server-state-file "$STATE/haproxy.state" -o "$STATE/haproxy.cfg" --haproxy-pid-file "$STATE/haproxy.pid" \
      --zookeeper-hosts "$zkhosts" --root-key "$root" > "$STATE/haproxy-watch.log" 2>&1 < /dev/null &
    echo $! > "$STATE/haproxy-watch.pid"
  )
  for _ in $(seq 1 150); do
    [ "$(http_status "$vip" GET /readyz)" = 200 ] && break
    alive "$(cat "$STATE/haproxy-watch.pid")" || { tail -n 20 "$STATE/haproxy-watch.log" >&2; cmd_down; die "the HAProxy watcher exited"; }
    sleep 0.1
  done
  [ "$(http_status "$vip" GET /readyz)" = 200 ] || { tail -n 20 "$STATE/haproxy-watch.log" >&2; cmd_down; die "no answer through the VIP 127.0.0.1:$vip"; }
  say "HAProxy on 127.0.0.1:$vip (pid $(pids_of "$STATE/haproxy.pid")), following service discovery (watcher pid $(cat "$STATE/haproxy-watch.pid"), log $STATE/haproxy-watch.log), stats http://127.0.0.1:$stats/stats"
  echo "REST API: http://127.0.0.1:$vip/midonet-api"
}

cmd_down() {
  local purge=0
  [ "${1:-}" = "--purge" ] && purge=1
  [ -d "$STATE" ] || { say "nothing to stop ($STATE does not exist)"; return 0; }
  # The watcher first (else it would restart HAProxy), HAProxy (the VIP goes away), then the
  # nodes (SIGINT: a drain without the delay, no load balancer is left to wait for), then ZooKeeper.
  # shellcheck disable=SC2046
  stop_pids 5 $(pids_of "$STATE/haproxy-watch.pid")
  # shellcheck disable=SC2046
  stop_pids 5 $(pids_of "$STATE/haproxy.pid")
  local all=()
  for f in "$STATE"/node-*/node.pid; do
    [ -f "$f" ] || continue
    for p in $(pids_of "$f"); do all+=("$p"); done
  done
  [ ${#all[@]} -gt 0 ] && STOP_SIGNAL=INT stop_pids 30 "${all[@]}"
  # shellcheck disable=SC2046
  stop_pids 10 $(pids_of "$STATE/zookeeper.pid")
  rm -f "$STATE"/haproxy.pid "$STATE"/haproxy-watch.pid "$STATE"/node-*/node.pid "$STATE"/zookeeper.pid "$STATE/haproxy.sock" "$STATE/cluster.env"
  if [ $purge = 1 ]; then rm -rf "$STATE"; fi
  say "stopped"
}

cmd_status() {
  [ -f "$STATE/cluster.env" ] || { echo "down"; return 3; }
  # shellcheck disable=SC1091
  . "$STATE/cluster.env"
  local st p down=0
  for p in $(pids_of "$STATE/zookeeper.pid"); do
    if alive "$p"; then st=running; else st=DEAD; down=1; fi
    echo "zookeeper  pid $p  $ZK_HOSTS  $st"
  done
  local i=0
  for port in $NODE_PORTS; do
    i=$((i + 1))
    p=$(pids_of "$STATE/node-$i/node.pid")
    if alive "$p"; then st="running, /readyz $(http_status "$port" GET /readyz || true)"; else st=DEAD; down=1; fi
    echo "node $i     pid $p  127.0.0.1:$port  $st"
  done
  p=$(pids_of "$STATE/haproxy-watch.pid")
  if alive "$p"; then st=running; else st=DEAD; down=1; fi
  echo "watcher    pid $p  haproxy-config --watch  $st"
  p=$(pids_of "$STATE/haproxy.pid")
  if alive "${p%% *}"; then st=running; else st=DEAD; down=1; fi
  echo "haproxy    pid $p  $VIP  $st"
  if alive "${p%% *}"; then
    (cd "$PROJECT" && node --import "$TSX" --input-type=module -e "
      import { serverStatus } from './haproxy/process.ts';
      for (const s of await serverStatus(process.argv[1])) {
        if (!['FRONTEND', 'BACKEND'].includes(s.server)) console.log('  ' + s.proxy + '/' + s.server + ' ' + s.status);
      }
    " "$STATE/haproxy.sock") || true
  fi
  return $down
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  status) shift; cmd_status ;;
  *) echo "usage: $0 up N [--base-port P] [--vip-port P] [--stats-port P] [--zk-port P | --zk HOSTS] [--root-key KEY] | status | down [--purge]" >&2; exit 2 ;;
esac
