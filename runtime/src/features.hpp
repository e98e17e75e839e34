// `keel-runtime features` (runtime-spec "features.md", v1.1): what this runtime
// supports, derived from the parser's own tables where there is one.
#pragma once

#include <string>

namespace keel::runtime {

std::string features_json();

}  // namespace keel::runtime
