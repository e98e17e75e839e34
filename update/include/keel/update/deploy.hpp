// Staging a downloaded, verified release as the next boot's deployment, and rolling back.
// OSTree does the work: deploy_tree checks the commit out, merges /etc three ways (the
// current deployment's changes on top of the new /usr/etc) and writes the boot entries;
// /var (the stateroot's) is shared by every deployment and never touched.
#pragma once

#include <functional>
#include <string>

#include "keel/common/error.hpp"
#include "keel/update/sysroot.hpp"

namespace keel::update {

struct DeployHooks {
  // Boot counting: arms the new default deployment with its image's tries, so that one
  // that never reaches "boot good" falls back by itself (arm_boot_trial, boot.hpp, on a
  // sysroot that boots through GRUB). Empty: no trial.
  std::function<Result<void>(Sysroot&, const DeploymentInfo&)> arm_new_deployment;
  // Told each step as it starts ("deploying ...", "switching the boot loader ..."), so that
  // an operator (and qemu.011_power_cut) sees where an update is. Empty: silent.
  std::function<void(const std::string&)> step;
};

// Deploys `checksum` (complete in the sysroot's repository) with `refspec` as its origin,
// as the new default. Keeps the booted deployment (and the one it came from) for rollback;
// a pending deployment from an earlier apply is replaced. Needs the sysroot lock.
Result<DeploymentInfo> deploy_release(Sysroot& sysroot, const std::string& checksum,
                                      const std::string& refspec, const DeployHooks& hooks);

struct RollbackResult {
  DeploymentInfo from;  // the default before
  DeploymentInfo to;    // the default now
};

// Makes the previous deployment the default: with an update pending, the booted one again
// (the update is dropped from the boot order but kept); otherwise the one before the
// current default. OSTree 2022.7 has no rollback command: this is
// ostree_sysroot_write_deployments() with the order changed. Needs the sysroot lock.
Result<RollbackResult> rollback(Sysroot& sysroot);

}  // namespace keel::update
