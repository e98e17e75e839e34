// Loading container definitions: *.toml in each directory, a later directory's file
// with the same name replacing an earlier one (/etc/keel/containers overrides
// /usr/lib/keel/containers, docs/ARCHITECTURE.md). A replacement that says
// `enabled = false` disables the container on that host.
#pragma once

#include <string>
#include <vector>

#include "keel/common/container_def.hpp"
#include "keel/common/error.hpp"

namespace keel::init {

struct DefinitionSet {
  std::vector<ContainerDef> defs;  // sorted by file name
  std::vector<Error> errors;       // one per bad file; the others still load
  // Containers masked by a file saying `enabled = false` (docs/IMAGES.md): the
  // definitions that did it, for the log. They are not in `defs`.
  std::vector<ContainerDef> disabled;
};

// A missing directory is not an error (/etc/keel/containers is optional).
DefinitionSet load_definitions(const std::vector<std::string>& dirs);

}  // namespace keel::init
