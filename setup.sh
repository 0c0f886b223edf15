#!/bin/bash
# Idempotent set-up for a Debian machine: installs every package kreg needs
# (only the missing ones), makes sure apt can resolve Debian kernel packages,
# and builds into build/. Safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake pkg-config git clang-format
  libfmt-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcgroup-dev libarchive-dev zlib1g-dev libssl-dev
  libboost-math-dev  # header-only Boost.Math: kreg compare's t and normal distributions
  qemu-system-x86 cpio xz-utils zstd e2fsprogs busybox-static
  rpm  # rpmbuild: the .rpm kernel tests build real packages
  python3-jsonschema python3-yaml  # the k8s manifest test checks Jobs against the published batch/v1 schema
  libyaml-cpp-dev  # the tests read kreg submit k8s's manifest back
  mmdebstrap umoci skopeo  # image/build.sh: the container image from Debian packages, no registry
  slurm-wlm munge  # kreg submit slurm's test starts a single-host Slurm cluster of its own
  flex bison bc libelf-dev patch rsync  # kernels built from source (src:, debian-source:): kbuild, patches, tree mirrors
  ccache  # kernel builds from source share compiler results across object dirs and checkouts (bisection)
  python3 python3-matplotlib python3-numpy
  python3-yaml  # the CI examples test parses examples/ci/*.yml
  chromium  # the plots test renders kreg report's HTML page headless
)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 2; }
  SUDO=(sudo)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# kreg fetches kernels with apt-get download: the package lists must exist.
if [ ${#missing[@]} -gt 0 ] || [ -z "$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null | head -1)" ]; then
  echo "setup.sh: apt-get update" >&2
  "${SUDO[@]}" apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}" >&2
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# The build log is kept, not shown: static libcgroup's getpwnam link warnings are expected noise.
if ! cmake --build build -j"$(nproc)" >build/build.log 2>&1; then
  grep -E "error|Error" build/build.log | head -40 >&2
  echo "setup.sh: build failed (full log: build/build.log)" >&2
  exit 1
fi
echo "setup.sh: built build/kreg" >&2
