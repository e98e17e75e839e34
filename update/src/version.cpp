#include "keel/update/version.hpp"

#include <fmt/format.h>
#include <string.h>

namespace keel::update {

Result<void> check_version(std::string_view v) {
  constexpr std::string_view kAllowed =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+~-";
  if (v.empty() || v.size() > 64 || v.front() < '0' || v.front() > '9' ||
      v.find_first_not_of(kAllowed) != std::string_view::npos)
    return fail_msg(fmt::format(
        "version '{}' is not a release version: it must start with a digit and hold only "
        "letters, digits and . + ~ - (at most 64 characters), e.g. 1.2.0 or 1.3.0~rc1",
        v));
  return {};
}

int compare_versions(const std::string& a, const std::string& b) {
  // Debian's rule for '~' (deb-version(7)): "1.0~rc1" comes before "1.0". Compare what
  // precedes the first '~' with strverscmp; on a tie, the side with a '~' is older.
  size_t ta = a.find('~'), tb = b.find('~');
  std::string base_a = a.substr(0, ta), base_b = b.substr(0, tb);
  if (int c = ::strverscmp(base_a.c_str(), base_b.c_str()); c != 0) return c;
  if (ta == std::string::npos || tb == std::string::npos)
    return (ta == std::string::npos) - (tb == std::string::npos);
  return compare_versions(a.substr(ta + 1), b.substr(tb + 1));
}

}  // namespace keel::update
