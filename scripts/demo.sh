#!/usr/bin/env bash
# The main job until the connector's `vchan demo` exists: Debian's unmodified
# libxenvchan as a server (dom0) and a client (dom1), two processes on a fresh
# xensim host, streaming random data both ways with SHA-256 on both sides.
# Run after `mvn -B -q -DskipTests package`.   Usage: scripts/demo.sh [MiB]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=$root/native-bridge/target
mib=${1:-256}
bytes=$((mib << 20))
driver=$target/test-bin/vchan-driver
if [[ ! -x $driver ]]; then
    echo "demo: $driver is missing; build first: mvn -B -q -DskipTests package" >&2
    exit 1
fi

host=$(mktemp -d "${TMPDIR:-/tmp}/xensim-demo.XXXXXX")
trap 'rm -rf "$host"' EXIT
export XENSIM_DIR=$host XENSIM_LINGER_MS=200
export LD_LIBRARY_PATH=$target/xensim:$(cat "$target/xen/libdir")
path=/local/domain/0/data/vchan/1/demo

echo "xensim host $host: dom0 serves $path for dom1; $mib MiB each way, 1 MiB rings"
XENSIM_DOMID=0 "$driver" server --peer 1 --path "$path" --read-size 1048576 --write-size 1048576 \
    --send $bytes --expect $bytes --seed 1 \
    >"$host/server.out" &
server=$!
XENSIM_DOMID=1 "$driver" client --peer 0 --path "$path" --send $bytes --expect $bytes --seed 2 \
    >"$host/client.out"
wait $server

sed 's/^/  server (dom0): /' "$host/server.out"
sed 's/^/  client (dom1): /' "$host/client.out"
digest() { sed -n "s/^$1 [0-9]* sha256=//p" "$2"; }
ms=$(sed -n 's/^elapsed_ms=//p' "$host/client.out")
if [[ $(digest sent "$host/server.out") == $(digest received "$host/client.out") &&
      $(digest sent "$host/client.out") == $(digest received "$host/server.out") ]]; then
    echo "checksums match: $((2 * mib)) MiB moved in $ms ms ($(( 2 * mib * 1000 / (ms > 0 ? ms : 1) )) MiB/s both ways together, SHA-256 included)"
else
    echo "checksums DIFFER" >&2
    exit 1
fi
