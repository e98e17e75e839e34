// Relative paths from names a tar entry or a spec gives (layer entries, mount
// destinations, cgroup paths). Outside layer.hpp so that keel-runtime's own code uses
// it without linking the layer extractor (libarchive), which lives in keel-unpack.
#pragma once

#include <string>
#include <string_view>

#include "keel/common/error.hpp"

namespace keel::runtime {

// Strips "./" and empty components; refuses absolute paths and ".." components.
// Returns "" for the root itself.
Result<std::string> clean_entry_path(std::string_view name);

}  // namespace keel::runtime
