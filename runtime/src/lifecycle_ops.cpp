// runtime-spec "runtime.md" start, state, kill and delete on a created container.
// Every operation re-derives the status from the live process (state.cpp), and
// signals go through a pidfd whose process is checked against the saved start
// time, so a reused pid is never signalled.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <csignal>
#include <filesystem>
#include <sstream>

#include "cgroup.hpp"
#include "hooks.hpp"
#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/runtime/lifecycle.hpp"
#include "keel/runtime/spec.hpp"
#include "state.hpp"

namespace keel::runtime {
namespace {

constexpr std::string_view kComponent = "keel-runtime";

// Waits until the init has exited (a pidfd polls readable then, pidfd_open(2)).
Result<void> wait_exit(int pidfd, int timeout_ms) {
  pollfd p = {pidfd, POLLIN, 0};
  int r;
  while ((r = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  if (r < 0) return fail_errno("poll pidfd");
  if (r == 0) return fail_msg("the container's init did not exit after SIGKILL");
  return {};
}

// Opens the fifo as reader: this releases the init blocked opening it as writer. It
// answers "0" once its startContainer hooks passed, or "E<why>" (lifecycle_child.cpp).
// Non-blocking plus a pidfd, so an init that died meanwhile is an error, not a hang.
Result<void> release_init(const ContainerState& s, const std::string& fifo) {
  auto pidfd = TRY(open_init(s));
  auto fd = TRY(sys::open(fifo, O_RDONLY | O_NONBLOCK));
  for (;;) {
    pollfd p[2] = {{fd.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_errno("poll exec fifo");
    }
    char msg[512];
    ssize_t n = (p[0].revents & POLLIN) ? ::read(fd.get(), msg, sizeof msg - 1) : 0;
    if (n > 0 && msg[0] == '0') return {};
    if (n > 0) return fail_msg(std::string(msg + 1, static_cast<size_t>(n - 1)));
    if (p[1].revents & POLLIN) return fail_msg("the container's init exited before start");
    if (p[0].revents & POLLHUP) return fail_msg("the container's init closed the exec fifo");
  }
}

Result<Spec> bundle_spec(const ContainerState& s) {
  return load_spec(s.bundle + "/config.json");
}

Result<void> signal_cgroup(const ContainerState& s, int sig) {
  auto procs = TRY(sys::read_file(s.cgroup + "/cgroup.procs"));
  std::istringstream in(procs);
  pid_t pid;
  while (in >> pid) ::kill(pid, sig);  // ESRCH: it exited meanwhile
  return {};
}

}  // namespace

Result<ContainerState> load_live(const std::string& root, const std::string& id) {
  auto s = TRY(load_container_state(root, id));
  s.status = derive_status(s, sys::exists(fifo_path(root, id)));
  return s;
}

// The start time is checked after pidfd_open: from then on the pidfd pins the process.
Result<UniqueFd> open_init(const ContainerState& s) {
  auto fd = TRY(sys::pidfd_open(s.pid));
  if (derive_status(s, false) == "stopped")
    return fail_msg("container " + s.id + " is not running");
  return fd;
}

Result<void> start_container(const std::string& root, const std::string& id) {
  std::string ctx = "container " + id;
  auto s = TRY_CTX(load_live(root, id), ctx);
  // runtime.md#start: "attempting to start a container that is not created MUST ... error".
  if (s.status != "created")
    return fail_msg(ctx + " cannot be started: its status is " + s.status + ", not created");
  std::string fifo = fifo_path(root, id);
  auto released = release_init(s, fifo);
  ::unlink(fifo.c_str());  // from now on `state` says running (or stopped)
  if (!released) return fail(std::move(released).error().context(ctx));
  s.status = "running";
  // config.md: a failing poststart hook is a warning; the container keeps running.
  if (auto spec = bundle_spec(s); spec) {
    if (auto r = run_hooks(spec->hooks.poststart, "poststart", render_state(s, false)); !r)
      log::warn(kComponent, "{}: {}", ctx, r.error().message());
  } else {
    log::warn(kComponent, "{}: poststart hooks: {}", ctx, spec.error().message());
  }
  return {};
}

Result<std::string> container_state(const std::string& root, const std::string& id) {
  auto s = TRY(load_live(root, id));
  return render_state(s, false);
}

Result<std::vector<std::string>> list_containers(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  std::vector<std::string> ids;
  for (const auto& e : std::filesystem::directory_iterator(root, ec))
    if (e.is_directory(ec)) ids.push_back(e.path().filename());
  if (ec && ec != std::errc::no_such_file_or_directory)
    return fail_msg("listing " + root + ": " + ec.message());
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids)
    if (auto s = load_live(root, id); s) out.push_back(render_state(*s, false));
  return out;
}

Result<std::vector<int>> container_pids(const std::string& root, const std::string& id) {
  std::string ctx = "container " + id;
  auto s = TRY_CTX(load_live(root, id), ctx);
  std::vector<int> pids;
  if (s.status == "stopped") return pids;
  struct stat want;
  if (::stat(("/proc/" + std::to_string(s.pid) + "/ns/pid").c_str(), &want) < 0)
    return fail_errno(ctx + ": stat pid namespace");
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat ns;
    if (::stat(("/proc/" + name + "/ns/pid").c_str(), &ns) == 0 && ns.st_ino == want.st_ino &&
        ns.st_dev == want.st_dev)
      pids.push_back(std::stoi(name));
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

Result<void> kill_container(const std::string& root, const std::string& id, int sig, bool all) {
  std::string ctx = "container " + id;
  auto s = TRY_CTX(load_live(root, id), ctx);
  if (s.status == "stopped") return fail_msg(ctx + " is not running");
  auto pidfd = TRY_CTX(open_init(s), ctx);
  if (all && !s.cgroup.empty()) TRY_CTX(signal_cgroup(s, sig), ctx);
  return with_context(sys::pidfd_send_signal(pidfd.get(), sig), ctx);
}

Result<void> delete_container(const std::string& root, const std::string& id, bool force) {
  std::string ctx = "container " + id;
  auto s = TRY_CTX(load_live(root, id), ctx);
  // runtime.md#delete refuses a container that is not stopped; like runc, a created
  // one (never started) is killed and deleted, a running one only with --force.
  if (s.status == "running" && !force)
    return fail_msg(ctx + " is running: stop it first (kill) or use delete --force");
  if (s.status != "stopped") {
    if (auto pidfd = open_init(s); pidfd) {
      if (!s.cgroup.empty()) (void)signal_cgroup(s, SIGKILL);
      TRY_CTX(sys::pidfd_send_signal(pidfd->get(), SIGKILL), ctx);
      TRY_CTX(wait_exit(pidfd->get(), 10000), ctx);
    }
  }
  // What the init left in its groups (a host-pid container's children) is killed.
  TRY_CTX(Cgroup::adopt(s.cgroup, s.cgroups_v1).remove(), ctx);
  s.status = "stopped";
  // config.md: poststop failures are warnings; the delete goes on.
  if (auto spec = bundle_spec(s); spec) {
    if (auto r = run_hooks(spec->hooks.poststop, "poststop", render_state(s, false)); !r)
      log::warn(kComponent, "{}: {}", ctx, r.error().message());
  } else {
    log::warn(kComponent, "{}: poststop hooks: {}", ctx, spec.error().message());
  }
  std::error_code ec;
  std::filesystem::remove_all(state_dir(root, id), ec);
  if (ec) return fail_msg(ctx + ": removing " + state_dir(root, id) + ": " + ec.message());
  return {};
}

}  // namespace keel::runtime
