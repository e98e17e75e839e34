#!/usr/bin/env bash
# 006_grub_menu: a disk with two deployments (images/boot-bad.toml composed with
# --previous: 0.2.0 the default, 0.1.0 its fallback). GRUB's menu lists both, newest
# first; Down and Enter typed on the serial console at the menu boot the second, and
# keel-init and `keelctl status` show that deployment running.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
IMAGE_DIR=$1
LOG_DIR=$2
LOG=$LOG_DIR/serial.log

keel_two_deployments "$IMAGE_DIR"
DISK=$(keel_disk_overlay "$IMAGE_DIR" "$LOG_DIR")
echo "disk: $DISK; entry 0: $NEWER, entry 1: $OLDER"

# GRUB's countdown line appears once the menu is drawn; 'v' moves the highlight down in
# GRUB's menu (as the Down key does, without an escape sequence to parse); once the second
# entry is highlighted ('*'), CR (Enter) boots it.
keel_boot_uefi "$IMAGE_DIR" "$DISK" "$LOG_DIR" 300 \
  'will be executed automatically' 'v' '[*]Keel 0[.]1[.]0 [(]boot test image[)]' '\r'

if [[ $QEMU_STATUS -ne 0 ]]; then
  echo "FAIL: qemu exited with status $QEMU_STATUS (124/137: no poweroff within the timeout)"
  KEEL_FAILED=1
fi
expect_line "$LOG" "[serial-console: sending 'v']"
expect_line "$LOG" "[serial-console: sending '\\r']"
# The menu: both deployments, the newest first and highlighted.
expect_grub_text "$LOG" "Keel 0.2.0 (boot test image, failing gate) (ostree:0)"
expect_grub_text "$LOG" "Keel 0.1.0 (boot test image) (ostree:1)"
expect_grub_order "$LOG" "*Keel 0.2.0 (boot test image, failing gate) (ostree:0)" \
  " Keel 0.1.0 (boot test image) (ostree:1)"
# After Down, the second entry is the highlighted one ('*'), and Enter boots it.
# (The console's own note of the Enter it types lands right after the text it waited for.)
expect_grub_order "$LOG" "[serial-console: sending 'v']" "*Keel 0.1.0 (boot test image)"
# The second deployment booted, and knows it is the one running.
expect_line "$LOG" "info keel-init: starting in the real root (/sysroot/ostree/deploy/keel/deploy/$OLDER)"
reject_line "$LOG" "info keel-init: starting in the real root (/sysroot/ostree/deploy/keel/deploy/$NEWER)"
expect_line "$LOG" "info keel-init: boot: deployment $OLDER (version 0.1.0): normal boot"
expect_line "$LOG" "info keel-init: boot: good (every gate is ready)"
reject_line "$LOG" "gate-bad"
expect_line "$LOG" "info bootcheck: deployment $OLDER (version 0.1.0)"
expect_line "$LOG" "info bootcheck: boot: normal boot; good"
expect_line "$LOG" "reboot: Power down"
reject_line "$LOG" "Kernel panic"
reject_line "$LOG" "error keel-"
keel_finish 006_grub_menu "$LOG"
