#!/usr/bin/env bash
# 009_firstboot: one image, configured at its first boot from user-data
# (docs/FIRSTBOOT.md). CASE picks the source and what is checked:
#   cidata    a config drive (FAT, label CIDATA) sets the hostname, a static address,
#             an extra container, a disabled one, the update policy, keys
#   broken    a config drive with an invalid user-data: the error is on the console and
#             in keelctl status, nothing is applied, the host boots with the defaults
#   fw_cfg    QEMU's fw_cfg entry opt/keel/user-data
#   metadata  the metadata service at 169.254.169.254 (a loopback server reached through
#             QEMU's guestfwd) on a host whose DMI data says OpenStack: applied, one
#             reboot, and the second boot comes up configured
# usage: test.sh IMAGE_DIR LOG_DIR CASE
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
IMAGE_DIR=$1
LOG_DIR=$2
CASE=$3
LOG=$LOG_DIR/serial.log
mkdir -p "$LOG_DIR"
rm -f "$LOG_DIR"/*.log

# cidata_drive FILE USER_DATA: a NoCloud config drive holding USER_DATA as user-data.
cidata_drive() {
  rm -f "$1"
  mkfs.vfat -n CIDATA -C "$1" 1024 >/dev/null
  mcopy -i "$1" "$2" ::user-data
  printf 'instance-id: keel-test\n' >"$LOG_DIR/meta-data"
  mcopy -i "$1" "$LOG_DIR/meta-data" ::meta-data
}

# An SSH key and an ed25519 key for update signatures, made fresh for the run.
SSH_KEY="ssh-ed25519 $(python3 -c 'import base64,os
blob = b"\0\0\0\x0bssh-ed25519\0\0\0\x20" + os.urandom(32)
print(base64.b64encode(blob).decode())') tester@keel"
TRUSTED_KEY=$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')

# expect_power_off: the inspect container powered the VM off in time.
expect_power_off() {
  if [[ $QEMU_STATUS -ne 0 ]]; then
    echo "FAIL: qemu exited with status $QEMU_STATUS (124/137: no poweroff within the timeout)"
    KEEL_FAILED=1
  fi
}

common_checks() {
  reject_line "$LOG" "Kernel panic"
  reject_line "$LOG" "avc:  denied"
  expect_line "$LOG" "info keel-init: SELinux: enforcing"
}

case $CASE in
cidata)
  mkdir -p "$LOG_DIR/www"
  TOKEN="keel-$RANDOM$RANDOM"
  echo "$TOKEN" >"$LOG_DIR/www/token"
  keel_host_http "$LOG_DIR/www"
  cat >"$LOG_DIR/user-data" <<'EOF_UD'
# Keel user-data for one host (docs/FIRSTBOOT.md).
hostname = "edge-01"

[network]
mode = "static"
address = "10.0.2.50/24"
gateway = "10.0.2.2"
dns = ["10.0.2.3"]

[containers]
disable = ["hello"]

# Fetches a page from the host side of QEMU's network over the static address
# (HTTP/1.0 over busybox nc: Debian's busybox-static wget crashes before it connects).
[containers.add.probe]
image = "busybox"
network = "host"
restart = "never"
after = ["network"]
command = ["/bin/sh", "-c", "for i in 1 2 3 4 5; do t=$(printf 'GET /token HTTP/1.0\\r\\nHost: 10.0.2.100\\r\\n\\r\\n' | nc -w 5 10.0.2.100 80 | tail -n 1) && [ -n \"$t\" ] && break; sleep 1; done; echo \"probe: got $t\""]

[update]
policy = "automatic"
url = "http://10.0.2.100/keel"
[update.window]
days = ["sun"]
start = "02:00"
duration = "2h"

[keys]
trusted = ["@TRUSTED_KEY@"]

[admin]
authorized_keys = ["@SSH_KEY@"]
EOF_UD
  sed -i -e "s|@TRUSTED_KEY@|$TRUSTED_KEY|" -e "s|@SSH_KEY@|$SSH_KEY|" "$LOG_DIR/user-data"
  cidata_drive "$LOG_DIR/cidata.img" "$LOG_DIR/user-data"
  KEEL_QEMU_EXTRA=(-drive "file=$LOG_DIR/cidata.img,format=raw,if=virtio,readonly=on")
  keel_boot "$IMAGE_DIR" "$LOG_DIR" 480
  expect_power_off
  expect_match "$LOG" "info keel-firstboot: user-data from the config drive /dev/vd[a-z] \(vfat, label CIDATA\), file user-data \([0-9]+ bytes\)" \
    "the config drive was found by its label"
  expect_line "$LOG" "info keel-firstboot: applied the user-data from the config drive"
  expect_line "$LOG" "wrote /etc/hostname, /etc/keel/containers/network.toml, /etc/keel/containers/probe.toml, /etc/keel/containers/hello.toml, /etc/keel/update.toml, /etc/keel/keys/user-data.pub, /etc/keel/admin/authorized_keys, /etc/keel/firstboot.done"
  expect_order "$LOG" "info keel-firstboot: applied the user-data" "info keel-init: hostname is edge-01"
  expect_line "$LOG" "info keel-init: container hello is disabled on this host (enabled = false in /etc/keel/containers/hello.toml)"
  reject_line "$LOG" "Hello from Keel"
  expect_line "$LOG" "info network: static address 10.0.2.50/24 on eth0"
  reject_line "$LOG" "udhcpc"
  expect_line "$LOG" "info probe: probe: got $TOKEN"
  expect_line "$LOG" "info inspect: inspect: hostname=edge-01"
  expect_line "$LOG" "info inspect: inspect: addr=10.0.2.50/24"
  expect_line "$LOG" "info inspect: inspect: route=default via 10.0.2.2 dev eth0"
  expect_line "$LOG" "info inspect: inspect: resolv=nameserver 10.0.2.3"
  expect_match "$LOG" "info inspect: network +running " "keelctl status: the static network container runs"
  expect_match "$LOG" "info inspect: probe +stopped " "keelctl status: the added container ran"
  expect_line "$LOG" "info inspect: first boot: applied: applied the user-data from the config drive"
  expect_line "$LOG" "info inspect: inspect: containers=hello.toml network.toml probe.toml"
  expect_line "$LOG" "info inspect: inspect: update=policy = 'automatic' url = 'http://10.0.2.100/keel'  [window] days = [ 'sun' ] duration = '2h' start = '02:00'"
  expect_line "$LOG" "info inspect: inspect: keys=1"
  expect_match "$LOG" "info inspect: inspect: admin=600 [0-9]+" "authorized_keys written, mode 0600"
  expect_line "$LOG" "info inspect: inspect: done=yes"
  reject_line "$LOG" "error keel-"
  ;;
broken)
  cat >"$LOG_DIR/user-data" <<'EOF_UD'
hostname = "broken-01"
[network]
mode = "static"
address = "10.0.2.50"
EOF_UD
  cidata_drive "$LOG_DIR/cidata.img" "$LOG_DIR/user-data"
  KEEL_QEMU_EXTRA=(-drive "file=$LOG_DIR/cidata.img,format=raw,if=virtio,readonly=on")
  keel_boot "$IMAGE_DIR" "$LOG_DIR" 480
  expect_power_off
  ERR='/run/keel/firstboot/user-data:4:11: address "10.0.2.50" needs a prefix length: write it as ADDRESS/PREFIX, e.g. "10.0.2.50/24"'
  expect_match "$LOG" "error keel-firstboot: invalid user-data from the config drive /dev/vd[a-z] \(vfat, label CIDATA\), file user-data: " \
    "the console names the source"
  expect_line "$LOG" "$ERR; nothing was applied, the host runs with the image's defaults"
  expect_line "$LOG" "info inspect: first boot: invalid: invalid user-data from the config drive"
  expect_line "$LOG" "info inspect: first boot: invalid: invalid user-data from the config drive /dev/vdb (vfat, label CIDATA), file user-data: $ERR"
  # The defaults: the image's hostname, DHCP, the image's containers.
  expect_line "$LOG" "info keel-init: hostname is keel"
  expect_line "$LOG" "info inspect: inspect: hostname=keel"
  expect_line "$LOG" "info network: udhcpc: lease of 10.0.2.15 obtained from 10.0.2.2"
  expect_line "$LOG" "info inspect: inspect: addr=10.0.2.15/24"
  expect_line "$LOG" "info hello: Hello from Keel!"
  expect_line "$LOG" "info inspect: inspect: containers="
  expect_line "$LOG" "info inspect: inspect: done=no"
  reject_line "$LOG" "broken-01"
  ;;
fw_cfg)
  printf 'hostname = "vm-fwcfg"\n[containers]\ndisable = ["hello"]\n' >"$LOG_DIR/user-data"
  KEEL_QEMU_EXTRA=(-fw_cfg "name=opt/keel/user-data,file=$LOG_DIR/user-data")
  keel_boot "$IMAGE_DIR" "$LOG_DIR" 480
  expect_power_off
  expect_line "$LOG" "info keel-firstboot: user-data from QEMU's fw_cfg entry opt/keel/user-data"
  expect_line "$LOG" "info keel-init: hostname is vm-fwcfg"
  expect_line "$LOG" "info inspect: inspect: hostname=vm-fwcfg"
  expect_line "$LOG" "info keel-init: container hello is disabled on this host"
  expect_line "$LOG" "info network: udhcpc: lease of 10.0.2.15 obtained from 10.0.2.2"
  expect_line "$LOG" "info inspect: first boot: applied: applied the user-data from QEMU's fw_cfg entry opt/keel/user-data: wrote /etc/hostname, /etc/keel/containers/hello.toml, /etc/keel/firstboot.done"
  reject_line "$LOG" "error keel-"
  ;;
metadata)
  # The guest's user network is 169.254.0.0/16 here, so that 169.254.169.254 is an
  # address QEMU's guestfwd can take (it must lie in the guest's network): the
  # connection ends at a loopback server on this machine, nothing leaves it.
  mkdir -p "$LOG_DIR/www/latest"
  printf 'hostname = "from-metadata"\n' >"$LOG_DIR/www/latest/user-data"
  keel_host_http "$LOG_DIR/www" 169.254.169.254
  KEEL_NETDEV_OPTS=",net=169.254.0.0/16"
  KEEL_QEMU_EXTRA=(-smbios "type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova")
  # Two boots of one writable overlay of the image (in a throwaway image directory, as
  # 008_growfs does): what the first boot writes, the second uses.
  DISK_DIR=$LOG_DIR/disk
  rm -rf "$DISK_DIR" && mkdir -p "$DISK_DIR"
  for f in vmlinuz initramfs.img cmdline; do ln -s "$(realpath "$IMAGE_DIR/$f")" "$DISK_DIR/$f"; done
  qemu-img create -q -f qcow2 -b "$(realpath "$IMAGE_DIR/disk.qcow2")" -F qcow2 "$DISK_DIR/disk.qcow2"
  export KEEL_QEMU_WRITABLE=1
  keel_boot "$DISK_DIR" "$LOG_DIR" 480
  mv "$LOG" "$LOG_DIR/serial-1.log"
  FIRST=$LOG_DIR/serial-1.log
  # keelctl reboot with -no-reboot: QEMU exits 0.
  expect_power_off
  expect_line "$FIRST" "info keel-firstboot: no config drive labelled cidata or config-2 and no fw_cfg entry opt/keel/user-data; asking the metadata service (OpenStack) once the network is up"
  expect_line "$FIRST" "info keel-init: hostname is keel"
  expect_order "$FIRST" "info keel-init: container network is ready" "info keel-init: starting container firstboot"
  expect_line "$FIRST" "info firstboot: info keel-firstboot: asking the metadata service: http://169.254.169.254/latest/user-data"
  expect_line "$FIRST" "info firstboot: info keel-firstboot: applied the user-data from the metadata service http://169.254.169.254/latest/user-data: wrote /etc/hostname, /etc/keel/firstboot.done"
  expect_line "$FIRST" "info firstboot: info keel-firstboot: rebooting once so that the user-data takes effect"
  expect_line "$FIRST" "info keel-init: reboot requested over the control socket"
  reject_line "$FIRST" "avc:  denied"
  keel_boot "$DISK_DIR" "$LOG_DIR" 480
  expect_power_off
  expect_line "$LOG" "info keel-init: hostname is from-metadata"
  expect_line "$LOG" "info inspect: inspect: hostname=from-metadata"
  # keel-init finds the marker and does not run keel-firstboot at all.
  expect_line "$LOG" "info keel-init: first boot was completed on an earlier boot (/etc/keel/firstboot.done)"
  reject_line "$LOG" "keel-firstboot:"
  reject_line "$LOG" "info inspect: first boot:"
  reject_line "$LOG" "starting container firstboot"
  reject_line "$LOG" "error keel-"
  ;;
*)
  echo "FAIL: unknown case '$CASE' (cidata, broken, fw_cfg, metadata)"
  exit 1
  ;;
esac
common_checks
keel_finish "009_firstboot.$CASE" "$LOG"
