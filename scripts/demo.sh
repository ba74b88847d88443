#!/usr/bin/env bash
# The main job: set everything up, build, and run the offline customer-support
# demo on every sample ticket, printing each reply and the path it took. Spans
# go to build/demo-trace.jsonl (one JSON line per run, step and attempt).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/bootstrap.sh" "$repo/build"
cd "$repo"
trace=build/demo-trace.jsonl
rm -f "$trace"
for ticket in examples/tickets/*.json; do
  echo "=== $ticket"
  build/bin/agenthost run config/support.json --input "$ticket" --explain --trace "$trace"
  echo
done
echo "trace: $trace ($(wc -l < "$trace") spans)"
