// Loading container definitions: *.toml in each directory, a later directory's file
// with the same name replacing an earlier one (/etc/keel/containers overrides
// /usr/lib/keel/containers, docs/ARCHITECTURE.md).
#pragma once

#include <string>
#include <vector>

#include "keel/common/container_def.hpp"
#include "keel/common/error.hpp"

namespace keel::init {

struct DefinitionSet {
  std::vector<ContainerDef> defs;  // sorted by file name
  std::vector<Error> errors;       // one per bad file; the others still load
};

// A missing directory is not an error (/etc/keel/containers is optional).
DefinitionSet load_definitions(const std::vector<std::string>& dirs);

}  // namespace keel::init
