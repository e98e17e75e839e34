// pty allocation in the container (pts(4), ioctl_tty(2) TIOCGPTPEER) and fd passing
// over a unix socket (unix(7) SCM_RIGHTS).
#include "console.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace keel::runtime {
namespace {

ChildErr send_fd(int sock, int fd, const char* name) {
  iovec iov{const_cast<char*>(name), std::strlen(name)};
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
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  while ((n = ::sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  return n < 0 ? child_err("sendmsg to the console socket", "") : ChildErr{};
}

// A new session first: TIOCSCTTY needs a session leader without a terminal.
ChildErr make_controlling(int slave) {
  if (::setsid() < 0) return child_err("setsid", "");
  if (::ioctl(slave, TIOCSCTTY, 0) < 0) return child_err("ioctl TIOCSCTTY", "");
  for (int i = 0; i < 3; ++i)
    if (::dup2(slave, i) < 0) return child_err("dup2 console", "");
  return {};
}

}  // namespace

Result<UniqueFd> connect_console_socket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail_msg("console socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return fail_errno("socket");
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return fail_errno("connect " + path);
  return sock;
}

ChildErr child_setup_console(const ChildPlan& plan) {
  int sock = plan.lifecycle.console_socket_fd;
  if (sock < 0) return {};
  int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return child_err("open", "/dev/ptmx");
  int unlock = 0;
  unsigned n = 0;
  if (::ioctl(master, TIOCSPTLCK, &unlock) < 0 || ::ioctl(master, TIOCGPTN, &n) < 0)
    return child_err("unlock pty", "/dev/ptmx");
  // TIOCGPTPEER opens the slave through the master: no path lookup that a
  // container could redirect.
  int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return child_err("ioctl TIOCGPTPEER", "");
  if (::fchown(slave, plan.uid, plan.gid) < 0) return child_err("chown pty", "");
  char name[32];
  std::snprintf(name, sizeof name, "/dev/pts/%u", n);
  if (ChildErr e = send_fd(sock, master, name)) return e;
  ::close(master);
  ::close(sock);
  ChildErr e = make_controlling(slave);
  if (slave > 2) ::close(slave);  // a caller with closed stdio may have given us 0..2
  return e;
}

}  // namespace keel::runtime
