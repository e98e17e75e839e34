#include "keel/common/container_def.hpp"
#include "keel/common/container_def_toml.hpp"
#include "keel/common/signals.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <string.h>

#include <algorithm>
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
  if (*s == "healthy") return ReadyWhen::healthy;  // [health] presence checked by the caller
  if (*s == "notify") return ReadyWhen::notify;
  if (*s != "exited")
    return fail(doc.error_at(t.get("ready"), fmt::format("ready = \"{}\" is not known; use "
                                                         "\"started\", \"exited\", "
                                                         "\"healthy\" or \"notify\"",
                                                         *s)));
  if (restart == RestartPolicy::always)
    return fail(doc.error_at(t.get("ready"),
                             "ready = \"exited\" never happens with restart = "
                             "\"always\"; use \"on-failure\" or \"never\""));
  return ReadyWhen::exited;
}

// network = "none" | "host"; a system container is always on the host's network.
Result<NetworkMode> parse_network(const TomlDoc& doc, const toml::table& t, bool system) {
  auto s = TRY(doc.get_string(t, "network"));
  if (!s) return system ? NetworkMode::host : NetworkMode::none;
  if (*s != "none" && *s != "host")
    return fail(doc.error_at(t.get("network"),
                             fmt::format("network = \"{}\" is not known; use \"none\" (its "
                                         "own namespace, loopback only) or \"host\"",
                                         *s)));
  if (system && *s == "none")
    return fail(doc.error_at(t.get("network"),
                             "a system container always shares the host's network; remove "
                             "network = \"none\" or system = true"));
  return *s == "host" ? NetworkMode::host : NetworkMode::none;
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
    auto num = keel::parse_signal(*sig);
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

bool is_clean_absolute(std::string_view p) {
  if (!p.starts_with('/')) return false;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    if (p.substr(i, j - i) == "..") return false;
    i = j + 1;
  }
  return true;
}

// Capability names as Docker takes them: "NET_ADMIN" or "CAP_NET_ADMIN"; stored with
// the prefix. Whether the kernel knows the name is checked by the runtime.
Result<std::vector<std::string>> parse_caps(const TomlDoc& doc, const toml::table& t,
                                            std::string_view key) {
  auto names = TRY(doc.get_string_array(t, key));
  for (auto& n : names) {
    if (!n.starts_with("CAP_")) n = "CAP_" + n;
    bool ok = n.size() > 4;
    for (char c : n) ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok)
      return fail(doc.error_at(t.get(key), fmt::format("{}: '{}' is not a capability name "
                                                       "(like \"NET_ADMIN\")",
                                                       key, n)));
  }
  return names;
}

// [[mounts]] / [[volumes]]: an array of tables, each checked with its own position.
Result<const toml::array*> table_array(const TomlDoc& doc, const toml::table& t,
                                       std::string_view key) {
  const toml::node* n = t.get(key);
  if (!n) return static_cast<const toml::array*>(nullptr);
  const toml::array* arr = n->as_array();
  bool ok = arr != nullptr;
  if (arr)
    for (const auto& el : *arr) ok = ok && el.is_table();
  if (!ok)
    return fail(doc.error_at(n, fmt::format("'{}' must be an array of tables: write each as "
                                            "[[{}]] with its keys below",
                                            key, key)));
  return arr;
}

Result<std::string> abs_path(const TomlDoc& doc, const toml::table& t, std::string_view key,
                             std::string_view section) {
  auto v = *TRY(doc.get_string(t, key, true));
  if (!is_clean_absolute(v))
    return fail(doc.error_at(t.get(key), fmt::format("{} {}: '{}' must be an absolute path "
                                                     "without '..'",
                                                     section, key, v)));
  return v;
}

