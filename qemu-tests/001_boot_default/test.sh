#!/usr/bin/env bash
# 001_boot_default: the default image boots through Keel's initramfs into its OSTree
# deployment, runs its container, and powers off cleanly.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
IMAGE_DIR=$1
LOG_DIR=$2
LOG=$LOG_DIR/serial.log

keel_boot "$IMAGE_DIR" "$LOG_DIR" 300 keel.shutdown-when-done=poweroff

if [[ $QEMU_STATUS -eq 124 || $QEMU_STATUS -eq 137 ]]; then
  echo "FAIL: the VM did not power off within the timeout"
  KEEL_FAILED=1
elif [[ $QEMU_STATUS -ne 0 ]]; then
  echo "FAIL: qemu exited with status $QEMU_STATUS"
  KEEL_FAILED=1
fi
expect_line "$LOG" "info keel-init: starting in the initramfs"
expect_line "$LOG" "info keel-init: starting in the real root"
expect_line "$LOG" "info keel-init: /usr is read-only"
expect_line "$LOG" "info hello: Hello from Keel! container hello is PID 1 in its namespace, memory.max=67108864 pids.max=32 seccomp=2 capeff=00000000a80425fb rootfs=overlay max_map_count=262144"
expect_line "$LOG" "info keel-init: hostname is keel"
# The network container leases the address QEMU's user network hands out; hello does
# not need the network and starts beside it. keel.shutdown-when-done waits until all
# containers were ready, so the lease is in the log although hello ends first.
expect_line "$LOG" "info network: udhcpc: lease of 10.0.2.15 obtained from 10.0.2.2"
expect_line "$LOG" "info keel-init: container network is ready (sd_notify)"
reject_line "$LOG" "container network is unhealthy"
# Readiness as bench/boot measures it: hello is ready once its process runs.
expect_line "$LOG" "info keel-init: container hello is running"
expect_line "$LOG" "info keel-init: container hello is ready (started)"
expect_line "$LOG" "info keel-init: all 2 containers are ready"
expect_order "$LOG" "info keel-init: all 2 containers are ready" \
  "info keel-init: every application container has exited"
expect_line "$LOG" "info keel-init: applied 1 sysctl settings"
# Coldplug: a device the initramfs did not drive (the virtio RNG) gets its driver
# from its modalias in the real root. The disk and NIC drivers are boot-critical in
# the hardware matrix (hardware-compat/policy.toml), so the initramfs loads them.
expect_match "$LOG" "info keel-init: drivers for [0-9]+ devices: loaded .*virtio_rng" \
  "virtio_rng loaded for the RNG by its modalias"
expect_match "$LOG" "info network: udhcpc: lease of [0-9.]+ obtained" \
  "the NIC works: the network container got a DHCP lease"
expect_line "$LOG" "info keel-init: powering off"
expect_line "$LOG" "reboot: Power down"
# Keel's SELinux policy, enforcing, and nothing in a normal boot trips it.
expect_line "$LOG" "info keel-init: SELinux: enforcing, init runs as system_u:system_r:init_t:s0-s0:c0.c1023"
reject_line "$LOG" "avc:  denied"
reject_line "$LOG" "Kernel panic"
reject_line "$LOG" "error keel-"
keel_finish 001_boot_default "$LOG"
