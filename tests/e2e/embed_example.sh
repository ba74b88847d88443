#!/usr/bin/env bash
# Runs examples/embed as a product would run it: the support demo on every
# sample ticket, one synchronously and all of them at once. Checks that it
# exits 0 and prints, for every run, its correlation id, the route that the
# ticket's "expected" names, and a reply that greets the customer.
# Usage: embed_example.sh EXAMPLE_BINARY SOURCE_DIR PLUGIN_DIR
set -euo pipefail
example=$1
source=$2
plugins=$3

fail() { echo "FAIL: $*" >&2; exit 1; }

tickets=("$source"/examples/tickets/*.json)
(( ${#tickets[@]} >= 6 )) || fail "expected the sample tickets in $source/examples/tickets"

out=$("$example" "$source/config/support.json" "$plugins" "${tickets[@]}") \
  || fail "the example exited with status $?; it printed:"$'\n'"$out"
echo "$out"

grep -q "^loaded workflow support from " <<<"$out" || fail "it did not say which workflow it loaded"
grep -q "^started ${#tickets[@]} runs$" <<<"$out" || fail "it did not start one run per ticket"
grep -q "^all runs succeeded$" <<<"$out" || fail "it did not report that every run succeeded"

# What one run printed: the three lines after its header.
run_block() { # LABEL FILE
  grep -A2 -E "^\[$1\] run [0-9a-f]{32} $2: ok$" <<<"$out" || true
}

ids=()
check_run() { # LABEL TICKET_FILE
  local label=$1 file=$2 name block route customer expected_route
  name=$(basename "$file")
  block=$(run_block "$label" "$name")
  [[ -n $block ]] || fail "no successful [$label] run with a 32-hex run id for $name"
  ids+=("$(head -n1 <<<"$block" | awk '{print $3}')")
  # The tickets keep "customer" and "route" on one line each, so sed can read them.
  customer=$(sed -n 's/^ *"customer": *"\([^"]*\)".*/\1/p' "$file")
  expected_route=$(sed -n 's/^ *"route": *\[\(.*\)\].*/\1/p' "$file" | sed 's/"//g; s/, */ -> /g')
  [[ -n $customer && -n $expected_route ]] || fail "$name: cannot read its customer and expected route"
  route=$(sed -n 's/^  route: //p' <<<"$block")
  [[ $route == "$expected_route" ]] || fail "$name ($label): route '$route', expected '$expected_route'"
  grep -q "^  reply: Hi $customer," <<<"$block" || fail "$name ($label): the reply does not greet $customer"
}

check_run sync "${tickets[0]}"
for t in "${tickets[@]}"; do check_run batch "$t"; done

# One correlation id per run: the synchronous run and the batch's are all different.
dupes=$(printf '%s\n' "${ids[@]}" | sort | uniq -d)
[[ -z $dupes ]] || fail "run ids repeat: $dupes"
echo "PASS: ${#ids[@]} runs"
