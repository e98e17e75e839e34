#!/usr/bin/env bash
# 002_supervision: keel-init keeps a host up while containers misbehave. A crash-looper
# is backed off and reported, an out-of-memory container dies alone and is restarted,
# a dependency chain starts in order, and keelctl (run from a system container)
# reports status, logs, stops a service and powers the VM off.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
IMAGE_DIR=$1
LOG_DIR=$2
LOG=$LOG_DIR/serial.log

# The page the fetch container gets from the host side of QEMU's user network.
mkdir -p "$LOG_DIR/www"
TOKEN="keel-$RANDOM$RANDOM"
echo "$TOKEN" >"$LOG_DIR/www/greeting.txt"
keel_host_http "$LOG_DIR/www"

keel_boot "$IMAGE_DIR" "$LOG_DIR" 300

if [[ $QEMU_STATUS -ne 0 ]]; then
  echo "FAIL: qemu exited with status $QEMU_STATUS (124/137: no poweroff within the timeout)"
  KEEL_FAILED=1
fi

# count_is TEXT N: TEXT appears exactly N times.
count_is() {
  local n
  n=$(grep -cF -- "$1" "$LOG" || true)
  if [[ $n -eq $2 ]]; then echo "ok:   $2 x '$1'"
  else echo "FAIL: '$1' appears $n times, expected $2"; KEEL_FAILED=1; fi
}

# The crash-looper: backed off, reported once, never stopping the others.
expect_line "$LOG" "info keel-init: container crashy restarting in 100 ms (restart 1)"
expect_line "$LOG" "info keel-init: container crashy restarting in 800 ms (restart 4)"
expect_line "$LOG" "error keel-init: container crashy is crash-looping: 5 runs in a row ended within 10 s"
count_is "is crash-looping" 1

# The memory hog: the OOM killer ends it in its own cgroup (137 = SIGKILL), twice
# restarted, then given up on (restart_max = 2).
expect_line "$LOG" "info hog: hog start"
count_is "info keel-init: container hog exited with status 137" 3
expect_line "$LOG" "info keel-init: container hog failed (restart=on-failure)"

# The others never restarted: one start each.
count_is "info keel-init: starting container steady" 1
count_is "info keel-init: starting container chain-c" 1
expect_line "$LOG" "info steady: steady up"

# The chain: a (one-shot) -> b (one-shot, after a) -> c (requires b).
expect_order "$LOG" "info chain-a: step a done" "info keel-init: starting container chain-b"
expect_order "$LOG" "info chain-b: step b done" "info keel-init: starting container chain-c"
expect_line "$LOG" "info chain-c: step c started"

# The network container leases QEMU's address and is ready
# before the application container on the host's network reaches the host's server.
expect_line "$LOG" "info network: udhcpc: lease of 10.0.2.15 obtained from 10.0.2.2"
expect_line "$LOG" "info keel-init: container network is healthy"
expect_order "$LOG" "info keel-init: container network is ready (sd_notify)" "info keel-init: starting container fetch"
expect_line "$LOG" "info fetch: fetch: 10.0.2.15/24 got: $TOKEN"

# Hotplug: the admin unloads the entropy device's driver and re-announces the device
# (an "add" uevent, as udevadm trigger does); keel-init loads the driver again.
expect_line "$LOG" "info admin: admin: virtio_rng unloaded"
expect_match "$LOG" "info keel-init: hotplug: virtio device /devices/.* added; loading its driver \(virtio:d00000004v" \
  "keel-init handles the add uevent"
expect_line "$LOG" "info admin: admin: virtio_rng loaded again"

# keelctl from the admin system container.
expect_line "$LOG" "info admin: admin: status"
expect_line "$LOG" "info admin: NAME                 STATE        RESTARTS     PID   UPTIME LAST-EXIT  HEALTH"
expect_match "$LOG" "info admin: steady +running +0 " \
  "status table shows steady running"
