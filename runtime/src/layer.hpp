// Applying one layer changeset (image-spec v1.1 "layer.md") onto a rootfs.
#pragma once

#include <string>

#include "keel/common/error.hpp"

namespace keel::runtime {

// Strips "./" and empty components; refuses absolute paths and ".." components.
// Returns "" for the root itself.
Result<std::string> clean_entry_path(std::string_view name);

// dest must be an absolute path without symlinks (realpath'd).
Result<void> extract_layer(const std::string& blob_path, const std::string& dest);

}  // namespace keel::runtime
