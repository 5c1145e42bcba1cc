#!/usr/bin/env bash
# Runs every benchmark and prints the table of bench/README.md. Bounded: each script gives up
# (cleaning up its temp dirs and child processes) past its own deadline.
#   bash bench/run-all.sh            build, snapshot dist/, run everything (about 10 minutes)
#   SKIP_BUILD=1 bash bench/run-all.sh   benchmark the existing dist/ as is
# The benchmarks run a private copy of dist/ (bench/results/snapshot/), so that a rebuild in the
# working tree during the run cannot change the code under test. Raw results go to
# bench/results/*.json (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"   # Node 24 from the devDependency
if [ "${SKIP_BUILD:-0}" != 1 ]; then npm run build --silent; fi
snap=bench/results/snapshot
rm -rf "$snap" && mkdir -p "$snap"
cp -r dist "$snap/" && cp package.json "$snap/"   # package.json: "type": "module" and the version
export RXMGMT_CLI="$PWD/$snap/dist/src/cli/main.js"
echo "node $(node --version), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
node bench/cold-start.mjs
node bench/files-converge.mjs
node bench/repair-latency.mjs
echo
node bench/lib/table.mjs