Result<void> parse_mounts(const TomlDoc& doc, const toml::table& t, ContainerDef& def) {
  const toml::array* mounts = TRY(table_array(doc, t, "mounts"));
  for (size_t i = 0; mounts && i < mounts->size(); ++i) {
    const toml::table& m = *mounts->get(i)->as_table();
    TRY(doc.reject_unknown_keys(m, "[[mounts]]", {"source", "target", "readonly"}));
    ContainerMount cm;
    cm.source = TRY(abs_path(doc, m, "source", "[[mounts]]"));
    cm.target = TRY(abs_path(doc, m, "target", "[[mounts]]"));
    cm.readonly = TRY(doc.get_bool(m, "readonly")).value_or(false);
    def.mounts.push_back(std::move(cm));
  }
  const toml::array* vols = TRY(table_array(doc, t, "volumes"));
  for (size_t i = 0; vols && i < vols->size(); ++i) {
    const toml::table& v = *vols->get(i)->as_table();
    TRY(doc.reject_unknown_keys(v, "[[volumes]]", {"name", "target"}));
    ContainerVolume cv;
    cv.name = *TRY(doc.get_string(v, "name", true));
    if (!is_valid_container_name(cv.name))
      return fail(doc.error_at(v.get("name"),
                               "[[volumes]] name must be 1-63 characters of "
                               "a-z, 0-9 and '-'"));
    cv.target = TRY(abs_path(doc, v, "target", "[[volumes]]"));
    def.volumes.push_back(std::move(cv));
  }
  return {};
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

// "127.0.0.1:8080" or 8080 (then on 127.0.0.1); IPv4 literals only: the probe must
// not depend on name resolution inside the container.
bool parse_host_port(std::string_view text, HealthCheck& h) {
  auto colon = text.rfind(':');
  std::string_view host = colon == std::string_view::npos ? "127.0.0.1" : text.substr(0, colon);
  std::string_view port = colon == std::string_view::npos ? text : text.substr(colon + 1);
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p == 0 || p > 65535) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  if (dots != 3) return false;
  h.host = std::string(host);
  h.port = static_cast<uint16_t>(p);
  return true;
}

Result<void> parse_http_probe(const TomlDoc& doc, const toml::node* http, HealthCheck& h) {
  h.kind = HealthCheck::Kind::http;
  std::string url = http->value<std::string>().value_or("");
  constexpr std::string_view kScheme = "http://";
  // starts_with first: substr on a shorter string throws (found by scripts/fuzz).
  bool ok = url.starts_with(kScheme) && url.find_first_of(" \r\n") == std::string::npos;
  auto slash = ok ? url.find('/', kScheme.size()) : std::string::npos;
  if (ok) {
    std::string_view rest = std::string_view(url).substr(kScheme.size());
    size_t len = slash == std::string::npos ? rest.size() : slash - kScheme.size();
    ok = parse_host_port(rest.substr(0, len), h);
  }
  if (!ok)
    return fail(doc.error_at(http,
                             "http must be a URL like \"http://127.0.0.1:8080/healthz\" "
                             "(IPv4 address and port)"));
  h.path = slash == std::string::npos ? "/" : url.substr(slash);
  return {};
}

// tcp = 8080, http = "http://...", or exec = ["cmd", "arg"]: exactly one.
Result<void> parse_probe(const TomlDoc& doc, const toml::table& t, HealthCheck& h) {
  const toml::node* tcp = t.get("tcp");
  const toml::node* http = t.get("http");
  const toml::node* exec = t.get("exec");
  if ((tcp != nullptr) + (http != nullptr) + (exec != nullptr) != 1)
    return fail(doc.error_at(tcp    ? tcp
                             : http ? http
                             : exec ? exec
                                    : &t,
                             "[health] needs exactly one probe: tcp = 8080, "
                             "http = \"http://127.0.0.1:8080/healthz\" or "
                             "exec = [\"/bin/check\", \"arg\"]"));
  if (http) return parse_http_probe(doc, http, h);
  if (exec) {
    h.kind = HealthCheck::Kind::exec;
    h.command = TRY(doc.get_string_array(t, "exec"));
    if (h.command.empty() || h.command.front().empty())
      return fail(doc.error_at(exec, "exec must name a command: exec = [\"/bin/check\"]"));
    return {};
  }
  h.kind = HealthCheck::Kind::tcp;
  auto text = tcp->is_integer() ? std::to_string(tcp->as_integer()->get())
                                : tcp->value<std::string>().value_or("");
  if (!parse_host_port(text, h))
    return fail(doc.error_at(tcp, "tcp must be a port (8080) or \"IPv4:port\""));
  return {};
}

