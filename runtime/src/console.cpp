// pty allocation (pts(4)) and fd passing over a unix socket (unix(7) SCM_RIGHTS).
#include "console.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace keel::runtime {

Result<Pty> open_pty() {
  Pty p;
  // The host's /dev/ptmx: the container's own devpts instance is not mounted yet.
  p.master = UniqueFd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.master) return fail_errno("posix_openpt");
  if (::grantpt(p.master.get()) < 0) return fail_errno("grantpt");
  if (::unlockpt(p.master.get()) < 0) return fail_errno("unlockpt");
  char name[128];
  if (::ptsname_r(p.master.get(), name, sizeof name) != 0) return fail_errno("ptsname");
  p.slave_name = name;
  p.slave = UniqueFd(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.slave) return fail_errno(std::string("open ") + name);
  return p;
}

Result<void> send_console_fd(const std::string& path, const Pty& pty) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail_msg("console socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return fail_errno("socket");
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return fail_errno("connect " + path);
  iovec iov{const_cast<char*>(pty.slave_name.data()), pty.slave_name.size()};
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  int fd = pty.master.get();
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  while ((n = ::sendmsg(sock.get(), &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (n < 0) return fail_errno("sendmsg to " + path);
  return {};
}

}  // namespace keel::runtime
