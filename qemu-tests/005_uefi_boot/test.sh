#!/usr/bin/env bash
# 005_uefi_boot: disk.qcow2 boots as a machine boots it, OVMF's UEFI firmware then GRUB
# from the ESP (no direct kernel boot), with its only deployment on trial: GRUB takes an
# attempt, keel-init marks the boot good once the gate (network) is ready, `keelctl
# status` shows the booted deployment, and the block on disk no longer holds a trial.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
IMAGE_DIR=$1
LOG_DIR=$2
LOG=$LOG_DIR/serial.log

DEPLOYMENT=$(awk '$1 == 0 {print $2}' "$IMAGE_DIR/deployments")
[[ -n $DEPLOYMENT ]] || { echo "FAIL: no deployment 0 in $IMAGE_DIR/deployments"; exit 1; }
DISK=$(keel_disk_overlay "$IMAGE_DIR" "$LOG_DIR")
ENV_OFFSET=$(keel_grubenv_offset "$IMAGE_DIR")
echo "disk: $DISK, grubenv at byte $ENV_OFFSET, deployment $DEPLOYMENT"
# What the updater does after deploying a new version: one boot attempt.
keel_grubenv_set "$DISK" "$ENV_OFFSET" "keel_pending=$DEPLOYMENT" keel_tries=1

keel_boot_uefi "$IMAGE_DIR" "$DISK" "$LOG_DIR" 300

if [[ $QEMU_STATUS -ne 0 ]]; then
  echo "FAIL: qemu exited with status $QEMU_STATUS (124/137: no poweroff within the timeout)"
  KEEL_FAILED=1
fi
# Firmware, then GRUB from the ESP, then the deployment's kernel: no -kernel anywhere.
expect_line "$LOG" "GNU GRUB  version 2.06"
expect_grub_text "$LOG" "Keel: trying deployment $DEPLOYMENT (0 more attempts after this one)"
expect_line "$LOG" "Keel 0.1.0 (boot test image) (ostree:0)"
expect_order "$LOG" "GNU GRUB  version 2.06" "info keel-init: starting in the initramfs"
expect_line "$LOG" "info keel-init: starting in the real root (/sysroot/ostree/deploy/keel/deploy/$DEPLOYMENT)"
expect_line "$LOG" "info keel-init: boot: deployment $DEPLOYMENT (version 0.1.0): trial boot of this deployment, 0 attempts left after this one"
expect_line "$LOG" "info keel-init: boot: waiting up to 90 s for the gates: network"
# The containers run; the gate makes the boot good.
expect_line "$LOG" "info hello: Hello from Keel!"
expect_line "$LOG" "info network: udhcpc: lease of 10.0.2.15 obtained from 10.0.2.2"
expect_order "$LOG" "info keel-init: container network is ready (sd_notify)" \
  "info keel-init: boot: good: deployment $DEPLOYMENT passed its trial and stays the default"
# keelctl status, run in the guest by the bootcheck container.
expect_line "$LOG" "info bootcheck: deployment $DEPLOYMENT (version 0.1.0)"
expect_line "$LOG" "info bootcheck: boot: trial boot of this deployment, 0 attempts left after this one; good"
expect_match "$LOG" "info bootcheck: network +running +0 " "keelctl status lists the network container running"
expect_match "$LOG" "\"boot\":\\{\"deployment\":\"$DEPLOYMENT\".*\"kind\":\"trial\".*\"pending\":null.*\"state\":\"good\"" \
  "keelctl --json status: the trial is over and the boot good"
expect_line "$LOG" "info keel-init: poweroff requested over the control socket"
expect_line "$LOG" "reboot: Power down"
expect_line "$LOG" "info keel-init: SELinux: enforcing, init runs as system_u:system_r:init_t:s0-s0:c0.c1023"
reject_line "$LOG" "avc:  denied"
reject_line "$LOG" "Kernel panic"
reject_line "$LOG" "error keel-"
# On disk: GRUB took the attempt (keel_tries 1 -> 0), keel-init ended the trial in place.
if ! ENV_AFTER=$(keel_grubenv_list "$DISK" "$ENV_OFFSET"); then
  echo "FAIL: cannot read the environment block at byte $ENV_OFFSET of $DISK"
  KEEL_FAILED=1
elif [[ $ENV_AFTER == *keel_pending* || $ENV_AFTER == *keel_tries* ]]; then
  echo "FAIL: the trial is still in the environment block: $ENV_AFTER"
  KEEL_FAILED=1
else
  echo "ok:   the environment block holds no trial any more (${ENV_AFTER:-no variables})"
fi
keel_finish 005_uefi_boot "$LOG"
