#include "loopback.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace keel::runtime {

ChildErr child_loopback_up() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return child_err("socket", "for lo");
  ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::memcpy(ifr.ifr_name, "lo", 3);
  ChildErr e;
  if (::ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
    e = child_err("SIOCGIFFLAGS", "lo");
  } else if (!(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) e = child_err("SIOCSIFFLAGS up", "lo");
  }
  ::close(fd);
  return e;
}

}  // namespace keel::runtime
