// Applying one layer changeset (image-spec v1.1 "layer.md") onto a rootfs.
#pragma once

#include <cstdint>
#include <string>

#include "entry_path.hpp"
#include "keel/common/error.hpp"
#include "keel/runtime/oci_image.hpp"

namespace keel::runtime {

struct LayerStats {
  std::string diff_id;  // "sha256:<hex>" of the uncompressed tar stream
  uint64_t uncompressed_bytes = 0;
};

// What to do with OCI whiteouts (image-spec "layer.md#whiteouts"): ".wh.NAME" and
// the opaque marker ".wh..wh..opq".
enum class Whiteouts {
  // Delete what lower layers put in dest: dest is a flattened rootfs.
  apply,
  // Record them the way overlayfs reads them from a lower directory (kernel
  // Documentation/filesystems/overlayfs.rst "Whiteouts and opaque directories"): a
  // 0/0 character device named NAME, and the xattr trusted.overlay.opaque="y" on
  // the directory. dest holds this one layer only. Needs CAP_MKNOD and
  // CAP_SYS_ADMIN (trusted.* xattrs).
  overlay,
};

// Extracts the tar, tar+gzip or tar+zstd blob at blob_path onto dest, which must be
// an absolute path without symlinks (realpath'd). Stops once the uncompressed
// stream passes max_bytes. opts decides about setuid files and device nodes; its
// size caps are the caller's to turn into max_bytes.
Result<LayerStats> extract_layer(const std::string& blob_path, const std::string& dest,
                                 const UnpackOptions& opts, uint64_t max_bytes,
                                 Whiteouts whiteouts = Whiteouts::apply);

}  // namespace keel::runtime
