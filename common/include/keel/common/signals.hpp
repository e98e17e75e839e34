// Signal names, as runc's `kill` and Keel's container definitions (stop_signal)
// accept them: "KILL", "SIGKILL", "9", "RTMIN+2".
#pragma once

#include <string_view>

#include "keel/common/error.hpp"

namespace keel {

// The signal number, or an error naming what is wrong with `name`.
Result<int> parse_signal(std::string_view name);

}  // namespace keel
