#include "keel/init/bounded_run.hpp"

#include <poll.h>
#include <signal.h>

#include <cerrno>

#include "keel/common/sys.hpp"

namespace keel::init {

Result<BoundedExit> run_bounded(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout) {
  if (argv.empty()) return fail_msg("run_bounded: no program");
  pid_t pid = TRY(sys::spawn(argv));
  auto pidfd = sys::pidfd_open(pid);
  if (!pidfd) {
    // No pidfd (an old kernel): wait without a deadline rather than leave a zombie.
    return BoundedExit{false, TRY_CTX(sys::wait_exit(pid), argv[0])};
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{pidfd->get(), POLLIN, 0};
    int n = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("poll " + argv[0]);
    if (n > 0) return BoundedExit{false, TRY_CTX(sys::wait_exit(pid), argv[0])};
    (void)sys::pidfd_send_signal(pidfd->get(), SIGKILL);
    TRY_CTX(sys::wait_exit(pid), argv[0]);
    return BoundedExit{true, 0};
  }
}

}  // namespace keel::init
