#!/bin/bash
# Builds kreg's container image from this checkout's build, with no registry
# but the Debian archive the machine's apt already uses:
#   1. base layer (image/base.sh, cached): a Debian rootfs from mmdebstrap with
#      QEMU, the runtime libraries of kreg's binaries, python3-matplotlib for
#      kreg report, busybox-static for the guest, and apt for debian: kernels;
#   2. kreg layer: /opt/kreg/bin (kreg and the guest binaries it finds beside
#      itself) and /opt/kreg/share/kreg (suites, plots, the shell PoC), which
#      kreg finds relative to its own path (vm/common/source_dir.hpp).
# Writes <out>/kreg-<version>-<commit>.oci.tar (OCI archive) and
# <out>/kreg-<version>-<commit>.docker.tar (docker-archive: podman load -i),
# both naming the image kreg:<version>-<commit>, the default of
# `kreg submit k8s --image`. Prints the image name and the two paths.
#
#   image/build.sh [--build-dir DIR] [--out DIR] [--cache DIR] [--variant runtime|source]
#
# --variant source adds a compiler toolchain and kernel build dependencies, for
# suites whose kernels are built from source; its image is kreg:<...>-source.
set -euo pipefail
start=$SECONDS
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$SRC/image/base.sh"

build_dir="$SRC/build" out="" variant=runtime
cache="${KREG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kreg}"
usage() { echo "usage: image/build.sh [--build-dir DIR] [--out DIR] [--cache DIR] [--variant runtime|source]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir | --out | --cache | --variant) [ $# -ge 2 ] || usage ;;&
    --build-dir) build_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --variant) variant=$2; shift 2 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "image/build.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[ "$variant" = runtime ] || [ "$variant" = source ] || { echo "image/build.sh: --variant is runtime or source, not '$variant'" >&2; exit 2; }
build_dir=$(cd "$build_dir" 2>/dev/null && pwd) || { echo "image/build.sh: no build directory (run ./setup.sh first)" >&2; exit 2; }
out=${out:-$build_dir/image}

for tool in mmdebstrap mmtarfilter umoci skopeo; do
  command -v "$tool" >/dev/null || { echo "image/build.sh: $tool is missing (./setup.sh installs it)" >&2; exit 2; }
done
# What kreg finds beside itself (vm/boot/guest_image.cpp): the agent, statbench, the memcg spawner and raw/.
mapfile -t raw_loops < <(find "$build_dir/raw" -maxdepth 1 -type f -executable -printf '%f\n' 2>/dev/null | sort)
for bin in kreg kreg-agent kreg-statbench kreg-memcg-spawner; do
  [ -x "$build_dir/$bin" ] || { echo "image/build.sh: $build_dir/$bin is missing (build it: cmake --build $build_dir)" >&2; exit 2; }
