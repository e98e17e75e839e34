// The child's part of the create/start split (runtime-spec "runtime.md"): it stops
// before execve until `start` opens the exec fifo, as runc's init does, and runs the
// startContainer hooks in the container once released. Like child.cpp, only
// syscalls here: no allocation, no exceptions.
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "child.hpp"

namespace keel::runtime {
namespace {

void proc_fd_path(char (&buf)[64], int fd) {
  std::snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
}

ChildErr report(const ChildPlan& plan, int code) {
  ChildReport r;
  std::memset(&r, 0, sizeof r);
  r.err = code;
  if (::write(plan.err_fd, &r, sizeof r) != sizeof r) return child_err("write setup pipe", "");
  return {};
}

// Waits for `pid` up to `timeout` seconds (0: forever); kills it on timeout.
// Returns true when it exited with status 0.
bool wait_hook(pid_t pid, int timeout) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0 && timeout > 0) {
    pollfd p = {pidfd, POLLIN, 0};
    int r;
    while ((r = ::poll(&p, 1, timeout * 1000)) < 0 && errno == EINTR) {
    }
    if (r == 0) ::kill(pid, SIGKILL);  // config.md: timeout "in seconds"
  }
  if (pidfd >= 0) ::close(pidfd);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

// config.md#posix-platform-hooks: the state on stdin, path/args/env from the hook.
ChildErr run_hook(const ChildPlan& plan, const ChildHook& h) {
  int state = plan.lifecycle.state_fd;
  pid_t pid = ::fork();
  if (pid < 0) return child_err("fork startContainer hook", h.path.c_str());
  if (pid == 0) {
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // not the runtime's blocked set
    if (state >= 0) {
      ::lseek(state, 0, SEEK_SET);
      ::dup2(state, 0);
    }
    ::execve(h.path.c_str(), h.argv.data(), h.envp.data());
    ::_exit(127);
  }
  if (!wait_hook(pid, h.timeout)) {
    errno = 0;
    return child_err("startContainer hook failed:", h.path.c_str());
  }
  return {};
}

}  // namespace

ChildErr child_wait_for_hooks(const ChildPlan& plan) {
  int go = plan.lifecycle.hooks_go_fd;
  if (go < 0) return {};
  if (ChildErr e = report(plan, kChildHooks)) return e;
  char byte;
  ssize_t n;
  while ((n = ::read(go, &byte, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) return child_err("waiting for the createRuntime hooks", "");
  ::close(go);
  return {};
}

// runc's --no-pivot: move the rootfs over / and chroot into it. Weaker than
// pivot_root (the old root stays reachable for a process with CAP_SYS_CHROOT), but
// works where pivot_root cannot, e.g. on an initramfs root.
ChildErr child_chroot_no_pivot(const ChildPlan& plan) {
  if (::chdir(plan.rootfs.c_str()) < 0) return child_err("chdir", plan.rootfs.c_str());
  if (::mount(plan.rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0)
    return child_err("move rootfs to /", "");
  if (::chroot(".") < 0) return child_err("chroot", plan.rootfs.c_str());
  if (::chdir("/") < 0) return child_err("chdir", "/");
  return {};
}

ChildErr child_wait_for_start(const ChildPlan& plan) {
  const ChildLifecycle& lc = plan.lifecycle;
  // --preserve-fds: the caller's fds 3..3+N-1 survive execve (runc semantics).
  for (int fd = 3; fd < 3 + lc.preserve_fds; ++fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0) ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  if (lc.exec_fifo_fd < 0) return {};
  // Other fds the caller left open (not close-on-exec) must not leak into the
  // container (runc closes them too); the runtime's own are all O_CLOEXEC already.
  if (::close_range(3 + lc.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return child_err("close_range", "");
  if (!lc.pdeathsig && ::prctl(PR_SET_PDEATHSIG, 0) < 0) return child_err("prctl PDEATHSIG", "");
  if (ChildErr e = report(plan, kChildReady)) return e;
  // Opening a fifo for writing blocks until a reader opens it: `start` does.
  // Reopening through /proc/self/fd works after pivot_root, where the state
  // directory's path no longer resolves (the container needs /proc mounted).
  char path[64];
  proc_fd_path(path, lc.exec_fifo_fd);
  int fd;
  while ((fd = ::open(path, O_WRONLY | O_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (fd < 0) return child_err("open exec fifo", path);
  ::close(lc.exec_fifo_fd);
  // `start` waits for one message: "0" once the startContainer hooks passed, or
  // "E<why>" (one write below PIPE_BUF, so it arrives whole, pipe(7)).
  for (const auto& h : lc.start_hooks)
    if (ChildErr e = run_hook(plan, h)) {
      char msg[512];
      int n = std::snprintf(msg, sizeof msg, "E%s %s", e.call, e.object);
      (void)!::write(fd, msg, static_cast<size_t>(std::min(n, int(sizeof msg) - 1)));
      ::close(fd);
      return e;
    }
  (void)!::write(fd, "0", 1);
  ::close(fd);
  return {};
}

}  // namespace keel::runtime
