// linux.namespaces, linux.uidMappings/gidMappings, linux.rootfsPropagation and
// linux.mountLabel (runtime-spec "config-linux.md").
#include "spec_isolation.hpp"

#include <sys/mount.h>

#include <array>
#include <string>

namespace keel::runtime {
namespace {

using jsonu::json;

constexpr std::array<std::string_view, 8> kNamespaceTypes = {"pid", "network", "mount",  "ipc",
                                                             "uts", "user",    "cgroup", "time"};

bool has_type(const std::vector<SpecNamespace>& ns, std::string_view type) {
  for (const auto& n : ns)
    if (n.type == type) return true;
  return false;
}

Result<std::vector<SpecNamespace>> parse_namespaces(const json& lx) {
  std::vector<SpecNamespace> out;
  const json* ns = TRY(jsonu::get_array(lx, "namespaces", "linux.namespaces"));
  if (!ns) return out;
  for (size_t i = 0; i < ns->size(); ++i) {
    std::string name = "linux.namespaces[" + std::to_string(i) + "]";
    SpecNamespace s;
    s.type = TRY(jsonu::get_string((*ns)[i], "type", name + ".type")).value_or("");
    s.path = TRY(jsonu::get_string((*ns)[i], "path", name + ".path")).value_or("");
    bool known = false;
    for (auto t : kNamespaceTypes) known = known || t == s.type;
    if (!known) return fail_msg(name + ".type: '" + s.type + "' is not a namespace type");
    // "If a namespace type is specified more than once, the runtime MUST error".
    if (has_type(out, s.type)) return fail_msg(name + ".type: " + s.type + " is listed twice");
    if (!s.path.empty() && !s.path.starts_with('/'))
      return fail_msg(name + ".path: must be an absolute path");
    out.push_back(std::move(s));
  }
  return out;
}

Result<uint32_t> get_id(const json& m, std::string_view key, const std::string& name) {
  auto v = TRY(jsonu::get_int(m, key, name));
  if (!v) return fail_msg(name + ": is required");
  if (*v < 0 || *v > UINT32_MAX) return fail_msg(name + ": must be 0 to 4294967295");
  return static_cast<uint32_t>(*v);
}

Result<std::vector<SpecIdMapping>> parse_mappings(const json& lx, std::string_view key) {
  std::vector<SpecIdMapping> out;
  std::string field = "linux." + std::string(key);
  const json* ms = TRY(jsonu::get_array(lx, key, field));
  if (!ms) return out;
  // user_namespaces(7): a map file holds at most 340 lines.
  if (ms->size() > 340) return fail_msg(field + ": at most 340 mappings");
  for (size_t i = 0; i < ms->size(); ++i) {
    std::string name = field + "[" + std::to_string(i) + "]";
    if (!(*ms)[i].is_object()) return fail_msg(name + ": must be an object");
    SpecIdMapping m;
    m.container_id = TRY(get_id((*ms)[i], "containerID", name + ".containerID"));
    m.host_id = TRY(get_id((*ms)[i], "hostID", name + ".hostID"));
    m.size = TRY(get_id((*ms)[i], "size", name + ".size"));
    if (m.size == 0) return fail_msg(name + ".size: must be > 0");
    if (uint64_t{m.container_id} + m.size > UINT32_MAX || uint64_t{m.host_id} + m.size > UINT32_MAX)
      return fail_msg(name + ": range overflows 32-bit ids");
    out.push_back(m);
  }
  return out;
}

// The mappings belong to a new user namespace: without one they would be ignored,
// and a new one without them has no ids at all (config-linux.md#user-namespace-mappings).
Result<void> check_user_namespace(const SpecLinux& l) {
  const SpecNamespace* user = nullptr;
  for (const auto& n : l.namespaces)
    if (n.type == "user") user = &n;
  bool mapped = !l.uid_mappings.empty() || !l.gid_mappings.empty();
  if (!user && mapped)
    return fail_msg("linux.uidMappings: set, but linux.namespaces has no user namespace");
  if (user && !user->path.empty() && mapped)
    return fail_msg("linux.uidMappings: must be empty when joining user namespace " + user->path);
  if (user && user->path.empty()) {
    if (l.uid_mappings.empty()) return fail_msg("linux.uidMappings: a new user namespace needs it");
    if (l.gid_mappings.empty()) return fail_msg("linux.gidMappings: a new user namespace needs it");
  }
  return {};
}

}  // namespace

namespace {

struct Propagation {
  std::string_view name;
  unsigned long flags;
};
constexpr Propagation kProps[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC}};

}  // namespace

unsigned long propagation_flags(std::string_view name) {
  for (const auto& p : kProps)
    if (p.name == name) return p.flags;
  return 0;
}

std::vector<std::string> propagation_names() {
  std::vector<std::string> out;
  for (const auto& p : kProps) out.emplace_back(p.name);
  return out;
}

Result<void> parse_isolation(const json& lx, SpecLinux& l) {
  l.namespaces = TRY(parse_namespaces(lx));
  l.uid_mappings = TRY(parse_mappings(lx, "uidMappings"));
  l.gid_mappings = TRY(parse_mappings(lx, "gidMappings"));
  TRY(check_user_namespace(l));
  // A new time namespace's offsets must be written before any process enters it;
  // clone3 puts the container in at once, so there is no point to write them.
  if (jsonu::member(lx, "timeOffsets"))
    return fail_msg("linux.timeOffsets: not supported by keel-runtime");
  l.rootfs_propagation =
      TRY(jsonu::get_string(lx, "rootfsPropagation", "linux.rootfsPropagation")).value_or("");
  if (!l.rootfs_propagation.empty() && propagation_flags(l.rootfs_propagation) == 0)
    return fail_msg("linux.rootfsPropagation: '" + l.rootfs_propagation +
                    "' is not one of private, rprivate, shared, rshared, slave, rslave, "
                    "unbindable, runbindable");
  l.mount_label = TRY(jsonu::get_string(lx, "mountLabel", "linux.mountLabel")).value_or("");
  return {};
}

}  // namespace keel::runtime
