#!/usr/bin/env bash
# The Debian packages the tests start for real, installed when missing (idempotent; a few
# dpkg-query calls when all are there). `npm test` runs it first (package.json "pretest"), and
# .ci/run too. Without root or sudo it only names what is missing: the tests that need a missing
# server then skip, outside CI, with a reason naming the package.
#
# zookeeper: the NSDB; haproxy: the VIP tests; python3-keystone: a real Keystone (identity v3),
# run as a plain process (test/support/keystone.ts); openssl, curl and keytool (a JRE) make and
# use HTTPS key stores; openvswitch-vtep: the hardware_vtep schema, vtep-ctl, ovsdb-server and
# ovsdb-client, for the OVSDB, VTEP and VxLAN gateway tests (test/support/ovsdb.ts);
# protobuf-compiler: protoc parses what the node stores with the .proto schema (test/support/protoc.ts).
set -euo pipefail
PKGS=(zookeeper haproxy python3-keystone openssl curl openvswitch-vtep protobuf-compiler)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ! -f /usr/share/java/zookeeper.jar ] || ! command -v java >/dev/null 2>&1; then
  missing+=(zookeeper)
fi
if ! command -v keytool >/dev/null 2>&1; then
  missing+=(default-jre-headless)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then
    SUDO="sudo"
  else
    echo "test-packages: missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]}); the tests that need them skip" >&2
    exit 0
  fi
fi
echo "--- installing Debian packages: ${missing[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
