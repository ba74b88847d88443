#!/usr/bin/env bash
# The main job: set everything up, build, and run the offline demo.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/bootstrap.sh" "$repo/build"
cd "$repo"
build/bin/agenthost plugins list --plugin-dir build/tests/fixtures/plugins \
  --plugin-dir build/tests/fixtures/plugins/versioned
