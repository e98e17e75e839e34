// Parsing of linux.namespaces, id mappings, rootfsPropagation, mountLabel and
// process.selinuxLabel, and how mounts are planned from them.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include "child.hpp"
#include "keel/runtime/spec.hpp"
#include "propagation.hpp"
#include "selinux_label.hpp"

namespace keel::runtime {
namespace {

std::string with_linux(const std::string& linux_fields, const std::string& process_extra = "") {
  return R"({"ociVersion":"1.2.0","process":{"args":["sh"])" + process_extra +
         R"(},"root":{"path":"r"},"linux":{)" + linux_fields + "}}";
}

constexpr const char* kUserNs = R"("namespaces":[{"type":"mount"},{"type":"user"}],)";

TEST(SpecIsolation, ParsesNamespacesMappingsAndLabels) {
  auto s =
      parse_spec(with_linux(std::string(kUserNs) +
                                R"("uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],
                        "gidMappings":[{"containerID":0,"hostID":200000,"size":10},
                                       {"containerID":10,"hostID":300000,"size":1}],
                        "rootfsPropagation":"rshared","mountLabel":"system_u:object_r:c_t:s0")",
                            R"(,"selinuxLabel":"system_u:system_r:c_t:s0")"),
                 "config.json");
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(s->linux_.uid_mappings.size(), 1u);
  EXPECT_EQ(s->linux_.uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(s->linux_.uid_mappings[0].size, 65536u);
  ASSERT_EQ(s->linux_.gid_mappings.size(), 2u);
  EXPECT_EQ(s->linux_.gid_mappings[1].container_id, 10u);
  EXPECT_EQ(s->linux_.rootfs_propagation, "rshared");
  EXPECT_EQ(s->linux_.mount_label, "system_u:object_r:c_t:s0");
  EXPECT_EQ(s->process.selinux_label, "system_u:system_r:c_t:s0");
  s = parse_spec(with_linux(R"("namespaces":[{"type":"network","path":"/run/netns/x"}])"), "c");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->linux_.namespaces[0].path, "/run/netns/x");
}

void expect_error(const std::string& json, std::string_view needle) {
  auto s = parse_spec(json, "config.json");
  ASSERT_FALSE(s) << "accepted: " << json;
  EXPECT_NE(s.error().message().find(needle), std::string::npos) << s.error().message();
  EXPECT_TRUE(s.error().message().starts_with("config.json: ")) << s.error().message();
}

TEST(SpecIsolation, RejectsBadFieldsNamingThem) {
  const std::string map = R"("gidMappings":[{"containerID":0,"hostID":1,"size":1}],)";
  expect_error(with_linux(std::string(kUserNs) + map +
                          R"("uidMappings":[{"containerID":0,"hostID":1,"size":0}])"),
               "linux.uidMappings[0].size: must be > 0");
  expect_error(
      with_linux(std::string(kUserNs) + map + R"("uidMappings":[{"containerID":0,"size":1}])"),
      "linux.uidMappings[0].hostID: is required");
  expect_error(with_linux(std::string(kUserNs) + map +
                          R"("uidMappings":[{"containerID":-1,"hostID":1,"size":1}])"),
               "linux.uidMappings[0].containerID: must be 0 to 4294967295");
  expect_error(with_linux(std::string(kUserNs) + map +
                          R"("uidMappings":[{"containerID":0,"hostID":4294967295,"size":2}])"),
               "linux.uidMappings[0]: range overflows");
  expect_error(with_linux(std::string(kUserNs) + map.substr(0, map.size() - 1)),
               "linux.uidMappings: a new user namespace needs it");
  expect_error(with_linux(R"("namespaces":[{"type":"mount"}],)" + map +
                          R"("uidMappings":[{"containerID":0,"hostID":1,"size":1}])"),
               "linux.uidMappings: set, but linux.namespaces has no user namespace");
  expect_error(with_linux(R"("namespaces":[{"type":"user","path":"/proc/1/ns/user"}],)" + map +
                          R"("uidMappings":[{"containerID":0,"hostID":1,"size":1}])"),
               "must be empty when joining user namespace /proc/1/ns/user");
  expect_error(with_linux(R"("namespaces":[{"type":"mount"},{"type":"ipc"},{"type":"ipc"}])"),
               "linux.namespaces[2].type: ipc is listed twice");
  expect_error(with_linux(R"("namespaces":[{"type":"bogus"}])"),
               "linux.namespaces[0].type: 'bogus' is not a namespace type");
  expect_error(with_linux(R"("namespaces":[{"type":"uts","path":"rel/path"}])"),
               "linux.namespaces[0].path: must be an absolute path");
  expect_error(with_linux(R"("rootfsPropagation":"sideways")"),
               "linux.rootfsPropagation: 'sideways' is not one of");
  expect_error(with_linux(R"("timeOffsets":{"monotonic":{"secs":1}})"),
               "linux.timeOffsets: not supported");
  expect_error(with_linux(R"("mountLabel":7)"), "linux.mountLabel");
  expect_error(with_linux("", R"(,"selinuxLabel":["x"])"), "process.selinuxLabel");
}

}  // namespace
}  // namespace keel::runtime

namespace keel::runtime {
namespace {

TEST(MountPlan, PropagationOptionsAreFlagsNotData) {
  SpecMount m{.destination = "/mnt",
              .type = "tmpfs",
              .source = "tmpfs",
              .options = {"nosuid", "rslave", "size=1m", "unbindable"}};
  auto planned = plan_mounts({m});
  ASSERT_TRUE(planned) << planned.error().message();
  EXPECT_EQ((*planned)[0].data, "size=1m");
  EXPECT_EQ((*planned)[0].propagation,
            (std::vector<unsigned long>{MS_SLAVE | MS_REC, MS_UNBINDABLE}));
}

TEST(MountPlan, MountPointOfAPathIsTheLongestPrefix) {
  EXPECT_EQ(mount_point_of("/proc/self/status").value_or("?"), "/proc");
  EXPECT_EQ(mount_point_of("/").value_or("?"), "/");
  // "/procfoo" is not under "/proc".
  EXPECT_EQ(mount_point_of("/procfoo").value_or("?"), "/");
}

TEST(MountLabel, ContextOptionIsQuotedBecauseCategoriesHoldCommas) {
  EXPECT_EQ(data_with_mount_label("size=1m", "system_u:object_r:c_t:s0:c1,c2"),
            "size=1m,context=\"system_u:object_r:c_t:s0:c1,c2\"");
  EXPECT_EQ(data_with_mount_label("", "u:r:t:s0"), "context=\"u:r:t:s0\"");
  EXPECT_EQ(data_with_mount_label("mode=755", ""), "mode=755");
}

TEST(MountLabel, OnlyFilesystemsWithoutPolicyLabelsGetIt) {
  EXPECT_TRUE(takes_mount_label("tmpfs", false));
  EXPECT_TRUE(takes_mount_label("devpts", false));
  EXPECT_FALSE(takes_mount_label("proc", false));
  EXPECT_FALSE(takes_mount_label("sysfs", false));
  EXPECT_FALSE(takes_mount_label("cgroup2", false));
  EXPECT_FALSE(takes_mount_label("none", true));  // binds keep the source's labels
}

}  // namespace
}  // namespace keel::runtime
