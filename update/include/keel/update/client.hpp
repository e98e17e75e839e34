// The update client's steps, as `keelctl update check|download|apply|auto` and
// `keelctl rollback` run them: one Client per command, on the booted host's sysroot ("/")
// or on a sysroot directory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/update/config.hpp"
#include "keel/update/deploy.hpp"
#include "keel/update/fetch.hpp"
#include "keel/update/sysroot.hpp"
#include "keel/update/trust.hpp"

namespace keel::update {

struct ClientOptions {
  std::string sysroot = "/";
  std::vector<std::string> config_files = {kImageConfig, kHostConfig};
  bool lock = false;  // take the sysroot lock (commands that write)
};

struct CheckResult {
  Release release;       // the release the command targets (the head, or a pinned version)
  bool current = false;  // it is the current deployment
  bool pending = false;  // it is deployed already and boots next
  bool newer = false;    // its version is newer than the current deployment's
  // The deployment of it that used up its boot attempts here and was rolled back from
  // (GRUB's keel_failed); empty if it never failed a boot trial on this host.
  std::string failed_trial;
  PullStats stats;  // what fetching its commit and signatures transferred
};

class Client {
 public:
  static Result<Client> open(const ClientOptions& opts);

  const UpdateConfig& config() const { return m_cfg; }
  const DeploymentInfo& current() const { return m_current; }
  const std::string& branch() const { return m_branch; }
  Sysroot& sysroot() { return m_sysroot; }
  std::string var_dir() const { return m_sysroot.var_dir(m_current.osname); }

  // The branch's newest release, or with `version` the release of that version, fetched
  // commit-only and verified. Nothing is deployed and no ref changes.
  Result<CheckResult> check(const std::string& version = "");
  // Its content (a no-op when complete), verified again; sets the remote ref so that OSTree's
  // cleanup keeps it; records the bytes in last-download.json.
  Result<PullStats> download(const Release& release);
  // Deploys a downloaded release as the next boot's default.
  Result<DeploymentInfo> apply(const Release& release, const DeployHooks& hooks);
  // What went wrong after the work was done (a record that could not be written): the
  // command still succeeded, the caller shows these.
  const std::vector<std::string>& warnings() const { return m_warnings; }

 private:
  Client(Sysroot s) : m_sysroot(std::move(s)) {}
  Result<void> load_keys();
  Sysroot m_sysroot;
  UpdateConfig m_cfg;
  DeploymentInfo m_current;
  std::string m_branch;
  std::optional<TrustedKeys> m_keys;
  std::vector<std::string> m_warnings;
};

// keel::update::rollback, recording when and why in the stateroot's last-rollback.json
// (a record that cannot be written becomes a warning). Needs no update.toml: a rollback
// must work when the update settings are what broke.
Result<RollbackResult> rollback_and_record(Sysroot& sysroot, const std::string& reason,
                                           std::vector<std::string>& warnings);

// What `keelctl update auto` does with a checked release under the policy.
enum class AutoStep {
  manual,   // policy manual: nothing automatic
  current,  // the target runs already
  older,    // policy automatic and the published head is not newer: never go back
  pending,  // deployed already, waiting for its reboot
  failed,   // it failed its boot trial here: not again without an operator's say
  install,  // download and deploy it
};
AutoStep decide_auto(Policy policy, const CheckResult& r);

// Whether an automatic update may reboot now: with no window at once, else inside it.
bool may_reboot_now(const UpdateConfig& cfg, std::time_t now);

}  // namespace keel::update
