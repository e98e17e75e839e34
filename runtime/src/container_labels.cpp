#include "container_labels.hpp"

#include <ftw.h>
#include <selinux/selinux.h>

#include <charconv>

#include "json_util.hpp"

namespace keel::runtime {

namespace {

// One category number "cN", 0..1023 (selinux-policy/categories.cil).
bool parse_category(std::string_view s, int& out) {
  if (s.size() < 2 || s[0] != 'c') return false;
  auto [p, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= 0 && out <= 1023;
}

Result<void> check_level(const std::string& level) {
  auto bad = [&] {
    return fail_msg("--mcs '" + level + "': want s0:cX,cY with 0 <= X < Y <= 1023 (keel-init " +
                    "allocates one per container)");
  };
  std::string_view v = level;
  if (!v.starts_with("s0:")) return bad();
  v.remove_prefix(3);
  auto comma = v.find(',');
  int x = -1, y = -1;
  if (comma == std::string_view::npos || !parse_category(v.substr(0, comma), x) ||
      !parse_category(v.substr(comma + 1), y) || x >= y)
    return bad();
  return {};
}

thread_local const char* t_label = nullptr;  // nftw has no user pointer

int relabel_one(const char* path, const struct stat*, int, struct FTW*) {
  return ::lsetfilecon(path, t_label) < 0 ? -1 : 0;
}

}  // namespace

Result<ContainerLabels> container_labels(const ContainerDef& def, const std::string& mcs_level) {
  // A system container's files carry every category: no application container
  // dominates them, so its volumes stay out of their reach even if mounted in.
  if (def.system)
    return ContainerLabels{"system_u:system_r:spc_t:s0-s0:c0.c1023",
                           "system_u:object_r:container_file_t:s0:c0.c1023"};
  if (mcs_level.empty())
    return fail_msg(
        "SELinux is enforcing here: an application container needs its category "
        "pair (--mcs s0:cX,cY; keel-init passes a unique one)");
  TRY(check_level(mcs_level));
  return ContainerLabels{"system_u:system_r:container_t:" + mcs_level,
                         "system_u:object_r:container_file_t:" + mcs_level};
}

Result<std::string> with_selinux_labels(const std::string& spec_json, const ContainerLabels& l) {
  auto spec = TRY(jsonu::parse(spec_json, "config.json"));
  spec["process"]["selinuxLabel"] = l.process;
  spec["linux"]["mountLabel"] = l.mount;
  return jsonu::dump(spec, 2);
}

Result<void> relabel_tree(const std::string& dir, const std::string& label) {
  t_label = label.c_str();
  // FTW_PHYS: a symlink in a volume is relabelled itself, never followed out of it.
  if (::nftw(dir.c_str(), relabel_one, 16, FTW_PHYS | FTW_MOUNT) < 0)
    return fail_errno("relabelling " + dir + " to " + label);
  return {};
}

}  // namespace keel::runtime
