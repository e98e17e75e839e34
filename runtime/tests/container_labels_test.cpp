// The labels keel-runtime up gives a container (container_labels.hpp).
#include "container_labels.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace keel::runtime {
namespace {

ContainerDef def_for(const std::string& toml) {
  auto def = parse_container_def_text("image = \"busybox\"\ncommand = [\"sh\"]\n" + toml, "c.toml");
  EXPECT_TRUE(def) << def.error().message();
  return def ? *def : ContainerDef{};
}

TEST(ContainerLabels, AppContainerGetsContainerTAtItsCategories) {
  auto l = container_labels(def_for(""), "s0:c12,c345");
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->process, "system_u:system_r:container_t:s0:c12,c345");
  EXPECT_EQ(l->mount, "system_u:object_r:container_file_t:s0:c12,c345");
}

TEST(ContainerLabels, SystemContainerIsPrivilegedWhateverTheLevel) {
  auto l = container_labels(def_for("system = true\n"), "");
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->process, "system_u:system_r:spc_t:s0-s0:c0.c1023");
  EXPECT_EQ(l->mount, "system_u:object_r:container_file_t:s0:c0.c1023");
}

TEST(ContainerLabels, BadOrMissingLevelsAreRefusedWithTheFormat) {
  for (const char* bad : {"", "s0", "s0:c5", "s0:c5,c5", "s0:c9,c2", "s0:c1,c1024", "s1:c1,c2",
                          "s0:c1,c2,c3", "s0:c1.c3"}) {
    auto l = container_labels(def_for(""), bad);
    ASSERT_FALSE(l) << bad;
    EXPECT_NE(l.error().message().find("s0:cX,cY"), std::string::npos) << l.error().message();
  }
}

TEST(ContainerLabels, SpecCarriesBothLabels) {
  auto json = with_selinux_labels(
      R"({"process":{"args":["sh"]},"linux":{}})",
      {"system_u:system_r:container_t:s0:c1,c2", "system_u:object_r:container_file_t:s0:c1,c2"});
  ASSERT_TRUE(json) << json.error().message();
  auto j = nlohmann::json::parse(*json);
  EXPECT_EQ(j["process"]["selinuxLabel"], "system_u:system_r:container_t:s0:c1,c2");
  EXPECT_EQ(j["linux"]["mountLabel"], "system_u:object_r:container_file_t:s0:c1,c2");
}

}  // namespace
}  // namespace keel::runtime
