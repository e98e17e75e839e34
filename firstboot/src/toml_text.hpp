// TOML text for the files keel-firstboot writes, by toml++'s own formatter (quoting
// and escaping done right), with tables not indented so the files read like
// hand-written ones.
#pragma once

#include <sstream>
#include <string>

#include "keel/common/tomlpp.hpp"

namespace keel::firstboot {

inline std::string toml_text(const toml::table& t) {
  constexpr auto flags = toml::toml_formatter::default_flags & ~toml::format_flags::indentation;
  std::ostringstream out;
  out << toml::toml_formatter(t, flags) << "\n";
  return out.str();
}

}  // namespace keel::firstboot
