#!/usr/bin/env bash
# 010_update: transactional upgrades and rollbacks of a booted host (docs/UPDATES.md
# "QEMU tests"). A fresh overlay of the update test image (release 0.1.0, booted through
# OVMF and GRUB, SELinux enforcing) updates from Debian's nginx on the host's loopback,
# which serves one publication of the fixture (qemu-tests/update-lib.sh); the observer
# container in the guest runs keelctl as an operator would, all in one QEMU run:
#   upgrade  v1 -> `keelctl update apply` (static delta) -> v2 on a GRUB trial, boot good ->
#            `keelctl status` shows both -> `keelctl rollback` -> v1; /var marker intact;
#            the bytes downloaded are under 2% of the image
#   gate     v2's required container never becomes healthy: its one attempt fails at the
#            deadline, GRUB boots v1 by itself, the rollback is recorded, and
#            `keelctl update auto` (policy automatic) does not apply v2 again
#   panic    v2's initramfs is broken: the kernel panics (panic=-1 reboots), GRUB boots v1
#            by itself, the rollback is recorded
#   auto     user-data (QEMU's fw_cfg) sets policy automatic with check_interval 1m: nobody
#            runs keelctl; keel-init's periodic `keelctl update auto` downloads v2 a minute
#            after the boot is good and reboots into it, and v2 passes its trial
#   tampered v1 tries `keelctl update apply` from four attackers' publications (v2 signed
#            with an untrusted key, unsigned, a file object replaced, a delta part
#            modified): each is refused with a clear error before anything is deployed,
#            and the deployments, boot entries, grubenv and /var marker stay as they were
# usage: test.sh IMAGE_DIR LOG_DIR upgrade|gate|panic|auto|tampered
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../update-lib.sh"
IMAGE_DIR=$1
LOG_DIR=$2
CASE=$3
LOG=$LOG_DIR/serial.log
NAME=010_update.$CASE
case $CASE in
  upgrade | auto) KIND=good ;;
  gate | panic) KIND=$CASE ;;
  tampered) source "$(dirname "$0")/tampered.sh"; exit ;;
  *) echo "FAIL $NAME: unknown case (upgrade, gate, panic, auto or tampered)"; exit 1 ;;
esac
WWW=$IMAGE_DIR/www/$KIND
[[ -f $WWW/keel/summary ]] || { echo "FAIL $NAME: no publication in $WWW (run qemu.compose_update)"; exit 1; }

V1_DEP=$(awk '$1 == 0 {print $2}' "$IMAGE_DIR/deployments")
V2_SUM=$(ostree rev-parse --repo="$WWW/keel" "$UPDATE_BRANCH")
IMAGE_BYTES=$(cat "$IMAGE_DIR/www/v1-object-bytes")
DISK=$(keel_disk_overlay "$IMAGE_DIR" "$LOG_DIR")
ENV_OFFSET=$(keel_grubenv_offset "$IMAGE_DIR")
echo "disk: $DISK; v1 deployment $V1_DEP; v2 ($KIND) commit $V2_SUM"
update_nginx "$WWW"
if [[ $CASE == auto ]]; then
  # keel-firstboot writes it to /etc/keel/update.toml; the image gives the url.
  mkdir -p "$LOG_DIR"
  printf '[update]\npolicy = "automatic"\ncheck_interval = "1m"\n' >"$LOG_DIR/user-data"
  KEEL_QEMU_EXTRA=(-fw_cfg "name=opt/keel/user-data,file=$LOG_DIR/user-data")
fi

case $CASE in
  upgrade) LIMIT=900 ;;  # four boots (v1, v2, v1) and a deploy under TCG
  *) LIMIT=780 ;;
esac
keel_boot_uefi "$IMAGE_DIR" "$DISK" "$LOG_DIR" "$LIMIT"
if [[ $QEMU_STATUS -ne 0 ]]; then
  echo "FAIL: qemu exited with status $QEMU_STATUS (124/137: no poweroff within ${LIMIT}s)"
  KEEL_FAILED=1
fi

