// The container's namespaces (runtime-spec "config-linux.md#namespaces" and
// "#user-namespace-mappings"): which ones clone3 creates, which existing ones the
// child joins by path, and the user namespace's id maps.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "child.hpp"
#include "keel/common/sys.hpp"
#include "keel/common/unique_fd.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

// An existing namespace, opened and checked by the parent, joined by the child.
struct NamespaceJoin {
  std::string type, path;
  int nstype = 0;  // CLONE_NEW*
  UniqueFd fd;
  std::string what;  // "network namespace /run/netns/x", for the child's errors
};

struct NamespacePlan {
  uint64_t clone_flags = 0;          // new namespaces that clone3 creates
  uint64_t unshare_flags = 0;        // new namespaces the child creates after joining a user ns
  std::vector<NamespaceJoin> joins;  // in the order the child joins them
  UniqueFd pid_join;                 // a pid namespace to start the child in
  bool new_user = false;
  std::string uid_map, gid_map;  // /proc/<pid>/{uid,gid}_map contents
  sys::Pipe sync;                // new user ns: the child waits on it for the maps
};

// CLONE_NEW* for a linux.namespaces type ("network"), or 0.
int namespace_flag(const std::string& type);

// The linux.namespaces types keel-runtime sets up, for `features`.
std::vector<std::string> namespace_types();

// Opens and verifies every namespace path; refuses combinations keel-runtime cannot
// set up. Errors name the namespace type and path.
Result<NamespacePlan> plan_namespaces(const SpecLinux& l);

// Points the ChildPlan at the namespace fds (which must outlive the child's setup).
void plan_child_namespaces(const NamespacePlan& ns, ChildPlan& plan);

// While alive, children of this process start in `ns.pid_join` (setns(2) on a pid
// namespace changes only pid_for_children); the destructor restores our own.
class PidNamespaceForClone {
 public:
  static Result<PidNamespaceForClone> enter(const NamespacePlan& ns);
  PidNamespaceForClone(PidNamespaceForClone&&) = default;
  ~PidNamespaceForClone();

 private:
  PidNamespaceForClone() = default;
  UniqueFd m_own;
};

// Parent side, right after clone3: with a new user namespace, writes the id maps of
// `pid` and lets the child go on. On error the caller kills the child.
Result<void> release_child(pid_t pid, NamespacePlan& ns);

// Child side: waits for the parent's id maps (if any), joins the namespaces by path
// (user first) and creates the ones that had to wait for a joined user namespace.
ChildErr child_enter_namespaces(const ChildPlan& plan);

}  // namespace keel::runtime
