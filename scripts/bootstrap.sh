#!/usr/bin/env bash
# Installs what agenthost needs to build and test on Debian 12, then configures
# and builds it. Idempotent: packages already present are not touched, and an
# existing build tree is reused so that nothing is rebuilt needlessly.
#   scripts/bootstrap.sh [BUILD_DIR]   (default: build)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$repo/build}

packages=(
  g++ cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-log1.81-dev libboost-test1.81-dev
  libcurl4-openssl-dev libssl-dev libsqlite3-dev libvalijson-dev
  clang libc++-dev libc++abi-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "agenthost: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "agenthost: installing packages needs root; run this as root (or with sudo)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -f $build_dir/build.ninja ]]; then
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${AGENTHOST_BUILD_TYPE:-Debug}"
fi
cmake --build "$build_dir" -j "$(nproc)"
