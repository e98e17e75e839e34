// OCI runtime spec config.json (runtime-spec v1.2 "config.md", "config-linux.md").
#include "keel/runtime/spec.hpp"

#include <map>
#include <optional>
#include <utility>

#include "capabilities.hpp"
#include "definition_spec.hpp"
#include "json_util.hpp"
#include "keel/common/sys.hpp"
#include "process_attrs.hpp"
#include "seccomp.hpp"
#include "spec_isolation.hpp"
#include "spec_resources.hpp"

namespace keel::runtime {
namespace {

using jsonu::json;

// Unsigned 64-bit fields (rlimits, seccomp argument values): 0 when absent.
Result<uint64_t> get_u64(const json& obj, std::string_view key, const std::string& name) {
  const json* v = jsonu::member(obj, key);
  if (!v) return uint64_t{0};
  if (v->is_number_unsigned()) return v->get<uint64_t>();
  if (v->is_number_integer() && v->get<int64_t>() >= 0)
    return static_cast<uint64_t>(v->get<int64_t>());
  return fail_msg("field '" + name + "' must be a non-negative integer");
}

Result<std::optional<uint32_t>> get_u32(const json& obj, std::string_view key,
                                        const std::string& name) {
  auto v = TRY(jsonu::get_int(obj, key, name));
  if (!v) return std::optional<uint32_t>();
  if (*v < 0 || *v > UINT32_MAX) return fail_msg("field '" + name + "' is out of range");
  return std::optional<uint32_t>(static_cast<uint32_t>(*v));
}

Result<SpecCapabilities> parse_capabilities(const json& c) {
  SpecCapabilities caps;
  std::pair<const char*, std::vector<std::string>*> sets[] = {{"bounding", &caps.bounding},
                                                              {"effective", &caps.effective},
                                                              {"inheritable", &caps.inheritable},
                                                              {"permitted", &caps.permitted},
                                                              {"ambient", &caps.ambient}};
  for (auto [key, out] : sets) {
    std::string name = std::string("process.capabilities.") + key;
    *out = TRY(jsonu::get_strings(c, key, name));
    for (const auto& cap : *out) TRY_CTX(capability_from_name(cap), name);
  }
  return caps;
}

// "The runtime MUST generate an error for any values which cannot be mapped to a
// relevant kernel interface" and for duplicated types (config.md#posix-process).
Result<std::vector<SpecRlimit>> parse_rlimits(const json& p) {
  std::vector<SpecRlimit> out;
  const json* rs = TRY(jsonu::get_array(p, "rlimits", "process.rlimits"));
  if (!rs) return out;
  for (const auto& r : *rs) {
    SpecRlimit l;
    l.type = TRY(jsonu::get_string(r, "type", "process.rlimits[].type")).value_or("");
    TRY_CTX(rlimit_from_name(l.type), "process.rlimits");
    for (const auto& seen : out)
      if (seen.type == l.type) return fail_msg("process.rlimits: " + l.type + " is listed twice");
    l.soft = TRY(get_u64(r, "soft", "process.rlimits[].soft"));
    l.hard = TRY(get_u64(r, "hard", "process.rlimits[].hard"));
    if (l.soft > l.hard)
      return fail_msg("process.rlimits: " + l.type + " has soft limit above hard limit");
    out.push_back(std::move(l));
  }
  return out;
}

// Fields beyond args/env/cwd/user: runtime-spec config.md#posix-process, #linux-process.
Result<void> parse_process_attrs(const json& j, SpecProcess& p) {
  if (const json* c = TRY(jsonu::get_object(j, "capabilities", "process.capabilities")))
    p.capabilities = TRY(parse_capabilities(*c));
  p.no_new_privileges =
      TRY(jsonu::get_bool(j, "noNewPrivileges", "process.noNewPrivileges")).value_or(false);
  p.rlimits = TRY(parse_rlimits(j));
  if (auto adj = TRY(jsonu::get_int(j, "oomScoreAdj", "process.oomScoreAdj"))) {
    // proc(5): oom_score_adj ranges from -1000 to 1000.
    if (*adj < -1000 || *adj > 1000)
      return fail_msg("field 'process.oomScoreAdj' must be between -1000 and 1000");
    p.oom_score_adj = static_cast<int>(*adj);
  }
  p.selinux_label = TRY(jsonu::get_string(j, "selinuxLabel", "process.selinuxLabel")).value_or("");
  return {};
}

Result<SpecProcess> parse_process(const json& j) {
  SpecProcess p;
  p.args = TRY(jsonu::get_strings(j, "args", "process.args"));
  if (p.args.empty()) return fail_msg("field 'process.args' must name a program");
  p.env = TRY(jsonu::get_strings(j, "env", "process.env"));
  p.cwd = TRY(jsonu::get_string(j, "cwd", "process.cwd")).value_or("/");
  // "cwd ... MUST be an absolute path" (config.md#process).
  if (!p.cwd.starts_with('/')) return fail_msg("field 'process.cwd' must be an absolute path");
  p.terminal = TRY(jsonu::get_bool(j, "terminal", "process.terminal")).value_or(false);
  // terminal=true needs a console socket: checked by create/run (lifecycle.cpp).
  if (const json* u = TRY(jsonu::get_object(j, "user", "process.user"))) {
    auto uid = TRY(jsonu::get_int(*u, "uid", "process.user.uid")).value_or(0);
    auto gid = TRY(jsonu::get_int(*u, "gid", "process.user.gid")).value_or(0);
    if (uid < 0 || uid > UINT32_MAX || gid < 0 || gid > UINT32_MAX)
      return fail_msg("field 'process.user' has an out-of-range uid or gid");
    p.uid = static_cast<uint32_t>(uid);
    p.gid = static_cast<uint32_t>(gid);
    p.umask = TRY(get_u32(*u, "umask", "process.user.umask"));
    if (p.umask && *p.umask > 0777) return fail_msg("field 'process.user.umask' must be <= 0777");
    if (const json* g = TRY(jsonu::get_array(*u, "additionalGids", "process.user.additionalGids")))
      for (const auto& gid_j : *g) {
        if (!gid_j.is_number_unsigned() || gid_j.get<uint64_t>() > UINT32_MAX)
          return fail_msg("field 'process.user.additionalGids' must hold gids");
        p.additional_gids.push_back(static_cast<uint32_t>(gid_j.get<uint64_t>()));
      }
  }
  TRY(parse_process_attrs(j, p));
  return p;
}

Result<std::vector<SpecMount>> parse_mounts(const json& root) {
  std::vector<SpecMount> out;
  const json* ms = TRY(jsonu::get_array(root, "mounts", "mounts"));
  if (!ms) return out;
  for (const auto& m : *ms) {
    SpecMount s;
    s.destination = TRY(jsonu::get_string(m, "destination", "mounts[].destination")).value_or("");
    if (!s.destination.starts_with('/'))
      return fail_msg("field 'mounts[].destination' must be an absolute path");
    s.type = TRY(jsonu::get_string(m, "type", "mounts[].type")).value_or("");
    s.source = TRY(jsonu::get_string(m, "source", "mounts[].source")).value_or("");
    s.options = TRY(jsonu::get_strings(m, "options", "mounts[].options"));
    out.push_back(std::move(s));
  }
  return out;
}

Result<SpecSyscall> parse_syscall(const json& j) {
  SpecSyscall s;
  s.names = TRY(jsonu::get_strings(j, "names", "linux.seccomp.syscalls[].names"));
  if (s.names.empty()) return fail_msg("field 'linux.seccomp.syscalls[].names' must not be empty");
  s.action = TRY(jsonu::get_string(j, "action", "linux.seccomp.syscalls[].action")).value_or("");
  TRY_CTX(check_seccomp_action(s.action), "linux.seccomp.syscalls[].action");
  s.errno_ret = TRY(get_u32(j, "errnoRet", "linux.seccomp.syscalls[].errnoRet"));
  const json* args = TRY(jsonu::get_array(j, "args", "linux.seccomp.syscalls[].args"));
  for (const json& a : args ? *args : json::array()) {
    SpecSeccompArg arg;
    auto index = TRY(get_u32(a, "index", "linux.seccomp.syscalls[].args[].index"));
    // seccomp_data has six syscall arguments (seccomp(2)).
    if (!index || *index > 5)
      return fail_msg("field 'linux.seccomp.syscalls[].args[].index' must be 0 to 5");
    arg.index = *index;
    arg.value = TRY(get_u64(a, "value", "linux.seccomp.syscalls[].args[].value"));
    arg.value_two = TRY(get_u64(a, "valueTwo", "linux.seccomp.syscalls[].args[].valueTwo"));
    arg.op = TRY(jsonu::get_string(a, "op", "linux.seccomp.syscalls[].args[].op")).value_or("");
    TRY_CTX(check_seccomp_operator(arg.op), "linux.seccomp.syscalls[].args[].op");
    s.args.push_back(std::move(arg));
  }
  return s;
}

Result<SpecSeccomp> parse_seccomp(const json& j) {
  SpecSeccomp s;
  s.default_action =
      TRY(jsonu::get_string(j, "defaultAction", "linux.seccomp.defaultAction")).value_or("");
  TRY_CTX(check_seccomp_action(s.default_action), "linux.seccomp.defaultAction");
  s.default_errno_ret = TRY(get_u32(j, "defaultErrnoRet", "linux.seccomp.defaultErrnoRet"));
  s.architectures = TRY(jsonu::get_strings(j, "architectures", "linux.seccomp.architectures"));
  for (const auto& a : s.architectures)
    TRY_CTX(check_seccomp_arch(a), "linux.seccomp.architectures");
  s.flags = TRY(jsonu::get_strings(j, "flags", "linux.seccomp.flags"));
  for (const auto& f : s.flags) TRY_CTX(check_seccomp_flag(f), "linux.seccomp.flags");
  if (jsonu::member(j, "listenerPath"))
    return fail_msg("linux.seccomp.listenerPath is not supported by keel-runtime");
  const json* calls = TRY(jsonu::get_array(j, "syscalls", "linux.seccomp.syscalls"));
  for (const json& c : calls ? *calls : json::array()) s.syscalls.push_back(TRY(parse_syscall(c)));
  return s;
}

Result<void> parse_sysctl(const json& lx, SpecLinux& l) {
  const json* sc = TRY(jsonu::get_object(lx, "sysctl", "linux.sysctl"));
  if (!sc) return {};
  std::vector<std::string> ns;
  for (const auto& n : l.namespaces) ns.push_back(n.type);
  for (const auto& [key, value] : sc->items()) {
    if (!value.is_string()) return fail_msg("linux.sysctl: value of " + key + " must be a string");
    TRY_CTX(check_sysctl(key, value.get<std::string>(), ns), "linux.sysctl");
    l.sysctl[key] = value.get<std::string>();
  }
  return {};
}

Result<SpecLinux> parse_linux(const json& root) {
  SpecLinux l;
  const json* lx = TRY(jsonu::get_object(root, "linux", "linux"));
  if (!lx) return l;
  TRY(parse_isolation(*lx, l));
  if (const json* r = TRY(jsonu::get_object(*lx, "resources", "linux.resources")))
    l.resources = TRY(parse_resources(*r));
  l.cgroups_path = TRY(jsonu::get_string(*lx, "cgroupsPath", "linux.cgroupsPath")).value_or("");
  l.masked_paths = TRY(jsonu::get_strings(*lx, "maskedPaths", "linux.maskedPaths"));
  l.readonly_paths = TRY(jsonu::get_strings(*lx, "readonlyPaths", "linux.readonlyPaths"));
  TRY(parse_sysctl(*lx, l));
  if (const json* sc = TRY(jsonu::get_object(*lx, "seccomp", "linux.seccomp")))
    l.seccomp = TRY(parse_seccomp(*sc));
  return l;
}

Result<SpecHook> parse_hook(const json& h, const std::string& name) {
  SpecHook hook;
  hook.path = TRY(jsonu::get_string(h, "path", name + ".path")).value_or("");
  // config.md: "path (string, REQUIRED) ... MUST be an absolute path".
  if (!hook.path.starts_with('/')) return fail_msg("field '" + name + ".path' must be absolute");
  hook.args = TRY(jsonu::get_strings(h, "args", name + ".args"));
  hook.env = TRY(jsonu::get_strings(h, "env", name + ".env"));
  if (auto t = TRY(jsonu::get_int(h, "timeout", name + ".timeout"))) {
    if (*t <= 0 || *t > INT32_MAX)  // "MUST be greater than zero"
      return fail_msg("field '" + name + ".timeout' must be greater than zero");
    hook.timeout = static_cast<int>(*t);
  }
  return hook;
}

Result<SpecHooks> parse_hooks(const json& root) {
  SpecHooks out;
  const json* hooks = TRY(jsonu::get_object(root, "hooks", "hooks"));
  if (!hooks) return out;
  std::vector<SpecHook>* lists[] = {&out.prestart,         &out.create_runtime,
                                    &out.create_container, &out.start_container,
                                    &out.poststart,        &out.poststop};
  for (size_t k = 0; k < std::size(kHookNames); ++k) {
    std::string name = std::string("hooks.") + kHookNames[k];
    const json* arr = TRY(jsonu::get_array(*hooks, kHookNames[k], name));
    for (const json& h : arr ? *arr : json::array()) {
      if (!h.is_object()) return fail_msg("field '" + name + "' must hold objects");
      lists[k]->push_back(TRY(parse_hook(h, name)));
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> parse_annotations(const json& root) {
  std::map<std::string, std::string> out;
  const json* a = TRY(jsonu::get_object(root, "annotations", "annotations"));
  if (!a) return out;
  for (const auto& [k, v] : a->items()) {
    if (!v.is_string()) return fail_msg("annotation '" + k + "' must be a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

Result<Spec> parse_spec_object(const json& j) {
  Spec s;
  s.oci_version = TRY(jsonu::get_string(j, "ociVersion", "ociVersion")).value_or("");
  // Fields used here are unchanged from 1.0.0 to 1.2.x (runtime-spec ChangeLog).
  if (!s.oci_version.starts_with("1.0.") && !s.oci_version.starts_with("1.1.") &&
      !s.oci_version.starts_with("1.2."))
    return fail_msg("ociVersion '" + s.oci_version + "' is not supported (1.0.x to 1.2.x)");
  const json* p = TRY(jsonu::get_object(j, "process", "process"));
  if (!p) return fail_msg("field 'process' is required");
  s.process = TRY(parse_process(*p));
  const json* root = TRY(jsonu::get_object(j, "root", "root"));
  if (!root) return fail_msg("field 'root' is required");
  s.root_path = TRY(jsonu::get_string(*root, "path", "root.path")).value_or("");
  if (s.root_path.empty()) return fail_msg("field 'root.path' is required");
  s.root_readonly = TRY(jsonu::get_bool(*root, "readonly", "root.readonly")).value_or(false);
  s.hostname = TRY(jsonu::get_string(j, "hostname", "hostname")).value_or("");
  s.mounts = TRY(parse_mounts(j));
  s.linux_ = TRY(parse_linux(j));
  s.hooks = TRY(parse_hooks(j));
  s.annotations = TRY(parse_annotations(j));
  return s;
}

}  // namespace

std::vector<std::string> merge_env(const std::vector<std::string>& image,
                                   const std::vector<std::string>& overrides) {
  std::vector<std::string> out;
  std::map<std::string, size_t> index;
  for (const auto* list : {&image, &overrides}) {
    for (const auto& kv : *list) {
      std::string key = kv.substr(0, kv.find('='));
      auto [it, fresh] = index.emplace(key, out.size());
      if (fresh)
        out.push_back(kv);
      else
        out[it->second] = kv;
    }
  }
  if (!index.contains("PATH"))
    out.insert(out.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  return out;
}

Result<std::pair<uint32_t, uint32_t>> parse_user(const std::string& user) {
  if (user.empty() || user == "root" || user == "root:root") return std::pair{0u, 0u};
  auto number = [](std::string_view s) -> std::optional<uint32_t> {
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    return static_cast<uint32_t>(std::stoul(std::string(s)));
  };
  size_t colon = user.find(':');
  auto uid = number(std::string_view(user).substr(0, colon));
  auto gid = colon == std::string::npos ? uid : number(std::string_view(user).substr(colon + 1));
  if (!uid || !gid) return fail_msg("'" + user + "' is not supported (use numeric uid[:gid])");
  return std::pair{*uid, *gid};
}

namespace {

json mount_json(const char* dest, const char* type, const char* src,
                std::vector<std::string> opts) {
  return {{"destination", dest}, {"type", type}, {"source", src}, {"options", opts}};
}

// The mounts every Keel container gets (like runc's default spec, minus mqueue). With a
// cgroup namespace, /sys/fs/cgroup shows the container its own group and limits only.
json default_mounts() {
  return json::array(
      {mount_json("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
       mount_json("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
       mount_json("/dev/pts", "devpts", "devpts",
                  {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}),
       mount_json("/dev/shm", "tmpfs", "shm",
                  {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
       mount_json("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
       mount_json("/sys/fs/cgroup", "cgroup2", "cgroup",
                  {"nosuid", "noexec", "nodev", "relatime", "ro"})});
}

json seccomp_json(const SpecSeccomp& p) {
  json calls = json::array();
  for (const auto& c : p.syscalls) {
    json call = {{"names", c.names}, {"action", c.action}};
    if (c.errno_ret) call["errnoRet"] = *c.errno_ret;
    if (!c.args.empty()) {
      json args = json::array();
      for (const auto& a : c.args)
        args.push_back(
            {{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", a.op}});
      call["args"] = args;
    }
    calls.push_back(call);
  }
  json out = {
      {"defaultAction", p.default_action}, {"architectures", p.architectures}, {"syscalls", calls}};
  if (p.default_errno_ret) out["defaultErrnoRet"] = *p.default_errno_ret;
  if (!p.flags.empty()) out["flags"] = p.flags;
  return out;
}

// Docker's default capabilities in bounding/effective/permitted, none inheritable or
// ambient (a non-root process gets none unless it execs a file with capabilities).
json capabilities_json() {
  auto caps = default_capabilities();
  return {{"bounding", caps},
          {"effective", caps},
          {"permitted", caps},
          {"inheritable", json::array()},
          {"ambient", json::array()}};
}

json base_spec(std::vector<std::string> args, std::vector<std::string> env, std::string cwd,
               std::string hostname) {
  json ns = json::array();
  for (const char* t : {"pid", "mount", "uts", "ipc", "network", "cgroup"})
    ns.push_back({{"type", t}});
  return {{"ociVersion", "1.2.0"},
          {"process",
           {{"terminal", false},
            {"user", {{"uid", 0}, {"gid", 0}}},
            {"args", args},
            {"env", env},
            {"cwd", cwd},
            {"capabilities", capabilities_json()},
            {"noNewPrivileges", true}}},
          {"root", {{"path", "rootfs"}, {"readonly", false}}},
          {"hostname", hostname},
          {"mounts", default_mounts()},
          {"linux",
           {{"namespaces", ns},
            {"maskedPaths", {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"}},
            {"readonlyPaths",
             {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
            {"seccomp", seccomp_json(default_seccomp_profile())}}}};
}

}  // namespace

Result<Spec> parse_spec(std::string_view json_text, const std::string& where) {
  auto j = TRY(jsonu::parse(json_text, where));
  return with_context(parse_spec_object(j), where);
}

Result<Spec> load_spec(const std::string& config_path) {
  auto text = TRY(sys::read_file(config_path));
  return parse_spec(text, config_path);
}

Result<SpecProcess> load_process(const std::string& path) {
  auto text = TRY(sys::read_file(path));
  auto j = TRY(jsonu::parse(text, path));
  if (!j.is_object()) return fail_msg(path + ": must hold a process object (config.md#process)");
  return with_context(parse_process(j), path);
}

Result<std::string> make_spec_json(const ImageConfig& image, const keel::ContainerDef& def,
                                   const std::string& volumes_root) {
  std::vector<std::string> args = def.command;
  if (args.empty()) {
    args = image.entrypoint;
    args.insert(args.end(), image.cmd.begin(), image.cmd.end());
  }
  if (args.empty())
    return fail_msg(def.source_path + ": no command, and image '" + def.image +
                    "' has neither Entrypoint nor Cmd");
  auto [uid, gid] = TRY_CTX(parse_user(image.user), "container " + def.name + ": image User");
  std::string cwd = image.working_dir.empty() ? "/" : image.working_dir;
  json spec = base_spec(args, merge_env(image.env, def.env), cwd,
                        def.hostname.empty() ? def.name : def.hostname);
  json resources = json::object();
  if (def.resources.memory_max) resources["memory"] = {{"limit", *def.resources.memory_max}};
  if (def.resources.pids_max) resources["pids"] = {{"limit", *def.resources.pids_max}};
  if (def.resources.cpu_quota) resources["cpu"]["quota"] = *def.resources.cpu_quota;
  if (def.resources.cpu_period) resources["cpu"]["period"] = *def.resources.cpu_period;
  // No spec field takes a v2 weight directly (cpu.shares is the v1 scale): unified.
  if (def.resources.cpu_weight)
    resources["unified"]["cpu.weight"] = std::to_string(*def.resources.cpu_weight);
  if (def.resources.io_weight)
    resources["unified"]["io.weight"] = "default " + std::to_string(*def.resources.io_weight);
  spec["process"]["user"] = {{"uid", uid}, {"gid", gid}};
  spec["linux"]["resources"] = resources;
  spec["linux"]["cgroupsPath"] = "/keel/" + def.name;
  TRY(apply_definition(spec, def, volumes_root));
  return jsonu::dump(spec, 2) + "\n";
}

std::string default_spec_json() {
  json spec = base_spec({"sh"}, merge_env({}, {"TERM=xterm"}), "/", "keel");
  return jsonu::dump(spec, 2) + "\n";
}

}  // namespace keel::runtime
