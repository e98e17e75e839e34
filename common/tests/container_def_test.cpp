#include "keel/common/container_def.hpp"

#include <gtest/gtest.h>

using namespace keel;

TEST(ContainerDef, ParsesAllFields) {
  auto r = parse_container_def_text(R"(
image = "busybox"
command = ["/bin/sh", "-c", "echo hi"]
env = ["A=1"]
restart = "always"
[resources]
memory_max = "32M"
pids_max = 16
)",
                                    "/usr/lib/keel/containers/hello.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->name, "hello");
  EXPECT_EQ(r->hostname, "hello");
  EXPECT_EQ(r->image, "busybox");
  EXPECT_EQ(r->command.size(), 3u);
  EXPECT_EQ(r->restart, RestartPolicy::always);
  EXPECT_EQ(r->resources.memory_max, 32ull << 20);
  EXPECT_EQ(r->resources.pids_max, 16u);
}

TEST(ContainerDef, DefaultsToOnFailure) {
  auto r = parse_container_def_text("image = \"b\"\n", "a.toml");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->restart, RestartPolicy::on_failure);
}

TEST(ContainerDef, MissingImageIsAnError) {
  auto r = parse_container_def_text("command = [\"x\"]\n", "a.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("missing required key 'image'"), std::string::npos);
}

TEST(ContainerDef, BadRestartPolicyNamesLine) {
  auto r = parse_container_def_text("image = \"b\"\nrestart = \"sometimes\"\n", "a.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("a.toml:2:"), std::string::npos) << r.error().message();
}

TEST(ContainerDef, BadEnvAndBadName) {
  EXPECT_FALSE(parse_container_def_text("image = \"b\"\nenv = [\"NOEQUALS\"]\n", "a.toml"));
  EXPECT_FALSE(parse_container_def_text("image = \"b\"\n", "Bad_Name.toml"));
}

TEST(ContainerDef, NameValidation) {
  EXPECT_TRUE(is_valid_container_name("web-1"));
  EXPECT_FALSE(is_valid_container_name(""));
  EXPECT_FALSE(is_valid_container_name("-x"));
  EXPECT_FALSE(is_valid_container_name("../etc"));
}
