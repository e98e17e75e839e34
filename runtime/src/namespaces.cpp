// Namespaces of the container (runtime-spec "config-linux.md#namespaces"): new ones
// come from clone3 flags, existing ones are opened here by the parent, checked with
// NS_GET_NSTYPE (ioctl_ns(2)) and joined by the child with setns(2).
#include "namespaces.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "keel/common/sys.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace keel::runtime {
namespace {

struct NsType {
  const char* type;
  int flag;
};

// The order the child joins them in: user first, so that it holds capabilities over
// the namespaces owned by that user namespace; mount last, as runc does, so the
// paths of the others are still resolved in the runtime's mount namespace.
constexpr NsType kTypes[] = {{"user", CLONE_NEWUSER},   {"pid", CLONE_NEWPID},
                             {"ipc", CLONE_NEWIPC},     {"uts", CLONE_NEWUTS},
                             {"network", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP},
                             {"time", CLONE_NEWTIME},   {"mount", CLONE_NEWNS}};

Result<UniqueFd> open_namespace(const SpecNamespace& n, int flag) {
  std::string what = n.type + " namespace " + n.path;
  auto fd = TRY_CTX(sys::open(n.path, O_RDONLY | O_CLOEXEC), "linux.namespaces: " + what);
  int actual = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (actual < 0)
    return fail(Error::from_errno("linux.namespaces: " + what + ": not a namespace file"));
  if (actual != flag)
    return fail_msg("linux.namespaces: " + what + ": the file is a different namespace type");
  return fd;
}

std::string map_text(const std::vector<SpecIdMapping>& ms) {
  std::string out;
  for (const auto& m : ms)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
           std::to_string(m.size) + "\n";
  return out;
}

// Combinations keel-runtime does not set up, refused with the reason.
Result<void> check_plan(const NamespacePlan& p, bool joins_user) {
  // pivot_root must not change the host's root, nor that of a joined mount namespace.
  if (!(p.clone_flags & CLONE_NEWNS) && !(p.unshare_flags & CLONE_NEWNS)) {
    for (const auto& j : p.joins)
      if (j.nstype == CLONE_NEWNS)
        return fail_msg("linux.namespaces: joining mount namespace " + j.path +
                        " is not supported: keel-runtime sets up the rootfs in a new one");
    return fail_msg("linux.namespaces: a mount namespace is required");
  }
  // unshare(2) of pid and time namespaces affects only later children, and the
  // container's process is this child itself.
  if (joins_user && (p.clone_flags & (CLONE_NEWPID | CLONE_NEWTIME)))
    return fail_msg(
        "linux.namespaces: a new pid or time namespace together with joining a user namespace "
        "is not supported");
  return {};
}

}  // namespace

int namespace_flag(const std::string& type) {
  for (const auto& t : kTypes)
    if (type == t.type) return t.flag;
  return 0;
}

std::vector<std::string> namespace_types() {
  std::vector<std::string> out;
  for (const auto& t : kTypes) out.emplace_back(t.type);
  return out;
}

Result<NamespacePlan> plan_namespaces(const SpecLinux& l) {
  NamespacePlan p;
  bool joins_user = false;
  for (const auto& n : l.namespaces)
    if (n.type == "user" && !n.path.empty()) joins_user = true;
  for (const auto& t : kTypes) {
    for (const auto& n : l.namespaces) {
      if (n.type != t.type) continue;
      if (n.path.empty()) {
        p.clone_flags |= static_cast<uint64_t>(t.flag);
        continue;
      }
      auto fd = TRY(open_namespace(n, t.flag));
      if (t.flag == CLONE_NEWPID)
        p.pid_join = std::move(fd);
      else
        p.joins.push_back({n.type, n.path, t.flag, std::move(fd), n.type + " namespace " + n.path});
    }
  }
  for (const auto& n : l.namespaces)
    if (!namespace_flag(n.type))
      return fail_msg("linux.namespaces: type '" + n.type + "' is not supported");
  TRY(check_plan(p, joins_user));
  if (joins_user) {
    // Namespaces created before setns(user) would belong to the runtime's user
    // namespace, where the container has no capabilities: create them after it.
    p.unshare_flags = p.clone_flags;
    p.clone_flags = 0;
  }
  p.new_user = (p.clone_flags & CLONE_NEWUSER) != 0;
  if (p.new_user) {
    p.uid_map = map_text(l.uid_mappings);
    p.gid_map = map_text(l.gid_mappings);
    p.sync = TRY(sys::pipe(O_CLOEXEC));
  }
  return p;
}

void plan_child_namespaces(const NamespacePlan& ns, ChildPlan& plan) {
  for (const auto& j : ns.joins) plan.ns.joins.push_back({j.fd.get(), j.nstype, j.what.c_str()});
  plan.ns.unshare_flags = static_cast<int>(ns.unshare_flags);
  plan.ns.sync_fd = ns.new_user ? ns.sync.read.get() : -1;
  bool joins_user = !ns.joins.empty() && ns.joins.front().nstype == CLONE_NEWUSER;
  plan.ns.become_root = ns.new_user || joins_user;
}

Result<PidNamespaceForClone> PidNamespaceForClone::enter(const NamespacePlan& ns) {
  PidNamespaceForClone g;
  if (!ns.pid_join) return g;
  g.m_own = TRY(sys::open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
  if (::setns(ns.pid_join.get(), CLONE_NEWPID) < 0) {
    g.m_own.reset();
    return fail_errno("linux.namespaces: setns pid namespace");
  }
  return g;
}

PidNamespaceForClone::~PidNamespaceForClone() {
  // Our own pid namespace is an ancestor of the joined one, so this cannot fail
  // for lack of privilege (setns(2) CLONE_NEWPID).
  if (m_own) (void)::setns(m_own.get(), CLONE_NEWPID);
}

Result<void> release_child(pid_t pid, NamespacePlan& ns) {
  if (!ns.new_user) return {};
  ns.sync.read.reset();
  std::string proc = "/proc/" + std::to_string(pid);
  TRY_CTX(sys::write_file(proc + "/uid_map", ns.uid_map), "linux.uidMappings");
  // Without CAP_SETGID over the parent namespace, gid_map may only be written after
  // setgroups is denied (user_namespaces(7) "Interaction with system calls changing
  // process GIDs"). Root keeps setgroups usable for process.user.additionalGids.
  if (::geteuid() != 0) TRY(sys::write_file(proc + "/setgroups", "deny"));
  TRY_CTX(sys::write_file(proc + "/gid_map", ns.gid_map), "linux.gidMappings");
  TRY_CTX(sys::write_all(ns.sync.write.get(), "1"), "releasing the container process");
  ns.sync.write.reset();
  return {};
}

ChildErr child_enter_namespaces(const ChildPlan& plan) {
  const ChildNamespaces& ns = plan.ns;
  if (ns.sync_fd >= 0) {
    char c;
    ssize_t n;
    while ((n = ::read(ns.sync_fd, &c, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1) {
      errno = n == 0 ? ECANCELED : errno;
      return child_err("wait for the user namespace id maps", "");
    }
    ::close(ns.sync_fd);
  }
  for (const auto& j : ns.joins)
    if (::setns(j.fd, j.nstype) < 0) return child_err("setns", j.what);
  // In a new or joined user namespace this process keeps its host ids, which are
  // unmapped there: become the namespace's root so files it creates have an owner.
  if (ns.become_root && (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0))
    return child_err("become root of the user namespace (is container id 0 mapped?)", "");
  if (ns.unshare_flags && ::unshare(ns.unshare_flags) < 0) return child_err("unshare", "");
  return {};
}

}  // namespace keel::runtime
