// Privileged tests of namespaces, mounts and labels (needs root; label "root"): each
// runs a busybox container and reads the effect from inside it.
// Fails when not root, unless KEEL_ALLOW_SKIP_ROOT=1, so CI never skips silently.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "isolation_fixture.hpp"

namespace keel::runtime {
namespace {

json user_ns_edit(json& j) {
  j["linux"]["namespaces"].push_back({{"type", "user"}});
  json map = json::array({{{"containerID", 0}, {"hostID", kHostBase}, {"size", 65536}}});
  j["linux"]["uidMappings"] = map;
  j["linux"]["gidMappings"] = map;
  return j;
}

TEST_F(Isolation, UserNamespaceMapsRootToTheHostRange) {
  std::string b = make_bundle("userns", kHostBase);
  fs::create_directories(b + "/out");
  ASSERT_EQ(::chown((b + "/out").c_str(), kHostBase, kHostBase), 0);
  auto o = run(b, "cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; touch /tmp/made",
               [](json& j) { user_ns_edit(j); });
  ASSERT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(o.out,
            "         0     200000      65536\n"
            "         0     200000      65536\n"
            "0\n0\n");
  struct stat st;
  ASSERT_EQ(::stat((b + "/out/made").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kHostBase);
  EXPECT_EQ(st.st_gid, kHostBase);
}

// A non-root process.user inside the user namespace is the mapped host id + uid.
TEST_F(Isolation, UserNamespaceWithNonRootProcessUser) {
  std::string b = make_bundle("userns-user", kHostBase);
  fs::create_directories(b + "/out");
  ASSERT_EQ(::chmod((b + "/out").c_str(), 0777), 0);
  auto o = run(b, "id -u; touch /tmp/made", [](json& j) {
    user_ns_edit(j);
    j["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  });
  ASSERT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(o.out, "1000\n");
  struct stat st;
  ASSERT_EQ(::stat((b + "/out/made").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kHostBase + 1000);
}

// The namespace files of a helper process that stays in its own namespaces until
// the test ends: unshare(1) with a hostname, a dummy link, then sleep.
class NamespaceHolder {
 public:
  explicit NamespaceHolder(const std::string& flags, const std::string& setup) {
    // --kill-child: a forked pid-namespace init must not outlive the holder, and
    // no output fd of the test may stay open in it (ctest waits for those).
    std::string cmd = "exec unshare --kill-child " + flags + " sh -c '" + setup +
                      "; exec sleep 600' </dev/null >/dev/null 2>&1";
    m_pid = ::fork();
    if (m_pid == 0) {
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
      ::_exit(127);
    }
  }
  ~NamespaceHolder() {
    if (m_pid > 0) {
      ::kill(m_pid, SIGKILL);
      ::waitpid(m_pid, nullptr, 0);
    }
  }
  // Waits (briefly) until the holder has entered its namespace and the shell
  // command `check` succeeds.
  bool ready(const std::string& ns, const std::string& check) {
    for (int i = 0; i < 200; ++i) {
      std::string mine = fs::read_symlink("/proc/self/ns/" + ns);
      std::error_code ec;
      auto theirs = fs::read_symlink(path(ns), ec);
      if (!ec && theirs != mine && std::system((check + " >/dev/null 2>&1").c_str()) == 0)
        return true;
      ::usleep(10000);
    }
    return false;
  }
  std::string path(const std::string& ns) const {
    return "/proc/" + std::to_string(m_pid) + "/ns/" + ns;
  }
  pid_t pid() const { return m_pid; }

 private:
  pid_t m_pid = -1;
};

void join(json& j, const std::string& type, const std::string& path) {
  for (auto& n : j["linux"]["namespaces"])
    if (n["type"] == type) n["path"] = path;
}

TEST_F(Isolation, JoinsANetworkNamespaceByPath) {
  // The marker: an MTU on lo that a fresh network namespace does not have.
  NamespaceHolder h("--net", "ip link set lo mtu 1234");
  ASSERT_TRUE(
      h.ready("net", "nsenter --net=" + h.path("net") + " ip link show lo | grep -q 'mtu 1234'"));
  std::string b = make_bundle("netjoin");
  auto o = run(b, "cat /sys/class/net/lo/mtu", [&](json& j) { join(j, "network", h.path("net")); });
  ASSERT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(o.out, "1234\n");
}

TEST_F(Isolation, JoinsAUtsNamespaceByPath) {
  NamespaceHolder h("--uts", "hostname joined-uts");
  ASSERT_TRUE(h.ready("uts", "nsenter --uts=" + h.path("uts") + " hostname | grep -qx joined-uts"));
  std::string b = make_bundle("utsjoin");
  auto o = run(b, "hostname", [&](json& j) {
    join(j, "uts", h.path("uts"));
    j.erase("hostname");  // setting it would change the joined namespace
  });
  ASSERT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(o.out, "joined-uts\n");
}

// The holder's sleep is PID 1 of its pid namespace; the container joins it as PID 2,
// and keel-runtime's own pid_for_children is restored afterwards.
TEST_F(Isolation, JoinsAPidNamespaceByPath) {
  NamespaceHolder h("--pid --fork", "true");
  // Its PID 1 must exist before anyone can join: wait for unshare's child.
  std::string children =
      "/proc/" + std::to_string(h.pid()) + "/task/" + std::to_string(h.pid()) + "/children";
  ASSERT_TRUE(h.ready("pid_for_children", "grep -q . " + children));
  std::string own = fs::read_symlink("/proc/self/ns/pid_for_children");
  std::string b = make_bundle("pidjoin");
  auto o = run(b, "echo $$; cat /proc/1/comm",
               [&](json& j) { join(j, "pid", h.path("pid_for_children")); });
  ASSERT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(o.out, "2\nsleep\n");
  EXPECT_EQ(std::string(fs::read_symlink("/proc/self/ns/pid_for_children")), own);
}

TEST_F(Isolation, JoiningTheWrongTypeNamesPathAndType) {
  std::string b = make_bundle("wrongtype");
  auto o = run(b, "true", [&](json& j) { join(j, "network", "/proc/self/ns/uts"); });
  EXPECT_NE(o.err.find("network namespace /proc/self/ns/uts: the file is a different namespace"),
            std::string::npos)
      << o.err;
}

}  // namespace
}  // namespace keel::runtime

namespace keel::runtime {
namespace {

// maskedPaths read empty (a file is /dev/null, a directory an empty tmpfs),
// readonlyPaths and a read-only root refuse writes, even to the container's root.
TEST_F(Isolation, MaskedReadonlyPathsAndReadonlyRoot) {
  std::string b = make_bundle("masked");
  auto o = run(b,
               "echo kcore=$(cat /proc/kcore | wc -c) firmware=$(ls /sys/firmware | wc -l); "
               "echo 1 > /proc/sys/kernel/domainname || echo sys-ro; "
               "touch /newfile || echo root-ro; touch /tmp/ok && echo tmp-rw",
               [](json& j) {
                 j["root"]["readonly"] = true;
                 j["linux"]["maskedPaths"] = {"/proc/kcore", "/sys/firmware"};
                 j["linux"]["readonlyPaths"] = {"/proc/sys"};
               });
  ASSERT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_NE(o.out.find("kcore=0 firmware=0\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Read-only file system\nsys-ro\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Read-only file system\nroot-ro\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("tmp-rw\n"), std::string::npos) << o.out;
}

// All five capability sets: a non-root process keeps an ambient capability across
// execve only if it is also permitted and inheritable (capabilities(7)).
TEST_F(Isolation, AmbientCapabilityReachesANonRootProcess) {
  std::string b = make_bundle("ambient");
  fs::create_directories(b + "/out");
  ASSERT_EQ(::chmod((b + "/out").c_str(), 0777), 0);
  auto o = run(b, "id -u; grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status", [](json& j) {
    j["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"})
      j["process"]["capabilities"][set] = {"CAP_NET_RAW"};
  });
  ASSERT_EQ(o.status, 0) << o.err << o.out;
  // CAP_NET_RAW is bit 13.
  EXPECT_EQ(o.out,
            "1000\nCapInh:\t0000000000002000\nCapPrm:\t0000000000002000\n"
            "CapEff:\t0000000000002000\nCapBnd:\t0000000000002000\nCapAmb:\t0000000000002000\n");
}

}  // namespace
}  // namespace keel::runtime