done
[ ${#raw_loops[@]} -gt 0 ] || { echo "image/build.sh: $build_dir/raw/ holds no raw loops (build it: cmake --build $build_dir)" >&2; exit 2; }

# kreg 0.1.0 (commit 28faa5cd7aec) -> kreg:0.1.0-28faa5cd7aec, as default_image() names it.
version_line=$("$build_dir/kreg" --version)
if [[ ! "$version_line" =~ ^kreg\ ([^ ]+)\ \(commit\ ([^\)]+)\)$ ]]; then
  echo "image/build.sh: cannot read the version from '$version_line' ($build_dir/kreg --version)" >&2
  exit 1
fi
version=${BASH_REMATCH[1]} commit=${BASH_REMATCH[2]}
tag="$version-$commit"
[ "$variant" = source ] && tag+="-source"
image="kreg:$tag"

# Debian packages: what kreg runs (QEMU, mkfs.ext4 for ext4 page-cache disks,
# busybox for the guest's shell PoC, python3-matplotlib for kreg report, apt
# for debian: kernels, CA certificates for an https mirror) plus the package of
# every shared library kreg and kreg-statbench load (the agent and the raw loops
# are static); kreg copies kreg-statbench's libraries into each guest.
# python3-munkres: bookworm's python3-fonttools (matplotlib's) needs python3-scipy
# or it, and scipy pulls g++ in through python3-pythran.
packages=(qemu-system-x86 e2fsprogs busybox-static python3 python3-matplotlib python3-numpy python3-munkres apt
  ca-certificates)
if [ "$variant" = source ]; then
  # What building a kernel from source takes (make, gcc, the kernel's host tools).
  packages+=(build-essential bc bison flex libelf-dev libssl-dev dwarves cpio kmod xz-utils zstd rsync patch git)
fi
package_of() {  # the Debian package holding a library (usr-merged paths tried both ways)
  local lib=$1
  { dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null; } |
    head -1 | cut -d: -f1
}
while read -r lib; do
  pkg=$(package_of "$lib")
  [ -n "$pkg" ] || { echo "image/build.sh: no Debian package holds $lib (a library kreg links)" >&2; exit 1; }
  packages+=("$pkg")
done < <(ldd "$build_dir/kreg" "$build_dir/kreg-statbench" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)

base=$(image_base "$variant" "$cache" "${packages[@]}")
work=$(mktemp -d "${TMPDIR:-/tmp}/kreg-image-XXXXXX")
trap 'rm -rf "$work"' EXIT

say "kreg layer: $image"
layer="$work/layer"
install -d -m 0755 "$layer/opt/kreg/bin/raw" "$layer/opt/kreg/share/kreg/bench" "$layer/usr/local/bin"
# Debug info stays in the build tree: it is 90% of kreg's size.
for bin in kreg kreg-agent kreg-statbench kreg-memcg-spawner; do
  strip --strip-debug -o "$layer/opt/kreg/bin/$bin" "$build_dir/$bin"
done
for raw in "${raw_loops[@]}"; do strip --strip-debug -o "$layer/opt/kreg/bin/raw/$raw" "$build_dir/raw/$raw"; done
ln -s /opt/kreg/bin/kreg "$layer/usr/local/bin/kreg"
# kreg's data: suites with every file they name by relative path (patches,
# configs: suites/patches/), plots (kreg report), the shell proof of concept.
(cd "$SRC" && { find suites -type f -print0; find plots -type f -name '*.py' -not -path '*/__pycache__/*' -print0; } |
  xargs -0 -I{} install -D -m 0644 {} "$layer/opt/kreg/share/kreg/{}")
install -m 0644 "$SRC/bench/memcg_poc.sh" "$layer/opt/kreg/share/kreg/bench/"
install -d -m 0755 "$layer/results" "$layer/var/cache/kreg"  # submit k8s's mount points

# Timestamps from the commit, so the same commit gives the same kreg layer.
epoch=$(git -C "$SRC" log -1 --format=%ct 2>/dev/null || date +%s)
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$layer" -cf "$work/kreg.tar" opt usr results var
cp -a "$base" "$work/oci"
umoci raw add-layer --image "$work/oci:base" --tag "$tag" \
  --history.created "$created" --history.created_by "image/build.sh: kreg $version (commit $commit)" "$work/kreg.tar"
umoci config --image "$work/oci:$tag" --created "$created" --history.created "$created" \
  --config.env PATH=/opt/kreg/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.env HOME=/root --config.workingdir /results --config.cmd kreg --config.cmd=--help \
  --config.label org.opencontainers.image.title=kreg \
  --config.label org.opencontainers.image.version="$version" \
  --config.label org.opencontainers.image.revision="$commit" \
  --config.label io.kreg.variant="$variant"
umoci rm --image "$work/oci:base"
umoci gc --layout "$work/oci"

# Local files in and out, nothing signed to verify: skopeo's policy does not apply.
mkdir -p "$out"
oci_tar="$out/kreg-$tag.oci.tar" docker_tar="$out/kreg-$tag.docker.tar"
rm -f "$oci_tar" "$docker_tar"
skopeo --insecure-policy copy -q "oci:$work/oci:$tag" "oci-archive:$oci_tar:$image"
skopeo --insecure-policy copy -q "oci:$work/oci:$tag" "docker-archive:$docker_tar:$image"
say "built $image in $((SECONDS - start)) s: $(du -h "$oci_tar" | cut -f1) OCI archive, $(du -h "$docker_tar" | cut -f1) docker archive"
printf '%s\n%s\n%s\n' "$image" "$oci_tar" "$docker_tar"
