#!/usr/bin/env bash
# 012_live_install: the live ISO installs Keel onto an empty disk, which then boots alone.
#   iso: OVMF boots keel-live.iso as a CD-ROM (GRUB EFI from its El Torito image), the
#        live system runs from RAM and, told by keel.install.to=/dev/vda and
#        keel.install.poweroff (the ISO's entry, qemu.live_bundle built it so), writes
#        the image it carries onto the empty 2 GiB virtio disk, verifies it and powers
#        off. A second VM boots that disk alone through OVMF and GRUB: the containers run,
#        `keelctl status` shows the deployment, the root grew to fill the disk.
#   pxe: the PXE bundle booted the way a PXE loader boots it: QEMU loads pxe/vmlinuz and
#        the two initrds (concatenated: iPXE and pxelinux hand the kernel one buffer)
#        with pxe/cmdline plus keel.install.to=/dev/vda keel.install.reboot. No network
#        boot happens; what it checks is that the bundle's files alone install. The disk
#        then holds exactly disk.raw (qemu-img compare). Booted again, the live system
#        refuses the now non-empty disk, leaves it as it was, and runs on from RAM.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
IMAGE_DIR=$1
LOG_DIR=$2
CASE=$3
LIVE=$IMAGE_DIR/live
rm -rf "$LOG_DIR" && mkdir -p "$LOG_DIR"
[[ -f $LIVE/keel-live.iso ]] || { echo "FAIL 012_live_install: $LIVE/keel-live.iso missing (qemu.live_bundle makes it)"; exit 1; }
DEPLOYMENT=$(awk '$1 == 0 {print $2}' "$IMAGE_DIR/deployments")
TARGET=$LOG_DIR/target.qcow2
qemu-img create -q -f qcow2 "$TARGET" 2G
ACCEL=$(keel_accel "$IMAGE_DIR/vmlinuz" "$LOG_DIR/../accel")
ACCEL_OPT=$ACCEL
[[ $ACCEL == tcg ]] && ACCEL_OPT=tcg,thread=single

# live_vm LOG BOOT_OPTS...: the live VM: 1.5 GiB (the live root and the image to install
# are in RAM), the empty target as its only virtio disk (/dev/vda), no reboot.
live_vm() {
  local log=$1
  shift
  echo "qemu: live boot ($CASE), accel=$ACCEL"
  local start=$SECONDS
  set +e
  timeout --foreground -k 5 300 qemu-system-x86_64 -machine q35 -accel "$ACCEL_OPT" \
    -m 1536 -smp 2 -nographic -no-reboot -serial "file:$log" -monitor none "$@" \
    -drive "file=$TARGET,format=qcow2,if=virtio" \
    -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0 -device virtio-rng-pci \
    </dev/null >"$LOG_DIR/qemu-live.out" 2>&1
  QEMU_STATUS=$?
  set -e
  echo "qemu: live VM exited with status $QEMU_STATUS after $((SECONDS - start))s"
}

check_install() {
  local log=$1 then=$2
  if [[ $QEMU_STATUS -ne 0 ]]; then
    echo "FAIL: the live VM exited with status $QEMU_STATUS (124: it did not $then in time)"
    KEEL_FAILED=1
  fi
  expect_line "$log" "info keel-init: live system: root file system /keel-live/root.ext4 on /dev/loop0"
  expect_line "$log" "info keel-init: install: writing /run/keel-live/disk.raw.zst onto /dev/vda with /usr/bin/keel-install"
  expect_line "$log" "Target: /dev/vda, 2048 MiB, empty"
  expect_match "$log" "^Wrote [0-9]+ MiB \(sha256 [0-9a-f]{64}\)" "keel-install wrote the image"
  expect_match "$log" "^Verified: /dev/vda reads back the same [0-9]+ bytes" "keel-install read it back"
  expect_order "$log" "Verified: /dev/vda" "info keel-init: install: /dev/vda is ready; "
  reject_line "$log" "image checksum mismatch"
  reject_line "$log" "Kernel panic"
  reject_line "$log" "error keel-"
}

