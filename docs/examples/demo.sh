#!/usr/bin/env bash
# Tunes docs/examples/quadratic.py with a coordinator and two local workers,
# showing live progress, then the best configuration. Run from anywhere.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
sextant="$root/.build/debug/sextant"
workdir="$root/.demo"
port="${SEXTANT_DEMO_PORT:-5555}"
mkdir -p "$workdir"
rm -f "$workdir"/demo.db*
cd "$workdir"

"$sextant" coordinator "$root/docs/examples/quadratic.yaml" --bind "tcp://127.0.0.1:$port" --db demo.db &
coordinator=$!
trap 'kill $coordinator $worker1 $worker2 2>/dev/null || true' EXIT
command=(python3 "$root/docs/examples/quadratic.py" --x "{x}" --y "{y}" --optimizer "{optimizer}" --sleep 0.1)
"$sextant" worker "tcp://127.0.0.1:$port" --name worker-1 -- "${command[@]}" > worker-1.log 2>&1 &
worker1=$!
"$sextant" worker "tcp://127.0.0.1:$port" --name worker-2 -- "${command[@]}" > worker-2.log 2>&1 &
worker2=$!
wait $coordinator
wait $worker1 $worker2 || true
trap - EXIT
echo
"$sextant" status --db demo.db --limit 10
echo
echo "All trials: $sextant export --format csv --db $workdir/demo.db"
