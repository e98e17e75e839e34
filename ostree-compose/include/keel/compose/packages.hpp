// Debian packages into a root tree, via mmdebstrap (extract variant: no
// maintainer scripts run, which an immutable image does not want anyway).
#pragma once

#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/compose/image_def.hpp"

namespace keel::compose {

struct PackageRequest {
  std::string suite;
  std::string mirror;
  std::vector<Located> include;
  std::vector<Located> exclude;
  // Debian archive components; "non-free-firmware" is added when the hardware
  // matrix asks for a firmware package.
  std::vector<std::string> components = {"main"};
};

// Installs `req.include` and their dependencies into `rootfs` (which must not
// exist yet), reusing and refilling the .deb cache in `cache_dir`. Then deletes
// the files of every excluded package. Returns the .deb file names installed.
// An unknown package name fails with the TOML position it was written at.
Result<std::vector<std::string>> install_packages(const PackageRequest& req,
                                                  const std::string& rootfs,
                                                  const std::string& cache_dir,
                                                  const std::string& log_path);

// The paths (relative, no leading "./") of the files in a .deb's data archive.
Result<std::vector<std::string>> deb_file_list(const std::string& deb_path);

// Deletes from `rootfs` the files a .deb ships; directories only when they end up
// empty (other packages may share them).
Result<void> remove_deb_files(const std::string& rootfs, const std::string& deb_path);

// Parses apt's complaint about a package it cannot install; empty if none.
std::string missing_package_from_log(const std::string& log_text);

}  // namespace keel::compose
