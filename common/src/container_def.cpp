#include "keel/common/container_def.hpp"

#include <fmt/format.h>

#include "keel/common/sys.hpp"
#include "keel/common/toml.hpp"

namespace keel {

namespace {

std::string stem_of(const std::string& path) {
  auto slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  auto dot = base.rfind('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

Result<RestartPolicy> parse_restart(const TomlDoc& doc, const toml::table& t) {
  auto s = TRY(doc.get_string(t, "restart"));
  if (!s || *s == "on-failure") return RestartPolicy::on_failure;
  if (*s == "always") return RestartPolicy::always;
  if (*s == "never") return RestartPolicy::never;
  return fail(doc.error_at(t.get("restart"),
                           fmt::format("restart = \"{}\" is not a policy; use \"always\", "
                                       "\"on-failure\" or \"never\"",
                                       *s)));
}

Result<ContainerResources> parse_resources(const TomlDoc& doc, const toml::table& root) {
  ContainerResources r;
  const toml::table* t = TRY(doc.get_table(root, "resources"));
  if (!t) return r;
  TRY(doc.reject_unknown_keys(*t, "[resources]", {"memory_max", "pids_max"}));
  r.memory_max = TRY(doc.get_size(*t, "memory_max"));
  auto pids = TRY(doc.get_int(*t, "pids_max"));
  if (pids) {
    if (*pids <= 0) return fail(doc.error_at(t->get("pids_max"), "pids_max must be positive"));
    r.pids_max = static_cast<uint64_t>(*pids);
  }
  return r;
}

}  // namespace

bool is_valid_container_name(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

std::string_view to_string(RestartPolicy p) {
  switch (p) {
    case RestartPolicy::never:
      return "never";
    case RestartPolicy::on_failure:
      return "on-failure";
    case RestartPolicy::always:
      return "always";
  }
  return "?";
}

Result<ContainerDef> parse_container_def_text(std::string_view text, const std::string& path) {
  auto doc = TRY(TomlDoc::parse(text, path));
  const toml::table& t = doc.root();
  TRY(doc.reject_unknown_keys(t, "the container definition",
                              {"image", "command", "env", "hostname", "restart", "resources"}));
  ContainerDef def;
  def.source_path = path;
  def.name = stem_of(path);
  if (!is_valid_container_name(def.name))
    return fail_msg(
        fmt::format("{}: container name '{}' (from the file name) must be 1-63 "
                    "characters of a-z, 0-9 and '-'; rename the file",
                    path, def.name));
  def.image = *TRY(doc.get_string(t, "image", true));
  def.command = TRY(doc.get_string_array(t, "command"));
  def.env = TRY(doc.get_string_array(t, "env"));
  for (const auto& e : def.env)
    if (e.find('=') == std::string::npos || e.front() == '=')
      return fail(
          doc.error_at(t.get("env"), fmt::format("env entry \"{}\" must look like KEY=VALUE", e)));
  def.hostname = TRY(doc.get_string(t, "hostname")).value_or(def.name);
  def.restart = TRY(parse_restart(doc, t));
  def.resources = TRY(parse_resources(doc, t));
  return def;
}

Result<ContainerDef> parse_container_def(const std::string& path) {
  auto text = TRY(sys::read_file(path));
  return parse_container_def_text(text, path);
}

}  // namespace keel
