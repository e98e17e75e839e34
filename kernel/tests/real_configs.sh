#!/bin/bash
# kernel.real_configs: both Debian flavours' real configs pass keel-kernel-check;
# a copy with a required option removed fails and names it.
# Usage: real_configs.sh KEEL_KERNEL_CHECK SOURCE_DIR DEB_CACHE WORK
# The .debs come from DEB_CACHE (the composer's cache, filled by `make image`) or,
# when missing there, `apt-get download` into it. No .deb and no network: FAIL.
set -euo pipefail
check=$1 src=$2 cache=$3 work=$4
mkdir -p "$cache" "$work"

# deb_for PACKAGE: path of PACKAGE's .deb in the cache, downloading it if absent.
deb_for() {
  local pkg=$1 deb
  deb=$(ls "$cache/${pkg}_"*.deb 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$deb" ]; then
    echo "$pkg not in $cache: apt-get download" >&2
    (cd "$cache" && apt-get download "$pkg" >&2) ||
      { echo "FAIL: cannot get $pkg (not cached, apt-get download failed)" >&2; return 1; }
    deb=$(ls "$cache/${pkg}_"*.deb | sort -V | tail -n1)
  fi
  echo "$deb"
}

status=0
for flavour in "$src"/kernel/flavours/*.toml; do
  name=$(basename "$flavour" .toml)
  meta=$(sed -n 's/^package *= *"\(.*\)"/\1/p' "$flavour")
  # The flavour names a metapackage; its Depends names the real image package.
  image=$(dpkg-deb -f "$(deb_for "$meta")" Depends | tr ',' '\n' |
          sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n1)
  [ -n "$image" ] || { echo "FAIL: $meta depends on no linux-image-<kver> package"; exit 1; }
  deb=$(deb_for "$image")
  dir="$work/$name"
  rm -rf "$dir" && mkdir -p "$dir"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards './boot/config-*'
  config=$(ls "$dir"/boot/config-*)
  echo "== $name: $image"
  if ! "$check" "$config"; then echo "FAIL: $name's config does not pass"; status=1; fi

  broken="$dir/config-without-overlay"
  sed 's/^CONFIG_OVERLAY_FS=.*/# CONFIG_OVERLAY_FS is not set/' "$config" >"$broken"
  set +e
  out=$("$check" "$broken")
  rc=$?
  set -e
  echo "$out"
  if [ $rc -ne 1 ] || ! grep -q '^error: CONFIG_OVERLAY_FS is not set; containers need it' <<<"$out"; then
    echo "FAIL: $name without CONFIG_OVERLAY_FS: exit $rc, expected 1 naming the option"
    status=1
  fi
done
[ $status -eq 0 ] && echo PASS
exit $status