case $CASE in
iso)
  cp /usr/share/OVMF/OVMF_VARS.fd "$LOG_DIR/OVMF_VARS.fd"
  LIVE_LOG=$LOG_DIR/live.log
  live_vm "$LIVE_LOG" \
    -drive if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on \
    -drive "if=pflash,format=raw,unit=1,file=$LOG_DIR/OVMF_VARS.fd" \
    -drive "if=none,id=cd,file=$LIVE/keel-live.iso,format=raw,media=cdrom,readonly=on" \
    -device ide-cd,drive=cd,bus=ide.0,bootindex=0
  expect_line "$LIVE_LOG" "GNU GRUB  version 2.06"
  expect_grub_text "$LIVE_LOG" "Keel live system (runs from RAM)"
  check_install "$LIVE_LOG" "power off"
  expect_line "$LIVE_LOG" "info keel-init: install: /dev/vda is ready; powering off now (keel.install.poweroff)"
  expect_line "$LIVE_LOG" "reboot: Power down"
  # Nothing was installed: booting the disk would only wait for the timeout.
  [[ $KEEL_FAILED -eq 0 ]] || keel_finish 012_live_install "$LIVE_LOG"

  # The installed disk alone: no ISO, no -kernel.
  keel_boot_uefi "$IMAGE_DIR" "$TARGET" "$LOG_DIR/installed" 300
  LOG=$LOG_DIR/installed/serial.log
  if [[ $QEMU_STATUS -ne 0 ]]; then
    echo "FAIL: the installed disk's VM exited with status $QEMU_STATUS (124: no poweroff in time)"
    KEEL_FAILED=1
  fi
  expect_line "$LOG" "GNU GRUB  version 2.06"
  expect_line "$LOG" "info keel-init: starting in the real root (/sysroot/ostree/deploy/keel/deploy/$DEPLOYMENT)"
  expect_match "$LOG" "info keel-init: root: [0-9]+ MiB free after vda2; growing it with /usr/bin/keel-growfs" \
    "keel-init saw the rest of the 2 GiB disk after the root partition"
  expect_match "$LOG" "info keel-growfs: /: ext4 filesystem grown from [0-9]+ MiB to 1[89][0-9][0-9] MiB" \
    "the root filesystem grew to fill the disk"
  expect_line "$LOG" "info bootcheck: deployment $DEPLOYMENT (version 0.1.0)"
  expect_match "$LOG" "info bootcheck: network +running +0 " "keelctl status lists the network container running"
  expect_line "$LOG" "reboot: Power down"
  reject_line "$LOG" "keel.live"
  reject_line "$LOG" "Kernel panic"
  reject_line "$LOG" "error keel-"
  keel_finish 012_live_install "$LOG"
  ;;
pxe)
  cat "$LIVE/pxe/initramfs.img" "$LIVE/pxe/rootfs.img" >"$LOG_DIR/initrds.img"
  trap 'rm -f "$LOG_DIR/initrds.img"' EXIT
  LIVE_LOG=$LOG_DIR/live.log
  live_vm "$LIVE_LOG" -kernel "$LIVE/pxe/vmlinuz" -initrd "$LOG_DIR/initrds.img" \
    -append "$(cat "$LIVE/pxe/cmdline") keel.install.to=/dev/vda keel.install.reboot"
  check_install "$LIVE_LOG" "reboot"
  expect_line "$LIVE_LOG" "info keel-init: install: /dev/vda is ready; rebooting now (keel.install.reboot)"
  expect_line "$LIVE_LOG" "reboot: Restarting system"
  compare_disk() {
    if qemu-img compare -q -f qcow2 -F raw "$TARGET" "$IMAGE_DIR/disk.raw"; then
      echo "ok:   the disk holds exactly disk.raw (and zeros after it)$1"
    else
      echo "FAIL: the disk differs from $IMAGE_DIR/disk.raw$1"
      KEEL_FAILED=1
    fi
  }
  compare_disk ""
  [[ $KEEL_FAILED -eq 0 ]] || keel_finish 012_live_install "$LIVE_LOG"

  # The same again: the disk is not empty now, so keel-install refuses it (no --force),
  # and the live system runs on as a live system: its containers start and the bootcheck
  # container shows `keelctl status` (from RAM), then powers off.
  AGAIN_LOG=$LOG_DIR/again.log
  live_vm "$AGAIN_LOG" -kernel "$LIVE/pxe/vmlinuz" -initrd "$LOG_DIR/initrds.img" \
    -append "$(cat "$LIVE/pxe/cmdline") keel.install.to=/dev/vda keel.install.reboot"
  expect_line "$AGAIN_LOG" "error keel-install: /dev/vda is not empty (gpt partition table"
  expect_line "$AGAIN_LOG" "error keel-init: install: /usr/bin/keel-install exited with status 1; nothing else is done: the live system runs on"
  reject_line "$AGAIN_LOG" "Hardware check:"
  expect_line "$AGAIN_LOG" "info bootcheck: deployment $DEPLOYMENT (version 0.1.0)"
  expect_line "$AGAIN_LOG" "reboot: Power down"
  compare_disk " (untouched by the refused install)"
  keel_finish 012_live_install "$AGAIN_LOG"
  ;;
*) echo "FAIL 012_live_install: unknown case '$CASE' (iso or pxe)"; exit 1 ;;
esac
