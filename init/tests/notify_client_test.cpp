// keel-notify's sending side against real datagram sockets, as keel-init binds them.
#include "keel/init/notify_client.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "temp_dir.hpp"

using keel::init::notify_message;
using keel::init::notify_send;
using keel::init::test::TempDir;

namespace {

// A bound datagram socket: a path, or with a leading '@' an abstract name.
struct Receiver {
  explicit Receiver(const std::string& name) {
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    socklen_t len = sizeof addr;
    if (name[0] == '@') {
      addr.sun_path[0] = '\0';
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    }
    bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Receiver() { ::close(fd); }
  std::string receive() {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
  }
  int fd = -1;
  bool bound = false;
};

}  // namespace

TEST(NotifyMessage, OneLinePerAssignment) {
  EXPECT_EQ(*notify_message({"READY=1", "STATUS=eth0 bound"}), "READY=1\nSTATUS=eth0 bound\n");
  EXPECT_EQ(*notify_message({"STATUS="}), "STATUS=\n");
}

TEST(NotifyMessage, RejectsWhatIsNotAnAssignment) {
  EXPECT_NE(notify_message({}).error().message().find("READY=1"), std::string::npos);
  EXPECT_NE(notify_message({"READY"}).error().message().find("'READY' is not VAR=value"),
            std::string::npos);
  EXPECT_FALSE(notify_message({"=1"}));
  EXPECT_NE(notify_message({"STATUS=a\nREADY=1"}).error().message().find("newline"),
            std::string::npos);
}

TEST(NotifySend, ReachesAPathSocket) {
  TempDir d;
  std::string path = d / "notify.sock";
  Receiver r(path);
  ASSERT_TRUE(r.bound);
  ASSERT_TRUE(notify_send(path, "READY=1\n"));
  EXPECT_EQ(r.receive(), "READY=1\n");
}

TEST(NotifySend, ReachesAnAbstractSocket) {
  std::string name = "@keel-notify-test-" + std::to_string(::getpid());
  Receiver r(name);
  ASSERT_TRUE(r.bound);
  ASSERT_TRUE(notify_send(name, "STATUS=x\n"));
  EXPECT_EQ(r.receive(), "STATUS=x\n");
}

TEST(NotifySend, ErrorsNameTheProblem) {
  EXPECT_NE(notify_send("", "READY=1\n").error().message().find("NOTIFY_SOCKET is not set"),
            std::string::npos);
  EXPECT_NE(notify_send(std::string(200, 'x'), "READY=1\n").error().message().find("too long"),
            std::string::npos);
  auto gone = notify_send("/nonexistent/notify.sock", "READY=1\n");
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message().find("/nonexistent/notify.sock"), std::string::npos);
}

// The binary, as a script in a container runs it: fully static, NOTIFY_SOCKET from
// the environment, a non-zero exit with a message when it cannot send.
TEST(NotifyTool, SendsFromTheEnvironment) {
  TempDir d;
  std::string path = d / "notify.sock";
  Receiver r(path);
  ASSERT_TRUE(r.bound);
  std::string cmd = "NOTIFY_SOCKET=" + path + " " + KEEL_NOTIFY_BINARY + " READY=1 'STATUS=up'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(r.receive(), "READY=1\nSTATUS=up\n");
  cmd = std::string("env -u NOTIFY_SOCKET ") + KEEL_NOTIFY_BINARY + " READY=1 2>/dev/null";
  int st = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 1);
  cmd = std::string("readelf -d ") + KEEL_NOTIFY_BINARY + " | grep -q NEEDED";
  EXPECT_NE(std::system(cmd.c_str()), 0) << "keel-notify must need no shared library";
}
