// Parsing of the isolation fields of config.json: linux.namespaces, the user
// namespace id mappings, rootfsPropagation and mountLabel (runtime-spec
// "config-linux.md"). Split from spec.cpp to keep each file about one concern.
#pragma once

#include <string>
#include <vector>

#include "json_util.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

// Fills l.namespaces, uid/gid mappings, rootfs_propagation and mount_label from the
// "linux" object, checking them against each other.
Result<void> parse_isolation(const jsonu::json& lx, SpecLinux& l);

// MS_* propagation flags for "rprivate", "shared", ..., or 0 if `name` is not one.
unsigned long propagation_flags(std::string_view name);
// Those names, for `features` mountOptions.
std::vector<std::string> propagation_names();

}  // namespace keel::runtime