count_is() {  # count_is TEXT N: TEXT appears on exactly N lines of the serial log
  local n
  n=$(grep -acF -- "$1" "$LOG" || true)
  if [[ $n -eq $2 ]]; then echo "ok:   $2 x '$1'"
  else echo "FAIL: '$1' appears $n times, expected $2"; KEEL_FAILED=1; fi
}
count_grub() {  # count_grub TEXT N: GRUB printed TEXT N times (lines broken at 80 columns)
  local n
  n=$(tr -d '\r\n ' <"$LOG" | grep -aoF -- "$(tr -d ' ' <<<"$1")" | wc -l)
  if [[ $n -eq $2 ]]; then echo "ok:   GRUB printed $2 x '$1'"
  else echo "FAIL: GRUB printed '$1' $n times, expected $2"; KEEL_FAILED=1; fi
}
# The marker the observer wrote into /var on v1 before the upgrade, hashed at the end.
MARKERS=$(grep -aoE "info observer: observer: marker [0-9a-f]{64}" "$LOG" | awk '{print $NF}' | sort -u)
check_marker() {
  local n
  n=$(grep -acE "info observer: observer: marker [0-9a-f]{64}" "$LOG" || true)
  if [[ $n -eq 2 && $(wc -l <<<"$MARKERS") -eq 1 ]]; then
    echo "ok:   the /var marker written before the upgrade is intact at the end ($MARKERS)"
  else
    echo "FAIL: the /var marker changed or is missing: $(grep -aE 'observer: marker' "$LOG" | tr '\n' ' ')"
    KEEL_FAILED=1
  fi
}
if [[ $CASE == auto ]]; then
  # First boot (v1): user-data sets the policy; a minute after the boot is good keel-init
  # runs keelctl update auto, which downloads v2 and reboots into it.
  expect_line "$LOG" "info keel-firstboot: applied the user-data from QEMU's fw_cfg entry opt/keel/user-data: wrote /etc/keel/update.toml, /etc/keel/firstboot.done"
  expect_line "$LOG" "info observer: observer: waiting for keel-init's automatic update"
  expect_line "$LOG" "info keel-init: automatic updates: keelctl update auto every 1m (policy automatic, http://10.0.2.100/keel/, from /usr/lib/keel/update.toml, /etc/keel/update.toml)"
  expect_match "$LOG" "info keel-init: automatic updates: running /usr/bin/keelctl update auto \(pid [0-9]+\)" \
    "keel-init runs keelctl update auto by itself"
  expect_match "$LOG" "info keel-update: Downloaded $UPDATE_V2 \(${V2_SUM:0:12}\): [0-9]+ bytes in [0-9.]+ s, through a static delta" \
    "keel-init's update run downloads v2 through the static delta"
  expect_line "$LOG" "info keel-update: Rebooting."
  expect_order "$LOG" "info keel-init: boot: good" "info keel-init: automatic updates: running"
  V2_DEP=$(grep -aoE "starting in the real root \(/sysroot/ostree/deploy/keel/deploy/${V2_SUM}\.[0-9]+" "$LOG" | head -1 | grep -oE '[0-9a-f]{64}\.[0-9]+$' || true)
  V2_DEP=${V2_DEP:-$V2_SUM.unknown}
else
# First boot (v1): the observer applies v2 without rebooting, shows it pending, reboots.
expect_line "$LOG" "info observer: observer: phase fresh"
expect_line "$LOG" "info observer: observer: update apply"
expect_match "$LOG" "info observer: Downloaded $UPDATE_V2 \(${V2_SUM:0:12}\): [0-9]+ bytes in [0-9.]+ s, through a static delta" \
  "keelctl update apply downloads v2 through the static delta"
expect_line "$LOG" "info observer: Deployed $UPDATE_V2 (${V2_SUM:0:12}) as the default; /etc merged from $UPDATE_V1."
expect_match "$LOG" "info observer: +$UPDATE_V2 +${V2_SUM:0:12} +keel:$UPDATE_BRANCH +pending: boots next" \
  "keelctl status after apply: v2 pending"
expect_match "$LOG" "info observer: \* $UPDATE_V1 +[0-9a-f]{12} .*booted" "keelctl status after apply: v1 booted"
expect_match "$LOG" "info observer: Boot counting: GRUB; deployment ${V2_SUM}\.[0-9]+ on trial, [12] boot attempt\(s\) left" \
  "keelctl status after apply: v2 on a GRUB trial"
