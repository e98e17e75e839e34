#!/usr/bin/env bash
# keel-compose export: each cloud format passes its own format check (docs/INSTALL.md).
#   qemu-img info shows the expected format and virtual size; the VHD footer is valid;
#   the GCE tarball holds exactly disk.raw, grown to whole GiB with a valid GPT.
# A failed export leaves the earlier file of that name untouched.
set -euo pipefail
COMPOSE=$1 IMAGE=$2
RAW=$IMAGE/disk.raw
[[ -f $RAW ]] || { echo "FAIL: $RAW missing: run make image first"; exit 1; }
OUT=$(mktemp -d /var/tmp/keel-cloud.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
raw_size=$(stat -c %s "$RAW")

"$COMPOSE" export "$IMAGE" --out "$OUT/all" | tee "$OUT/export.log"
for f in aws.raw azure.vhd gce.tar.gz vmware.vmdk; do
  grep -q " $OUT/all/$f\$" "$OUT/export.log" || fail "export printed no size for $f"
done

# info FILE FIELD [FORMAT]: one field of qemu-img's JSON (python: json, no jq on the build
# machine). qemu-img's probe cannot see a fixed VHD (its only header is the footer at the
# end), so that one is read with -f vpc, which parses and checks the footer.
info() {
  qemu-img info --output=json ${3:+-f "$3"} "$1" | python3 -c "import json,sys
d=json.load(sys.stdin)
for k in sys.argv[1].split('.'): d=d[k]
print(d)" "$2"
}

# AWS: the raw disk, byte for byte.
[[ $(info "$OUT/all/aws.raw" format) == raw ]] || fail "aws.raw is not raw"
cmp "$RAW" "$OUT/all/aws.raw" || fail "aws.raw differs from disk.raw"
echo "ok: aws.raw is disk.raw ($raw_size bytes)"

# Azure: a fixed VHD ("vpc" to qemu) of exactly the raw size, a whole number of MiB.
[[ $(info "$OUT/all/azure.vhd" format vpc) == vpc ]] || fail "azure.vhd is not a VHD"
[[ $(info "$OUT/all/azure.vhd" virtual-size vpc) == "$raw_size" ]] || fail "azure.vhd's size is wrong"
(( raw_size % 1048576 == 0 )) || fail "Azure needs whole MiB; disk is $raw_size bytes"
[[ $(stat -c %s "$OUT/all/azure.vhd") == $((raw_size + 512)) ]] || fail "azure.vhd is not raw + footer"
cmp -n "$raw_size" "$RAW" "$OUT/all/azure.vhd" || fail "azure.vhd's data differs from disk.raw"
# The footer (VHD spec, "Hard Disk Footer Format"): cookie, version, fixed-disk data
# offset, current size, disk type 2 (fixed), and the one's complement checksum.
python3 - "$OUT/all/azure.vhd" "$raw_size" <<'PY' || fail "azure.vhd's footer is invalid"
import struct, sys
path, size = sys.argv[1], int(sys.argv[2])
with open(path, "rb") as f:
    f.seek(-512, 2)
    ft = f.read(512)
assert ft[0:8] == b"conectix", ft[0:8]
assert struct.unpack(">I", ft[12:16])[0] == 0x00010000, "version"
assert struct.unpack(">Q", ft[16:24])[0] == 0xFFFFFFFFFFFFFFFF, "data offset of a fixed disk"
assert struct.unpack(">Q", ft[48:56])[0] == size, "current size"
assert struct.unpack(">I", ft[60:64])[0] == 2, "disk type is not fixed"
want = struct.unpack(">I", ft[64:68])[0]
got = ~sum(ft[:64] + ft[68:]) & 0xFFFFFFFF
assert got == want, f"checksum {got:#x} != {want:#x}"
print("ok: azure.vhd footer: conectix, fixed, current size", size, "checksum", hex(want))
PY

# GCE: a gzipped tar whose only member is disk.raw, a whole number of GiB.
mapfile -t members < <(tar -tzf "$OUT/all/gce.tar.gz")
[[ ${#members[@]} -eq 1 && ${members[0]} == disk.raw ]] || fail "gce.tar.gz holds: ${members[*]}"
mkdir "$OUT/gce" && tar -xzf "$OUT/all/gce.tar.gz" -C "$OUT/gce"
gce_size=$(stat -c %s "$OUT/gce/disk.raw")
(( gce_size % (1 << 30) == 0 && gce_size >= raw_size )) || fail "GCE disk.raw is $gce_size bytes"
sfdisk --verify "$OUT/gce/disk.raw" | tee "$OUT/verify.log"
grep -qi "no errors detected" "$OUT/verify.log" || fail "GCE disk.raw's GPT does not verify"
# The partitions' bytes are unchanged (everything between the two GPT areas).
cmp -i 1048576:1048576 -n $((raw_size - 2 * 1048576)) "$RAW" "$OUT/gce/disk.raw" ||
  fail "GCE disk.raw's partitions differ from disk.raw"
echo "ok: gce.tar.gz holds exactly disk.raw, $gce_size bytes, GPT valid"

# VMware: a stream-optimised VMDK of the raw size.
[[ $(info "$OUT/all/vmware.vmdk" format) == vmdk ]] || fail "vmware.vmdk is not a VMDK"
[[ $(info "$OUT/all/vmware.vmdk" format-specific.data.create-type) == streamOptimized ]] ||
  fail "vmware.vmdk is not streamOptimized"
[[ $(info "$OUT/all/vmware.vmdk" virtual-size) == "$raw_size" ]] || fail "vmware.vmdk's size is wrong"
qemu-img compare -f raw -F vmdk "$RAW" "$OUT/all/vmware.vmdk" || fail "vmware.vmdk's data differs"
echo "ok: vmware.vmdk is streamOptimized and holds disk.raw"

python3 -c "import json,sys; m=json.load(open(sys.argv[1])); assert sorted(m)==['aws.raw','azure.vhd','gce.tar.gz','vmware.vmdk'], m; print('ok: manifest.json:', m)" "$OUT/all/manifest.json"

# Bad input: an unknown format, a missing image; a disk Azure cannot take must fail
# without touching the azure.vhd already there.
if "$COMPOSE" export "$IMAGE" --formats azure,hyperv --out "$OUT/x" 2>"$OUT/err"; then fail "hyperv accepted"; fi
grep -q "unknown format 'hyperv'" "$OUT/err" || fail "no clear error for hyperv: $(cat "$OUT/err")"
if "$COMPOSE" export "$OUT/nowhere" 2>"$OUT/err"; then fail "a missing image exported"; fi
grep -q "disk.raw does not exist" "$OUT/err" || fail "no clear error for a missing image"
mkdir "$OUT/odd" && truncate -s $((1048576 + 512)) "$OUT/odd/disk.raw"
mkdir "$OUT/odd/cloud" && echo previous >"$OUT/odd/cloud/azure.vhd"
if "$COMPOSE" export "$OUT/odd" --formats azure 2>"$OUT/err"; then fail "an odd-sized disk became a VHD"; fi
grep -q "Azure needs a whole number of MiB" "$OUT/err" || fail "no clear error: $(cat "$OUT/err")"
[[ $(cat "$OUT/odd/cloud/azure.vhd") == previous ]] || fail "the failed export replaced azure.vhd"
ls "$OUT/odd/cloud" | grep -q tmp && fail "the failed export left a temporary file"
echo "ok: bad input is refused with a clear error and nothing is replaced"
