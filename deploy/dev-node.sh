#!/usr/bin/env bash
# Sets up the machine if needed, then runs a single-node cluster in the foreground with a local
# ZooKeeper it starts itself (unless one is configured or already answers on 127.0.0.1:2181).
set -euo pipefail
PROJECT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
"$PROJECT/deploy/setup.sh"
exec "$PROJECT/deploy/bin/midonet-cluster" --dev --log-format text "$@"
