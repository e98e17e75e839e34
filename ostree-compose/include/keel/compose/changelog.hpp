// What changed between two releases, for the "keel.changelog" commit metadata that
// `keelctl update check` shows: Debian packages (the image's /usr/lib/keel/packages,
// written at compose time), container definitions (/usr/lib/keel/containers) and the
// container images built into the image (/usr/lib/keel/images/<name>, by tree checksum).
#pragma once

#include <ostree.h>

#include <map>
#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::compose {

inline constexpr const char* kPackageList = "usr/lib/keel/packages";

struct TreeManifest {
  bool has_packages = false;                      // the tree has a package list
  std::map<std::string, std::string> packages;    // name -> version
  std::map<std::string, std::string> containers;  // definition name -> content checksum
  std::map<std::string, std::string> images;      // image name -> tree checksum
};

// The package list keel-compose writes: "# comment" lines, then "NAME VERSION ARCH" lines.
std::map<std::string, std::string> parse_package_list(const std::string& text);
// The list for .deb file names as apt caches them (NAME_VERSION_ARCH.deb, ':' as %3a),
// leaving out the excluded packages.
std::string package_list(const std::vector<std::string>& debs,
                         const std::vector<std::string>& excluded);

// Reads the manifest of `commit` in `repo`.
Result<TreeManifest> read_tree_manifest(OstreeRepo* repo, const std::string& commit);

// One line per change, sorted by kind then name: "package libc6 2.36-9 -> 2.36-10",
// "package added curl 7.88", "package removed perl 5.36", "container changed hello",
// "container added web", "image changed busybox"...
std::vector<std::string> diff_manifests(const TreeManifest& from, const TreeManifest& to);

}  // namespace keel::compose
