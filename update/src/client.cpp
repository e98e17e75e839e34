#include "keel/update/client.hpp"

#include <fmt/format.h>

#include <ctime>

#include "keel/common/gerror.hpp"
#include "keel/update/boot.hpp"
#include "keel/update/state.hpp"
#include "keel/update/version.hpp"

namespace keel::update {

namespace {

// "keel:keel/x86_64/default" or "keel/x86_64/default" -> "keel/x86_64/default".
std::string branch_of(const std::string& refspec) {
  auto colon = refspec.find(':');
  return colon == std::string::npos ? refspec : refspec.substr(colon + 1);
}

nlohmann::json deployment_json(const DeploymentInfo& d) {
  return {{"version", d.version}, {"checksum", d.checksum}};
}

}  // namespace

Result<Client> Client::open(const ClientOptions& opts) {
  Client c(TRY(Sysroot::open(opts.sysroot)));
  if (opts.lock) TRY(c.m_sysroot.lock());
  c.m_cfg = TRY(load_update_config(opts.config_files));
  OstreeDeployment* cur = c.m_sysroot.current();
  if (!cur)
    return fail_msg(
        fmt::format("the sysroot {} has no deployment: there is nothing to update", opts.sysroot));
  c.m_current = TRY(c.m_sysroot.describe(cur, 0));
  c.m_branch = c.m_cfg.branch.empty() ? branch_of(c.m_current.refspec) : c.m_cfg.branch;
  if (c.m_branch.empty())
    return fail_msg("the current deployment has no origin branch; set branch in update.toml");
  return c;
}

Result<void> Client::load_keys() {
  if (!m_keys) m_keys = TRY(load_trusted_keys(m_cfg.trusted_keys));
  return {};
}

Result<CheckResult> Client::check(const std::string& version) {
  TRY(check_complete(m_cfg));
  TRY(load_keys());
  TRY(ensure_remote(m_sysroot.repo(), m_cfg.url));
  CheckResult r;
  std::string head = TRY(remote_head(m_sysroot.repo(), m_branch));
  r.release = TRY(fetch_verified_commit(m_sysroot.repo(), head, *m_keys, r.stats));
  if (!version.empty() && r.release.version != version)
    r.release = TRY(find_release(m_sysroot.repo(), r.release, version, *m_keys, r.stats));
  r.current = r.release.checksum == m_current.checksum;
  auto deps = TRY(m_sysroot.deployments());
  r.pending = !r.current && !deps.empty() && deps[0].checksum == r.release.checksum;
  r.newer = compare_versions(r.release.version, m_current.version) > 0;
  r.failed_trial = failed_trial_of(TRY(read_boot_trial(m_sysroot)), r.release.checksum);
  return r;
}

Result<PullStats> Client::download(const Release& release) {
  TRY(load_keys());
  PullStats stats;
  if (!TRY(is_complete(m_sysroot.repo(), release.checksum))) {
    stats = TRY(download_content(m_sysroot.repo(), release, *m_keys));
    nlohmann::json rec = {{"time", utc_time(std::time(nullptr))},
                          {"url", m_cfg.url},
                          {"branch", m_branch},
                          {"version", release.version},
                          {"checksum", release.checksum},
                          {"from", deployment_json(m_current)},
                          {"bytes", stats.bytes},
                          {"objects", stats.objects},
                          {"static_delta", stats.used_delta()},
                          {"delta_parts", stats.delta_parts},
                          {"delta_part_bytes", stats.delta_part_bytes},
                          {"seconds", stats.seconds}};
    if (auto w = write_record(var_dir(), kLastDownload, rec); !w)
      m_warnings.push_back("recording the download: " + w.error().message());
  }
  // A remote ref keeps the commit through OSTree's cleanup (prune) until it is deployed.
  GError* err = nullptr;
  if (!ostree_repo_set_ref_immediate(m_sysroot.repo(), kRemoteName, m_branch.c_str(),
                                     release.checksum.c_str(), nullptr, &err))
    return fail(gerror(fmt::format("setting {}:{}", kRemoteName, m_branch), err));
  return stats;
}

Result<DeploymentInfo> Client::apply(const Release& release, const DeployHooks& hooks) {
  TRY(load_keys());
  if (!TRY(is_complete(m_sysroot.repo(), release.checksum)))
    return fail_msg(fmt::format("release {} is not downloaded completely", release.version));
  // The last check before anything is deployed.
  TRY_CTX(verify_release(m_sysroot.repo(), release.checksum, *m_keys),
          fmt::format("verifying release {} before deploying it", release.version));
  return deploy_release(m_sysroot, release.checksum, fmt::format("{}:{}", kRemoteName, m_branch),
                        hooks);
}

Result<RollbackResult> rollback_and_record(Sysroot& sysroot, const std::string& reason,
                                           std::vector<std::string>& warnings) {
  auto r = TRY(rollback(sysroot));
  nlohmann::json rec = {{"time", utc_time(std::time(nullptr))},
                        {"reason", reason},
                        {"from", deployment_json(r.from)},
                        {"to", deployment_json(r.to)}};
  if (auto w = write_record(sysroot.var_dir(r.to.osname), kLastRollback, rec); !w)
    warnings.push_back("recording the rollback: " + w.error().message());
  return r;
}

AutoStep decide_auto(Policy policy, const CheckResult& r) {
  if (policy == Policy::manual) return AutoStep::manual;
  if (r.current) return AutoStep::current;
  // Booting it again would only fall back again (or, if it was its last deployment's
  // turn, loop): a failed trial needs an operator's `keelctl update apply`.
  if (!r.failed_trial.empty()) return AutoStep::failed;
  if (r.pending) return AutoStep::pending;
  // Pinned goes to its version either way; automatic only ever forward.
  if (policy == Policy::automatic && !r.newer) return AutoStep::older;
  return AutoStep::install;
}

bool may_reboot_now(const UpdateConfig& cfg, std::time_t now) {
  return !cfg.window || in_window(*cfg.window, now);
}

}  // namespace keel::update
