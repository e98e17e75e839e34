// Mount propagation for the container (see propagation.hpp).
#include "propagation.hpp"

#include <sys/mount.h>

#include <fstream>
#include <sstream>

#include "spec_isolation.hpp"

namespace keel::runtime {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo (proc(5)).
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      auto oct = s.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>((oct[0] - '0') * 64 + (oct[1] - '0') * 8 + (oct[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool under(const std::string& path, const std::string& mp) {
  if (mp == "/") return true;
  return path == mp || (path.starts_with(mp) && path[mp.size()] == '/');
}

}  // namespace

Result<std::string> mount_point_of(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  if (!in) return fail_errno("open /proc/self/mountinfo");
  std::string line, best;
  while (std::getline(in, line)) {
    // "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw"
    std::istringstream fields(line);
    std::string id, parent, dev, root, mp;
    if (!(fields >> id >> parent >> dev >> root >> mp)) continue;
    mp = unescape(mp);
    if (under(path, mp) && mp.size() >= best.size()) best = mp;
  }
  if (best.empty()) return fail_msg("no mount in /proc/self/mountinfo holds " + path);
  return best;
}

Result<void> plan_rootfs_propagation(const std::string& name, ChildPlan& plan) {
  plan.rootfs_propagation = name.empty() ? 0 : propagation_flags(name);
  if (plan.rootfs_propagation & MS_SHARED) {
    // The rootfs is bound onto itself next; that mount's parent is the one holding it.
    plan.rootfs_parent_mount = TRY_CTX(mount_point_of(plan.rootfs), "linux.rootfsPropagation");
  }
  return {};
}

ChildErr child_root_propagation(const ChildPlan& plan) {
  unsigned long flags = plan.rootfs_propagation ? plan.rootfs_propagation : MS_SLAVE | MS_REC;
  if (::mount(nullptr, "/", nullptr, flags, nullptr) < 0)
    return child_err("set the propagation of /", "");
  // pivot_root(2): the parent mount of new_root must not be shared.
  if (!plan.rootfs_parent_mount.empty() &&
      ::mount(nullptr, plan.rootfs_parent_mount.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
    return child_err("make the rootfs's parent mount private", plan.rootfs_parent_mount.c_str());
  return {};
}

ChildErr child_final_root_propagation(const ChildPlan& plan) {
  // Applied to the container's own "/" only now: applied earlier, a shared flag
  // would have carried every setup mount to the host.
  unsigned long p = plan.rootfs_propagation;
  if (p == 0 || (p & MS_PRIVATE)) return {};
  if (::mount(nullptr, "/", nullptr, p, nullptr) < 0)
    return child_err("set rootfsPropagation on /", "");
  return {};
}

ChildErr child_mount_propagation(const ChildMount& m, const char* path) {
  for (unsigned long p : m.propagation)
    if (::mount(nullptr, path, nullptr, p, nullptr) < 0)
      return child_err("set mount propagation", m.target.c_str());
  return {};
}

}  // namespace keel::runtime
