#!/usr/bin/env bash
# The Brickyard demo: a real `brickyard serve` on an embedded redb file with mock
# (simulated) storage nodes, driven by the heketi-cli compatible client.
#
#   make demo                       # builds, then runs this script
#   BRICKYARD_BIN=path scripts/demo.sh
#   DEMO_TOPOLOGY=file scripts/demo.sh   # another topology.json
#
# Everything lives in a temporary directory; the server is stopped on exit (also
# on failure or Ctrl-C). The exit status is non-zero if any step failed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${BRICKYARD_BIN:-$root/target/debug/brickyard}"
topology="${DEMO_TOPOLOGY:-}"
secret="My Secret"

if [[ ! -x "$bin" ]]; then
    echo "demo: $bin not found; build it with: cargo build -p brickyard-cli" >&2
    exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/brickyard-demo.XXXXXX")"
server_pid=""

cleanup() {
    local status=$?
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ $status -ne 0 && -f "$work/server.log" ]]; then
        echo "--- server log ($work/server.log) ---" >&2
        tail -n 40 "$work/server.log" >&2
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$work/heketi.json" <<JSON
{
  "port": "8080",
  "use_auth": true,
  "jwt": {
    "admin": { "key": "$secret" },
    "user": { "key": "$secret" }
  },
  "glusterfs": {
    "executor": "mock",
    "db": "$work/brickyard.redb"
  }
}
JSON

# examples/topology.json with its cluster allowing file volumes only: Brickyard has
# no block volumes (a topology file allows both unless it says otherwise).
if [[ -z "$topology" ]]; then
    topology="$work/topology.json"
    sed -e '0,/"nodes": *\[/s//"file": true, "block": false, "nodes": [/' \
        "$root/examples/topology.json" >"$topology"
    if ! grep -q '"block": false' "$topology"; then
        echo "demo: cannot mark the cluster of examples/topology.json file-only" >&2
        exit 1
    fi
fi

echo "== Brickyard demo: the storage is SIMULATED."
echo "   The mock executor stands in for the storage nodes of the topology: their disks,"
echo "   LVM, XFS and gluster exist only in the server's memory, and no real machine or"
echo "   disk is touched. The records are real (a redb database file)."
echo "   Block volumes are not supported: the cluster allows file volumes only."
echo
echo "== starting brickyard serve (mock executor, database $work/brickyard.redb)"
env -u HEKETI_CLI_SERVER -u HEKETI_CLI_USER -u HEKETI_CLI_KEY \
    "$bin" serve --config "$work/heketi.json" --listen 127.0.0.1:0 --db "$work/brickyard.redb" \
    >"$work/server.log" 2>&1 &
server_pid=$!

addr=""
for _ in $(seq 300); do
    addr="$(sed -n '/Listening on /{s/.*Listening on \(http:\/\/\)\{0,1\}\([^ ]*:[0-9][0-9]*\).*/\2/p;q;}' "$work/server.log")"
    [[ -n "$addr" ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "demo: the server exited before listening" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ -z "$addr" ]]; then
    echo "demo: the server printed no 'Listening on' line within 30 s" >&2
    exit 1
fi
echo "== listening on $addr"
sed -n 's/^\(Executor\|Volumes\): /   \1: /p' "$work/server.log"

export HEKETI_CLI_SERVER="http://$addr"
export HEKETI_CLI_USER=admin
export HEKETI_CLI_KEY="$secret"

step() {
    echo
    echo "\$ brickyard $*"
    "$bin" "$@"
}

step topology load --json="$topology"

echo
echo "\$ brickyard volume create --size=1"
created="$("$bin" volume create --size=1)"
echo "$created"
volume="$(sed -n 's/^Volume Id: \([0-9a-f]\{32\}\)$/\1/p' <<<"$created")"
if [[ -z "$volume" ]]; then
    echo "demo: no volume id in the volume create output" >&2
    exit 1
fi

step cluster list
step volume list
step volume info "$volume"
step topology info

echo
echo "== demo finished (simulated storage: nothing was created on a real disk): stopping the server"
