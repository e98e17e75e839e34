#!/usr/bin/env bash
# Must-show: images/tests/no-root-driver.toml declares the QEMU target (virtio-blk
# root disk) but its matrix excludes virtio_blk. keel-compose must fail naming the
# driver and leave nothing behind; `keel-hwcompat report` on a QEMU machine's lspci
# with that image's matrix must flag the disk controller fatal and exit 1, while the
# default image's matrix passes the same machine.
set -euo pipefail
COMPOSE=$1 HWCOMPAT=$2 SRC=$3
T=$(mktemp -d /tmp/keel-hwcompat-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
failed=0
fail() { echo "FAIL $*"; failed=1; }

# 1. The compose fails, before downloading anything, with the clear message.
status=0
"$COMPOSE" build "$SRC/images/tests/no-root-driver.toml" --out "$T/out" --repo "$T/repo" \
  --cache "$T/cache" --work "$T/work" >"$T/compose.log" 2>&1 || status=$?
cat "$T/compose.log"
[[ $status -ne 0 ]] || fail "keel-compose succeeded"
expected="target qemu's boot disk controller 1af4:1001 (Virtio block device) needs virtio_blk, which this image's matrix excludes ($SRC/images/tests/no-root-driver.toml:"
grep -qF -- "$expected" "$T/compose.log" && echo "ok   compose fails naming virtio_blk" ||
  fail "expected '$expected'"
for left in out out.tmp repo repo.tmp work; do [[ ! -e "$T/$left" ]] || fail "left $left behind"; done

# 2. report flags the disk controller with that image's matrix. q35's ICH9 AHCI is
#    allowed: the cloud kernel cannot drive it, and the VM does not boot from it.
report() {  # report IMAGE FIXTURE -> status in $rs, output in $T/report.out
  rs=0
  "$HWCOMPAT" report --lspci "$SRC/hardware-compat/tests/fixtures/$2" --image "$SRC/images/$1" \
    --facts "$SRC/hardware-compat/facts/cloud.lock" --policy "$SRC/hardware-compat/policy.toml" \
    --allow 8086:2922 "${@:3}" >"$T/report.out" 2>&1 || rs=$?
  cat "$T/report.out"
}
for fixture in qemu-q35.lspci-n qemu-q35.lspci-nnmm; do
  report tests/no-root-driver.toml "$fixture"
  [[ $rs -eq 1 ]] || fail "$fixture: report exited $rs, not 1"
  grep -qE '^00:03.0 +1af4:1001 storage FATAL unsupported' "$T/report.out" &&
    grep -qF "virtio_blk is not in this image" "$T/report.out" &&
    echo "ok   report flags 1af4:1001 fatal ($fixture)" || fail "$fixture: no fatal virtio-blk line"
  report default.toml "$fixture"
  [[ $rs -eq 0 ]] && echo "ok   the default image's matrix passes ($fixture)" ||
    fail "$fixture: default image: report exited $rs"
done
report tests/no-root-driver.toml qemu-q35.lspci-n --json
[[ $rs -eq 1 ]] && grep -q '"fatal": true' "$T/report.out" && echo "ok   --json" || fail "--json"
[[ $failed -eq 0 ]] && echo "PASS hwcompat_no_root_driver" || exit 1
