#include "keel/update/deploy.hpp"

#include <fmt/format.h>

#include "keel/common/gerror.hpp"
#include "keel/update/boot.hpp"

namespace keel::update {

Result<DeploymentInfo> deploy_release(Sysroot& s, const std::string& checksum,
                                      const std::string& refspec, const DeployHooks& hooks) {
  OstreeDeployment* current = s.current();
  if (!current)
    return fail_msg(
        fmt::format("the sysroot {} has no deployment to update (install an image "
                    "first)",
                    s.path()));
  const char* osname = ostree_deployment_get_osname(current);
  TRY(prepare_grub(s));
  // /etc is merged from the booted deployment (or, not booted, the default one).
  g_autoptr(OstreeDeployment) merge = ostree_sysroot_get_merge_deployment(s.get(), osname);
  g_autoptr(GKeyFile) origin = ostree_sysroot_origin_new_from_refspec(s.get(), refspec.c_str());
  g_autoptr(OstreeDeployment) deployed = nullptr;
  GError* err = nullptr;
  auto step = [&hooks](const std::string& what) {
    if (hooks.step) hooks.step(what);
  };
  step(fmt::format("deploying {} (checking out the tree, merging /etc)", checksum));
  // No kernel arguments given: OSTree takes the merge deployment's.
  if (!ostree_sysroot_deploy_tree(s.get(), osname, checksum.c_str(), origin, merge, nullptr,
                                  &deployed, nullptr, &err))
    return fail(gerror(fmt::format("deploying {}", checksum), err));
  // The trial is armed before the boot loader switches to the new deployment: a power
  // cut between the two then leaves the old menu, whose GRUB ignores a keel_pending that
  // is not its entry 0 (docs/BOOT.md), instead of a new default booting without a trial
  // (found by qemu.011_power_cut).
  auto armed = TRY(s.describe(deployed, 0));
  if (hooks.arm_new_deployment) {
    step(fmt::format("arming the boot trial of deployment {}.{} (grubenv)", armed.checksum,
                     armed.serial));
    TRY_CTX(hooks.arm_new_deployment(s, armed), "arming boot counting");
  }
  // The new deployment goes first; the booted one (and the merge one) stay for rollback.
  step("switching the boot loader to the new deployment (boot entries, /boot/loader)");
  if (!ostree_sysroot_simple_write_deployment(s.get(), osname, deployed, merge,
                                              OSTREE_SYSROOT_SIMPLE_WRITE_DEPLOYMENT_FLAGS_NONE,
                                              nullptr, &err)) {
    // The old menu stays; its GRUB ignores the trial, but keelctl status would show it.
    if (hooks.arm_new_deployment) (void)end_boot_trial(s);
    return fail(gerror(fmt::format("making {} the default deployment", checksum), err));
  }
  TRY(s.reload());
  auto deps = TRY(s.deployments());
  if (deps.empty() || deps[0].checksum != checksum || deps[0].serial != armed.serial)
    return fail_msg(fmt::format("OSTree wrote the deployments, but {}.{} is not the default",
                                checksum, armed.serial));
  return deps[0];
}

Result<RollbackResult> rollback(Sysroot& s) {
  g_autoptr(GPtrArray) deps = ostree_sysroot_get_deployments(s.get());
  if (deps->len < 2) {
    std::string only =
        deps->len ? ostree_deployment_get_csum(static_cast<OstreeDeployment*>(deps->pdata[0]))
                  : std::string("none");
    return fail_msg(fmt::format("nothing to roll back to: the sysroot {} has {} deployment ({})",
                                s.path(), deps->len, only));
  }
  TRY(prepare_grub(s));
  OstreeDeployment* booted = ostree_sysroot_get_booted_deployment(s.get());
  auto* first = static_cast<OstreeDeployment*>(deps->pdata[0]);
  // An update is pending: go back to the booted deployment. Otherwise the one before.
  guint target = 1;
  if (booted && !ostree_deployment_equal(first, booted))
    for (guint i = 1; i < deps->len; ++i)
      if (ostree_deployment_equal(static_cast<OstreeDeployment*>(deps->pdata[i]), booted))
        target = i;
  RollbackResult r;
  r.from = TRY(s.describe(first, 0));
  g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func(g_object_unref);
  g_ptr_array_add(order, g_object_ref(deps->pdata[target]));
  for (guint i = 0; i < deps->len; ++i)
    if (i != target) g_ptr_array_add(order, g_object_ref(deps->pdata[i]));
  GError* err = nullptr;
  if (!ostree_sysroot_write_deployments(s.get(), order, nullptr, &err))
    return fail(gerror("writing the new deployment order", err));
  // The deployment on trial is no longer menu entry 0: GRUB must not count down the one
  // rolled back to (docs/BOOT.md).
  TRY(end_boot_trial(s));
  TRY(s.reload());
  auto now = TRY(s.deployments());
  if (now.empty()) return fail_msg("the sysroot has no deployment after the rollback");
  r.to = now[0];
  return r;
}

}  // namespace keel::update
