#!/usr/bin/env bash
# Runs every benchmark, then prints issue 15's table (bench/lib/table.mjs). Bounded: each script
# runs under `timeout` and gives up past its own deadline too (cleaning up its temp dirs and
# child processes); a benchmark that fails or times out is reported at the end, the others run.
#   bash bench/run-all.sh                full run, about 15 minutes on 2 cores (bound: 25, $BUDGET s)
#   QUICK=1 bash bench/run-all.sh        the short set: 100 and 10 000 files, repair, exec
#                                        chain, puppet at 100 files (about 6 minutes, bound: 8)
#   RXMGMT_CLI_BASE=/work/wt/old/dist/src/cli/main.js bash bench/run-all.sh
#                                        side by side: files-converge runs that build too,
#                                        alternating, and a before/after table is printed
#   SKIP_BUILD=1 bash bench/run-all.sh   benchmark the existing dist/ as is
#   SMOKE=1 bash bench/run-all.sh        every script at a tiny size: checks the harness, not figures
# The benchmarks run a private copy of dist/ (bench/results/snapshot/), so that a rebuild in the
# working tree during the run cannot change the code under test. Raw results go to
# bench/results/*.json (git-ignored); those of the previous run are moved to results/previous/,
# so the table never mixes in an old figure.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"   # Node 24 from the devDependency
QUICK="${QUICK:-0}"
if [ -n "${RXMGMT_CLI_BASE:-}" ] && [ ! -f "$RXMGMT_CLI_BASE" ]; then
  echo "run-all: RXMGMT_CLI_BASE=$RXMGMT_CLI_BASE does not exist (build that tree first)" >&2
  exit 2
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then npm run build --silent || exit 1; fi
results=bench/results
snap=$results/snapshot
mkdir -p "$results/previous"
find "$results" -maxdepth 1 -name '*.json' -exec mv -f {} "$results/previous/" \;
rm -rf "$snap" && mkdir -p "$snap"
cp -r dist "$snap/" && cp package.json "$snap/"   # package.json: "type": "module" and the version
export RXMGMT_CLI="$PWD/$snap/dist/src/cli/main.js"
echo "node $(node --version), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
  "QUICK=$QUICK${RXMGMT_CLI_BASE:+, side by side with $RXMGMT_CLI_BASE}"

failed=()
# The whole run's bound (seconds from here): no benchmark may run past it.
budget="${BUDGET:-$([ "$QUICK" = 1 ] && echo 480 || echo 1500)}"
start=$SECONDS
# bench NAME SECONDS COMMAND...: runs one benchmark under a hard bound, its own or what is left
# of the budget (SIGTERM, which every script handles by cleaning up; SIGKILL 30 s later).
bench() {
  local name=$1 secs=$2
  shift 2
  local left=$((budget - (SECONDS - start)))
  if [ "$left" -lt 30 ]; then
    echo "run-all: $name not run: the run's ${budget} s budget is spent" >&2
    failed+=("$name")
    return
  fi
  [ "$secs" -gt "$left" ] && secs=$left
  echo "== $name ($(date -u +%H:%M:%S), bound ${secs} s)"
  timeout -k 30 "$secs" "$@"
  local rc=$?
  if [ "$rc" = 124 ]; then
    echo "run-all: $name timed out after ${secs} s" >&2
    failed+=("$name")
  elif [ "$rc" != 0 ]; then
    echo "run-all: $name failed (exit $rc)" >&2
    failed+=("$name")
  fi
}
# optional NAME SECONDS SCRIPT ARGS...: a benchmark another workstream adds, run when it is there.
optional() {
  local name=$1 secs=$2 script=$3
  shift 3
  if [ -f "$script" ]; then bench "$name" "$secs" node "$script" "$@"; else echo "== $name: $script not there, skipped"; fi
}

if [ "${SMOKE:-0}" = 1 ]; then
  # Checks the harness itself, not figures: every script at a tiny size (about a minute).
  bench cold-start 60 node bench/cold-start.mjs --runs 3
  bench files-converge 120 node bench/files-converge.mjs 20 --runs 1 --heap
  bench repair-latency 120 node bench/repair-latency.mjs --files 20 --repairs 20 --rounds 1
  bench puppet-files 120 node bench/puppet-files.mjs 10 --runs 1
  optional fleet-collect 120 bench/fleet-collect.mjs --hosts 2 --exports 5 --changes 1
  optional distributed-start 60 bench/distributed-start.mjs --runs 1 --exports 2
elif [ "$QUICK" = 1 ]; then
  bench cold-start 120 node bench/cold-start.mjs
  bench files-converge 240 node bench/files-converge.mjs 100 10000
  bench repair-latency 240 node bench/repair-latency.mjs
  optional exec-chain 120 bench/exec-chain.mjs
  bench puppet-files 120 node bench/puppet-files.mjs 100
else
  bench cold-start 120 node bench/cold-start.mjs
  bench files-converge 900 node bench/files-converge.mjs 100 1000 10000 100000 --heap
  bench repair-latency 360 node bench/repair-latency.mjs
  optional exec-chain 180 bench/exec-chain.mjs
  bench puppet-files 300 node bench/puppet-files.mjs 100 1000
  optional graph-swap 180 bench/graph-swap.mjs
  optional fleet-collect 240 bench/fleet-collect.mjs --hosts 20 --exports 50
  optional distributed-start 120 bench/distributed-start.mjs
fi
echo
node bench/lib/table.mjs
if [ "${#failed[@]}" != 0 ]; then
  echo "run-all: failed: ${failed[*]}" >&2
  exit 1
fi
