// A container definition that is one table of a larger TOML document (the first-boot
// user-data's [containers.add.<name>]), kept apart from container_def.hpp so that its
// users do not all compile toml++.
#pragma once

#include <string>
#include <string_view>

#include "keel/common/container_def.hpp"
#include "keel/common/toml.hpp"

namespace keel {

// Errors point into `doc` (file:line:col of the offending key); `section` names the
// table in messages, e.g. "[containers.add.web]".
Result<ContainerDef> parse_container_def_table(const TomlDoc& doc, const toml::table& table,
                                               std::string name, std::string_view section);

}  // namespace keel
