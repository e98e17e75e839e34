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

// cpu_max: "$MAX [$PERIOD]" as in cgroup v2's cpu.max, $MAX a number or "max".
Result<void> parse_cpu_max(const TomlDoc& doc, const toml::table& t, ContainerResources& r) {
  auto text = TRY(doc.get_string(t, "cpu_max"));
  if (!text) return {};
  auto bad = [&] {
    return fail(doc.error_at(t.get("cpu_max"),
                             "cpu_max must be \"QUOTA PERIOD\", \"QUOTA\" or "
                             "\"max\" (microseconds, e.g. \"50000 100000\")"));
  };
  auto number = [](std::string_view s) -> std::optional<int64_t> {
    if (s.empty() || s.size() > 12 || s.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    return std::stoll(std::string(s));
  };
  std::string_view v = *text;
  size_t space = v.find(' ');
  std::string_view max = v.substr(0, space);
  if (max == "max")
    r.cpu_quota = -1;
  else if (auto q = number(max); q && *q > 0)
    r.cpu_quota = *q;
  else
    return bad();
  if (space != std::string_view::npos) {
    auto period = number(v.substr(space + 1));
    if (!period || *period <= 0) return bad();
    r.cpu_period = static_cast<uint64_t>(*period);
  }
  return {};
}

Result<ContainerResources> parse_resources(const TomlDoc& doc, const toml::table& root) {
  ContainerResources r;
  const toml::table* t = TRY(doc.get_table(root, "resources"));
  if (!t) return r;
  TRY(doc.reject_unknown_keys(*t, "[resources]",
                              {"memory_max", "pids_max", "cpu_weight", "cpu_max", "io_weight"}));
  r.memory_max = TRY(doc.get_size(*t, "memory_max"));
  auto pids = TRY(doc.get_int(*t, "pids_max"));
  if (pids) {
    if (*pids <= 0) return fail(doc.error_at(t->get("pids_max"), "pids_max must be positive"));
    r.pids_max = static_cast<uint64_t>(*pids);
  }
  for (auto [key, out] : {std::pair{"cpu_weight", &r.cpu_weight}, {"io_weight", &r.io_weight}}) {
    auto w = TRY(doc.get_int(*t, key));
    if (!w) continue;
    if (*w < 1 || *w > 10000)
      return fail(doc.error_at(t->get(key), fmt::format("{} must be between 1 and 10000", key)));
    *out = static_cast<uint64_t>(*w);
  }
  TRY(parse_cpu_max(doc, *t, r));
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
