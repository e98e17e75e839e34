// What ostree-prepare-root does, for Keel's initramfs (ostree docs: "Booting and
// the initramfs" / src/switchroot/ostree-prepare-root.c): find the deployment from
// ostree=, set up its mounts, then the caller switches root into it.
#pragma once

#include <string>
#include <string_view>

#include "keel/common/error.hpp"

namespace keel::init {

// ".../ostree/deploy/<stateroot>/deploy/<csum>.<serial>" -> "<stateroot>".
Result<std::string> stateroot_from_deployment(std::string_view deployment);
// realpath(sysroot + ostree_arg), checked to be a deployment dir under
// sysroot/ostree/deploy/. The boot.N symlinks are what make ostree= point at one.
Result<std::string> resolve_deployment(const std::string& sysroot, const std::string& ostree_arg);
// Steps 3-5 of ostree-prepare-root: / rprivate, deployment bound on itself, read-only
// /usr, stateroot /var, /sysroot and (if the bootloader uses symlinks) /boot, then
// /run/ostree-booted. Needs root and real mounts.
Result<void> prepare_deployment(const std::string& sysroot, const std::string& deployment);

}  // namespace keel::init
