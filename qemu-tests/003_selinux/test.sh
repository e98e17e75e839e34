#!/usr/bin/env bash
# 003_selinux: the image boots enforcing Keel's policy; init, the runtime and the
# containers run in their domains; ordinary work causes no denial; a hostile
# application container (root, CAP_SYS_MODULE, host paths mounted in) is refused
# each attack with the expected AVC denial, and its privileged twin (system = true)
# is allowed all but writing the OS tree. Without SELinux in the kernel, init halts.
# Image: images/selinux.toml.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
IMAGE_DIR=$1
LOG_DIR=$2
LOG=$LOG_DIR/serial.log

keel_boot "$IMAGE_DIR" "$LOG_DIR" 300 keel.shutdown-when-done=poweroff
if [[ $QEMU_STATUS -ne 0 ]]; then
  echo "FAIL: qemu exited with status $QEMU_STATUS (124/137: no poweroff within the timeout)"
  KEEL_FAILED=1
fi

# value_of PREFIX: what follows PREFIX up to the next space on its first line.
value_of() { grep -oE -m1 -- "$1[^ ]+" "$LOG" | head -1 | tr -d '\r' | cut -c$((${#1} + 1))- || true; }
# denial PERM WHAT REGEX: an AVC denial of PERM whose line also matches REGEX.
denial() {
  expect_match "$LOG" "avc:  denied  \\{ $1 \\} .*$3" "denial { $1 } for $2"
}

APP='system_u:system_r:container_t:s0:c[0-9]+,c[0-9]+'
# Enforcing from the first boot, init in init_t, the runtime in runtime_t.
expect_line "$LOG" "SELinux:  Initializing."
expect_line "$LOG" "info keel-init: SELinux: enforcing, init runs as system_u:system_r:init_t:s0-s0:c0.c1023"
expect_line "$LOG" "info privileged: privileged: init-context=system_u:system_r:init_t:s0-s0:c0.c1023"
expect_line "$LOG" "info privileged: privileged: runtime-context=system_u:system_r:runtime_t:s0-s0:c0.c1023"
expect_line "$LOG" "info privileged: privileged: context=system_u:system_r:spc_t:s0-s0:c0.c1023 enforce=1"
expect_match "$LOG" "info hostile: hostile: context=$APP enforce=1" \
  "the kernel reports enforcing (/sys/fs/selinux/enforce = 1) to a container in container_t"
expect_match "$LOG" "info victim: victim: context=$APP" "the victim runs in container_t at its own pair"
expect_line "$LOG" "info victim: victim: wrote victim-secret and did its work"

victim=$(value_of "info victim: victim: context=")
hostile=$(value_of "info hostile: hostile: context=")
if [[ -n $victim && -n $hostile && ${victim##*:s0:} != "${hostile##*:s0:}" ]]; then
  echo "ok:   victim ($victim) and hostile ($hostile) have different categories"
else
  echo "FAIL: victim '$victim' and hostile '$hostile' must have distinct category pairs"
  KEEL_FAILED=1
fi

# The hostile application container: each attempt fails, each with its denial.
H="scontext=${hostile:-none}"
expect_line "$LOG" "info hostile: hostile: usr-write=denied"
denial write "writing the OS tree (/usr, os_t)" "comm=\"touch\" name=\"usr\" .*$H tcontext=system_u:object_r:os_t:s0 tclass=dir"
expect_line "$LOG" "info hostile: hostile: victim-read=denied"
denial search "reading the victim's volume (other categories)" \
  "comm=\"cat\" .*$H tcontext=system_u:object_r:container_file_t:s0:${victim##*:s0:} tclass=dir"
expect_line "$LOG" "info hostile: hostile: module-load=denied"
denial sys_module "loading a kernel module" "comm=\"insmod\" .*$H .*tclass=capability"
expect_line "$LOG" "info hostile: hostile: enforce-write=denied"
denial write "writing /sys/fs/selinux/enforce" "name=\"enforce\" dev=\"selinuxfs\" .*$H tcontext=system_u:object_r:security_t:s0 tclass=file"
expect_line "$LOG" "info hostile: hostile: context-change=denied still ${hostile:-none}"
denial setcurrent "changing its own context" "$H .*tclass=process"

# keel-init copies denials into its own log (keelctl logs keel-init), contexts included.
expect_match "$LOG" "warn keel-init: SELinux: avc:  denied  \\{ setcurrent \\} .*$H" \
  "keel-init's log has the denial with its source context"

# Its privileged twin: granted all but the OS tree.
expect_line "$LOG" "info privileged: privileged: usr-write=denied"
denial write "a privileged container writing the OS tree" "comm=\"touch\" name=\"usr\" .*scontext=system_u:system_r:spc_t:s0-s0:c0.c1023 tcontext=system_u:object_r:os_t:s0"
expect_line "$LOG" "info privileged: privileged: victim-read=allowed (victim-secret)"
# busybox is no module: the loader refusing it proves the permission checks passed.
expect_line "$LOG" "info privileged: privileged: module-load=reached-the-loader (insmod: can't insert '/bin/busybox': invalid module format)"
expect_line "$LOG" "info privileged: privileged: enforce-write=allowed"
expect_line "$LOG" "info privileged: privileged: context-change=allowed now system_u:system_r:unconfined_t:s0-s0:c0.c1023"

# Zero denials besides the attacks: every AVC line names the hostile container or
# the privileged one's /usr write.
others=$(grep -F "avc:  denied" "$LOG" | grep -vF "$H " | grep -vE 'comm="touch" name="usr" .*scontext=system_u:system_r:spc_t:' || true)
if [[ -z $others ]]; then
  echo "ok:   no other AVC denial during the boot and the containers' work"
else
  echo "FAIL: unexpected AVC denials:"; echo "$others" | head -20
  KEEL_FAILED=1
fi
# Enforcing is required: with SELinux switched off in the kernel (a later security=
# wins) init refuses to run unconfined and halts, here rebooting (keel.panic-reboot).
NOLOG=$LOG_DIR/no-selinux/serial.log
keel_boot "$IMAGE_DIR" "$LOG_DIR/no-selinux" 120 security=apparmor keel.panic-reboot=1
expect_line "$NOLOG" "error keel-init: SELinux: loading the SELinux policy failed while /etc/selinux/config requires enforcing."
reject_line "$NOLOG" "starting container"
reject_line "$LOG" "audit: printk limit exceeded"   # a dropped line could hide a denial
reject_line "$LOG" "Kernel panic"
reject_line "$LOG" "error keel-"
keel_finish 003_selinux "$LOG"
