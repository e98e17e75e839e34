// Signal names for `keel-runtime kill` (runc accepts "KILL", "SIGKILL" and "9").
#pragma once

#include <string_view>

#include "keel/common/error.hpp"

namespace keel::runtime {

Result<int> parse_signal(std::string_view name);

}  // namespace keel::runtime
