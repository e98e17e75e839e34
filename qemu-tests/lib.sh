# Shared helpers for Keel's QEMU boot tests (sourced, not run).
# Each test boots an image with a serial console, keeps the log, and checks lines in it.

# Prints the accelerator to use: $KEEL_QEMU_ACCEL if set, else kvm only when a
# probe boot shows it works (nested KVM on our build machines hangs), else tcg.
keel_accel() {
  local kernel=$1 cache=$2
  if [[ -n "${KEEL_QEMU_ACCEL:-}" ]]; then echo "$KEEL_QEMU_ACCEL"; return; fi
  if [[ -f "$cache" ]]; then cat "$cache"; return; fi
  local accel=tcg
  if [[ -w /dev/kvm ]]; then
    # A kernel with no root panics at once; with panic=-1 and -no-reboot QEMU then exits.
    # Working KVM does that in a second or two; a hung nested KVM prints nothing.
    if timeout 15 qemu-system-x86_64 -accel kvm -m 256 -nographic -no-reboot \
        -kernel "$kernel" -append "console=ttyS0 panic=-1" 2>/dev/null \
        | grep -q "Kernel panic"; then
      accel=kvm
    fi
  fi
  echo "$accel" | tee "$cache"
}

# keel_disk_opts KIND QCOW2: sets KEEL_DISK_OPTS to the QEMU options that attach QCOW2
# (copy-on-write, snapshot=on) as the only disk, on a KIND controller. With
# KEEL_QEMU_WRITABLE=1 the guest's writes go to QCOW2 itself (a test's own overlay).
keel_disk_opts() {
  local drive="file=$2,format=qcow2"
  [[ ${KEEL_QEMU_WRITABLE:-0} == 1 ]] || drive+=",snapshot=on"
  case $1 in
    virtio-blk) KEEL_DISK_OPTS=(-drive "$drive,if=virtio") ;;
    virtio-scsi) KEEL_DISK_OPTS=(-drive "$drive,if=none,id=root" -device virtio-scsi-pci,id=scsi0
                                 -device scsi-hd,drive=root,bus=scsi0.0) ;;
    nvme) KEEL_DISK_OPTS=(-drive "$drive,if=none,id=root" -device nvme,drive=root,serial=keel-root) ;;
    # The q35 machine's own ICH9 AHCI controller (00:1f.2); its ports are buses ide.0-5.
    ahci) KEEL_DISK_OPTS=(-drive "$drive,if=none,id=root" -device ide-hd,drive=root,bus=ide.0) ;;
    *) echo "FAIL: KEEL_QEMU_DISK=$1: use virtio-blk, virtio-scsi, nvme or ahci (qemu-tests/lib.sh)"
       exit 1 ;;
  esac
}

# keel_nic_model KIND: the QEMU device model of a KIND NIC.
keel_nic_model() {
  case $1 in
    virtio-net) echo virtio-net-pci ;;
    e1000e) echo e1000e ;;
    *) echo "FAIL: KEEL_QEMU_NIC=$1: use virtio-net or e1000e (qemu-tests/lib.sh)" >&2
       return 1 ;;
  esac
}

# keel_boot IMAGE_DIR LOG_DIR TIMEOUT [EXTRA_KERNEL_ARGS...]
# Boots IMAGE_DIR's disk (copy-on-write: the image is not modified) with its kernel and
# initramfs, appending EXTRA_KERNEL_ARGS. Writes LOG_DIR/serial.log; sets QEMU_STATUS.
# The user network is restricted: the guest reaches nothing but QEMU's DHCP/DNS and,
# when KEEL_GUESTFWD is set (see keel_host_http), one forwarded port on the host.
# KEEL_QEMU_DISK picks the root disk's controller: virtio-blk (default), virtio-scsi,
# nvme or ahci. KEEL_QEMU_NIC picks the NIC: virtio-net (default) or e1000e.
# KEEL_QEMU_EXTRA (an array) adds QEMU options (a config drive, -fw_cfg, -smbios);
# KEEL_NETDEV_OPTS adds options to the user network (",net=169.254.0.0/16").
keel_boot() {
  local image=$1 logdir=$2 limit=$3
  shift 3
  mkdir -p "$logdir"
  local accel cmdline disk=${KEEL_QEMU_DISK:-virtio-blk} nic=${KEEL_QEMU_NIC:-virtio-net} nic_model
  keel_disk_opts "$disk" "$image/disk.qcow2"
  nic_model=$(keel_nic_model "$nic") || exit 1
  accel=$(keel_accel "$image/vmlinuz" "$logdir/../accel")
  cmdline="$(cat "$image/cmdline") $*"
  echo "qemu: accel=$accel disk=$disk nic=$nic timeout=${limit}s cmdline: $cmdline"
  local start=$SECONDS
  set +e
  # Multi-threaded TCG hung about one boot in twelve on a busy host, both vCPUs spinning
  # inside the guest kernel's slab allocator (QEMU 7.2); one TCG thread never did.
  local accel_opt=$accel
  [[ $accel == tcg ]] && accel_opt=tcg,thread=single
  timeout --foreground -k 5 "$limit" qemu-system-x86_64 -machine q35 -accel "$accel_opt" \
    -m 1024 -smp 2 -nographic -no-reboot -serial "file:$logdir/serial.log" -monitor none \
    -kernel "$image/vmlinuz" -initrd "$image/initramfs.img" -append "$cmdline" \
    "${KEEL_DISK_OPTS[@]}" \
    -netdev "user,id=n0,restrict=on${KEEL_NETDEV_OPTS:-}${KEEL_GUESTFWD:+,guestfwd=$KEEL_GUESTFWD}" \
    -device "$nic_model,netdev=n0" -device virtio-rng-pci "${KEEL_QEMU_EXTRA[@]}" \
    </dev/null >"$logdir/qemu.out" 2>&1
  QEMU_STATUS=$?
  set -e
  QEMU_SECONDS=$((SECONDS - start))
  echo "qemu: exited with status $QEMU_STATUS after ${QEMU_SECONDS}s"
}

