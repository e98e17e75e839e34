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

TEST(ContainerDef, CpuAndIoResources) {
  auto r = parse_container_def_text(R"(
image = "busybox"
[resources]
cpu_weight = 200
cpu_max = "50000 200000"
io_weight = 300
)",
                                    "a.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->resources.cpu_weight, 200u);
  EXPECT_EQ(r->resources.cpu_quota, 50000);
  EXPECT_EQ(r->resources.cpu_period, 200000u);
  EXPECT_EQ(r->resources.io_weight, 300u);
  r = parse_container_def_text("image = \"b\"\n[resources]\ncpu_max = \"max\"\n", "a.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->resources.cpu_quota, -1);
  EXPECT_FALSE(r->resources.cpu_period);
}

TEST(ContainerDef, BadCpuAndIoResourcesNameTheKey) {
  for (const char* bad : {"cpu_max = \"fast\"", "cpu_max = \"0 100000\"", "cpu_max = \"50000 x\"",
                          "cpu_weight = 0", "io_weight = 10001"}) {
    auto r = parse_container_def_text(std::string("image = \"b\"\n[resources]\n") + bad + "\n",
                                      "a.toml");
    ASSERT_FALSE(r) << bad;
    std::string key = std::string(bad).substr(0, std::string(bad).find(' '));
    EXPECT_NE(r.error().message().find(key + " must be"), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("a.toml"), std::string::npos) << r.error().message();
  }
}
