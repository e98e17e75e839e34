// OCI image layout (image-spec v1.0 "image-layout.md"): reading it into a rootfs
// for the runtime, and writing one from a directory for the composer.
#pragma once

#include <cstdint>
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

// What an image may contain and how big it may get. The defaults suit images from
// untrusted sources: a container must not gain privileges or host devices from its
// image alone.
struct UnpackOptions {
  // Caps on the uncompressed tar streams: the whole image, and any one layer. Past
  // a cap extraction stops with a "decompression bomb?" error.
  uint64_t max_uncompressed_bytes = uint64_t{4} << 30;
  uint64_t max_layer_uncompressed_bytes = uint64_t{4} << 30;
  // Setuid/setgid files (directories may keep setgid: it only sets the group of new
  // files). Refused unless true.
  bool allow_setuid = false;
  // Character and block device nodes. Refused unless true; then created (needs
  // CAP_MKNOD). The runtime gives each container its own minimal /dev anyway.
  bool allow_devices = false;
};

// Extracts the image into dest_rootfs, which must not exist or be an empty
// directory. Picks the manifest whose ref.name is `ref`, or the first one when ref
// is empty. Every blob's digest and size are verified before use, and each layer's
// uncompressed stream against the config's rootfs.diff_ids; whiteouts are applied;
// hostile entries (escaping paths, writes through symlinks, duplicates, devices and
// setuid files unless allowed) are refused. The layers are extracted into
// dest_rootfs + ".tmp", renamed to dest_rootfs at the end and removed on failure, so
// the caller gets a complete rootfs or none.
Result<ImageConfig> unpack_oci_layout(const std::string& layout_dir, const std::string& dest_rootfs,
                                      const std::string& ref = "", const UnpackOptions& opts = {});

// The same for an oci-archive: a tar of an OCI image layout, as `skopeo copy ...
// oci-archive:X` or `buildah push ... oci-archive:X` write. The layout is extracted
// into a private directory beside dest_rootfs (only oci-layout, index.json and
// blobs/sha256/<hex> regular files are accepted) and removed afterwards.
Result<ImageConfig> unpack_oci_archive(const std::string& tar_path, const std::string& dest_rootfs,
                                       const std::string& ref = "", const UnpackOptions& opts = {});

}  // namespace keel::runtime
