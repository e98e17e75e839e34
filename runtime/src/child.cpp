// The cloned child: from clone3() to execve(). Runs in the new namespaces; reports
// the first failure to the parent over a CLOEXEC pipe (the pattern crun and runc
// use for their "sync pipe").
#include "child.hpp"

#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>

namespace keel::runtime {
namespace {

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

ChildErr child_set_identity(const ChildPlan& plan) {
  if (!plan.hostname.empty() && ::sethostname(plan.hostname.data(), plan.hostname.size()) < 0)
    return child_err("sethostname", plan.hostname.c_str());
  // Drop supplementary groups before the gid, the gid before the uid (setuid loses
  // CAP_SETGID). runtime-spec "config.md#posix-platform-user".
  if (::setgroups(0, nullptr) < 0) return child_err("setgroups", "");
  if (::setgid(plan.gid) < 0) return child_err("setgid", "");
  if (::setuid(plan.uid) < 0) return child_err("setuid", "");
  return {};
}

}  // namespace

void child_main(const ChildPlan& plan) {
  // If keel-runtime dies, its container must not outlive it unsupervised.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::umask(0);  // device nodes and mount points get exactly the modes we ask for
  ChildErr e = child_prepare_rootfs(plan);
  if (!e) e = child_pivot_root(plan);
  if (!e) e = child_finish_mounts(plan);
  if (!e) e = child_set_identity(plan);
  if (!e && ::chdir(plan.cwd.c_str()) < 0) e = child_err("chdir", plan.cwd.c_str());
  if (e) report_and_exit(plan, e);
  ::umask(022);  // runtime-spec "config.md#posix-platform-user": umask defaults to 0022
  ::sigprocmask(SIG_SETMASK, &plan.sigmask, nullptr);
  // execvpe searches the PATH of the caller's environ, so use the container's.
  environ = const_cast<char**>(plan.envp.data());
  ::execvpe(plan.argv[0], plan.argv.data(), plan.envp.data());
  report_and_exit(plan, child_err("exec", plan.argv[0]));
}

}  // namespace keel::runtime
