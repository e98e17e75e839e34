#!/usr/bin/env bash
# Firmware selection against Debian's real firmware-bnx2 package (component
# non-free-firmware) and the committed generic lockfile: the required bnx2 files
# are found where the package puts them; without one, `keel-hwcompat firmware`
# fails and names it. The package comes from the composer's cache or apt-get
# download with a private sources list; if neither works the test fails, not skips.
set -euo pipefail
HWCOMPAT=$1 SRC=$2 CACHE=$3
T=$(mktemp -d /tmp/keel-hwcompat-fw.XXXXXX)
trap 'rm -rf "$T"' EXIT
failed=0
fail() { echo "FAIL $*"; failed=1; }

deb=$(ls "$CACHE"/firmware-bnx2_*_all.deb 2>/dev/null | head -1 || true)
if [[ -z $deb ]]; then
  mkdir -p "$T/apt/lists/partial" "$T/apt/cache/archives/partial"
  echo "deb http://deb.debian.org/debian bookworm non-free-firmware" >"$T/apt/sources.list"
  opts=(-o Dir::Etc::SourceList="$T/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
        -o Dir::State::Lists="$T/apt/lists" -o Dir::Cache="$T/apt/cache")
  apt-get "${opts[@]}" update -q >"$T/apt.log" 2>&1 &&
    (cd "$T" && apt-get "${opts[@]}" download firmware-bnx2 >>"$T/apt.log" 2>&1) ||
    { cat "$T/apt.log"; echo "FAIL cannot get firmware-bnx2 (no cache, apt-get download failed)"; exit 1; }
  deb=$(ls "$T"/firmware-bnx2_*_all.deb)
fi
echo "using $deb"
dpkg-deb -x "$deb" "$T/root"
cat >"$T/image.toml" <<'TOML'
[kernel]
flavour = "generic"
[hardware]
tier = "community"
TOML
run() {
  rs=0
  "$HWCOMPAT" firmware --image "$T/image.toml" --facts "$SRC/hardware-compat/facts/generic.lock" \
    --policy "$SRC/hardware-compat/policy.toml" --firmware-dir "$T/root/lib/firmware" \
    >"$T/out" 2>&1 || rs=$?
}
run
[[ $rs -eq 0 ]] || { cat "$T/out"; fail "firmware exited $rs with firmware-bnx2 installed"; }
for f in bnx2/bnx2-mips-09-6.2.1b.fw bnx2/bnx2-rv2p-09-6.0.17.fw; do
  grep -qE "^bnx2 +$f +required +present +firmware-bnx2" "$T/out" && echo "ok   $f required, present" ||
    fail "no 'required present' line for $f"
done
grep -qE "^bnx2 +bnx2/bnx2-mips-06-6.2.3.fw +optional +present" "$T/out" &&
  echo "ok   optional bnx2 files are found too" || fail "optional bnx2-mips-06 not present"
tail -1 "$T/out"
rm "$T/root/lib/firmware/bnx2/bnx2-rv2p-09-6.0.17.fw"
run
cat "$T/out"
[[ $rs -eq 1 ]] || fail "firmware exited $rs without a required file, not 1"
grep -qF "module bnx2 requires firmware bnx2/bnx2-rv2p-09-6.0.17.fw, which is not in $T/root/lib/firmware (package firmware-bnx2 was to ship it)" "$T/out" &&
  echo "ok   a missing required file fails, naming it" || fail "no clear error for the missing file"
[[ $failed -eq 0 ]] && echo "PASS hwcompat_firmware_real" || exit 1
