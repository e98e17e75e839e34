#!/usr/bin/env bash
# keel-install onto loop devices with the image `make image` composed:
#  - an empty disk: written, read back and verified; the disk's bytes are the image's;
#  - the same disk again: refused as not empty, unless --force;
#  - a zstd-compressed image installs the same bytes, and --sha256 (what a live medium
#    carries) accepts the right sum and reports a wrong one as a checksum mismatch;
#  - refused: a disk smaller than the image (before any byte is written), a mounted disk,
#    a partition, a regular file, a machine whose hardware report is fatal.
# The hardware check runs keel-hwcompat on QEMU q35's lspci (the fixture
# hardware-compat tests use), against the default image's matrix or no-root-driver's.
set -euo pipefail
INSTALL=$1 HWCOMPAT=$2 IMAGE=$3 SRC=$4
RAW=$IMAGE/disk.raw
[[ -f $RAW ]] || { echo "FAIL: $RAW missing: run make image first"; exit 1; }
WORK=$(mktemp -d /var/tmp/keel-install.XXXXXX)
LOOPS=()
cleanup() {
  mountpoint -q "$WORK/mnt" && umount "$WORK/mnt"
  for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
loop() {  # loop NAME SIZE: a loop device on a new sparse file
  truncate -s "$2" "$WORK/$1"
  local l
  l=$(losetup --show -f "$WORK/$1")
  LOOPS+=("$l")
  echo "$l"
}
hw() {  # the report's arguments for image definition $1
  local a
  for a in --lspci "$SRC/hardware-compat/tests/fixtures/qemu-q35.lspci-n" \
           --image "$SRC/images/$1" --facts "$SRC/hardware-compat/facts/cloud.lock" \
           --policy "$SRC/hardware-compat/policy.toml" --allow 8086:2922; do
    printf -- '--hwcompat-arg\n%s\n' "$a"
  done
}
mapfile -t HW_OK < <(hw default.toml)
mapfile -t HW_BAD < <(hw tests/no-root-driver.toml)
size=$(stat -c %s "$RAW")
run() { "$INSTALL" --hwcompat "$HWCOMPAT" "$@" >"$WORK/out" 2>&1; }

# 1. An empty 1 GiB disk.
disk=$(loop disk1 1G)
run --to "$disk" --image "$RAW" "${HW_OK[@]}" || { cat "$WORK/out"; fail "install failed"; }
cat "$WORK/out"
grep -q "Target: $disk, 1024 MiB, empty" "$WORK/out" || fail "the empty disk was not described"
grep -q "^Verified: $disk reads back the same $size bytes" "$WORK/out" || fail "no verification"
cmp -n "$size" "$RAW" "$disk" || fail "the disk's bytes differ from the image"
echo "ok: installed and verified on an empty disk"

# 2. Now it holds Keel: refused without --force, written with it.
if run --to "$disk" --image "$RAW" "${HW_OK[@]}"; then fail "a non-empty disk was overwritten"; fi
cat "$WORK/out"
grep -q "is not empty (gpt partition table" "$WORK/out" || fail "no clear not-empty error"
grep -q "Fix: pick an empty disk, or pass --force" "$WORK/out" || fail "no fix named"
zstd -q -1 -c "$RAW" >"$WORK/disk.raw.zst"
SUM=$(sha256sum "$RAW" | cut -c1-64)
run --to "$disk" --image "$WORK/disk.raw.zst" --force --sha256 "$SUM" "${HW_OK[@]}" || { cat "$WORK/out"; fail "--force failed"; }
grep -q "^Verified:" "$WORK/out" || fail "no verification with --force"
cmp -n "$size" "$RAW" "$disk" || fail "the zstd image wrote different bytes"
echo "ok: a non-empty disk needs --force; a zstd image installs the same bytes (--sha256 matches)"
WRONG=$(printf '%064d' 0)
if run --to "$disk" --image "$WORK/disk.raw.zst" --force --sha256 "$WRONG" "${HW_OK[@]}"; then
  fail "a wrong --sha256 was accepted"
fi
grep -q "image checksum mismatch: .* decompresses to sha256 $SUM, expected $WRONG" "$WORK/out" ||
  { cat "$WORK/out"; fail "no clear checksum mismatch error"; }
echo "ok: a wrong --sha256 is reported as an image checksum mismatch"

# 3. Too small: refused before anything is written.
small=$(loop small 256M)
head -c 1M /dev/urandom >"$WORK/noise" && dd if="$WORK/noise" of="$small" bs=1M conv=notrunc status=none
if run --to "$small" --image "$RAW" --force "${HW_OK[@]}"; then fail "a too-small disk was accepted"; fi
cat "$WORK/out"
grep -q "Fix: use a bigger disk" "$WORK/out" || fail "no clear too-small error"
cmp -n 1048576 "$WORK/noise" "$small" || fail "the too-small disk was written to"
echo "ok: a too-small disk is refused untouched"

# 4. Mounted: refused.
busy=$(loop busy 64M)
mkfs.ext4 -q "$busy" && mkdir "$WORK/mnt" && mount "$busy" "$WORK/mnt"
if run --to "$busy" --image "$RAW" --force "${HW_OK[@]}"; then fail "a mounted disk was accepted"; fi
cat "$WORK/out"
grep -q "is in use: .* is mounted on $WORK/mnt" "$WORK/out" || fail "no clear in-use error"
umount "$WORK/mnt"

# 5. Not a whole disk.
if run --to "$WORK/disk1" --image "$RAW" "${HW_OK[@]}"; then fail "a regular file was accepted"; fi
grep -q "is not a block device" "$WORK/out" || fail "no clear error for a file"
echo "ok: mounted disks and files are refused"

# 6. A machine whose boot disk controller the image cannot drive.
fresh=$(loop fresh 1G)
if run --to "$fresh" --image "$RAW" "${HW_BAD[@]}"; then fail "a fatal hardware report was ignored"; fi
cat "$WORK/out"
grep -qE '1af4:1001 storage FATAL' "$WORK/out" || fail "the report was not shown"
grep -q "Fix: see docs/HARDWARE.md" "$WORK/out" || fail "no clear hardware error"
[[ $(head -c 1048576 "$fresh" | tr -d '\0' | wc -c) -eq 0 ]] || fail "the disk was written to"
run --to "$fresh" --image "$RAW" --ignore-hardware "${HW_BAD[@]}" || { cat "$WORK/out"; fail "--ignore-hardware failed"; }
grep -q "installing anyway (--ignore-hardware)" "$WORK/out" || fail "no warning with --ignore-hardware"
echo "ok: a fatal hardware report stops the install unless --ignore-hardware"
echo "PASS install.loop_device"
