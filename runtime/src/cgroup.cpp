#include "cgroup.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <set>

#include "device_cgroup.hpp"
#include "entry_path.hpp"
#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"

namespace keel::runtime {
namespace {

// cgroup-v2.rst "Enabling and Disabling": a controller is usable in a group only
// when every ancestor lists it in cgroup.subtree_control.
Result<void> enable_controllers(const std::string& dir, const std::set<std::string>& wanted) {
  auto available = TRY(sys::read_file(dir + "/cgroup.controllers"));
  auto enabled = TRY(sys::read_file(dir + "/cgroup.subtree_control"));
  std::string want;
  for (const auto& c : wanted) {
    if (!cgroup_has_word(available, c))
      return fail_msg("the " + c + " controller is not available in " + dir +
                      " (needed by linux.resources)");
    if (!cgroup_has_word(enabled, c)) want += (want.empty() ? "+" : " +") + c;
  }
  if (want.empty()) return {};
  return with_context(sys::write_file(dir + "/cgroup.subtree_control", want),
                      "enabling " + want + " in " + dir);
}

// One plan entry; a missing file falls back to fallback_file (io.bfq.weight).
Result<void> write_v2(const std::string& dir, const CgroupWrite& w) {
  std::string file = w.file, value = w.value;
  if (!w.fallback_file.empty() && !sys::exists(dir + "/" + file)) {
    file = w.fallback_file;
    value = w.fallback_value;
  }
  return with_context(sys::write_file(dir + "/" + file, value),
                      "writing '" + value + "' to " + dir + "/" + file);
}

}  // namespace

bool cgroup_has_word(std::string_view list, std::string_view word) {
  size_t pos = 0;
  while (pos < list.size()) {
    size_t end = list.find_first_of(" \n", pos);
    if (end == std::string_view::npos) end = list.size();
    if (list.substr(pos, end - pos) == word) return true;
    pos = end + 1;
  }
  return false;
}

Result<void> cgroup_make_leaf(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return {};
  if (errno != EEXIST) return fail_errno("mkdir " + path);
  // A leftover from a runtime that was killed: reuse is unsafe (stale limits), so
  // remove it; rmdir fails with EBUSY if processes still live in it.
  if (::rmdir(path.c_str()) < 0)
    return fail_errno("rmdir stale cgroup " + path + " (is the container still running?)");
  if (::mkdir(path.c_str(), 0755) < 0) return fail_errno("mkdir " + path);
  return {};
}

void cgroup_warn_not_applied(const std::string& field, const std::string& why) {
  log::warn("keel-runtime", "cgroup: {} is not applied on this host ({})", field, why);
}

CgroupMode detect_cgroup_mode(const std::string& root) {
  struct statfs st;
  if (::statfs(root.c_str(), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    return CgroupMode::unified;
  return CgroupMode::hybrid_or_legacy;
}

Result<void> Cgroup::create_v2(const SpecLinux& l, const std::string& rel,
                               const std::string& root) {
  auto plan = TRY(plan_v2(l.resources));
  std::set<std::string> controllers;
  for (const auto& w : plan.writes)
    if (!w.controller.empty()) controllers.insert(w.controller);
  std::string dir = root;
  for (size_t pos = 0; pos != std::string::npos;) {
    TRY(enable_controllers(dir, controllers));
    size_t end = rel.find('/', pos);
    dir = root + "/" + rel.substr(0, end);
    pos = end == std::string::npos ? end : end + 1;
    if (pos != std::string::npos && ::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
      return fail_errno("mkdir " + dir);
  }
  TRY(cgroup_make_leaf(dir));
  m_path = dir;
  for (const auto& w : plan.writes) TRY(write_v2(dir, w));
  for (const auto& f : plan.not_applied) cgroup_warn_not_applied(f, "cgroup v1 only");
  m_fd = TRY(sys::open(dir, O_RDONLY | O_DIRECTORY));
  m_device_prog = TRY(attach_device_program(m_fd.get(), effective_device_rules(l.resources)));
  return {};
}

Result<Cgroup> Cgroup::create(const SpecLinux& l, const std::string& id, const std::string& root) {
  return create(l, id, root, {});
}

Result<Cgroup> Cgroup::create(const SpecLinux& l, const std::string& id, const std::string& root,
                              MkdirHook on_mkdir) {
  Cgroup cg;
  cg.m_on_mkdir = std::move(on_mkdir);
  for (const auto& f : l.resources.ignored)
    cgroup_warn_not_applied(f, "deprecated, no cgroup v2 equivalent");
  std::string rel = TRY(clean_entry_path(
      l.cgroups_path.empty() ? "keel/" + id
                             : l.cgroups_path.substr(l.cgroups_path.starts_with('/'))));
  if (rel.empty()) return fail_msg("linux.cgroupsPath must name a group below the root");
  if (detect_cgroup_mode(root) == CgroupMode::unified)
    TRY(cg.create_v2(l, rel, root));
  else
    TRY(cg.create_v1(l.resources, rel, root));
  cg.m_on_mkdir = nullptr;
  return cg;
}

namespace {

// Waits (at most `ms`) until cgroup.events says "populated 0": the kernel wakes
// POLLPRI readers of that file on every change (cgroup-v2.rst "cgroup.events").
bool wait_unpopulated(const std::string& path, int ms) {
  auto fd = sys::open(path + "/cgroup.events", O_RDONLY | O_CLOEXEC);
  if (!fd) return false;
  for (int waited = 0;; waited += 50) {
    char buf[256];
    ssize_t n = ::pread(fd->get(), buf, sizeof buf - 1, 0);
    if (n > 0 &&
        std::string_view(buf, static_cast<size_t>(n)).find("populated 0") != std::string_view::npos)
      return true;
    if (waited >= ms) return false;
    pollfd p{fd->get(), POLLPRI, 0};
    ::poll(&p, 1, 50);
  }
}

}  // namespace

// The container's PID 1 has exited. In its own PID namespace that killed every other
// process in it; a container sharing the host's PID namespace (a system container)
// can leave children behind, and rmdir fails with EBUSY. Those are killed with
// cgroup.kill (Linux 5.14), as runc does for containers without a PID namespace.
Result<void> Cgroup::remove() {
  if (m_device_prog) (void)detach_device_program(m_fd.get(), m_device_prog.get());
  m_device_prog.reset();
  m_fd.reset();
  Result<void> out;
  for (auto& p : std::exchange(m_v1_paths, {})) {
    // The kernel takes the exited init out of a v1 group a moment after waitid
    // returns, and v1 has no cgroup.events to wait on: retry EBUSY every 0.5 ms, 1 s.
    int r;
    for (int i = 0; (r = ::rmdir(p.c_str())) < 0 && errno == EBUSY && i < 2000; ++i) ::usleep(500);
    if (r < 0 && errno != ENOENT && out) out = fail_errno("rmdir " + p);
  }
  if (m_path.empty()) return out;
  std::string p = std::exchange(m_path, {});
  if (::rmdir(p.c_str()) == 0 || errno == ENOENT) return out;
  if (errno != EBUSY) return fail_errno("rmdir " + p);
  TRY_CTX(sys::write_file(p + "/cgroup.kill", "1"), "killing what is left in " + p);
  if (!wait_unpopulated(p, 2000)) return fail_msg(p + ": processes left after cgroup.kill");
  if (::rmdir(p.c_str()) < 0 && errno != ENOENT) return fail_errno("rmdir " + p);
  return out;
}

Result<Cgroup> Cgroup::borrow(const std::string& v2_path, std::vector<std::string> v1_paths) {
  Cgroup g;
  g.m_borrowed = true;
  if (!v2_path.empty()) {
    g.m_fd = TRY(sys::open(v2_path, O_RDONLY | O_DIRECTORY));
    g.m_path = v2_path;
  }
  g.m_v1_paths = std::move(v1_paths);
  return g;
}

Cgroup Cgroup::adopt(std::string v2_path, std::vector<std::string> v1_paths) {
  Cgroup g;
  g.m_path = std::move(v2_path);
  g.m_v1_paths = std::move(v1_paths);
  return g;
}

Cgroup::~Cgroup() {
  if (!m_borrowed) (void)remove();
}

}  // namespace keel::runtime
