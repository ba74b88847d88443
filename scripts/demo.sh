#!/usr/bin/env bash
# The main job: set everything up, build, and run the offline customer-support
# demo on every sample ticket, printing each reply and the path it took. Then
# the same tickets through the LLM variant (config/support-llm.json), whose
# model agents talk to the mock provider on 127.0.0.1 instead of a real API.
# Last, the incident retrospective demo (config/retro-actions.json) on every
# sample in examples/retros/, against a second mock provider: each run drafts
# tickets and waits in a run store (build/demo-store.db) for a person, who
# approves, edits or rejects them; resuming the runs files the approved
# tickets into build/retro-tickets/.
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

# The retrospective demo, against a mock provider of its own whose rules answer
# both model calls for each sample (examples/mock-provider/retro-rules.json).
exec {retro_mock_out}< <(exec build/bin/mock-provider --rules examples/mock-provider/retro-rules.json --latency-ms 50)
retro_mock_pid=$!
trap 'kill "$mock_pid" "$retro_mock_pid" 2>/dev/null || true' EXIT
read -r -t 10 listening <&"$retro_mock_out" || { echo "demo: the retrospective mock provider did not start" >&2; exit 1; }
export OPENAI_BASE_URL="${listening#listening on }/v1"

# json_text KEY JSON: the first string value of "KEY" in the one-line JSON that
# `agenthost ... --json` prints (its top-level keys come first).
json_text() {
  local re="\"$1\":\"([^\"]*)\""
  [[ $2 =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
}

store=build/demo-store.db
tickets=build/retro-tickets
rm -rf "$store" "$tickets"
waiting=()  # "RUN FILE" for each run that waits for a person
for retro in examples/retros/*.json; do
  [[ $retro == *.patch.json ]] && continue
  echo "=== retrospective: $retro"
  out=$(build/bin/agenthost run config/retro-actions.json --input "$retro" --store "$store" --trace "$trace" --json)
  run=$(json_text run_id "$out")
  if [[ $(json_text status "$out") == waiting ]]; then
    echo "run $run waits at step $(json_text step "$out"): $(json_text question "$out")"
    waiting+=("$run $retro")
  else
    echo "run $run $(json_text status "$out"): $(json_text text "$out")"
  fi
  echo
done

echo "=== runs waiting for a decision"
build/bin/agenthost runs list --store "$store" --status waiting
echo

# A person decides on each: the export fix of db-disk-full can wait a sprint
# (an edit: its ticket goes to P3), the bad-config-rollout drafts are turned
# down, the others are right as drafted.
for entry in "${waiting[@]}"; do
  run=${entry%% *} retro=${entry#* }
  echo "=== decide: $retro"
  case $(basename "$retro") in
    db-disk-full.json)
      build/bin/agenthost approve "$run" --store "$store" --decision edit \
        --patch examples/retros/lower-priority.patch.json --note "the export fix can wait a sprint" ;;
    bad-config-rollout.json)
      build/bin/agenthost approve "$run" --store "$store" --decision reject \
        --note "the flag console work is already planned; the team will file these itself" ;;
    *)
      build/bin/agenthost approve "$run" --store "$store" --decision approve --note "right as drafted" ;;
  esac
  echo
done

echo "=== resume the decided runs"
build/bin/agenthost resume --all --store "$store" --trace "$trace"
echo
echo "=== filed tickets: $tickets"
ls "$tickets"
echo "--- $tickets/INC-2041-3.json (edited to P3 before it was filed)"
cat "$tickets/INC-2041-3.json"
echo
echo
echo "trace: $trace ($(wc -l < "$trace") spans)"
