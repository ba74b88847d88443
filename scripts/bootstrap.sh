#!/usr/bin/env bash
# Installs what agenthost needs to build and test on Debian 12, then configures
# and builds it. Idempotent: packages already present are not touched, and an
# existing build tree is reused so that nothing is rebuilt needlessly.
#   scripts/bootstrap.sh [BUILD_DIR]   (default: build)
# The build treats warnings as errors (-DAGENTHOST_WERROR=ON). Set
# AGENTHOST_BUILD_TYPE=Release for a release build (default: Debug).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$repo/build}

# Everything the build and the tests run, not only what they link against:
# gcc/g++ build the project, binutils has nm (tests/e2e/third_party_plugin.sh),
# clang with libc++ builds the cross-runtime fixture plugin, libnghttp2-dev
# lets the mock provider speak HTTP/2 as well as HTTP/1.1.
packages=(
  gcc g++ binutils cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-log1.81-dev libboost-test1.81-dev
  libcurl4-openssl-dev libssl-dev libsqlite3-dev libnghttp2-dev
  clang libc++-dev libc++abi-dev
)

need_root() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "agenthost: $1 needs root; run this as root (or with sudo)" >&2
    exit 1
  fi
}

apt_updated=
apt_update() {
  if [[ -z $apt_updated ]]; then
    apt-get update -qq
    apt_updated=1
  fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "agenthost: installing ${missing[*]}"
  need_root "installing packages"
  export DEBIAN_FRONTEND=noninteractive
  apt_update
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# valijson is header-only, but Debian's libvalijson-dev depends on Qt, Poco,
# yaml-cpp and more (some 200 packages) for its other adapters. Unless it is
# already installed, take Debian's package file alone and unpack its headers
# into the build tree, where CMake looks for them (VALIJSON_INCLUDE_DIR).
deps_dir=$build_dir/_deps
valijson_dir=$deps_dir/valijson
if [[ ! -f /usr/include/valijson/validator.hpp && ! -f $valijson_dir/usr/include/valijson/validator.hpp ]]; then
  echo "agenthost: fetching the valijson headers (Debian's libvalijson-dev, without its dependencies)"
  need_root "fetching libvalijson-dev"
  apt_update
  mkdir -p "$deps_dir"
  rm -f "$deps_dir"/libvalijson-dev_*.deb
  # apt-get verifies the file against Debian's signed index. As root it may warn
  # that the download ran unsandboxed because user _apt cannot write here: harmless.
  (cd "$deps_dir" && apt-get download -qq libvalijson-dev)
  debs=("$deps_dir"/libvalijson-dev_*.deb)
  [[ -f ${debs[0]} ]] || { echo "agenthost: apt-get download left no libvalijson-dev_*.deb in $deps_dir" >&2; exit 1; }
  # Unpack beside the target and rename, so that an interrupted run leaves no half tree behind.
  rm -rf "$valijson_dir.partial"
  dpkg-deb -x "${debs[0]}" "$valijson_dir.partial"
  rm -rf "$valijson_dir"
  mv "$valijson_dir.partial" "$valijson_dir"
fi

# Configure when there is no build tree yet, or when its cache differs from
# what this script asks for; otherwise leave it alone, so that a no-op run
# costs one `ninja` check.
build_type=${AGENTHOST_BUILD_TYPE:-}
cache=$build_dir/CMakeCache.txt
configure=()
if [[ ! -f $build_dir/build.ninja || ! -f $cache ]]; then
  configure=(-G Ninja -DCMAKE_BUILD_TYPE="${build_type:-Debug}" -DAGENTHOST_WERROR=ON)
else
  grep -Eq '^AGENTHOST_WERROR:[A-Z]+=ON$' "$cache" || configure+=(-DAGENTHOST_WERROR=ON)
  if [[ -n $build_type ]] && ! grep -Eq "^CMAKE_BUILD_TYPE:[A-Z]+=$build_type\$" "$cache"; then
    configure+=(-DCMAKE_BUILD_TYPE="$build_type")
  fi
fi
if ((${#configure[@]})); then
  cmake -S "$repo" -B "$build_dir" "${configure[@]}"
fi
cmake --build "$build_dir" -j "$(nproc)"
