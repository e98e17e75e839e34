// What the cloned child does between clone3() and execve(). Everything it needs is
// prepared by the parent in a ChildPlan, so the child only makes syscalls: no
// allocation, no exceptions, no locks (the child of clone3 is like a child of fork).
#pragma once

#include <linux/filter.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keel/runtime/spec.hpp"

struct _cap_struct;  // libcap's cap_t points to one (sys/capability.h)

namespace keel::runtime {

struct ChildMount {
  std::string target;  // relative to the rootfs, no leading '/'
  std::string source, type, data;
  unsigned long flags = 0;  // without MS_RDONLY for binds: applied by a remount
  bool bind = false, readonly = false;
  bool file_target = false;                // bind of a non-directory: the mount point is a file
  std::vector<unsigned long> propagation;  // "rslave", "shared", ...: applied after mounting
};

// Capabilities, prepared by plan_capabilities (capabilities.cpp).
struct ChildCaps {
  struct CapFree {
    void operator()(::_cap_struct* c) const;
  };
  using CapPtr = std::unique_ptr<::_cap_struct, CapFree>;
  std::vector<int> drop_bounding;  // bounding-set entries to drop
  std::vector<std::string> drop_names;
  CapPtr state;  // effective, permitted, inheritable for cap_set_proc
  std::vector<int> ambient;
  std::vector<std::string> ambient_names;
};

// A compiled seccomp filter (seccomp.cpp): the child only calls seccomp(2).
struct ChildSeccomp {
  std::vector<sock_filter> program;
  unsigned flags = 0;  // SECCOMP_FILTER_FLAG_*
};

struct ChildRlimit {
  int resource;
  rlimit limit;
  std::string name;
};

struct ChildSysctl {
  std::string path, value;  // "/proc/sys/net/ipv4/ip_forward", "1"
};

// A hook run by the child itself (startContainer: in the container, after start).
struct ChildHook {
  std::string path;
  std::vector<std::string> args_store, env_store;
  std::vector<char*> argv, envp;  // null-terminated, pointing into *_store
  int timeout = 0;                // seconds; 0: none
};

// What `create` adds to a plain run (runtime-spec "runtime.md" create/start).
struct ChildLifecycle {
  // false for detached containers: SIGKILL-on-parent-death is cleared once set up,
  // so they outlive `create`.
  bool pdeathsig = true;
  int exec_fifo_fd = -1;  // O_PATH fd of <state>/exec.fifo; -1: exec at once
  int state_fd = -1;      // memfd with the state JSON, stdin of startContainer hooks
  std::vector<ChildHook> start_hooks;
  bool no_pivot = false;  // MS_MOVE + chroot instead of pivot_root
  int preserve_fds = 0;   // fds 3..3+N-1 stay open across execve
  // Read end of a pipe: after preparing the rootfs the child reports kChildHooks and
  // waits for one byte here while the runtime runs the createRuntime and
  // createContainer hooks (before pivot_root, config.md#posix-platform-hooks). -1: none.
  int hooks_go_fd = -1;
  int console_socket_fd = -1;  // connected --console-socket: the pty master goes there
};

// The report value meaning "set up, waiting on exec.fifo" (create succeeded).
constexpr int kChildReady = -1;
// The report value meaning "rootfs prepared, waiting for the pre-pivot hooks".
constexpr int kChildHooks = -2;

// A namespace the child joins with setns(2) (namespaces.cpp).
struct ChildJoin {
  int fd;
  int nstype;
  const char* what;  // "network namespace /run/netns/x"
};

struct ChildNamespaces {
  std::vector<ChildJoin> joins;  // user first
  int unshare_flags = 0;         // created after joining a user namespace
  int sync_fd = -1;              // >= 0: wait for the id maps (EOF: the parent gave up)
  bool become_root = false;      // setresuid/setresgid(0) in the new or joined user ns
};

// `exec`: the new process joins a running container instead of making one.
struct ChildExec {
  int init_pidfd = -1;  // the container's init; -1: not an exec
  int ns_flags = 0;     // CLONE_NEW* to setns(2) into through the pidfd (not pid)
};

struct ChildPlan {
  ChildNamespaces ns;
  ChildExec exec;
  std::string rootfs;  // absolute
  bool root_readonly = false;
  unsigned long rootfs_propagation = 0;  // MS_* of linux.rootfsPropagation; 0: rslave
  std::string rootfs_parent_mount;       // shared rootfsPropagation: made private first
  std::string exec_label;                // SELinux process label; empty: inherited
  std::vector<ChildMount> mounts;
  std::vector<std::string> masked_paths, readonly_paths;
  std::string hostname;  // empty: leave the UTS namespace's name alone
  std::string cwd;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  mode_t umask = 022;
  std::optional<ChildCaps> caps;
  bool no_new_privs = false;
  std::vector<ChildRlimit> rlimits;
  std::string oom_score_adj;  // empty: inherited
  std::vector<ChildSysctl> sysctls;
  std::optional<ChildSeccomp> seccomp;
  std::vector<char*> argv, envp;  // null-terminated, pointing into the Spec
  sigset_t sigmask;               // restored just before execve
  int err_fd = -1;                // CLOEXEC pipe: EOF means execve succeeded
  bool loopback_up = false;       // a new network namespace: bring "lo" up (spawn sets it)
  ChildLifecycle lifecycle;       // create/start split, hooks, fds (lifecycle.cpp)
  // v1 cgroups (hybrid hosts): the parent adds the child to them by pid and then
  // writes one byte here; the child sets up its rootfs meanwhile and waits for it
  // before it drops privileges and execs. -1: no wait.
  int cgroup_join_fd = -1;
};

// A failed step in the child: the syscall, its object and errno.
struct ChildErr {
  const char* call = nullptr;
  const char* object = "";
  int err = 0;
  explicit operator bool() const { return call != nullptr; }
};
ChildErr child_err(const char* call, const char* object);  // takes errno

// What the child writes to err_fd on failure.
struct ChildReport {
  int err;
  char message[512];
};

// The mount(8) option names plan_mounts turns into flags (for `features`); any
// other option is passed to the filesystem as data.
std::vector<std::string> known_mount_options();

// Turns spec mounts into ChildMounts (option strings -> MS_* flags + data).
Result<std::vector<ChildMount>> plan_mounts(const std::vector<SpecMount>& mounts);

// Child side, in the new mount namespace (mounts.cpp, devices.cpp).
ChildErr child_prepare_rootfs(const ChildPlan& plan);
ChildErr child_make_devices(int rootfd);
ChildErr child_pivot_root(const ChildPlan& plan);
ChildErr child_finish_mounts(const ChildPlan& plan);
ChildErr child_chroot_no_pivot(const ChildPlan& plan);  // lifecycle_child.cpp

// Between setup and execve for created containers (lifecycle_child.cpp): reports
// kChildReady, blocks on the exec fifo, runs startContainer hooks, unmarks
// preserved fds as close-on-exec.
ChildErr child_wait_for_start(const ChildPlan& plan);
// With hooks_go_fd: reports kChildHooks and waits for the runtime's go byte.
ChildErr child_wait_for_hooks(const ChildPlan& plan);

// Writes the error to plan.err_fd and exits 127.
[[noreturn]] void report_and_exit(const ChildPlan& plan, const ChildErr& e);
// In the container's root, last: hostname, rlimits, identity, capabilities,
// no_new_privs and seccomp (child.cpp).
ChildErr child_set_process(const ChildPlan& plan);
// With cgroup_join_fd: waits until the parent has added this process to its v1 groups.
ChildErr child_wait_for_cgroup_join(const ChildPlan& plan);

// Never returns: execs the process or reports over err_fd and exits 127.
[[noreturn]] void child_main(const ChildPlan& plan);

}  // namespace keel::runtime
