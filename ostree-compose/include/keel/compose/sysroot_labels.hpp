// SELinux labels for the parts of a sysroot that are not in the commit.
#pragma once

#include <string>

#include "keel/common/error.hpp"

namespace keel::compose {

// Labels the sysroot around the deployment from the deployment's own
// file_contexts: the stateroot's var (ostree/deploy/<os>/var, mounted on /var at
// boot) as /var, boot/ as /boot, the deployment's /etc as /etc, everything else as
// /sysroot/... The commit's files (the deployment and ostree/repo, which share
// inodes) already carry their labels from the commit and are left alone.
// Without this, mkfs.ext4 -d copies files with no label: unlabeled_t at boot.
// Every deployment's /etc is labelled, from the file_contexts of `deployment_dir` (the
// default one); the other deployments' trees are skipped like the default's.
Result<void> label_sysroot(const std::string& sysroot, const std::string& osname,
                           const std::string& deployment_dir);

}  // namespace keel::compose
