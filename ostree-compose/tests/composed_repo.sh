#!/usr/bin/env bash
# The repository `make image` composed passes `ostree fsck`, and its branch's newest
# commit carries the version from images/default.toml and SELinux labels on every file.
set -euo pipefail
REPO=$1 SRC=$2
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$SRC/images/default.toml" | head -1)
ostree fsck --repo="$REPO" | tail -1
log=$(ostree log --repo="$REPO" keel/x86_64/default | head -8)
echo "$log"
grep -q "^Version: $version\$" <<<"$log" || { echo "FAIL: no 'Version: $version' in ostree log"; exit 1; }
echo "ok: commit has version $version"
# Every file is labelled from Keel's policy (selinux-policy/filesystems.cil): spot
# checks of the types a booted host depends on.
label_of() { ostree ls -dX --repo="$REPO" keel/x86_64/default "$1" | grep -o "system_u:object_r:[a-z_]*:s0" || true; }
for pair in /:root_t /usr/bin/keel-init:init_exec_t /usr/bin/keel-runtime:runtime_exec_t \
            /usr/bin/keel-unpack:runtime_exec_t \
            /usr/lib/os-release:os_t /usr/etc/hostname:etc_t /usr/etc/selinux/config:selinux_config_t; do
  path=${pair%%:*} want=system_u:object_r:${pair#*:}:s0
  got=$(label_of "$path")
  [[ $got == "$want" ]] || { echo "FAIL: $path is labelled '$got', want $want"; exit 1; }
done
unlabelled=$(ostree ls -RX --repo="$REPO" keel/x86_64/default / | grep -vc "security.selinux" || true)
[[ $unlabelled -eq 0 ]] || { echo "FAIL: $unlabelled files of the commit have no SELinux label"; exit 1; }
echo "ok: the commit is labelled from Keel's policy"
