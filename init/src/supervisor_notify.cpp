// ready = "notify": the sd_notify protocol (sd_notify(3)). Each such container gets a
// datagram socket <notify_dir>/<name>/notify.sock, which keel-runtime binds into it
// as NOTIFY_SOCKET. "READY=1" makes it ready for the containers waiting on it;
// "STATUS=..." is logged. Messages are read without blocking and size-capped.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <string_view>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"
#include "keel/init/supervisor.hpp"
#include "supervisor_container.hpp"

namespace keel::init {
namespace {

constexpr std::string_view kLog = "keel-init";
constexpr int kMaxDatagramsPerWakeup = 64;

Result<UniqueFd> bind_notify_socket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail_msg(path + ": socket path too long");
  path.copy(addr.sun_path, path.size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail_errno("socket");
  UniqueFd sock(fd);
  ::unlink(path.c_str());  // a previous boot's or run's
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return fail_errno("bind " + path);
  // Any user of the container may notify; only that container sees the directory.
  if (::chmod(path.c_str(), 0666) < 0) return fail_errno("chmod " + path);
  return sock;
}

}  // namespace

Result<void> Supervisor::prepare_notify(Container& c) {
  c.notified_ready = false;
  if (c.notify_fd) {
    // What a previous run sent must not make this one ready.
    char buf[512];
    while (::recv(c.notify_fd.get(), buf, sizeof buf, 0) >= 0) {
    }
    return {};
  }
  std::string dir = m_config.notify_dir + "/" + c.def.name;
  TRY(sys::mkdir_p(dir, 0755));
  c.notify_path = dir + "/notify.sock";
  c.notify_fd = TRY(bind_notify_socket(c.notify_path));
  sd_event_source* s = nullptr;
  int r =
      sd_event_add_io(m_event.get(), &s, c.notify_fd.get(), EPOLLIN, &Supervisor::on_notify, &c);
  if (r < 0) return fail(Error::from_errno("sd_event_add_io", -r));
  c.notify_io.reset(s);
  return {};
}

int Supervisor::on_notify(sd_event_source*, int fd, uint32_t, void* ud) {
  auto* c = static_cast<Container*>(ud);
  char buf[4096];
  for (int i = 0; i < kMaxDatagramsPerWakeup; ++i) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    // Newline-separated VAR=VALUE assignments (sd_notify(3)).
    for (std::string_view line : split_lines({buf, static_cast<size_t>(n)})) {
      if (line == "READY=1" && c->pid >= 0 && !c->notified_ready) {
        c->notified_ready = true;
        c->sup->mark_ready(*c, "sd_notify");
      } else if (line.starts_with("STATUS=")) {
        log::info(kLog, "container {}: {}", c->def.name, line.substr(7));
      }
    }
  }
  return 0;
}

}  // namespace keel::init
