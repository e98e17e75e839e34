# qemu.010_update.tampered, sourced by test.sh (IMAGE_DIR, LOG_DIR, LOG, NAME set): a fresh
# overlay of v1 boots with Debian's nginx serving the fixture's four tampered publications
# (qemu-tests/update-lib.sh update_publish_tampered) as http://10.0.2.100/NAME/keel/. The
# observer (SMBIOS product version keel-tampered) runs `keelctl update apply` against each;
# each must fail with the error that names what is wrong, and the host must not change.
WWW=$IMAGE_DIR/www/tampered
for name in wrongkey unsigned modified modified-delta; do
  [[ -f $WWW/$name/keel/summary ]] ||
    { echo "FAIL $NAME: no publication in $WWW/$name (run qemu.compose_update)"; exit 1; }
done
V1_DEP=$(awk '$1 == 0 {print $2}' "$IMAGE_DIR/deployments")
DISK=$(keel_disk_overlay "$IMAGE_DIR" "$LOG_DIR")
ENV_OFFSET=$(keel_grubenv_offset "$IMAGE_DIR")
ENV_BEFORE=$(keel_grubenv_list "$DISK" "$ENV_OFFSET")
UPDATE_NGINX_PROBE=wrongkey/keel/config update_nginx "$WWW"
KEEL_QEMU_EXTRA=(-smbios type=1,version=keel-tampered)
keel_boot_uefi "$IMAGE_DIR" "$DISK" "$LOG_DIR" 600
if [[ $QEMU_STATUS -ne 0 ]]; then
  echo "FAIL: qemu exited with status $QEMU_STATUS (124/137: no poweroff within 600s)"
  KEEL_FAILED=1
fi

expect_match "$LOG" "info observer: observer: tampered: state: .* $V1_DEP\\s*$" \
  "the observer sees v1's deployment directory"
# refused NAME ERROR-REGEX: keelctl's error for NAME, a failed exit, and the host unchanged.
refused() {
  expect_match "$LOG" "info observer: .*$2" "$1: keelctl update apply says what is wrong"
  expect_match "$LOG" "info observer: observer: tampered $1: update apply exited [1-9]" \
    "$1: keelctl update apply fails"
  expect_line "$LOG" "info observer: observer: tampered $1: host unchanged"
}
refused wrongkey "none of its 1 ed25519 signature\\(s\\) verifies with the 1 trusted key\\(s\\)"
refused unsigned "is not signed"
refused modified "does not match the signed commit; nothing was deployed: .*Corrupted file object"
refused modified-delta "does not match the signed commit; nothing was deployed: .*/modified-delta/keel/"
reject_line "$LOG" "observer: tampered wrongkey: update apply exited 0"
reject_line "$LOG" "info observer: Deployed "
reject_line "$LOG" "Keel: trying deployment"
count_is_one() {
  local n
  n=$(grep -acF -- "$1" "$LOG" || true)
  if [[ $n -eq 1 ]]; then echo "ok:   once: '$1'"
  else echo "FAIL: '$1' appears $n times, expected once"; KEEL_FAILED=1; fi
}
count_is_one "info keel-init: starting in the real root (/sysroot/ostree/deploy/keel/deploy/$V1_DEP)"
MARKERS=$(grep -aoE "info observer: observer: marker [0-9a-f]{64}" "$LOG" | awk '{print $NF}')
if [[ $(wc -l <<<"$MARKERS") -eq 2 && $(sort -u <<<"$MARKERS" | wc -l) -eq 1 ]]; then
  echo "ok:   the /var marker is intact after the four refusals"
else
  echo "FAIL: the /var marker changed or is missing: $MARKERS"
  KEEL_FAILED=1
fi
expect_line "$LOG" "info observer: observer: powering off"
reject_line "$LOG" "avc:  denied"
reject_line "$LOG" "error keel-runtime"
# On disk: GRUB's environment block as before (no trial armed), read from the host.
if ENV_AFTER=$(keel_grubenv_list "$DISK" "$ENV_OFFSET"); then
  if [[ $ENV_AFTER == "$ENV_BEFORE" ]]; then echo "ok:   grubenv unchanged: $(tr '\n' ' ' <<<"$ENV_AFTER")"
  else echo "FAIL: grubenv changed: before '$ENV_BEFORE', after '$ENV_AFTER'"; KEEL_FAILED=1; fi
else
  echo "FAIL: cannot read the environment block at byte $ENV_OFFSET of $DISK"
  KEEL_FAILED=1
fi
echo "requests: $(awk '{print $7}' "$WWW.nginx/access.log" | cut -d/ -f2 | sort | uniq -c | tr '\n' ' ')"
echo "time: the whole run in QEMU took ${QEMU_SECONDS}s"
keel_finish "$NAME" "$LOG"
