// The cloned child: from clone3() to execve(). Runs in the new namespaces; reports
// the first failure to the parent over a CLOEXEC pipe (the pattern crun and runc
// use for their "sync pipe").
#include "child.hpp"

#include <grp.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>

#include "capabilities.hpp"
#include "console.hpp"
#include "loopback.hpp"
#include "namespaces.hpp"
#include "process_attrs.hpp"
#include "seccomp.hpp"
#include "selinux_label.hpp"
#include "trace.hpp"

namespace keel::runtime {

[[noreturn]] void report_and_exit(const ChildPlan& plan, const ChildErr& e) {
  ChildReport r;
  std::memset(&r, 0, sizeof r);
  r.err = e.err;
  if (e.object && *e.object)
    std::snprintf(r.message, sizeof r.message, "%s %s", e.call, e.object);
  else
    std::snprintf(r.message, sizeof r.message, "%s", e.call);
  // Nothing to do if the parent is gone; it then sees only the exit status.
  (void)!::write(plan.err_fd, &r, sizeof r);
  ::_exit(127);
}

// seccomp(2) rather than prctl: it takes the flags (TSYNC, LOG, SPEC_ALLOW).
ChildErr child_load_seccomp(const ChildSeccomp& filter) {
  sock_fprog prog{static_cast<unsigned short>(filter.program.size()),
                  const_cast<sock_filter*>(filter.program.data())};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, filter.flags, &prog) < 0)
    return child_err("seccomp", "");
  return {};
}

namespace {

ChildErr child_set_identity(const ChildPlan& plan) {
  // Supplementary groups before the gid, the gid before the uid (setuid loses
  // CAP_SETGID). runtime-spec "config.md#posix-platform-user".
  // The raw system calls, not glibc's wrappers: after clone3 this process has one
  // thread, but glibc still lists the caller's other threads and its setuid family
  // would signal each and wait for them (nptl setxid), forever for a thread that was
  // still starting when the caller cloned (seen with a test's helper thread).
  if (::syscall(SYS_setgroups, plan.additional_gids.size(), plan.additional_gids.data()) < 0)
    return child_err("setgroups", "");
  if (::syscall(SYS_setgid, plan.gid) < 0) return child_err("setgid", "");
  // With process.capabilities, a non-root user keeps the listed ones: keep the
  // permitted set across setuid, then set them (capabilities(7) "PR_SET_KEEPCAPS").
  bool keep = plan.caps && plan.uid != 0;
  if (keep && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return child_err("prctl KEEPCAPS", "");
  if (::syscall(SYS_setuid, plan.uid) < 0) return child_err("setuid", "");
  if (keep && ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return child_err("prctl KEEPCAPS", "");
  return {};
}

}  // namespace

// Everything that happens in the container's root, in the order runc uses: limits,
// bounding set, identity, capabilities, then no_new_privs and seccomp last, so the
// filter does not apply to the runtime's own setup (config-linux.md#seccomp).
ChildErr child_set_process(const ChildPlan& plan) {
  if (!plan.hostname.empty() && ::sethostname(plan.hostname.data(), plan.hostname.size()) < 0)
    return child_err("sethostname", plan.hostname.c_str());
  if (ChildErr e = child_set_limits(plan)) return e;
  if (plan.caps)
    if (ChildErr e = child_drop_bounding(*plan.caps)) return e;
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the capability
  // step may drop: load it first, as runc does (the profile must then allow setuid etc.).
  if (plan.seccomp && !plan.no_new_privs)
    if (ChildErr e = child_load_seccomp(*plan.seccomp)) return e;
  if (ChildErr e = child_set_identity(plan)) return e;
  if (plan.caps)
    if (ChildErr e = child_set_capabilities(*plan.caps)) return e;
  if (::chdir(plan.cwd.c_str()) < 0) return child_err("chdir", plan.cwd.c_str());
  if (plan.no_new_privs && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return child_err("prctl NO_NEW_PRIVS", "");
  ::umask(plan.umask);
  if (plan.seccomp && plan.no_new_privs)
    if (ChildErr e = child_load_seccomp(*plan.seccomp)) return e;
  return {};
}

// On hybrid hosts the parent puts the child in its v1 cgroups (Cgroup::join) while
// the child sets up its rootfs; the child waits here before it drops privileges
// and execs. The parent kills the child if joining fails, so a byte always comes.
ChildErr child_wait_for_cgroup_join(const ChildPlan& plan) {
  if (plan.cgroup_join_fd < 0) return {};
  char byte;
  ssize_t n;
  do n = ::read(plan.cgroup_join_fd, &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) return child_err("wait for cgroup join", "");
  ::close(plan.cgroup_join_fd);
  return {};
}

// The last step of both: the process's own signal mask, then execve. execvpe
// searches the PATH of the caller's environ, so the container's is set first.
[[noreturn]] void exec_process(const ChildPlan& plan) {
  ::sigprocmask(SIG_SETMASK, &plan.sigmask, nullptr);
  environ = const_cast<char**>(plan.envp.data());
  ::execvpe(plan.argv[0], plan.argv.data(), plan.envp.data());
  report_and_exit(plan, child_err("exec", plan.argv[0]));
}

// `exec`: into the init's namespaces (its pid namespace is already ours, from
// clone3), then the same process setup as the container's init had.
[[noreturn]] void exec_child_main(const ChildPlan& plan) {
  if (plan.lifecycle.pdeathsig) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ChildErr e;
  if (plan.exec.ns_flags && ::setns(plan.exec.init_pidfd, plan.exec.ns_flags) < 0)
    e = child_err("setns into the container's namespaces", "");
  if (!e) e = child_wait_for_cgroup_join(plan);
  if (!e) e = child_set_exec_label(plan);
  if (!e) e = child_set_process(plan);
  if (e) report_and_exit(plan, e);
  exec_process(plan);
}

void child_main(const ChildPlan& plan) {
  if (plan.exec.init_pidfd >= 0) exec_child_main(plan);
  // If keel-runtime dies, its container must not outlive it unsupervised. A
  // detached (created) container outlives `create` by design: child_wait_for_start
  // clears this once setup is done, so a `create` killed midway leaves no process.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::umask(0);  // device nodes and mount points get exactly the modes we ask for
  trace("child: runs");
  ChildErr e = child_enter_namespaces(plan);
  if (!e) e = child_prepare_rootfs(plan);
  if (!e) trace("child: rootfs mounts done");
  if (!e) e = child_wait_for_hooks(plan);
  if (!e) e = plan.lifecycle.no_pivot ? child_chroot_no_pivot(plan) : child_pivot_root(plan);
  if (!e && plan.loopback_up) e = child_loopback_up();
  if (!e) e = child_write_sysctls(plan);  // before readonlyPaths covers /proc/sys
  if (!e) e = child_finish_mounts(plan);
  if (!e) trace("child: pivoted, /proc, /dev, masked paths");
  if (!e) e = child_set_exec_label(plan);  // needs the container's /proc
  // Only the container's own code must run inside its v1 cgroups: the parent's
  // join costs an RCU grace period (~11 ms here), which the setup above overlaps.
  if (!e) e = child_wait_for_cgroup_join(plan);
  if (!e) e = child_setup_console(plan);  // console.cpp
  if (!e) e = child_set_process(plan);
  if (!e) e = child_wait_for_start(plan);
  if (e) report_and_exit(plan, e);
  trace("child: identity, capabilities, seccomp loaded; execve");
  exec_process(plan);
}

}  // namespace keel::runtime
