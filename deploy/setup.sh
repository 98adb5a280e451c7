#!/usr/bin/env bash
# Installs what a node needs on Debian 12 (idempotent): Debian's ZooKeeper (for the embedded dev
# default and the tests), the npm dependencies, and the commands linked into /usr/local/bin.
set -euo pipefail
PROJECT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if [ ! -f /usr/share/java/zookeeper.jar ] || ! command -v java >/dev/null 2>&1; then
  echo "setup: installing Debian packages (zookeeper)" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zookeeper >/dev/null
fi

cd "$PROJECT"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

for cmd in midonet-cluster mn-conf; do
  $SUDO ln -sf "$PROJECT/deploy/bin/$cmd" "/usr/local/bin/$cmd"
done
echo "setup: done (commands linked into /usr/local/bin: midonet-cluster, mn-conf)" >&2
