#!/usr/bin/env bash
# keel-compose live: the live ISO and PXE bundle of a composed image (docs/INSTALL.md
# "Live ISO and PXE"). Writes OUT (the bundle qemu.012_live_install boots) and checks:
#  - the ISO has a UEFI El Torito boot image (xorriso -report_el_torito) and, for USB
#    sticks, an EFI System partition in its hybrid GPT (fdisk -l); its GRUB
#    configuration boots /live/vmlinuz with keel.live, the appended arguments and both
#    initrds on the serial console;
#  - pxe/rootfs.img is a zstd newc cpio holding keel-live/root.ext4 (a clean ext4, smaller
#    than the image's root partition), disk.raw.zst (decompresses to disk.raw) and its sum;
#  - pxe/initramfs.img is the image's and lists the loop driver for a live boot;
#  - the sizes printed are the files' and manifest.json records them;
#  - clear errors: a directory that is no composed image; an image whose initramfs
#    predates live support (no etc/keel/initramfs-live-modules).
set -euo pipefail
COMPOSE=$1 IMAGE=$2 OUT=$3
shift 3  # the rest: --append arguments for the ISO's entry
fail() { echo "FAIL live_bundle: $*"; exit 1; }
[[ -f $IMAGE/disk.raw ]] || fail "$IMAGE/disk.raw missing: compose the image first"
SCRATCH=$(mktemp -d /var/tmp/keel-live.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT

start=$SECONDS
"$COMPOSE" live "$IMAGE" --out "$OUT" "$@" | tee "$SCRATCH/live.log"
echo "keel-compose live took $((SECONDS - start)) s"
for f in keel-live.iso pxe/vmlinuz pxe/initramfs.img pxe/rootfs.img; do
  bytes=$(stat -c %s "$OUT/$f")
  grep -qE "^$f +[0-9.]+ MiB  $OUT/$f\$" "$SCRATCH/live.log" || fail "no size printed for $f"
  recorded=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"][sys.argv[2]]["bytes"])' \
    "$OUT/manifest.json" "$f")
  [[ $recorded == "$bytes" ]] || fail "manifest.json says $f is $recorded bytes, it is $bytes"
done
echo "ok: sizes printed and recorded in manifest.json"

# The ISO: an EFI El Torito image, and the GRUB configuration on it.
xorriso -indev "$OUT/keel-live.iso" -report_el_torito plain 2>/dev/null >"$SCRATCH/torito"
cat "$SCRATCH/torito"
grep -qE "^El Torito boot img : +1 +UEFI +y" "$SCRATCH/torito" || fail "no UEFI boot image in the ISO"
# Hybrid: a GPT with an EFI System partition, so that the ISO written to a USB stick boots.
fdisk -l "$OUT/keel-live.iso" | grep -q "EFI System" || fail "the ISO has no EFI System partition (not hybrid)"
xorriso -osirrox on -indev "$OUT/keel-live.iso" -extract /boot/grub/grub.cfg "$SCRATCH/grub.cfg" \
  -extract /live "$SCRATCH/iso-live" 2>/dev/null
grep -q "^serial --unit=0 --speed=115200" "$SCRATCH/grub.cfg" || fail "grub.cfg has no serial console"
[[ $(wc -l <"$OUT/pxe/cmdline") == 1 ]] || fail "pxe/cmdline is not one line"
args=$(cat "$OUT/pxe/cmdline")
grep -qF "  linux /live/vmlinuz $args" "$SCRATCH/grub.cfg" || fail "grub.cfg does not boot with $args"
grep -qF "  initrd /live/initramfs.img /live/rootfs.img" "$SCRATCH/grub.cfg" || fail "grub.cfg lacks the initrds"
[[ " $args " == *" keel.live "* && " $args " != *" root="* ]] || fail "kernel arguments: $args"
for a in "$@"; do [[ $a == --append ]] && continue; [[ " $args " == *" $a "* ]] || fail "$a not appended"; done
for f in vmlinuz initramfs.img rootfs.img; do
  cmp -s "$SCRATCH/iso-live/$f" "$OUT/pxe/$f" || fail "the ISO's /live/$f differs from pxe/$f"
done
cmp -s "$OUT/pxe/initramfs.img" "$IMAGE/initramfs.img" || fail "pxe/initramfs.img is not the image's"
echo "ok: UEFI El Torito image; grub.cfg boots: $args"

# The initramfs lists the loop driver for keel.live.
mkdir "$SCRATCH/initramfs"
(cd "$SCRATCH/initramfs" && zcat "$OUT/pxe/initramfs.img" | cpio -id --quiet)
grep -q "loop.ko" "$SCRATCH/initramfs/etc/keel/initramfs-live-modules" ||
  fail "etc/keel/initramfs-live-modules does not list loop.ko"
mod=$(head -1 "$SCRATCH/initramfs/etc/keel/initramfs-live-modules")
[[ -f $SCRATCH/initramfs/usr/lib/modules/$(ls "$SCRATCH/initramfs/usr/lib/modules")/$mod ]] ||
  fail "the initramfs lacks $mod"
echo "ok: the initramfs carries $mod for a live boot"

# rootfs.img: the live root and the image to install.
mkdir "$SCRATCH/rootfs"
(cd "$SCRATCH/rootfs" && zstd -dc "$OUT/pxe/rootfs.img" | cpio -id --quiet)
[[ $(cd "$SCRATCH/rootfs" && find . -type f | sort | tr '\n' ' ') == \
   "./keel-live/disk.raw.sha256 ./keel-live/disk.raw.zst ./keel-live/root.ext4 " ]] ||
  fail "rootfs.img holds: $(cd "$SCRATCH/rootfs" && find . | tr '\n' ' ')"
e2fsck -f -n "$SCRATCH/rootfs/keel-live/root.ext4" >"$SCRATCH/fsck" 2>&1 || { cat "$SCRATCH/fsck"; fail "root.ext4 is not clean"; }
part=$(sfdisk --json "$IMAGE/disk.raw" | python3 -c 'import json,sys; t=json.load(sys.stdin)["partitiontable"]; print([p["size"] for p in t["partitions"] if p.get("name") == "keel-root"][0] * 512)')
root=$(stat -c %s "$SCRATCH/rootfs/keel-live/root.ext4")
(( root < part )) || fail "root.ext4 ($root bytes) is not smaller than the root partition ($part)"
debugfs -R "ls -l /ostree/deploy/keel/deploy" "$SCRATCH/rootfs/keel-live/root.ext4" 2>/dev/null | grep -q "\.0" ||
  fail "root.ext4 holds no deployment"
sum=$(sha256sum "$IMAGE/disk.raw" | cut -c1-64)
[[ $(cat "$SCRATCH/rootfs/keel-live/disk.raw.sha256") == "$sum  disk.raw" ]] || fail "disk.raw.sha256 is wrong"
[[ $(zstd -dc "$SCRATCH/rootfs/keel-live/disk.raw.zst" | sha256sum | cut -c1-64) == "$sum" ]] ||
  fail "disk.raw.zst does not decompress to disk.raw"
echo "ok: rootfs.img: root.ext4 $((root >> 20)) MiB (root partition $((part >> 20)) MiB), disk.raw.zst, its sha256"

# Errors.
if "$COMPOSE" live "$SCRATCH/none" --out "$SCRATCH/o" >"$SCRATCH/err" 2>&1; then fail "no image accepted"; fi
grep -q "$SCRATCH/none/disk.raw does not exist. Fix: compose the image first" "$SCRATCH/err" ||
  { cat "$SCRATCH/err"; fail "unclear error for a missing image"; }
mkdir "$SCRATCH/old" "$SCRATCH/old-initramfs"
for f in disk.raw vmlinuz cmdline; do ln -s "$(realpath "$IMAGE/$f")" "$SCRATCH/old/$f"; done
(cd "$SCRATCH/initramfs" && rm etc/keel/initramfs-live-modules &&
  find . | cpio -o -H newc --quiet | gzip >"$SCRATCH/old/initramfs.img")
if "$COMPOSE" live "$SCRATCH/old" --out "$SCRATCH/o" >"$SCRATCH/err" 2>&1; then fail "an old initramfs accepted"; fi
grep -q "has no etc/keel/initramfs-live-modules: the image was composed before live support. Fix: compose it again" \
  "$SCRATCH/err" || { cat "$SCRATCH/err"; fail "unclear error for an old initramfs"; }
echo "ok: clear errors for a missing image and an initramfs without live support"
echo "PASS live_bundle"
