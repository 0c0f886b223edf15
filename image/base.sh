#!/bin/bash
# The image's base layer: a Debian rootfs made by mmdebstrap from the Debian
# archive this machine's apt already uses, as a one-layer OCI layout, cached
# under $CACHE/image/base-<key>/ (key = everything that goes into it).
# Sourced by image/build.sh; prints nothing on stdout but the layout's path.
#   image_base VARIANT CACHE_DIR PACKAGE...
set -euo pipefail

# Kept small: no manuals, translations or docs (copyright files stay: the
# image redistributes Debian packages).
IMAGE_DPKG_OPTS=(
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  # kreg runs qemu-system-x86_64 only; the i386 and microvm builds are 50 MB more.
  --dpkgopt='path-exclude=/usr/bin/qemu-system-i386'
  --dpkgopt='path-exclude=/usr/libexec/qemu-system-i386'
  --dpkgopt='path-exclude=/usr/bin/qemu-system-x86_64-microvm'
  --aptopt='Acquire::Languages "none"'
)

# Python packages' own test suites (sympy's alone is 40 MB), never imported,
# go after installation: excluded with dpkg's path-exclude they make
# py3compile fail in the packages' postinst.
PRUNE_PYTHON_TESTS='find "$1/usr/lib/python3/dist-packages" -mindepth 2 -type d -name tests -prune -exec rm -rf {} +'

say() { [ -t 2 ] && echo "image: $*" >&2 || true; }

# The host's Debian archives for its own release, as one-line sources, from
# apt's own view of its configuration (apt-cache policy: origin Debian, suite
# <codename>, <codename>-updates, <codename>-security), whatever file format
# or file name the host uses. No host name is written anywhere but the image.
host_debian_sources() {
  local codename=$1
  apt-cache policy | awk -v cn="$codename" '
    /^ *[0-9]+ [a-z+]+:\/\/.* Packages$/ { uri = $2; split($3, sc, "/"); suite = sc[1]; comp = sc[2]; next }
    /^ *release / && uri != "" {
      if ($0 ~ /o=Debian,/ && (suite == cn || suite == cn "-updates" || suite == cn "-security"))
        print "deb " uri " " suite " " comp
      uri = ""
    }' | sort -u
}

image_base() {
  local variant=$1 cache=$2
  shift 2
  local packages=("$@") codename arch sources key dir
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || { echo "image: /etc/os-release names no VERSION_CODENAME: not a Debian host" >&2; exit 2; }
  arch=$(dpkg --print-architecture)
  sources=$(host_debian_sources "$codename")
  if [ -z "$sources" ]; then
    echo "image: apt knows no Debian archive for $codename (run apt-get update, or add one to /etc/apt/sources.list)" >&2
    exit 2
  fi
  key=$( {
    echo "$codename $arch $variant"
    printf '%s\n' "${packages[@]}" | sort -u
    echo "$sources"
    printf '%s\n' "${IMAGE_DPKG_OPTS[@]}"
    sha256sum <"${BASH_SOURCE[0]}"  # the recipe's text, not its path: every checkout shares the base
  } | sha256sum | cut -c1-16)
  dir="$cache/image/base-$variant-$key"
  mkdir -p "$cache/image"
  exec 9>"$cache/image/.lock"
  flock 9  # two builds share one mmdebstrap run
  # Under the lock no other build is running: a .base-* work directory here was
  # left by a build that was killed (a ctest timeout), with up to a rootfs tar in it.
  rm -rf "$cache/image"/.base-*
  if [ -f "$dir/index.json" ]; then
    say "base $variant-$key cached ($dir)"
    touch "$dir"
    echo "$dir"
    return
  fi
  local work
  work=$(mktemp -d "$cache/image/.base-XXXXXX")
  say "mmdebstrap $codename ($variant, ${#packages[@]} packages) from the host's Debian archive"
  # On a terminal mmdebstrap shows its progress; otherwise its log is kept
  # and its tail shown only if it fails.
  local log=/dev/stderr
  [ -t 2 ] || log="$work/mmdebstrap.log"
  printf '%s\n' "$sources" >"$work/sources.list"
  # The .debs of the last base are kept in $cache/image/debs-$variant (sync-in/out):
  # a change of recipe downloads only what changed. /dev/* is left out of the
  # layer: a container runtime provides /dev.
  mkdir -p "$cache/image/debs-$variant" "$work/debs"
  if ! mmdebstrap --variant=apt --include="$(IFS=,; echo "${packages[*]}")" \
      "${IMAGE_DPKG_OPTS[@]}" --skip=essential/unlink \
      --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
      --setup-hook="sync-in $cache/image/debs-$variant /var/cache/apt/archives/" \
      --customize-hook="sync-out /var/cache/apt/archives $work/debs" \
      --customize-hook="$PRUNE_PYTHON_TESTS" \
      --format=tar "$codename" - "$work/sources.list" 2>"$log" |
      mmtarfilter --path-exclude='/dev/*' >"$work/rootfs.tar"; then
    [ -t 2 ] || tail -n 40 "$log" >&2
    rm -rf "$work"
    echo "image: mmdebstrap $codename failed (see above)" >&2
    exit 1
  fi
  say "base layer: $(du -h "$work/rootfs.tar" | cut -f1) rootfs"
  umoci init --layout "$work/oci"
  umoci new --image "$work/oci:base"
  umoci raw add-layer --image "$work/oci:base" \
    --history.created_by "mmdebstrap --variant=apt $codename (${#packages[@]} packages; kreg image/base.sh)" \
    "$work/rootfs.tar"
  rm -f "$work/rootfs.tar"
  rm -rf "$cache/image/debs-$variant" && mv "$work/debs" "$cache/image/debs-$variant"
  umoci gc --layout "$work/oci"
  mv "$work/oci" "$dir"
  rm -rf "$work"
  # Bases of this variant unused for a week go.
  find "$cache/image" -maxdepth 1 -name "base-$variant-*" -mtime +7 -exec rm -rf {} +
  echo "$dir"
}
