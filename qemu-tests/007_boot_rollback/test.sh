#!/usr/bin/env bash
# 007_boot_rollback: automatic rollback, bootloader half. The newest deployment (0.2.0,
# whose gate always fails) is put on trial with 2 attempts, as the updater will after
# deploying it. Each trial boot fails its gate and keel-init reboots; GRUB takes the
# attempts, then boots the previous deployment (0.1.0) with keel.rollback=; the host
# records the rollback, reports it in `keelctl status`, and GRUB keeps the fallback.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
IMAGE_DIR=$1
LOG_DIR=$2
LOG=$LOG_DIR/serial.log

keel_two_deployments "$IMAGE_DIR"
DISK=$(keel_disk_overlay "$IMAGE_DIR" "$LOG_DIR")
ENV_OFFSET=$(keel_grubenv_offset "$IMAGE_DIR")
echo "disk: $DISK, grubenv at byte $ENV_OFFSET; on trial: $NEWER; fallback: $OLDER"
keel_grubenv_set "$DISK" "$ENV_OFFSET" "keel_pending=$NEWER" keel_tries=2

# Three boots in one QEMU: two failed trials, then the fallback, which powers off.
keel_boot_uefi "$IMAGE_DIR" "$DISK" "$LOG_DIR" 480

if [[ $QEMU_STATUS -ne 0 ]]; then
  echo "FAIL: qemu exited with status $QEMU_STATUS (124/137: no poweroff within the timeout)"
  KEEL_FAILED=1
fi
# count_is TEXT N: TEXT appears on exactly N lines.
count_is() {
  local n
  n=$(grep -acF -- "$1" "$LOG" || true)
  if [[ $n -eq $2 ]]; then echo "ok:   $2 x '$1'"
  else echo "FAIL: '$1' appears $n times, expected $2"; KEEL_FAILED=1; fi
}
# Attempt 1 and 2: GRUB counts down, the gate fails, keel-init reboots.
expect_grub_text "$LOG" "Keel: trying deployment $NEWER (1 more attempts after this one)"
expect_grub_text "$LOG" "Keel: trying deployment $NEWER (0 more attempts after this one)"
expect_grub_order "$LOG" "$NEWER (1 more attempts" "$NEWER (0 more attempts"
count_is "info keel-init: starting in the real root (/sysroot/ostree/deploy/keel/deploy/$NEWER)" 2
expect_line "$LOG" "info keel-init: boot: deployment $NEWER (version 0.2.0): trial boot of this deployment, 1 attempts left after this one"
expect_line "$LOG" "info gate-bad: gate-bad: this version cannot pass its gate"
expect_line "$LOG" "error keel-init: boot: failed: gate gate-bad ended without becoming ready; rebooting so that GRUB counts the attempt (1 left)"
expect_line "$LOG" "error keel-init: boot: failed: gate gate-bad ended without becoming ready; rebooting so that GRUB counts the attempt (0 left)"
count_is "info keel-init: rebooting" 2
# No attempts left: GRUB boots the previous deployment and says why on its command line.
expect_grub_text "$LOG" "Keel: deployment $NEWER used up its boot attempts; booting the previous one"
expect_match "$LOG" "Command line: .*ostree=/ostree/boot\\.[01]/keel/[0-9a-f]+/[0-9]+ keel\\.rollback=$NEWER" \
  "GRUB passes keel.rollback=<failed deployment> to the fallback"
count_is "info keel-init: starting in the real root (/sysroot/ostree/deploy/keel/deploy/$OLDER)" 1
expect_order "$LOG" "(0 left)" "info keel-init: starting in the real root (/sysroot/ostree/deploy/keel/deploy/$OLDER)"
expect_line "$LOG" "info keel-init: boot: deployment $OLDER (version 0.1.0): rollback: deployment $NEWER used up its boot attempts; booted the previous one"
expect_line "$LOG" "warn keel-init: boot: rolled back from deployment $NEWER, which did not pass its gates in its boot attempts"
expect_line "$LOG" "info keel-init: boot: good (every gate is ready)"
# keelctl status on the rolled-back host.
expect_line "$LOG" "info bootcheck: deployment $OLDER (version 0.1.0)"
expect_line "$LOG" "info bootcheck: boot: rollback: deployment $NEWER used up its boot attempts; booted the previous one; good"
expect_line "$LOG" "info bootcheck: last rollback: deployment $NEWER used up its boot attempts"
expect_match "$LOG" "\"kind\":\"rollback\",\"last_failed\":\"$NEWER\"" "keelctl --json status: kind rollback, last_failed"
expect_line "$LOG" "reboot: Power down"
reject_line "$LOG" "Kernel panic"
reject_line "$LOG" "avc:  denied"
# On disk: GRUB used up the attempts and keeps the fallback; the host recorded the failure.
if ! ENV_AFTER=$(keel_grubenv_list "$DISK" "$ENV_OFFSET"); then
  echo "FAIL: cannot read the environment block at byte $ENV_OFFSET of $DISK"
  KEEL_FAILED=1
else
  echo "grubenv after the boots: $(tr '\n' ' ' <<<"$ENV_AFTER")"
  for want in "keel_pending=$NEWER" "keel_tries=0" "keel_failed=$NEWER"; do
    if grep -qxF -- "$want" <<<"$ENV_AFTER"; then echo "ok:   grubenv has $want"
    else echo "FAIL: grubenv lacks $want"; KEEL_FAILED=1; fi
  done
fi
keel_finish 007_boot_rollback "$LOG"
