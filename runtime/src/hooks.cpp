// Runs OCI hooks from the runtime process: fork, optionally setns into the
// container, state JSON on stdin, wait with the hook's timeout.
#include "hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "keel/common/sys.hpp"

namespace keel::runtime {
namespace {

// The forked hook process: no allocation from here on (argv/envp prepared).
[[noreturn]] void exec_hook(const ChildHook& h, int stdin_fd, int container_pidfd) {
  sigset_t none;  // `run` blocks the signals it forwards; a hook starts with none blocked
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (container_pidfd >= 0 &&
      ::setns(container_pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET) < 0) {
    ::dprintf(2, "keel-runtime: hook %s: setns into the container: %m\n", h.path.c_str());
    ::_exit(126);
  }
  if (::dup2(stdin_fd, 0) < 0) ::_exit(126);
  ::execve(h.path.c_str(), h.argv.data(), h.envp.data());
  ::dprintf(2, "keel-runtime: hook %s: execve: %m\n", h.path.c_str());
  ::_exit(127);
}

// Waits for the hook; on timeout kills it. Returns its wait status.
Result<int> wait_hook(pid_t pid, int timeout_s, bool& timed_out) {
  timed_out = false;
  if (timeout_s > 0) {
    auto pidfd = TRY(sys::pidfd_open(pid));
    pollfd p = {pidfd.get(), POLLIN, 0};
    int r;
    while ((r = ::poll(&p, 1, timeout_s * 1000)) < 0 && errno == EINTR) {
    }
    if (r == 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
    }
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return fail_errno("waitpid hook");
  return st;
}

Result<void> run_one(const ChildHook& h, std::string_view kind, const std::string& state,
                     int container_pidfd) {
  std::string what = std::string(kind) + " hook " + h.path;
  auto pipe = TRY_CTX(sys::pipe(O_CLOEXEC), what);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork " + what);
  if (pid == 0) exec_hook(h, pipe.read.get(), container_pidfd);
  pipe.read.reset();
  // A hook that does not read its stdin must not fail the runtime with SIGPIPE.
  auto old = ::signal(SIGPIPE, SIG_IGN);
  (void)sys::write_all(pipe.write.get(), state);
  ::signal(SIGPIPE, old);
  pipe.write.reset();
  bool timed_out = false;
  int st = TRY_CTX(wait_hook(pid, h.timeout, timed_out), what);
  if (timed_out) return fail_msg(what + " timed out after " + std::to_string(h.timeout) + "s");
  if (WIFSIGNALED(st)) return fail_msg(what + " killed by signal " + std::to_string(WTERMSIG(st)));
  if (WEXITSTATUS(st) != 0)
    return fail_msg(what + " failed with exit status " + std::to_string(WEXITSTATUS(st)));
  return {};
}

}  // namespace

std::vector<ChildHook> plan_child_hooks(const std::vector<SpecHook>& hooks) {
  std::vector<ChildHook> out(hooks.size());
  for (size_t i = 0; i < hooks.size(); ++i) {
    ChildHook& c = out[i];
    c.path = hooks[i].path;
    c.args_store = hooks[i].args;
    // config.md: args "has the same semantics as IEEE Std 1003.1-2008 execv's
    // argv"; an empty list still needs argv[0].
    if (c.args_store.empty()) c.args_store.push_back(c.path);
    c.env_store = hooks[i].env;
    c.timeout = hooks[i].timeout.value_or(0);
    for (auto& a : c.args_store) c.argv.push_back(a.data());
    c.argv.push_back(nullptr);
    for (auto& e : c.env_store) c.envp.push_back(e.data());
    c.envp.push_back(nullptr);
  }
  return out;
}

Result<void> run_hooks(const std::vector<SpecHook>& hooks, std::string_view kind,
                       const std::string& state_json, int container_pidfd) {
  auto planned = plan_child_hooks(hooks);
  for (const auto& h : planned) TRY(run_one(h, kind, state_json, container_pidfd));
  return {};
}

}  // namespace keel::runtime
