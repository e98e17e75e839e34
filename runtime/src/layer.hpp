// Applying one layer changeset (image-spec v1.1 "layer.md") onto a rootfs.
#pragma once

#include <cstdint>
#include <string>

#include "keel/common/error.hpp"
#include "keel/runtime/oci_image.hpp"

namespace keel::runtime {

// Strips "./" and empty components; refuses absolute paths and ".." components.
// Returns "" for the root itself.
Result<std::string> clean_entry_path(std::string_view name);

struct LayerStats {
  std::string diff_id;  // "sha256:<hex>" of the uncompressed tar stream
  uint64_t uncompressed_bytes = 0;
};

// Extracts the tar, tar+gzip or tar+zstd blob at blob_path onto dest, which must be
// an absolute path without symlinks (realpath'd). Stops once the uncompressed
// stream passes max_bytes. opts decides about setuid files and device nodes; its
// size caps are the caller's to turn into max_bytes.
Result<LayerStats> extract_layer(const std::string& blob_path, const std::string& dest,
                                 const UnpackOptions& opts, uint64_t max_bytes);

}  // namespace keel::runtime
