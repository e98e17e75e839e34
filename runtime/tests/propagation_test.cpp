// Privileged tests of mount propagation and SELinux labels (label "root"): each
// reads the effect from inside the container, from its /proc/self/mountinfo or
// from what a host mount made while it runs looks like there.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <thread>

#include "isolation_fixture.hpp"
#include "keel/testing/temp_dir.hpp"

namespace keel::runtime {
namespace {

// A bind mount of `dir` onto itself with the given propagation, undone at the end.
class HostMount {
 public:
  HostMount(const std::string& dir, unsigned long propagation) : m_dir(dir) {
    fs::create_directories(dir);
    m_ok = ::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) == 0 &&
           ::mount(nullptr, dir.c_str(), nullptr, propagation, nullptr) == 0;
  }
  ~HostMount() { ::umount2(m_dir.c_str(), MNT_DETACH); }
  bool ok() const { return m_ok; }

 private:
  std::string m_dir;
  bool m_ok = false;
};

// The propagation tags ("shared:N", "master:N", "unbindable") of the mount at
// `mount_point`, from a container's mountinfo printed by the script below.
std::string tags_of(const std::string& mountinfo, const std::string& mount_point) {
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mp, opts, tag, tags;
    f >> id >> parent >> dev >> root >> mp >> opts;
    if (mp != mount_point) continue;
    while (f >> tag && tag != "-") tags += (tags.empty() ? "" : " ") + tag.substr(0, tag.find(':'));
    return tags;
  }
  return "(no mount at " + mount_point + ")";
}

class Propagation : public Isolation {
 protected:
  // Runs a container whose /mnt/s binds the host's shared mount `src` with
  // `options`; once it runs, the host mounts a tmpfs holding "marker" on src/sub.
  // Returns what the container then lists in /mnt/s/sub.
  Outcome host_mount_seen(const std::string& name, const json& options) {
    std::string src = m_dir / (name + "-src");
    HostMount shared(src, MS_SHARED);
    EXPECT_TRUE(shared.ok()) << src;
    fs::create_directories(src + "/sub");
    std::string b = make_bundle(name);
    std::thread host([&] {
      // The container says it runs; the host mounts; the container looks only after
      // "mounted", so the answer does not depend on timing.
      for (int i = 0; i < 1000 && !fs::exists(b + "/out/started"); ++i) ::usleep(10000);
      if (::mount("tmpfs", (src + "/sub").c_str(), "tmpfs", 0, nullptr) == 0)
        write_text(src + "/sub/marker", "");
      write_text(b + "/out/mounted", "");
    });
    auto o = run(
        b,
        "touch /tmp/started; i=0; while [ ! -e /tmp/mounted ] && [ $i -lt 1000 ]; do "
        "sleep 0.01; i=$((i+1)); done; ls /mnt/s/sub",
        [&](json& j) {
          j["mounts"].push_back(
              {{"destination", "/mnt/s"}, {"type", "bind"}, {"source", src}, {"options", options}});
        });
    host.join();
    ::umount2((src + "/sub").c_str(), MNT_DETACH);
    return o;
  }

  // The propagation tags of the container's "/" with rootfsPropagation `prop`
  // ("" for none), with its bundle on a shared host mount.
  std::string root_tags(const std::string& name, const std::string& prop) {
    std::string dir = m_dir / (name + "-shared");
    HostMount shared(dir, MS_SHARED);
    EXPECT_TRUE(shared.ok()) << dir;
    std::string b = make_bundle(name + "-shared/" + name);
    auto o = run(b, "cat /proc/self/mountinfo", [&](json& j) {
      if (!prop.empty()) j["linux"]["rootfsPropagation"] = prop;
    });
    EXPECT_EQ(o.status, 0) << o.err << o.out;
    return tags_of(o.out, "/");
  }
};

TEST_F(Propagation, RslaveBindSeesHostMountsMadeLater) {
  auto o = host_mount_seen("rslave", {"rbind", "rslave"});
  ASSERT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(o.out, "marker\n");
}

TEST_F(Propagation, RprivateBindDoesNotSeeThem) {
  auto o = host_mount_seen("rprivate", {"rbind", "rprivate"});
  ASSERT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(o.out, "");
}

TEST_F(Propagation, UnbindableOptionReachesTheMount) {
  std::string b = make_bundle("unbindable");
  auto o = run(b, "cat /proc/self/mountinfo", [&](json& j) {
    j["mounts"].push_back({{"destination", "/mnt"},
                           {"type", "tmpfs"},
                           {"source", "tmpfs"},
                           {"options", {"unbindable"}}});
  });
  ASSERT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(tags_of(o.out, "/mnt"), "unbindable");
}

// runc's default: the container's root receives the host's mount events.
TEST_F(Propagation, RootIsASlaveOfTheHostByDefault) {
  EXPECT_EQ(root_tags("default", ""), "master");
}

TEST_F(Propagation, RootfsPropagationPrivateCutsItOff) {
  EXPECT_EQ(root_tags("private", "rprivate"), "");
}

TEST_F(Propagation, RootfsPropagationSharedMakesRootShared) {
  EXPECT_EQ(root_tags("shared", "rshared"), "shared");
}

// This build machine runs without SELinux: like runc, keel-runtime then runs the
// container without the labels instead of failing (the QEMU test checks the
// labels on a Keel host, which always enforces).
TEST_F(Propagation, SelinuxLabelsAreIgnoredWithoutSelinux) {
  if (fs::exists("/sys/fs/selinux/enforce")) GTEST_SKIP() << "this host has SELinux";
  std::string b = make_bundle("labels");
  auto o = run(b, "echo ran", [&](json& j) {
    j["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0:c1,c2";
    j["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2";
  });
  ASSERT_EQ(o.status, 0) << o.err << o.out;
  EXPECT_EQ(o.out, "ran\n");
}

}  // namespace
}  // namespace keel::runtime
