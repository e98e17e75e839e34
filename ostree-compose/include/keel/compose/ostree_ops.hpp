// Committing a tree and deploying it, through the libostree API.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::compose {

struct CommitRequest {
  std::string repo_path;  // created (archive mode) if missing
  std::string tree;       // directory to commit
  std::string branch;     // e.g. keel/x86_64/default
  std::string subject;
  std::map<std::string, std::string> metadata;  // "version" first of all
  uint64_t timestamp = 0;                       // seconds since the epoch
  bool require_labels = false;  // fail unless the tree's SELinux policy labels every file
};

// One OSTree transaction: either the commit and the ref update both land, or
// neither does (the transaction is aborted on any error). Returns the checksum.
Result<std::string> commit_tree(const CommitRequest& req);

struct Deployment {
  std::string sysroot;         // the sysroot directory
  std::string deployment_dir;  // relative to sysroot: ostree/deploy/<os>/deploy/<csum>.0
  std::string kernel;          // relative to sysroot: boot/ostree/<os>-<bootcsum>/vmlinuz-<kver>
  std::string initramfs;       // likewise
  std::string options;         // kernel command line from the BLS entry
};

// Initialises a fresh sysroot at `sysroot` (must not exist), pulls `checksum`
// from `repo_path` into it and deploys it as the default with `kargs`.
Result<Deployment> deploy_commit(const std::string& sysroot, const std::string& repo_path,
                                 const std::string& osname, const std::string& branch,
                                 const std::string& checksum,
                                 const std::vector<std::string>& kargs);

}  // namespace keel::compose
