// OCI image layout (image-spec v1.0 "image-layout.md"): reading it into a rootfs
// for the runtime, and writing one from a directory for the composer.
#pragma once

#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::runtime {

// The subset of the image config's "config" object (image-spec "config.md") that
// decides how a container is started.
struct ImageConfig {
  std::vector<std::string> entrypoint, cmd, env;
  std::string working_dir, user;
};

// Packs rootfs_dir as one reproducible tar+gzip layer (sorted entries, mtime 0 or
// $SOURCE_DATE_EPOCH, no gzip timestamp) and writes a complete layout to layout_dir,
// replacing it atomically. index.json names the manifest with
// org.opencontainers.image.ref.name = ref_name.
Result<void> write_oci_layout(const std::string& rootfs_dir, const ImageConfig& cfg,
                              const std::string& layout_dir, const std::string& ref_name);

// Extracts the image into dest_rootfs (created if missing; should be empty). Picks
// the manifest whose ref.name is `ref`, or the first one when ref is empty. Every
// blob's digest and size are verified before use; whiteouts are applied; entries
// that would escape dest_rootfs are refused; device nodes are skipped.
Result<ImageConfig> unpack_oci_layout(const std::string& layout_dir, const std::string& dest_rootfs,
                                      const std::string& ref = "");

}  // namespace keel::runtime
