#!/usr/bin/env bash
# Set everything up, build, and run the whole test suite with CTest.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/bootstrap.sh" "$repo/build"
ctest --test-dir "$repo/build" --output-on-failure -j "$(nproc)"