V2_DEP=$(grep -aoE "Boot counting: GRUB; deployment ${V2_SUM}\.[0-9]+" "$LOG" | head -1 | awk '{print $NF}' || true)
V2_DEP=${V2_DEP:-$V2_SUM.unknown}
expect_line "$LOG" "info observer: observer: rebooting into the update"
fi
# GRUB takes an attempt of v2.
case $CASE in
  upgrade | auto) expect_grub_text "$LOG" "Keel: trying deployment $V2_DEP (1 more attempts after this one)" ;;
  *) expect_grub_text "$LOG" "Keel: trying deployment $V2_DEP (0 more attempts after this one)" ;;
esac

case $CASE in
upgrade)
  expect_line "$LOG" "info keel-init: boot: deployment $V2_DEP (version $UPDATE_V2): trial boot of this deployment, 1 attempts left after this one"
  expect_line "$LOG" "info hello: Hello from $UPDATE_V2"
  expect_line "$LOG" "info keel-init: boot: good: deployment $V2_DEP passed its trial and stays the default"
  expect_line "$LOG" "info observer: observer: phase applied"
  expect_match "$LOG" "info observer: \* $UPDATE_V2 +${V2_SUM:0:12} .*booted" "keelctl status on v2: v2 booted"
  expect_match "$LOG" "info observer: +$UPDATE_V1 +[0-9a-f]{12} .*rollback" "keelctl status on v2: v1 kept for rollback"
  expect_line "$LOG" "info observer: observer: rollback"
  expect_match "$LOG" "info observer: Rolled back: the next boot starts $UPDATE_V1 \([0-9a-f]{12}\) instead of $UPDATE_V2" \
    "keelctl rollback makes v1 the default"
  # Third boot: v1 again, not on trial; the rollback is in keelctl status.
  count_is "info keel-init: starting in the real root (/sysroot/ostree/deploy/keel/deploy/$V1_DEP)" 2
  expect_line "$LOG" "info observer: observer: phase rolledback"
  expect_match "$LOG" "info observer: Last rollback: [0-9TZ:-]+ from $UPDATE_V2 to $UPDATE_V1: keelctl rollback" \
    "keelctl status records the rollback"
  reject_line "$LOG" "Kernel panic"
  ;;
auto)
  expect_line "$LOG" "info keel-init: boot: deployment $V2_DEP (version $UPDATE_V2): trial boot of this deployment, 1 attempts left after this one"
  expect_line "$LOG" "info hello: Hello from $UPDATE_V2"
  expect_line "$LOG" "info keel-init: boot: good: deployment $V2_DEP passed its trial and stays the default"
  expect_line "$LOG" "info observer: observer: phase auto"
  expect_match "$LOG" "info observer: \* $UPDATE_V2 +${V2_SUM:0:12} .*booted" "keelctl status on v2: v2 booted"
  expect_match "$LOG" "info observer: +$UPDATE_V1 +[0-9a-f]{12} .*rollback" "keelctl status on v2: v1 kept for rollback"
  count_is "info keel-init: starting in the real root (/sysroot/ostree/deploy/keel/deploy/$V1_DEP)" 1
  reject_line "$LOG" "Kernel panic"
  ;;
gate | panic)
  if [[ $CASE == gate ]]; then
    expect_line "$LOG" "info required: required: started; never healthy"
    expect_line "$LOG" "error keel-init: boot: failed: the gates were not all ready within 30 s; rebooting so that GRUB counts the attempt (0 left)"
    reject_line "$LOG" "Kernel panic"
  else
    count_is "Kernel panic - not syncing" 1
    reject_line "$LOG" "info keel-init: starting in the real root (/sysroot/ostree/deploy/keel/deploy/$V2_DEP)"
  fi
  expect_grub_text "$LOG" "Keel: deployment $V2_DEP used up its boot attempts; booting the previous one"
  count_is "info keel-init: starting in the real root (/sysroot/ostree/deploy/keel/deploy/$V1_DEP)" 2
  expect_line "$LOG" "info keel-init: boot: deployment $V1_DEP (version $UPDATE_V1): rollback: deployment $V2_DEP used up its boot attempts; booted the previous one"
  expect_line "$LOG" "info observer: observer: rolled back by itself"
  expect_line "$LOG" "info observer: last rollback: deployment $V2_DEP used up its boot attempts"
  expect_match "$LOG" "\"kind\":\"rollback\",\"last_failed\":\"$V2_DEP\"" "keelctl --json status: kind rollback, last_failed v2"
  expect_match "$LOG" "info observer: +$UPDATE_V2 +${V2_SUM:0:12} +keel:$UPDATE_BRANCH +failed its boot trial, not booted again" \
    "keelctl status: v2 failed its trial (not 'pending')"
  expect_match "$LOG" "info observer: \* $UPDATE_V1 +[0-9a-f]{12} .*booted" "keelctl status: v1 booted"
  expect_line "$LOG" "info observer: Boot counting: GRUB; deployment $V2_DEP on trial, 0 boot attempt(s) left; deployment $V2_DEP used up its boot attempts and was rolled back from"
  # keelctl update auto with policy automatic: v2 is the newest release, but not again.
  expect_line "$LOG" "info observer: Release $UPDATE_V2 (${V2_SUM:0:12}) failed its boot trial on this host: deployment $V2_DEP used up its boot attempts and the host went back to $UPDATE_V1. Policy automatic does not apply it again; a newer release will be, or \`keelctl update apply\` tries it again."
  expect_line "$LOG" "info observer: observer: update auto exited 0"
  reject_line "$LOG" "info observer: Rebooting."
  # Both boots of v1 say so; nothing booted v2 a second time.
  count_grub "Keel: trying deployment $V2_DEP" 1
  ;;
