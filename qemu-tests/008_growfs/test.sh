#!/usr/bin/env bash
# 008_growfs: the default image on a 2 GiB disk (a cloud volume or a bare-metal disk
# bigger than the image): the first boot grows the root partition and its ext4
# filesystem to fill the disk while mounted, and the containers run as usual; the next
# boot of the same disk finds nothing to grow.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
IMAGE_DIR=$1
LOG_DIR=$2
rm -rf "$LOG_DIR" && mkdir -p "$LOG_DIR"

# A throwaway image directory: the image's kernel files, and a 2 GiB overlay on its disk
# that this test's boots write to.
DISK_DIR=$LOG_DIR/disk
mkdir -p "$DISK_DIR"
for f in vmlinuz initramfs.img cmdline; do ln -s "$(realpath "$IMAGE_DIR/$f")" "$DISK_DIR/$f"; done
qemu-img create -q -f qcow2 -b "$(realpath "$IMAGE_DIR/disk.qcow2")" -F qcow2 "$DISK_DIR/disk.qcow2" 2G
export KEEL_QEMU_WRITABLE=1

check_boot() {
  if [[ $QEMU_STATUS -ne 0 ]]; then
    echo "FAIL: qemu exited with status $QEMU_STATUS (124: the VM did not power off in time)"
    KEEL_FAILED=1
  fi
  expect_line "$1" "info keel-init: all 2 containers are ready"
  expect_line "$1" "reboot: Power down"
  reject_line "$1" "error keel-"
  reject_line "$1" "Kernel panic"
  reject_line "$1" "EXT4-fs error"
}

keel_boot "$DISK_DIR" "$LOG_DIR/first" 300 keel.shutdown-when-done=poweroff
LOG=$LOG_DIR/first/serial.log
check_boot "$LOG"
expect_match "$LOG" "info keel-init: root: [0-9]+ MiB free after vda2; growing it with /usr/bin/keel-growfs" \
  "keel-init saw the free space after the root partition"
expect_match "$LOG" "info keel-growfs: vda2: partition 2 of vda grown from [0-9]+ MiB to 19[0-9][0-9] MiB" \
  "the root partition now ends near the disk's end (2 GiB less the ESP)"
expect_match "$LOG" "info keel-growfs: /: ext4 filesystem grown from [0-9]+ MiB to 1[89][0-9][0-9] MiB" \
  "the mounted root filesystem grew with it"
expect_order "$LOG" "ext4 filesystem grown" "info keel-init: all 2 containers are ready"

keel_boot "$DISK_DIR" "$LOG_DIR/second" 300 keel.shutdown-when-done=poweroff
LOG2=$LOG_DIR/second/serial.log
check_boot "$LOG2"
reject_line "$LOG2" "growing it with"
expect_match "$LOG2" "EXT4-fs \(vda2\): mounted filesystem" "the grown filesystem mounts"
keel_finish 008_growfs "$LOG"
