#include "definition_spec.hpp"

#include <sys/capability.h>

#include <algorithm>
#include <charconv>

#include "capabilities.hpp"
#include "keel/common/sys.hpp"

namespace keel::runtime {
namespace {

using jsonu::json;

// Every capability this kernel knows (CAP_LAST_CAP via cap_max_bits(3)).
std::vector<std::string> all_capabilities() {
  std::vector<std::string> out;
  for (cap_value_t i = 0; i < cap_max_bits(); ++i) {
    char* name = cap_to_name(i);
    if (!name) continue;
    std::string n = name;
    cap_free(name);
    if (!n.starts_with("cap_")) continue;  // unnamed numbers from a newer kernel
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::toupper(c); });
    out.push_back(n);
  }
  return out;
}

json caps_json(const std::vector<std::string>& caps) {
  return {{"bounding", caps},
          {"effective", caps},
          {"permitted", caps},
          {"inheritable", json::array()},
          {"ambient", json::array()}};
}

Result<std::vector<std::string>> adjusted_caps(const ContainerDef& def) {
  auto caps = def.system ? all_capabilities() : default_capabilities();
  for (const auto& n : def.cap_add) {
    TRY_CTX(capability_from_name(n), def.source_path + ": cap_add");
    if (std::ranges::find(caps, n) == caps.end()) caps.push_back(n);
  }
  for (const auto& n : def.cap_drop) {
    TRY_CTX(capability_from_name(n), def.source_path + ": cap_drop");
    std::erase(caps, n);
  }
  return caps;
}

// Host namespaces except mount (pivot_root needs its own); no seccomp filter, no
// masked paths, writable /sys and cgroupfs: what a DHCP client or an admin shell needs.
void make_system(json& spec) {
  spec["linux"]["namespaces"] = json::array({{{"type", "mount"}}});
  spec["linux"].erase("seccomp");
  spec["linux"]["maskedPaths"] = json::array();
  spec["linux"]["readonlyPaths"] = json::array();
  spec.erase("hostname");  // the host's UTS namespace keeps the host's name
  spec["process"]["noNewPrivileges"] = false;
  for (auto& m : spec["mounts"]) {
    const json* dest = jsonu::member(m, "destination");
    if (!dest || (*dest != "/sys" && *dest != "/sys/fs/cgroup")) continue;
    std::erase(m["options"].get_ref<json::array_t&>(), json("ro"));
  }
}

// network = "host" for an application container: everything else stays confined.
void share_host_network(json& spec) {
  auto& ns = spec["linux"]["namespaces"].get_ref<json::array_t&>();
  std::erase_if(ns, [](const json& n) {
    const json* type = jsonu::member(n, "type");
    return type && *type == "network";
  });
}

Result<uint32_t> parse_id(std::string_view s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    return fail_msg("'" + std::string(s) + "' is not a uid/gid (0-4294967295)");
  return v;
}

json bind_json(const std::string& source, const std::string& target, bool readonly) {
  return {{"destination", target},
          {"type", "bind"},
          {"source", source},
          {"options", {"rbind", readonly ? "ro" : "rw", "nosuid", "nodev"}}};
}

// Docker's default profile opens the module syscalls to a container given
// CAP_SYS_MODULE (its "includes": {"caps": ["CAP_SYS_MODULE"]} rule); Keel does the
// same, so the capability means what it says and SELinux (container_t has no
// sys_module, selinux-policy/neverallow.cil) is what still refuses an application
// container.
void allow_module_syscalls(json& spec, const std::vector<std::string>& caps) {
  if (std::ranges::find(caps, "CAP_SYS_MODULE") == caps.end()) return;
  json* seccomp = spec["linux"].contains("seccomp") ? &spec["linux"]["seccomp"] : nullptr;
  if (!seccomp) return;
  (*seccomp)["syscalls"].push_back(
      {{"names", {"init_module", "finit_module", "delete_module"}}, {"action", "SCMP_ACT_ALLOW"}});
}

}  // namespace

std::string volume_dir(const std::string& root, const ContainerDef& def, const ContainerVolume& v) {
  return root + "/" + def.name + "/" + v.name;
}

Result<void> apply_definition(json& spec, const ContainerDef& def,
                              const std::string& volumes_root) {
  if (def.system)
    make_system(spec);
  else if (def.network == NetworkMode::host)
    share_host_network(spec);
  auto caps = TRY(adjusted_caps(def));
  allow_module_syscalls(spec, caps);
  spec["process"]["capabilities"] = caps_json(caps);
  if (!def.user.empty()) {
    auto colon = def.user.find(':');
    auto uid = TRY_CTX(parse_id(def.user.substr(0, colon)), def.source_path + ": user");
    auto gid = colon == std::string::npos
                   ? uid
                   : TRY_CTX(parse_id(def.user.substr(colon + 1)), def.source_path + ": user");
    spec["process"]["user"] = {{"uid", uid}, {"gid", gid}};
  }
  for (const auto& m : def.mounts)
    spec["mounts"].push_back(bind_json(m.source, m.target, m.readonly));
  for (const auto& v : def.volumes)
    spec["mounts"].push_back(bind_json(volume_dir(volumes_root, def, v), v.target, false));
  return {};
}

Result<std::string> with_notify_socket(const std::string& spec_json,
                                       const std::string& host_socket) {
  auto slash = host_socket.rfind('/');
  if (!host_socket.starts_with('/') || slash == 0 || slash + 1 == host_socket.size())
    return fail_msg("--notify-socket " + host_socket + ": must be an absolute path to a socket");
  json spec = TRY(jsonu::parse(spec_json, "config.json"));
  spec["mounts"].push_back({{"destination", kNotifyDir},
                            {"type", "bind"},
                            {"source", host_socket.substr(0, slash)},
                            {"options", {"rbind", "rw", "nosuid", "nodev", "noexec"}}});
  spec["process"]["env"].push_back("NOTIFY_SOCKET=" + std::string(kNotifyDir) +
                                   host_socket.substr(slash));
  return jsonu::dump(spec, 2);
}

Result<void> create_volumes(const ContainerDef& def, const std::string& volumes_root) {
  for (const auto& v : def.volumes)
    TRY_CTX(sys::mkdir_p(volume_dir(volumes_root, def, v), 0755),
            def.source_path + ": volume " + v.name);
  return {};
}

}  // namespace keel::runtime