Result<void> parse_health(const TomlDoc& doc, const toml::table& root, ContainerDef& def) {
  const toml::table* t = TRY(doc.get_table(root, "health"));
  if (!t) return {};
  TRY(doc.reject_unknown_keys(
      *t, "[health]",
      {"tcp", "http", "exec", "interval", "timeout", "retries", "start_period", "start_interval"}));
  HealthCheck& h = def.health;
  TRY(parse_probe(doc, *t, h));
  h.interval = TRY(doc.get_duration(*t, "interval")).value_or(h.interval);
  h.timeout = TRY(doc.get_duration(*t, "timeout")).value_or(std::min(h.timeout, h.interval));
  h.start_period = TRY(doc.get_duration(*t, "start_period")).value_or(h.start_period);
  if (h.interval.count() < 100 || h.timeout.count() < 10 || h.timeout > h.interval)
    return fail(doc.error_at(t,
                             "[health] needs interval >= 100ms and 10ms <= timeout <= "
                             "interval"));
  h.start_interval = TRY(doc.get_duration(*t, "start_interval"));
  if (h.start_interval && (h.start_interval->count() < 10 || *h.start_interval > h.interval))
    return fail(
        doc.error_at(t->get("start_interval"), "start_interval must be between 10ms and interval"));
  if (h.start_interval && h.start_period.count() == 0)
    return fail(doc.error_at(t->get("start_interval"),
                             "start_interval applies during start_period; set start_period"));
  if (auto r = TRY(doc.get_int(*t, "retries"))) {
    if (*r < 1 || *r > 100) return fail(doc.error_at(t->get("retries"), "retries must be 1-100"));
    h.retries = static_cast<uint32_t>(*r);
  }
  return {};
}

Result<void> parse_user(const TomlDoc& doc, const toml::table& t, ContainerDef& def) {
  auto u = TRY(doc.get_string(t, "user"));
  if (!u) return {};
  bool ok = !u->empty() && u->size() <= 21 && u->front() != ':' && u->back() != ':' &&
            u->find_first_not_of("0123456789:") == std::string::npos &&
            std::count(u->begin(), u->end(), ':') <= 1;
  if (!ok)
    return fail(doc.error_at(t.get("user"), fmt::format("user = \"{}\" must be numeric: "
                                                        "\"uid\" or \"uid:gid\"",
                                                        *u)));
  def.user = *u;
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

Result<ContainerDef> parse_container_def_table(const TomlDoc& doc, const toml::table& t,
                                               std::string name, std::string_view section) {
  TRY(doc.reject_unknown_keys(
      t, section, {"image",   "command",  "env",     "hostname",    "restart",    "restart_max",
                   "after",   "requires", "ready",   "stop_signal", "stop_grace", "resources",
                   "system",  "network",  "cap_add", "cap_drop",    "user",       "mounts",
                   "volumes", "health",   "enabled"}));
  ContainerDef def;
  def.source_path = doc.path();
  def.name = std::move(name);
  // enabled = false masks a container of the same name from an earlier directory (an
  // /etc override of an image's container), so nothing else is required then.
  def.enabled = TRY(doc.get_bool(t, "enabled")).value_or(true);
  def.image = TRY(doc.get_string(t, "image", def.enabled)).value_or("");
  if (!def.enabled && def.image.empty()) return def;
  if (def.image.empty() || def.image.find('/') != std::string::npos || def.image.starts_with('.'))
    return fail(doc.error_at(t.get("image"),
                             "image must name an image the image definition "
                             "builds (no '/', not empty)"));
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
  def.system = TRY(doc.get_bool(t, "system")).value_or(false);
  def.network = TRY(parse_network(doc, t, def.system));
  def.cap_add = TRY(parse_caps(doc, t, "cap_add"));
  def.cap_drop = TRY(parse_caps(doc, t, "cap_drop"));
  TRY(parse_user(doc, t, def));
  TRY(parse_mounts(doc, t, def));
  TRY(parse_health(doc, t, def));
  if (def.ready == ReadyWhen::healthy && def.health.kind == HealthCheck::Kind::none)
    return fail(doc.error_at(t.get("ready"), "ready = \"healthy\" needs a [health] check"));
  def.resources = TRY(parse_resources(doc, t));
  return def;
}

Result<ContainerDef> parse_container_def_text(std::string_view text, const std::string& path) {
  auto doc = TRY(TomlDoc::parse(text, path));
  std::string name = stem_of(path);
  if (!is_valid_container_name(name))
    return fail_msg(
        fmt::format("{}: container name '{}' (from the file name) must be 1-63 "
                    "characters of a-z, 0-9 and '-'; rename the file",
                    path, name));
  return parse_container_def_table(doc, doc.root(), std::move(name), "the container definition");
}

Result<ContainerDef> parse_container_def(const std::string& path) {
  auto text = TRY(sys::read_file(path));
  return parse_container_def_text(text, path);
}

}  // namespace keel
