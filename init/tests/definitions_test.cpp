#include "keel/init/definitions.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

using namespace keel::init;
using keel::init::test::TempDir;
using keel::init::test::write_text;

TEST(Definitions, EtcOverridesUsrAndBadOnesAreSkipped) {
  TempDir dir;
  std::string usr = dir / "usr", etc = dir / "etc";
  write_text(usr + "/web.toml", "image = \"nginx\"\n");
  write_text(usr + "/db.toml", "image = \"postgres\"\nrestart = \"always\"\n");
  write_text(usr + "/broken.toml", "imagee = \"typo\"\n");
  write_text(usr + "/README", "not a definition\n");
  write_text(etc + "/web.toml", "image = \"nginx-custom\"\nrestart = \"never\"\n");
  auto set = load_definitions({usr, etc, dir / "missing"});
  ASSERT_EQ(set.defs.size(), 2u);
  EXPECT_EQ(set.defs[0].name, "db");
  EXPECT_EQ(set.defs[0].restart, keel::RestartPolicy::always);
  EXPECT_EQ(set.defs[1].name, "web");
  EXPECT_EQ(set.defs[1].image, "nginx-custom");
  EXPECT_EQ(set.defs[1].source_path, etc + "/web.toml");
  ASSERT_EQ(set.errors.size(), 1u);
  EXPECT_NE(set.errors[0].message().find("broken.toml"), std::string::npos);
}

TEST(Definitions, EnabledFalseMasksTheImagesContainer) {
  TempDir dir;
  std::string usr = dir / "usr", etc = dir / "etc";
  write_text(usr + "/hello.toml", "image = \"busybox\"\n");
  write_text(usr + "/web.toml", "image = \"nginx\"\n");
  write_text(etc + "/hello.toml", "# disabled on this host\nenabled = false\n");
  auto set = load_definitions({usr, etc});
  ASSERT_TRUE(set.errors.empty()) << set.errors[0].message();
  ASSERT_EQ(set.defs.size(), 1u);
  EXPECT_EQ(set.defs[0].name, "web");
  ASSERT_EQ(set.disabled.size(), 1u);
  EXPECT_EQ(set.disabled[0].name, "hello");
  EXPECT_EQ(set.disabled[0].source_path, etc + "/hello.toml");
}

TEST(Definitions, NothingThere) {
  auto set = load_definitions({"/nonexistent/keel"});
  EXPECT_TRUE(set.defs.empty());
  EXPECT_TRUE(set.errors.empty());
}
