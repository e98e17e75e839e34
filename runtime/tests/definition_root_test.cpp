// Privileged tests of the definition fields, through `keel-runtime up` (label
// "root"): each effect is read from inside the container. Fails when not root
// unless KEEL_ALLOW_SKIP_ROOT=1, so CI never skips silently.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "keel/runtime/oci_image.hpp"
#include "test_util.hpp"

namespace keel::runtime {
namespace {

using test::read_text;
using test::TempDir;
using test::write_text;
namespace fs = std::filesystem;

using UpResult = test::Outcome;

class Definitions : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    s_dir = new TempDir();
    std::string root = *s_dir / "rootfs";
    test::make_busybox_rootfs(
        root, {"proc", "dev", "sys", "tmp"},
        {"sh", "cat", "echo", "chown", "touch", "readlink", "grep", "id", "test"});
    ASSERT_TRUE(
        write_oci_layout(root, ImageConfig{.cmd = {"sh"}}, *s_dir / "images/busybox", "busybox"));
  }
  static void TearDownTestSuite() { delete s_dir; }
  void SetUp() override { test::require_root("the definition tests"); }

  // Runs `script` via `keel-runtime up` with the extra definition lines.
  static UpResult up(const std::string& name, const std::string& script, const std::string& toml,
                     const std::vector<std::string>& extra = {}, test::SpawnOptions opts = {}) {
    std::string def = *s_dir / ("defs/" + name + ".toml");
    std::string quoted;
    for (char c : script)
      quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    write_text(def, "image = \"busybox\"\ncommand = [\"sh\", \"-c\", \"" + quoted + "\"]\n" + toml);
    std::vector<std::string> args = {KEEL_RUNTIME_BINARY,
                                     "up",
                                     def,
                                     "--images",
                                     *s_dir / "images",
                                     "--state",
                                     *s_dir / "state",
                                     "--layers",
                                     *s_dir / "layers",
                                     "--volumes",
                                     *s_dir / "volumes"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_binary(std::move(args), s_dir->path(), opts);
  }

  static inline TempDir* s_dir = nullptr;
};

TEST_F(Definitions, SystemContainerSharesTheHostNetworkAndPidNamespaces) {
  std::string host_net = fs::read_symlink("/proc/self/ns/net");
  // In the host's PID namespace the container sees this test process by its pid.
  std::string me = std::to_string(::getpid());
  auto r =
      up("sys", "readlink /proc/self/ns/net; readlink /proc/" + me + "/ns/net", "system = true\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, host_net + "\n" + host_net + "\n") << r.err;
  auto app = up("app", "readlink /proc/self/ns/net", "");
  ASSERT_EQ(app.status, 0) << app.err;
  EXPECT_NE(app.out, host_net + "\n");
}

TEST_F(Definitions, CapDropMakesChownFailAndCapAddShowsInCapEff) {
  auto r = up("caps",
              "touch /tmp/f; chown 1:1 /tmp/f 2>/dev/null && echo chowned || echo denied; "
              "grep CapEff /proc/self/status",
              "cap_drop = [\"CHOWN\"]\ncap_add = [\"NET_ADMIN\"]\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("denied\n"), std::string::npos) << r.out;
  // Docker's default set (a80425fb) minus CHOWN (bit 0) plus NET_ADMIN (bit 12).
  EXPECT_NE(r.out.find("CapEff:\t00000000a80435fa"), std::string::npos) << r.out;
}

TEST_F(Definitions, UserRunsTheProcessAsThatUid) {
  auto r = up("user", "id -u; id -g", "user = \"1234:567\"\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1234\n567\n");
}

TEST_F(Definitions, ReadOnlyHostMountAndPersistentVolume) {
  write_text(*s_dir / "hostdir/greeting", "from the host\n");
  std::string toml = "[[mounts]]\nsource = \"" + (*s_dir / "hostdir") +
                     "\"\ntarget = \"/host\"\nreadonly = true\n"
                     "[[volumes]]\nname = \"data\"\ntarget = \"/data\"\n";
  auto first = up("vol",
                  "cat /host/greeting; touch /host/x 2>/dev/null && echo wrote || echo ro; "
                  "echo kept > /data/state",
                  toml);
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(first.out, "from the host\nro\n");
  EXPECT_EQ(read_text(*s_dir / "volumes/vol/data/state"), "kept\n");
  // A second start gets a fresh rootfs but the same volume.
  auto second = up("vol", "cat /data/state", toml);
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_EQ(second.out, "kept\n");
}

// network = "host": the host's network namespace, but its own PID namespace.
}  // namespace
}  // namespace keel::runtime

namespace keel::runtime {
namespace {

TEST_F(Definitions, LoopbackIsUpInTheContainersNetworkNamespace) {
  // IFF_UP (0x1) | IFF_LOOPBACK (0x8): a fresh namespace has lo down (0x8).
  auto r = up("lo", "cat /sys/class/net/lo/flags", "");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "0x9\n");
}

// --notify-socket (keel-init's, for ready = "notify"): the socket is there at
// NOTIFY_SOCKET inside the container.
TEST_F(Definitions, NotifySocketIsVisibleInside) {
  std::string dir = *s_dir / "notify/n1";
  fs::create_directories(dir);
  std::string path = dir + "/notify.sock";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto r = up("notified", "echo $NOTIFY_SOCKET; test -S $NOTIFY_SOCKET && echo is-a-socket", "",
              {"--notify-socket", path});
  ::close(fd);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "/run/keel-notify/notify.sock\nis-a-socket\n") << r.err;
}

// network = "host": the host's network namespace, but its own PID namespace.
TEST_F(Definitions, HostNetworkApplicationContainer) {
  auto r = up("hostnet", "readlink /proc/self/ns/net; readlink /proc/self/ns/pid",
              "network = \"host\"\n");
  ASSERT_EQ(r.status, 0) << r.err;
  std::string host_net = fs::read_symlink("/proc/self/ns/net").string();
  std::string host_pid = fs::read_symlink("/proc/self/ns/pid").string();
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), host_net) << r.out;
  EXPECT_EQ(r.out.find(host_pid), std::string::npos) << r.out;
}

// --ready-fd (keel-init's, for ready = "started"): "started" arrives once the
// container's process runs, and the container does not inherit the fd.
TEST_F(Definitions, ReadyFdSaysStartedAndIsNotInherited) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  auto r = up("readyfd", "test -e /proc/self/fd/3 && echo inherited || echo not-inherited", "",
              {"--ready-fd", "3"}, {.fd3 = fds[1]});
  ::close(fds[1]);
  char buf[32] = {};
  ssize_t n = ::read(fds[0], buf, sizeof buf - 1);
  ::close(fds[0]);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "not-inherited\n") << r.err;
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "started\n");
  auto bad = up("readyfd-bad", "true", "", {"--ready-fd", "9"});
  EXPECT_EQ(bad.status, 125) << bad.err;
  EXPECT_NE(bad.err.find("--ready-fd 9 is not an open file descriptor"), std::string::npos)
      << bad.err;
}

}  // namespace
}  // namespace keel::runtime
