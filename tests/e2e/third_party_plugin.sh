#!/usr/bin/env bash
# A third party's view: install agenthost, build examples/third-party-plugin
# against the installed AgentHostSDK package alone, and load it with the
# installed CLI. Usage: third_party_plugin.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$source/examples/third-party-plugin" -B "$work/plugin" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/plugin" >/dev/null

plugin=$work/plugin/shout.so
[[ -f $plugin ]] || fail "the plugin was not built at $plugin"

# The version script leaves the entry as the only exported symbol.
exports=$(nm -D --defined-only "$plugin" | awk '{print $3}')
[[ $exports == ah_plugin_entry_v1 ]] || fail "expected only ah_plugin_entry_v1 exported, got: $exports"

agenthost=$work/prefix/bin/agenthost
inspect=$("$agenthost" plugins inspect "$plugin") || fail "inspect refused the plugin: $inspect"
grep -q "shout" <<<"$inspect" || fail "inspect does not show the plugin's name: $inspect"
grep -q "1.0.0" <<<"$inspect" || fail "inspect does not show the plugin's version: $inspect"

# The installed CLI finds the installed first-party plugins without being told where.
list=$("$agenthost" plugins list --plugin-dir "$work/plugin")
grep -q "^shout " <<<"$list" || fail "list does not show shout: $list"
grep -q "^keyword-classifier " <<<"$list" || fail "list does not show the installed first-party plugins: $list"
