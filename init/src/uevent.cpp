// Kernel uevents (see keel/init/uevent.hpp). The format is the kernel's
// lib/kobject_uevent.c: a "ACTION@DEVPATH" header, then NUL-separated KEY=VALUE pairs.
#include "keel/init/uevent.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>

namespace keel::init {

std::optional<Uevent> parse_uevent(std::string_view msg) {
  auto header_end = msg.find('\0');
  std::string_view header = msg.substr(0, header_end);
  if (header_end == std::string_view::npos || header.find('@') == std::string_view::npos)
    return std::nullopt;  // libudev's messages start "libudev\0"
  Uevent ev;
  std::string_view rest = msg.substr(header_end + 1);
  while (!rest.empty()) {
    auto end = rest.find('\0');
    std::string_view kv = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (key == "ACTION") ev.action = value;
    if (key == "DEVPATH") ev.devpath = value;
    if (key == "SUBSYSTEM") ev.subsystem = value;
    if (key == "MODALIAS") ev.modalias = value;
  }
  if (ev.action.empty() || ev.devpath.empty()) return std::nullopt;
  return ev;
}

Result<UniqueFd> open_uevent_socket() {
  int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
  if (fd < 0) return fail_errno("socket(NETLINK_KOBJECT_UEVENT)");
  UniqueFd sock(fd);
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = 1;  // the kernel's group; udev's own is 2
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return fail_errno("bind(NETLINK_KOBJECT_UEVENT)");
  // A burst (a PCI bus rescan) must not be dropped while the init is busy.
  int size = 1 << 20;
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return sock;
}

std::optional<Uevent> receive_uevent(int fd, bool& more) {
  char buf[8192];
  sockaddr_nl from{};
  socklen_t len = sizeof from;
  ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
  more = n >= 0 || errno == EINTR || errno == ENOBUFS;  // ENOBUFS: some were lost; go on
  if (n <= 0 || from.nl_pid != 0) return std::nullopt;
  return parse_uevent({buf, static_cast<size_t>(n)});
}

}  // namespace keel::init
