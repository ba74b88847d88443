#!/usr/bin/env bash
# The main job: set everything up, build, and run the offline customer-support
# demo on every sample ticket, printing each reply and the path it took. Then
# the same tickets through the LLM variant (config/support-llm.json), whose
# model agents talk to the mock provider on 127.0.0.1 instead of a real API.
# Spans go to build/demo-trace.jsonl (one JSON line per run, step, attempt and
# HTTP request).
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

# The mock provider answers both API dialects on one port; it stops with this script.
exec {mock_out}< <(exec build/bin/mock-provider --rules examples/mock-provider/support-rules.json --latency-ms 50)
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null || true' EXIT
read -r -t 10 listening <&"$mock_out" || { echo "demo: the mock provider did not start" >&2; exit 1; }
mock=${listening#listening on }
export OPENAI_BASE_URL="$mock/v1" ANTHROPIC_BASE_URL="$mock" OPENAI_API_KEY=demo-openai-key ANTHROPIC_API_KEY=demo-anthropic-key
for ticket in examples/tickets/*.json; do
  echo "=== LLM: $ticket"
  build/bin/agenthost run config/support-llm.json --input "$ticket" --explain --trace "$trace"
  echo
done
echo "trace: $trace ($(wc -l < "$trace") spans)"
