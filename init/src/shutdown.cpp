#include "keel/init/shutdown.hpp"

#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"

namespace keel::init {

namespace {

constexpr std::string_view kLog = "keel-init";

// Reaps until no child is left or the timeout passes. Waits in sigtimedwait(2) on
// SIGCHLD (blocked by the supervisor), so nothing polls. True: no children left.
bool wait_for_all_children(std::chrono::milliseconds timeout) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    pid_t pid;
    while ((pid = ::waitpid(-1, nullptr, WNOHANG)) > 0) {
    }
    if (pid < 0 && errno == ECHILD) return true;
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    ::sigtimedwait(&chld, nullptr, &ts);
  }
}

// Processes the supervisor did not own (orphans, daemons a container leaked).
// kill(-1, sig) from PID 1 reaches every process but itself (kill(2)).
void kill_everything_else() {
  if (::kill(-1, SIGTERM) < 0 && errno == ESRCH) return;
  if (wait_for_all_children(std::chrono::seconds(5))) return;
  log::warn(kLog, "processes left after SIGTERM; sending SIGKILL");
  ::kill(-1, SIGKILL);
  wait_for_all_children(std::chrono::seconds(2));
}

// Mount points from /proc/self/mountinfo (proc(5)), in mount order; "\040" escapes
// for spaces are decoded.
std::vector<std::string> mount_points() {
  std::vector<std::string> out;
  auto text = sys::read_file("/proc/self/mountinfo");
  if (!text) return out;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t eol = text->find('\n', pos);
    if (eol == std::string::npos) eol = text->size();
    std::string_view line(text->data() + pos, eol - pos);
    pos = eol + 1;
    size_t f = 0;  // the mount point is the 5th space-separated field
    for (int i = 0; i < 4 && f != std::string_view::npos; ++i) f = line.find(' ', f) + 1;
    if (f == 0 || f >= line.size()) continue;
    std::string_view raw = line.substr(f, line.find(' ', f) - f);
    std::string mp;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 3 < raw.size()) {
        mp +=
            static_cast<char>((raw[i + 1] - '0') * 64 + (raw[i + 2] - '0') * 8 + raw[i + 3] - '0');
        i += 3;
      } else {
        mp += raw[i];
      }
    }
    out.push_back(std::move(mp));
  }
  return out;
}

// Children before parents; whatever stays busy is made read-only instead, so the
// ext4 journal is clean at reboot (what systemd-shutdown's umount loop achieves).
void unmount_all() {
  auto mps = mount_points();
  for (auto it = mps.rbegin(); it != mps.rend(); ++it)
    if (*it != "/") ::umount2(it->c_str(), UMOUNT_NOFOLLOW);
  // Without MS_BIND, MS_REMOUNT changes the superblock: the whole ext4 goes read-only.
  if (::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY, nullptr) < 0)
    log::warn(kLog, "remounting / read-only: {}", Error::from_errno("mount").message());
}

}  // namespace

void final_shutdown(ShutdownAction action) {
  ::sync();
  kill_everything_else();
  ::sync();
  unmount_all();
  ::sync();
  int cmd = RB_AUTOBOOT;
  switch (action) {
    case ShutdownAction::poweroff:
      log::info(kLog, "powering off");
      cmd = RB_POWER_OFF;
      break;
    case ShutdownAction::reboot:
      log::info(kLog, "rebooting");
      break;
    case ShutdownAction::halt:
      log::info(kLog, "halting");
      cmd = RB_HALT_SYSTEM;
      break;
  }
  ::reboot(cmd);
  emergency(Error::from_errno("reboot").message(), false);
}

void emergency(std::string_view what, bool reboot_after) {
  log::error(kLog, "{}", what);
  if (reboot_after) {
    log::error(kLog, "keel.panic-reboot is set: rebooting");
    ::sync();
    ::reboot(RB_AUTOBOOT);
  }
  log::error(kLog, "cannot continue; the system is halted here (PID 1 must not exit)");
  // Block every signal and wait for nothing: PID 1 stays, the console keeps the error.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  for (;;) {
    // Reap anything that dies meanwhile; otherwise sleep until the next SIGCHLD.
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    siginfo_t si;
    ::sigwaitinfo(&chld, &si);
  }
}

}  // namespace keel::init
