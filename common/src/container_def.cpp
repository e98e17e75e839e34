#include "keel/common/container_def.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <string.h>

#include <charconv>

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

Result<void> parse_restart_max(const TomlDoc& doc, const toml::table& t, ContainerDef& def) {
  auto max = TRY(doc.get_int(t, "restart_max"));
  if (!max) return {};
  const toml::node* n = t.get("restart_max");
  if (def.restart != RestartPolicy::on_failure)
    return fail(doc.error_at(n, "restart_max only applies to restart = \"on-failure\""));
  if (*max < 0 || *max > 1'000'000)
    return fail(doc.error_at(n, "restart_max must be between 0 and 1000000"));
  def.restart_max = static_cast<uint32_t>(*max);
  return {};
}

Result<ReadyWhen> parse_ready(const TomlDoc& doc, const toml::table& t, RestartPolicy restart) {
  auto s = TRY(doc.get_string(t, "ready"));
  if (!s || *s == "started") return ReadyWhen::started;
  if (*s != "exited")
    return fail(doc.error_at(t.get("ready"), fmt::format("ready = \"{}\" is not known; use "
                                                         "\"started\" or \"exited\"",
                                                         *s)));
  if (restart == RestartPolicy::always)
    return fail(doc.error_at(t.get("ready"),
                             "ready = \"exited\" never happens with restart = "
                             "\"always\"; use \"on-failure\" or \"never\""));
  return ReadyWhen::exited;
}

// after = [...] / requires = [...]: names of other containers, never itself.
Result<std::vector<std::string>> parse_deps(const TomlDoc& doc, const toml::table& t,
                                            std::string_view key, const std::string& self) {
  auto names = TRY(doc.get_string_array(t, key));
  for (const auto& n : names) {
    if (!is_valid_container_name(n))
      return fail(doc.error_at(t.get(key), fmt::format("{}: '{}' is not a container name "
                                                       "(a-z, 0-9, '-')",
                                                       key, n)));
    if (n == self)
      return fail(
          doc.error_at(t.get(key), fmt::format("{}: a container cannot wait for itself", key)));
  }
  return names;
}

Result<void> parse_stop(const TomlDoc& doc, const toml::table& t, ContainerDef& def) {
  if (auto sig = TRY(doc.get_string(t, "stop_signal"))) {
    auto num = parse_signal(*sig);
    if (!num)
      return fail(doc.error_at(t.get("stop_signal"),
                               fmt::format("stop_signal = \"{}\" is not a signal; use a name "
                                           "like \"SIGTERM\" or \"SIGINT\"",
                                           *sig)));
    def.stop_signal = *num;
  }
  if (auto grace = TRY(doc.get_duration(t, "stop_grace"))) def.stop_grace = *grace;
  return {};
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

std::optional<int> parse_signal(std::string_view text) {
  int num = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), num);
  if (ec == std::errc() && ptr == text.data() + text.size())
    return num > 0 && num < NSIG ? std::optional<int>(num) : std::nullopt;
  if (text.starts_with("SIG")) text.remove_prefix(3);
  for (int s = 1; s < NSIG; ++s) {
    // sigabbrev_np(3): "TERM" for SIGTERM; null for real-time signals.
    const char* abbrev = ::sigabbrev_np(s);
    if (abbrev && text == abbrev) return s;
  }
  return std::nullopt;
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
  TRY(doc.reject_unknown_keys(
      t, "the container definition",
      {"image", "command", "env", "hostname", "restart", "restart_max", "after", "requires",
       "ready", "stop_signal", "stop_grace", "resources"}));
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
  TRY(parse_restart_max(doc, t, def));
  def.after = TRY(parse_deps(doc, t, "after", def.name));
  def.required = TRY(parse_deps(doc, t, "requires", def.name));
  def.ready = TRY(parse_ready(doc, t, def.restart));
  TRY(parse_stop(doc, t, def));
  def.resources = TRY(parse_resources(doc, t));
  return def;
}

Result<ContainerDef> parse_container_def(const std::string& path) {
  auto text = TRY(sys::read_file(path));
  return parse_container_def_text(text, path);
}

}  // namespace keel
