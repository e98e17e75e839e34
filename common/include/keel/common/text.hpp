// Small text helpers shared by the line-based config readers (module lists,
// sysctl.d files).
#pragma once

#include <string_view>

namespace keel {

// Without leading and trailing spaces, tabs and carriage returns.
inline std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace keel
