#!/usr/bin/env bash
# 011_power_cut: the power goes at 20+ moments of `keelctl update apply` and the reboot
# into the update; every restart must boot v1 or v2 with /var intact (docs/UPDATES.md
# "Power cut"). Two machines (chains a and b), each on its own writable overlay of the
# update test image, run side by side (the host has two cores; QEMU's TCG uses one each).
# Their SMBIOS product version keel-power-cut makes the observer container update back
# and forth without end: on v1 `keelctl update apply` (v2), on v2
# `keelctl update apply --version 0.1.0 --allow-downgrade`, each rebooting into a GRUB
# trial, after printing what booted and the hash of a marker it wrote into /var on the
# very first boot. power-cut.py restarts QEMU on the same disk for each planned cut (a step
# line of keelctl, GRUB or keel-init plus a delay) and SIGKILLs it then; check.py judges
# every run's log and prints the table of the cuts. nginx sends objects and deltas at
# 1 KiB/s, so that the download lasts seconds, as on a slow link.
# usage: test.sh IMAGE_DIR LOG_DIR
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../update-lib.sh"
IMAGE_DIR=$1
LOG_DIR=$2
NAME=011_power_cut
HERE=$(cd "$(dirname "$0")" && pwd)
MIN_KILLS=20
WWW=$IMAGE_DIR/www/good
[[ -f $WWW/keel/summary ]] || { echo "FAIL $NAME: no publication in $WWW (run qemu.compose_update)"; exit 1; }
# Each chain's cuts, in the order an update goes through them (a cut before the boot loader
# switch leaves v1 booting, after it the new deployment on trial, which the next cuts hit).
# grub and trial wait for a trial boot (GRUB's "trying deployment", keel-init's "trial
# boot"), root and gates for the next boot of any kind.
PLAN_A=download+0.3,download+1.5,deploy+0,deploy+0.5,switch+0,switch+0.15,arm+0,grub+2,trial+1,reboot+0.2,grub+0.5
PLAN_B=download+0.8,download+2.5,deploy+0.2,deploy+1.2,switch+0.05,switch+0.4,arm+0.1,grub+0,switch+1.5,reboot+0,trial+0.3,arm+0.3

# The commits a boot may start: v1 as the image installed it, and every release published.
V1_DEP=$(awk '$1 == 0 {print $2}' "$IMAGE_DIR/deployments")
V1_SUM=${V1_DEP%.*}
VALID=("v1-installed=$V1_SUM")
while read -r csum version; do
  VALID+=("v$version-published=$csum")
done < <(ostree log --repo="$WWW/keel" "$UPDATE_BRANCH" |
           awk '/^commit / {c = $2} /^Version: / {print c, $2}')
echo "valid commits: ${VALID[*]}"
[[ ${#VALID[@]} -ge 3 ]] || { echo "FAIL $NAME: the publication lacks v1 or v2"; exit 1; }

rm -rf "$LOG_DIR" && mkdir -p "$LOG_DIR"
UPDATE_NGINX_RATE=1k update_nginx "$WWW" "$LOG_DIR/nginx"
ACCEL=$(keel_accel "$IMAGE_DIR/vmlinuz" "$LOG_DIR/../accel")
[[ $ACCEL == tcg ]] && ACCEL=tcg,thread=single
START=$SECONDS
PIDS=()
for chain in a b; do
  dir=$LOG_DIR/$chain
  disk=$(keel_disk_overlay "$IMAGE_DIR" "$dir")
  cp /usr/share/OVMF/OVMF_VARS.fd "$dir/OVMF_VARS.fd"
  plan=PLAN_${chain^^}
  # cache=writeback (QEMU's default) named: the guest sees a disk with a volatile cache
  # and flushes it; what QEMU wrote to the overlay file survives SIGKILL (docs/UPDATES.md).
  python3 "$HERE/power-cut.py" "$dir" "${!plan}" -- \
    qemu-system-x86_64 -machine q35 -accel "$ACCEL" -m 1024 -smp 2 -nographic \
    -serial "file:{log}" -monitor none \
    -drive if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on \
    -drive "if=pflash,format=raw,unit=1,file=$dir/OVMF_VARS.fd" \
    -drive "file=$disk,format=qcow2,if=virtio,cache=writeback" \
    -netdev "user,id=n0,restrict=on,guestfwd=$KEEL_GUESTFWD" \
    -device virtio-net-pci,netdev=n0 -device virtio-rng-pci \
    -smbios type=1,version=keel-power-cut >"$dir/power-cut.out" 2>&1 &
  PIDS+=($!)
done
for pid in "${PIDS[@]}"; do
  wait "$pid" || { echo "FAIL: power-cut.py (pid $pid) exited with $?"; KEEL_FAILED=1; }
done
cat "$LOG_DIR/a/power-cut.out" "$LOG_DIR/b/power-cut.out"
grep -h "^FAIL" "$LOG_DIR"/?/power-cut.out >/dev/null && KEEL_FAILED=1
python3 "$HERE/check.py" "$MIN_KILLS" "$V1_DEP" "${VALID[@]}" -- "$LOG_DIR/a" "$LOG_DIR/b" |
  tee "$LOG_DIR/table.md" || KEEL_FAILED=1
# A SIGKILLed QEMU may leave clusters allocated but unreferenced (exit status 3, leaks:
# space, no data); 2 would be corruption of the overlay itself.
for chain in a b; do
  rc=0
  qemu-img check "$LOG_DIR/$chain/disk.qcow2" >"$LOG_DIR/$chain/qemu-img-check.txt" 2>&1 || rc=$?
  if [[ $rc -eq 0 || $rc -eq 3 ]]; then
    echo "ok:   qemu-img check of chain $chain's overlay: no corruption ($(grep -c leaked "$LOG_DIR/$chain/qemu-img-check.txt" || true) leak lines)"
  else
    echo "FAIL: qemu-img check of chain $chain's overlay (status $rc): $(tail -3 "$LOG_DIR/$chain/qemu-img-check.txt")"
    KEEL_FAILED=1
  fi
done
echo "bytes: nginx sent $(update_served_bytes "$LOG_DIR/nginx/access.log") bytes in $(wc -l <"$LOG_DIR/nginx/access.log") requests"
echo "time: both chains took $((SECONDS - START))s"
keel_finish "$NAME" "$LOG_DIR/a/$(ls "$LOG_DIR/a" | grep '^run-' | tail -1)"
