#!/usr/bin/env bash
# 004_device_matrix: images/hwmatrix.toml boots to its containers with its root disk on
# DISK (virtio-blk, virtio-scsi, nvme, ahci) and NIC (virtio-net, e1000e); the network
# container leases an address, and the hwinfo container shows the expected drivers bound
# to the root disk's controller and to eth0.
# Usage: test.sh IMAGE_DIR LOG_DIR DISK NIC (CMake registers one test per combination).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
IMAGE_DIR=$1
LOG_DIR=$2
DISK=$3
NIC=$4
NAME=004_device_matrix.$(basename "$IMAGE_DIR")-$DISK-$NIC
LOG=$LOG_DIR/serial.log

# What each controller looks like from inside: the block device's name, the drivers
# from the disk up to its PCI function, and that function's vendor:device and class
# (QEMU's PCI ids; class 0x0106 is SATA AHCI, 0x0108 NVMe, 0x0100 SCSI).
case $DISK in
  virtio-blk) dev='vd[a-z]' disk_drivers='virtio_blk virtio-pci' disk_pci='1af4:1001 class 0x010000' ;;
  virtio-scsi) dev='sd[a-z]' disk_drivers='sd virtio_scsi virtio-pci' disk_pci='1af4:1004 class 0x010000' ;;
  nvme) dev='nvme0n1' disk_drivers='nvme' disk_pci='1b36:0010 class 0x010802' ;;
  ahci) dev='sd[a-z]' disk_drivers='sd ahci' disk_pci='8086:2922 class 0x010601' ;;
  *) echo "FAIL $NAME: unknown disk '$DISK'"; exit 1 ;;
esac
case $NIC in
  virtio-net) nic_drivers='virtio_net virtio-pci' nic_pci='1af4:1000 class 0x020000' ;;
  e1000e) nic_drivers='e1000e' nic_pci='8086:10d3 class 0x020000' ;;
  *) echo "FAIL $NAME: unknown NIC '$NIC'"; exit 1 ;;
esac

KEEL_QEMU_DISK=$DISK KEEL_QEMU_NIC=$NIC keel_boot "$IMAGE_DIR" "$LOG_DIR" 300 \
  keel.shutdown-when-done=poweroff
if [[ $QEMU_STATUS -ne 0 ]]; then
  echo "FAIL: qemu exited with status $QEMU_STATUS (124/137: no poweroff within the timeout)"
  KEEL_FAILED=1
fi

# The initramfs found the root on the controller under test and loaded exactly the
# modules the image lists for this kernel (a module the kernel lacks would warn).
expect_match "$LOG" "info keel-init: found root filesystem LABEL=keel-root on /dev/${dev}p?[0-9]+" \
  "the root filesystem is found on a $DISK disk (/dev/$dev)"
reject_line "$LOG" "warn keel-init: loading module"
expect_line "$LOG" "info keel-init: starting in the real root"
# The NIC's driver is boot-critical in the hardware matrix, so the initramfs loads it
# (checked below by the driver bound to eth0); coldplug in the real root loads the rest
# by modalias, such as the virtio RNG's.
expect_match "$LOG" "info keel-init: drivers for [0-9]+ devices: loaded .*virtio_rng" \
  "virtio_rng loaded for the RNG by its modalias"
# Every container comes up: the lease on eth0 (on the NIC under test), hello, hwinfo.
expect_line "$LOG" "info network: udhcpc: lease of 10.0.2.15 obtained from 10.0.2.2"
expect_line "$LOG" "info keel-init: container network is ready (sd_notify)"
expect_line "$LOG" "info hello: Hello from Keel!"
expect_line "$LOG" "info keel-init: container hwinfo is ready (exited)"
expect_line "$LOG" "info keel-init: all 3 containers are ready"
# Which drivers serve the root disk and the NIC, as the guest's sysfs shows them.
expect_match "$LOG" "info hwinfo: hwinfo: root ${dev}p?[0-9]+ on disk ${dev}: drivers $disk_drivers; pci [0-9a-f:.]+ $disk_pci[[:space:]]*$" \
  "root disk: $disk_drivers ($disk_pci)"
expect_match "$LOG" "info hwinfo: hwinfo: nic eth0: drivers $nic_drivers; pci [0-9a-f:.]+ $nic_pci[[:space:]]*$" \
  "eth0: $nic_drivers ($nic_pci)"
expect_line "$LOG" "info hwinfo: hwinfo: eth0 10.0.2.15/24"
# keel-hwcompat report, run on the booted host against the matrix the image carries,
# lists the disk controller and the NIC as certified, and finds nothing fatal.
disk_id=${disk_pci%% *} nic_id=${nic_pci%% *}
expect_match "$LOG" "info hwinfo: hwinfo: report: [0-9a-f:.]+ +$disk_id storage +certified" \
  "keel-hwcompat report: the $DISK controller $disk_id is certified"
expect_match "$LOG" "info hwinfo: hwinfo: report: [0-9a-f:.]+ +$nic_id nic +certified" \
  "keel-hwcompat report: the $NIC NIC $nic_id is certified"
expect_match "$LOG" "info hwinfo: hwinfo: report: [0-9]+ devices, [0-9]+ unsupported, 0 fatal" \
  "keel-hwcompat report: nothing fatal"
expect_line "$LOG" "info hwinfo: hwinfo: report exit status 0"
expect_line "$LOG" "info hwinfo: hwinfo: done"
expect_line "$LOG" "info keel-init: powering off"
expect_line "$LOG" "info keel-init: SELinux: enforcing, init runs as system_u:system_r:init_t:s0-s0:c0.c1023"
reject_line "$LOG" "avc:  denied"
reject_line "$LOG" "Kernel panic"
reject_line "$LOG" "error keel-"
echo "qemu: $NAME booted and powered off in ${QEMU_SECONDS}s"
keel_finish "$NAME" "$LOG"
