#include "keel/init/bounded_run.hpp"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>

#include "keel/common/sys.hpp"

extern char** environ;

namespace keel::init {

namespace {

Result<pid_t> spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  int r = ::posix_spawn(&pid, args[0].c_str(), nullptr, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (r) return fail(Error::from_errno("running " + args[0], r));
  return pid;
}

Result<int> reap(pid_t pid, const std::string& what) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return fail_errno("waitpid " + what);
  return st;
}

}  // namespace

Result<BoundedExit> run_bounded(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout) {
  if (argv.empty()) return fail_msg("run_bounded: no program");
  pid_t pid = TRY(spawn(argv));
  auto pidfd = sys::pidfd_open(pid);
  if (!pidfd) {
    // No pidfd (an old kernel): wait without a deadline rather than leave a zombie.
    return BoundedExit{false, TRY(reap(pid, argv[0]))};
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{pidfd->get(), POLLIN, 0};
    int n = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("poll " + argv[0]);
    if (n > 0) return BoundedExit{false, TRY(reap(pid, argv[0]))};
    (void)sys::pidfd_send_signal(pidfd->get(), SIGKILL);
    TRY(reap(pid, argv[0]));
    return BoundedExit{true, 0};
  }
}

}  // namespace keel::init