# keel_boot_uefi IMAGE_DIR DISK LOG_DIR TIMEOUT [WHEN KEYS]...
# Boots DISK (a qcow2, written to: give it a throwaway overlay, keel_disk_overlay) the way
# a machine does: OVMF's UEFI firmware, then GRUB from the ESP, then the kernel of the
# deployment GRUB picks. No -kernel/-append: the command line is GRUB's. The VM must power
# itself off within TIMEOUT seconds (all boots together). A reboot or a panic's reset is a
# cold boot on the same disk and NVRAM (keel_uefi_reset_is_reboot), so GRUB's boot counter
# sees it, and all boots append to one serial log.
# With WHEN KEYS pairs, qemu-tests/serial-console.py types KEYS on the serial line once
# the log matches WHEN (first boot only). Writes LOG_DIR/serial.log; sets QEMU_STATUS,
# QEMU_SECONDS and QEMU_BOOTS.
# KEEL_GUESTFWD (keel_host_http, update_nginx) forwards one guest address to the host.
keel_boot_uefi() {
  local image=$1 disk=$2 logdir=$3 limit=$4
  shift 4
  mkdir -p "$logdir"
  rm -f "$logdir/serial.log" "$logdir/serial.sock" "$logdir/qemu.out"
  local accel accel_opt serial_opts console_pid left from=0
  accel=$(keel_accel "$image/vmlinuz" "$logdir/../accel")
  accel_opt=$accel
  [[ $accel == tcg ]] && accel_opt=tcg,thread=single
  cp /usr/share/OVMF/OVMF_VARS.fd "$logdir/OVMF_VARS.fd"
  echo "qemu: UEFI boot of $disk, accel=$accel timeout=${limit}s"
  local start=$SECONDS
  QEMU_BOOTS=0
  set +e
  while :; do
    left=$((limit - (SECONDS - start)))
    if ((left <= 0)); then QEMU_STATUS=124 && break; fi
    console_pid=
    if [[ $# -gt 0 && $QEMU_BOOTS -eq 0 ]]; then
      serial_opts=(-chardev "socket,id=ser0,path=$logdir/serial.sock,server=on,wait=on" -serial chardev:ser0)
      python3 "$(dirname "${BASH_SOURCE[0]}")/serial-console.py" "$logdir/serial.sock" \
        "$logdir/serial.log" "$@" &
      console_pid=$!
    else
      serial_opts=(-chardev "file,id=ser0,path=$logdir/serial.log,append=on" -serial chardev:ser0)
    fi
    timeout --foreground -k 5 "$left" qemu-system-x86_64 -machine q35 -accel "$accel_opt" \
      -m 1024 -smp 2 -nographic -no-reboot "${serial_opts[@]}" -monitor none \
      -drive if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE.fd,readonly=on \
      -drive "if=pflash,format=raw,unit=1,file=$logdir/OVMF_VARS.fd" \
      -drive "file=$disk,format=qcow2,if=virtio" \
      -netdev "user,id=n0,restrict=on${KEEL_GUESTFWD:+,guestfwd=$KEEL_GUESTFWD}" \
      -device virtio-net-pci,netdev=n0 -device virtio-rng-pci \
      ${KEEL_QEMU_EXTRA[@]+"${KEEL_QEMU_EXTRA[@]}"} \
      </dev/null >>"$logdir/qemu.out" 2>&1
    QEMU_STATUS=$?
    [[ -n $console_pid ]] && wait "$console_pid"
    QEMU_BOOTS=$((QEMU_BOOTS + 1))
    [[ $QEMU_STATUS -eq 0 ]] || break
    keel_uefi_reset_is_reboot "$logdir/serial.log" "$from" || break
    if ((QEMU_BOOTS >= 40)); then
      echo "qemu: 40 boots without a poweroff; giving up" && QEMU_STATUS=125 && break
    fi
    from=$(stat -c %s "$logdir/serial.log")
    echo "qemu: the guest reset itself after $((SECONDS - start))s; booting it again (cold)"
  done
  set -e
  QEMU_SECONDS=$((SECONDS - start))
  echo "qemu: exited with status $QEMU_STATUS after ${QEMU_SECONDS}s and $QEMU_BOOTS boot(s)"
}

# keel_uefi_reset_is_reboot LOG FROM: whether the guest, whose QEMU (-no-reboot) just
# exited cleanly, asked for a reset rather than a poweroff, judged by LOG from byte FROM on.
# A warm reset inside one QEMU under TCG once left OVMF spinning with no output for 12
# minutes (qemu.010_update.auto); a cold boot never did, and a real machine's reset is
# one as far as the disk and NVRAM go. Linux says "reboot: Power down" only for a
# poweroff; a reboot, a panic (panic=-1) or a reset from GRUB or the firmware says not.
keel_uefi_reset_is_reboot() {
  ! tail -c "+$(($2 + 1))" "$1" 2>/dev/null | grep -aq "reboot: Power down"
}

# keel_two_deployments IMAGE_DIR: sets NEWER and OLDER to the deployments the image's
# `deployments` file lists at index 0 (the default) and 1 (its fallback); exits if either
# is missing (an image composed with keel-compose --previous has both).
keel_two_deployments() {
  NEWER=$(awk '$1 == 0 {print $2}' "$1/deployments")
  OLDER=$(awk '$1 == 1 {print $2}' "$1/deployments")
  [[ -n $NEWER && -n $OLDER ]] || { echo "FAIL: $1/deployments lists fewer than 2"; exit 1; }
}

# keel_disk_overlay IMAGE_DIR WORK_DIR: a fresh WORK_DIR/disk.qcow2 backed by the image's
# disk.qcow2, for a boot that writes (GRUB's counter, keel-init marking the boot good)
# without touching the image. Prints its path.
keel_disk_overlay() {
  mkdir -p "$2"
  rm -f "$2/disk.qcow2"
  qemu-img create -q -f qcow2 -b "$(realpath "$1/disk.qcow2")" -F qcow2 "$2/disk.qcow2" || return 1
  echo "$2/disk.qcow2"
}

# keel_grubenv_offset IMAGE_DIR: the byte offset in the disk of /boot/keel/grubenv's data
# (one filesystem block holds it): partition 2's start (sfdisk) plus the file's first
# block (debugfs bmap) times the block size. That is where GRUB's save_env writes too.
keel_grubenv_offset() {
  local raw=$1/disk.raw start bs blk
  start=$(sfdisk --json "$raw" | python3 -c 'import json,sys; t=json.load(sys.stdin)["partitiontable"]; print(t["partitions"][1]["start"] * t.get("sectorsize", 512))')
  bs=$(debugfs -R stats "$raw?offset=$start" 2>/dev/null | awk -F: '/^Block size/ {print $2+0}')
  blk=$(debugfs -R "bmap /boot/keel/grubenv 0" "$raw?offset=$start" 2>/dev/null)
  [[ -n $bs && -n $blk && $blk -gt 0 ]] || { echo "FAIL: no /boot/keel/grubenv in $raw" >&2; return 1; }
  echo $((start + blk * bs))
}

# keel_grubenv_set DISK OFFSET NAME=VALUE...: writes a fresh environment block holding the
# variables (made by grub-editenv) over the 1024 bytes at OFFSET of the qcow2 DISK.
keel_grubenv_set() {
  local disk=$1 off=$2 env
  shift 2
  env=$(mktemp)
  rm -f "$env"
  grub-editenv "$env" create
  grub-editenv "$env" set "$@"
  qemu-io -f qcow2 -c "write -s $env $off 1024" "$disk" >/dev/null || return 1
  rm -f "$env"
}

# keel_grubenv_list DISK OFFSET: the variables of the block at OFFSET of the qcow2 DISK
# (grub-editenv list); fails if it cannot be read or is no environment block.
keel_grubenv_list() {
  local env status=0
  env=$(mktemp)
  qemu-io -f qcow2 -r -c "read -v $2 1024" "$1" |
    python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex("".join(l.split(":", 1)[1][:50] for l in sys.stdin if l[:8].strip() and l[8] == ":")))' >"$env" &&
    grub-editenv "$env" list || status=1
  rm -f "$env"
  return $status
}

# keel_host_http DIR [GUEST_ADDRESS]: serves DIR over HTTP on a free loopback port for
# the guest and sets KEEL_GUESTFWD so that the guest's http://10.0.2.100/ (or
# http://GUEST_ADDRESS/, an address in the user network) reaches it (QEMU's guestfwd).
# KEEL_HTTP_PORT is its loopback port. The server is stopped when the test's shell exits.
keel_host_http() {
  local dir=$1 guest_addr=${2:-10.0.2.100} portfile
  portfile=$(mktemp)
  python3 -u - "$dir" "$portfile" >"$dir.server.log" 2>&1 <<'PY' &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(sys.argv[2], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
PY
  KEEL_HTTP_PID=$!
  trap 'kill $KEEL_HTTP_PID 2>/dev/null || true' EXIT
  local i
  for i in $(seq 50); do [[ -s $portfile ]] && break; sleep 0.1; done
  [[ -s $portfile ]] || { echo "FAIL: the host-side HTTP server did not start"; exit 1; }
  KEEL_HTTP_PORT=$(cat "$portfile")
  KEEL_GUESTFWD="tcp:$guest_addr:80-cmd:$(dirname "${BASH_SOURCE[0]}")/tcp-relay.py $KEEL_HTTP_PORT"
  rm -f "$portfile"
  echo "host: serving $dir on $KEEL_GUESTFWD"
}

KEEL_FAILED=0
# expect_line LOG TEXT: the serial log must contain TEXT (fixed string).
expect_line() {
  if grep -qF -- "$2" "$1"; then
    echo "ok:   $2"
  else
    echo "FAIL: serial log lacks: $2"
    KEEL_FAILED=1
  fi
}

# expect_grub_text LOG TEXT: GRUB printed TEXT. GRUB breaks its lines at the terminal's
# 80 columns, at a space it then drops, so both are compared without line breaks and spaces.
expect_grub_text() {
  if tr -d '\r\n ' <"$1" | grep -qF -- "$(tr -d ' ' <<<"$2")"; then
    echo "ok:   GRUB: $2"
  else
    echo "FAIL: GRUB did not print: $2"
    KEEL_FAILED=1
  fi
}

# expect_grub_order LOG A B: GRUB printed A before B (compared like expect_grub_text).
expect_grub_order() {
  local flat a b
  flat=$(tr -d '\r\n ' <"$1")
  a=$(grep -boF -- "$(tr -d ' ' <<<"$2")" <<<"$flat" | head -1 | cut -d: -f1 || true)
  b=$(grep -boF -- "$(tr -d ' ' <<<"$3")" <<<"$flat" | head -1 | cut -d: -f1 || true)
  if [[ -n $a && -n $b && $a -lt $b ]]; then
    echo "ok:   GRUB: '$2' before '$3'"
  else
    echo "FAIL: GRUB: '$2' (at ${a:-none}) is not before '$3' (at ${b:-none})"
    KEEL_FAILED=1
  fi
}

# expect_match LOG REGEX WHAT: some line of the serial log matches the extended REGEX;
# WHAT says what that proves. On failure the lines that name the same thing are shown.
expect_match() {
  if grep -qE -- "$2" "$1"; then
    echo "ok:   $3"
  else
    echo "FAIL: $3 (no line matches: $2)"
    KEEL_FAILED=1
  fi
}

# expect_order LOG A B: the first line containing A comes before the first with B.
expect_order() {
  local a b
  a=$(grep -nF -m1 -- "$2" "$1" | cut -d: -f1 || true)
  b=$(grep -nF -m1 -- "$3" "$1" | cut -d: -f1 || true)
  if [[ -n $a && -n $b && $a -lt $b ]]; then
    echo "ok:   '$2' before '$3'"
  else
    echo "FAIL: '$2' (line ${a:-none}) is not before '$3' (line ${b:-none})"
    KEEL_FAILED=1
  fi
}

# reject_line LOG TEXT: the serial log must not contain TEXT.
reject_line() {
  if grep -qF -- "$2" "$1"; then
    echo "FAIL: serial log has: $(grep -F -- "$2" "$1" | head -1)"
    KEEL_FAILED=1
  else
    echo "ok:   no '$2'"
  fi
}

# keel_finish NAME LOG: prints PASS or FAIL (with the log's tail and path) and exits.
keel_finish() {
  if [[ $KEEL_FAILED -eq 0 ]]; then
    echo "PASS $1"
    exit 0
  fi
  echo "---- last 60 lines of $2 ----"
  tail -n 60 "$2" || true
  echo "FAIL $1 (serial log kept at $2)"
  exit 1
}
