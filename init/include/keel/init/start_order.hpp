// Start ordering between containers: `after` and `requires` in their definitions
// (docs/CONTAINERS.md). Resolved once, when the definitions are loaded, into index
// lists the supervisor checks whenever a container changes state.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "keel/common/container_def.hpp"
#include "keel/common/error.hpp"

namespace keel::init {

struct StartOrder {
  // Per container (same index as the defs): who it waits for (after + requires)
  // and, of those, whose failure keeps it from starting (requires).
  std::vector<std::vector<size_t>> waits_for, required;
  // Containers that can never start: a required container is not defined, or it is
  // part of (or waits on) a dependency cycle. Each has one error in `errors`.
  std::vector<bool> unstartable;
  std::vector<Error> errors;
  // `after` naming a container that is not defined: ignored, like systemd's After=.
  std::vector<std::string> warnings;
};

StartOrder resolve_start_order(const std::vector<ContainerDef>& defs);

}  // namespace keel::init
