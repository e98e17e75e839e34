// The host's OSTree sysroot as the update client sees it: its deployments (which one is
// booted, which one boots next), its repository, and the lock that keeps two updates
// from writing it at once. Works on the booted host ("/") and on any sysroot directory
// (a disk image's, a test's), where nothing is booted.
#pragma once

#include <ostree.h>

#include <cstdint>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/common/gobject.hpp"

namespace keel::update {

struct DeploymentInfo {
  size_t index = 0;  // 0 is the default: what the next boot starts
  std::string osname;
  std::string checksum;
  int serial = 0;
  std::string version;  // the commit's "version" metadata
  std::string refspec;  // where it came from ("keel:keel/x86_64/default")
  uint64_t timestamp = 0;
  bool booted = false;
  bool pending = false;  // the default, not booted yet: the next boot switches to it
  bool staged = false;
  bool pinned = false;
};

class Sysroot {
 public:
  // Loads the sysroot at `path` ("/" on a booted host).
  static Result<Sysroot> open(const std::string& path);

  OstreeSysroot* get() const { return m_sysroot.get(); }
  OstreeRepo* repo() const { return m_repo.get(); }
  const std::string& path() const { return m_path; }
  std::string repo_path() const;

  // Exclusive: a second keelctl (or ostree admin) gets a clear error instead of waiting.
  // Released when the Sysroot goes away.
  Result<void> lock();
  // Reads the deployments again after a write.
  Result<void> reload();

  // The deployment updates start from and /etc is merged from: the booted one, or on a
  // sysroot that is not booted the default one. Null when there is no deployment.
  OstreeDeployment* current() const;
  Result<DeploymentInfo> describe(OstreeDeployment* d, size_t index) const;
  Result<std::vector<DeploymentInfo>> deployments() const;
  // The stateroot's /var (the booted host's /var): shared by every deployment.
  std::string var_dir(const std::string& osname) const;

  Sysroot(Sysroot&&) = default;
  Sysroot& operator=(Sysroot&&) = default;
  ~Sysroot();

 private:
  Sysroot() = default;
  std::string m_path;
  GObjectPtr<OstreeSysroot> m_sysroot;
  GObjectPtr<OstreeRepo> m_repo;
  bool m_locked = false;
};

// The commit's "version" metadata ("" when it has none).
std::string commit_version(GVariant* commit);

}  // namespace keel::update
