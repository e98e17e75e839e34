#include "cgroup.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "layer.hpp"

namespace keel::runtime {
namespace {

constexpr const char* kControllers[] = {"memory", "pids"};

bool has_word(std::string_view list, std::string_view word) {
  size_t pos = 0;
  while (pos < list.size()) {
    size_t end = list.find_first_of(" \n", pos);
    if (end == std::string_view::npos) end = list.size();
    if (list.substr(pos, end - pos) == word) return true;
    pos = end + 1;
  }
  return false;
}

// cgroup-v2.rst "Enabling and Disabling": a controller is usable in a group only
// when every ancestor lists it in cgroup.subtree_control.
Result<void> enable_controllers(const std::string& dir) {
  auto available = TRY(sys::read_file(dir + "/cgroup.controllers"));
  auto enabled = TRY(sys::read_file(dir + "/cgroup.subtree_control"));
  std::string want;
  for (const char* c : kControllers)
    if (has_word(available, c) && !has_word(enabled, c))
      want += std::string(want.empty() ? "+" : " +") + c;
  if (want.empty()) return {};
  return with_context(sys::write_file(dir + "/cgroup.subtree_control", want),
                      "enabling " + want + " in " + dir);
}

Result<void> make_leaf(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return {};
  if (errno != EEXIST) return fail_errno("mkdir " + path);
  // A leftover from a runtime that was killed: reuse is unsafe (stale limits), so
  // remove it; rmdir fails with EBUSY if processes still live in it.
  if (::rmdir(path.c_str()) < 0)
    return fail_errno("rmdir stale cgroup " + path + " (is the container still running?)");
  if (::mkdir(path.c_str(), 0755) < 0) return fail_errno("mkdir " + path);
  return {};
}

Result<void> write_limit(const std::string& path, const char* file, const char* controller,
                         int64_t value) {
  auto controllers = TRY(sys::read_file(path + "/cgroup.controllers"));
  if (!has_word(controllers, controller))
    return fail_msg(std::string("the ") + controller + " controller is not available in " + path);
  std::string v = value < 0 ? "max" : std::to_string(value);  // -1 means unlimited
  return with_context(sys::write_file(path + "/" + file, v), std::string("setting ") + file);
}

}  // namespace

CgroupMode detect_cgroup_mode(const std::string& root) {
  struct statfs st;
  if (::statfs(root.c_str(), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    return CgroupMode::unified;
  return CgroupMode::hybrid_or_legacy;
}

Result<Cgroup> Cgroup::create(const SpecLinux& l, const std::string& id, const std::string& root) {
  Cgroup cg;
  if (detect_cgroup_mode(root) != CgroupMode::unified) {
    static bool warned = false;
    if (!warned)
      log::warn("keel-runtime",
                "cgroup v2 is not the unified hierarchy on this host (hybrid mode): memory and "
                "pids limits are not applied");
    warned = true;
    return cg;
  }
  std::string rel = TRY(clean_entry_path(
      l.cgroups_path.empty() ? "keel/" + id
                             : l.cgroups_path.substr(l.cgroups_path.starts_with('/'))));
  if (rel.empty()) return fail_msg("linux.cgroupsPath must name a group below the root");
  std::string dir = root;
  for (size_t pos = 0; pos != std::string::npos;) {
    TRY(enable_controllers(dir));
    size_t end = rel.find('/', pos);
    dir = root + "/" + rel.substr(0, end);
    pos = end == std::string::npos ? end : end + 1;
    if (pos != std::string::npos && ::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
      return fail_errno("mkdir " + dir);
  }
  TRY(make_leaf(dir));
  cg.m_path = dir;
  if (l.resources.memory.limit)
    TRY(write_limit(dir, "memory.max", "memory", *l.resources.memory.limit));
  if (l.resources.pids_limit) TRY(write_limit(dir, "pids.max", "pids", *l.resources.pids_limit));
  cg.m_fd = TRY(sys::open(dir, O_RDONLY | O_DIRECTORY));
  return cg;
}

Result<void> Cgroup::remove() {
  m_fd.reset();
  if (m_path.empty()) return {};
  std::string p = std::exchange(m_path, {});
  if (::rmdir(p.c_str()) < 0 && errno != ENOENT) return fail_errno("rmdir " + p);
  return {};
}

Cgroup::~Cgroup() {
  (void)remove();
}

}  // namespace keel::runtime
