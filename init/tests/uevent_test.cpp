// Kernel uevents for hotplug: the parser on the kernel's format, and (as root) a real
// uevent through the socket.
#include "keel/init/uevent.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <fstream>
#include <string>

using namespace std::string_literals;

namespace keel::init {
namespace {

TEST(Uevent, ParsesTheKernelsFormat) {
  auto ev = parse_uevent(
      "add@/devices/pci0000:00/0000:00:03.0/virtio1\0ACTION=add\0"
      "DEVPATH=/devices/pci0000:00/0000:00:03.0/virtio1\0SUBSYSTEM=virtio\0"
      "MODALIAS=virtio:d00000004v00001AF4\0SEQNUM=1234\0"s);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->action, "add");
  EXPECT_EQ(ev->devpath, "/devices/pci0000:00/0000:00:03.0/virtio1");
  EXPECT_EQ(ev->subsystem, "virtio");
  EXPECT_EQ(ev->modalias, "virtio:d00000004v00001AF4");
}

TEST(Uevent, RejectsWhatIsNotAKernelUevent) {
  EXPECT_FALSE(parse_uevent(""));
  EXPECT_FALSE(parse_uevent("libudev\0\xfe\xed\xca\xfe"s));  // udev's own messages
  EXPECT_FALSE(parse_uevent("add@/x"s));                     // no NUL after the header
  EXPECT_FALSE(parse_uevent("add@/x\0SUBSYSTEM=net\0"s));    // no ACTION/DEVPATH
  auto no_alias = parse_uevent("remove@/x\0ACTION=remove\0DEVPATH=/x\0junk\0"s);
  ASSERT_TRUE(no_alias);
  EXPECT_EQ(no_alias->action, "remove");
  EXPECT_TRUE(no_alias->modalias.empty());
}

// Writing an action to a device's uevent file makes the kernel send that uevent (what
// `udevadm trigger` does). "change" on lo disturbs nothing.
TEST(Uevent, ReceivesARealUeventAsRoot) {
  if (::geteuid() != 0) GTEST_FAIL() << "needs root (CI runs the tests as root)";
  auto sock = open_uevent_socket();
  ASSERT_TRUE(sock) << sock.error().message();
  { std::ofstream("/sys/class/net/lo/uevent") << "change\n"; }
  bool found = false;
  for (int tries = 0; tries < 50 && !found; ++tries) {
    pollfd p{sock->get(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    bool more = true;
    while (more && !found) {
      auto ev = receive_uevent(sock->get(), more);
      found = ev && ev->action == "change" && ev->devpath == "/devices/virtual/net/lo" &&
              ev->subsystem == "net";
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace keel::init