if grep -E "info admin: crashy +backing-off \(crash-looping\)" "$LOG" >/dev/null ||
   grep -E "info admin: crashy +starting|info admin: crashy +running" "$LOG" >/dev/null; then
  echo "ok:   status table shows crashy"
else echo "FAIL: status table lacks crashy's crash loop"; KEEL_FAILED=1; fi
expect_line "$LOG" '"name":"crashy"'
expect_line "$LOG" '"crash_looping":true'
expect_line "$LOG" '"name":"hog","pid":null,"restart":"on-failure","restarts":2,"state":"failed"'
# The health-checked web service: healthy, then unhealthy once the admin broke it.
expect_line "$LOG" "info keel-init: container web is healthy"
expect_line "$LOG" "info keel-init: container steady is healthy"   # its exec check
expect_match "$LOG" "info admin: web +running +0 +[0-9]+ +[0-9]+s +- +healthy" \
  "status table shows web healthy"
expect_line "$LOG" "warn keel-init: container web is unhealthy: bad HTTP status (2 failed probes in a row)"
if sed -n '/info admin: admin: after breaking web/,$p' "$LOG" | grep -E "info admin: web +running .* unhealthy" >/dev/null; then
  echo "ok:   status table shows web unhealthy after it broke"
else echo "FAIL: status table lacks 'web ... unhealthy' after the break"; KEEL_FAILED=1; fi
expect_line "$LOG" "info admin: admin: logs"
expect_match "$LOG" "info admin: \\[ *[0-9]+\\.[0-9]+\\] step a done" \
  "keelctl logs chain-a"
# keelctl exec: in steady's pid, uts and network namespaces and root, confined
# like steady (seccomp filter, Docker's capabilities), exit status passed through.
expect_line "$LOG" "info admin: admin: exec"
expect_match "$LOG" "info admin: exec-in-steady pid=[0-9]+ host=steady seccomp=2 capeff=00000000a80425fb same-ns=yes host-visible=no" \
  "keelctl exec runs inside steady, confined like it"
expect_line "$LOG" "info admin: admin: exec exit status 3"
expect_line "$LOG" "info admin: error keel-runtime: container nosuch: exec: container nosuch does not exist"
expect_line "$LOG" "info keel-init: container steady: stop requested over the control socket"
expect_line "$LOG" "info steady: steady stopping"
expect_line "$LOG" "info keel-init: container steady exited with status 0"
expect_order "$LOG" "info admin: admin: after stop" '"name":"steady","pid":null,"restart":"always","restarts":0,"state":"stopped"'
expect_line "$LOG" "info admin: keelctl: unknown command 'nosuchverb'"
# keelctl check-kernel on a live Keel host: config, LSMs, cgroup2, command line.
expect_line "$LOG" "info admin: ok: lsm: selinux is active"
expect_line "$LOG" "info admin: ok: cgroup2: cgroup2 is mounted at /sys/fs/cgroup"
expect_line "$LOG" "info admin: ok: cmdline: the kernel command line enables selinux"
expect_line "$LOG" "info admin: admin: check-kernel exit 0"
expect_line "$LOG" "info keel-init: poweroff requested over the control socket"
expect_line "$LOG" "info keel-init: powering off"
expect_line "$LOG" "reboot: Power down"
reject_line "$LOG" "Kernel panic"
# The one expected runtime error is keelctl exec's of a container that does not exist.
if grep "error keel-runtime" "$LOG" | grep -v "container nosuch: exec:" >/dev/null; then
  echo "FAIL: unexpected keel-runtime errors:"; grep "error keel-runtime" "$LOG" | grep -v "container nosuch"; KEEL_FAILED=1
else echo "ok:   no unexpected keel-runtime errors"; fi
# Keel's SELinux policy, enforcing, and nothing in a normal boot trips it.
expect_line "$LOG" "info keel-init: SELinux: enforcing, init runs as system_u:system_r:init_t:s0-s0:c0.c1023"
reject_line "$LOG" "avc:  denied"
keel_finish 002_supervision "$LOG"
