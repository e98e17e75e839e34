// Release versions: what `keel-compose release --version` accepts and how two versions
// order. Both the publisher (a release must be newer than the last) and the host (an
// automatic update never goes backwards) use this one definition.
#pragma once

#include <string>
#include <string_view>

#include "keel/common/error.hpp"

namespace keel::update {

// A version starts with a digit and holds only [0-9A-Za-z.+~-], at most 64 characters:
// "1.2.0", "2024.11.3", "1.0~rc1". It is stored as the commit's "version" metadata, which
// `ostree log` and os-release show.
Result<void> check_version(std::string_view version);

// <0, 0, >0 like strcmp, with runs of digits compared as numbers ("1.10" > "1.9"), as
// glibc's strverscmp(3) does. '~' sorts before anything, even the end ("1.0~rc1" <
// "1.0"), as in Debian versions.
int compare_versions(const std::string& a, const std::string& b);

}  // namespace keel::update