esac
check_marker
expect_line "$LOG" "info observer: observer: powering off"
expect_line "$LOG" "reboot: Power down"
reject_line "$LOG" "avc:  denied"
reject_line "$LOG" "error keel-runtime"
reject_line "$LOG" "observer: update apply failed"
reject_line "$LOG" "observer: rollback failed"

# The bytes: what keelctl recorded (last-download.json, shown by the observer on v2 or
# v1's fallback boot) and what nginx sent (its access log: every request of the run).
RECORDED=$(grep -aoE '"bytes": *[0-9]+' "$LOG" | head -1 | grep -oE '[0-9]+$' || true)
SERVED=$(update_served_bytes "$WWW.nginx/access.log")
REQUESTS=$(wc -l <"$WWW.nginx/access.log")
DOWNLOAD_S=$(grep -aoE '"seconds": *[0-9.]+' "$LOG" | head -1 | grep -oE '[0-9.]+$' || true)
if [[ -z $RECORDED ]]; then
  echo "FAIL: the observer showed no last-download.json"
  KEEL_FAILED=1
else
  PCT=$(python3 -c "print(f'{100 * $SERVED / $IMAGE_BYTES:.3f}')")
  echo "bytes: keelctl recorded $RECORDED bytes in ${DOWNLOAD_S:-?} s; nginx sent $SERVED bytes in $REQUESTS requests = $PCT% of the image's $IMAGE_BYTES bytes of objects"
  if python3 -c "import sys; sys.exit(0 if max($SERVED, $RECORDED) < 0.02 * $IMAGE_BYTES else 1)"; then
    echo "ok:   the update's download is under 2% of the image"
  else
    echo "FAIL: $SERVED bytes served ($RECORDED recorded) is not under 2% of $IMAGE_BYTES"
    KEEL_FAILED=1
  fi
fi
grep -q "GET /keel/deltas/" "$WWW.nginx/access.log" && echo "ok:   nginx served the static delta" ||
  { echo "FAIL: nginx served no static delta"; KEEL_FAILED=1; }
if grep -q "GET /keel/objects/.*\.filez" "$WWW.nginx/access.log"; then
  echo "FAIL: file objects were fetched one by one"; KEEL_FAILED=1
fi
# On disk, after the run: GRUB's block.
if ENV_AFTER=$(keel_grubenv_list "$DISK" "$ENV_OFFSET"); then
  echo "grubenv after the run: $(tr '\n' ' ' <<<"$ENV_AFTER")"
  case $CASE in
    upgrade | auto) wants=() ; [[ $ENV_AFTER != *keel_pending* ]] || { echo "FAIL: a trial is left: $ENV_AFTER"; KEEL_FAILED=1; } ;;
    *) wants=("keel_pending=$V2_DEP" "keel_tries=0" "keel_failed=$V2_DEP") ;;
  esac
  for want in "${wants[@]}"; do
    if grep -qxF -- "$want" <<<"$ENV_AFTER"; then echo "ok:   grubenv has $want"
    else echo "FAIL: grubenv lacks $want"; KEEL_FAILED=1; fi
  done
else
  echo "FAIL: cannot read the environment block at byte $ENV_OFFSET of $DISK"
  KEEL_FAILED=1
fi
echo "time: the whole run in QEMU took ${QEMU_SECONDS}s"
keel_finish "$NAME" "$LOG"
