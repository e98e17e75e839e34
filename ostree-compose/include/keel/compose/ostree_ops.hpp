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
  // Every deployment in boot order (newest, the default, first): "<csum>.<serial>".
  std::vector<std::string> ids;
};

struct DeployRequest {
  std::string sysroot;    // created; must not hold a sysroot yet
  std::string repo_path;  // pulled from
  std::string osname;
  std::string branch;  // the origin's refspec
  // Deployed in this order, each as the new default: the last one boots by default and
  // the ones before it are its fallbacks (ostree admin status order, reversed).
  std::vector<std::string> checksums;
  std::vector<std::string> kargs;
  // keel-grub-generator: OSTree's grub2 backend runs it to write each loader
  // directory's grub.cfg (OSTREE_GRUB2_EXEC; the sysroot repository gets
  // sysroot.bootloader=grub2).
  std::string grub_generator;
};

// Initialises a fresh sysroot, pulls the commits into it and deploys them.
Result<Deployment> deploy_commits(const DeployRequest& req);

// `rev` (a checksum, a ref, "ref^") resolved in the repository, or an error naming it.
Result<std::string> resolve_rev(const std::string& repo_path, const std::string& rev);

}  // namespace keel::compose
