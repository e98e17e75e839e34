#include "keel/init/ostree_root.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "temp_dir.hpp"

using namespace keel::init;
using keel::init::test::TempDir;
namespace fs = std::filesystem;

TEST(Stateroot, FromDeploymentPath) {
  auto s = stateroot_from_deployment("/sysroot/ostree/deploy/keel/deploy/abc123.0");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(*s, "keel");
  EXPECT_FALSE(stateroot_from_deployment("/sysroot/ostree/boot.1/keel/abc/0"));
  EXPECT_FALSE(stateroot_from_deployment("/sysroot/ostree/deploy/keel"));
  EXPECT_FALSE(stateroot_from_deployment("/sysroot/ostree/deploy//deploy/x.0"));
}

// The layout `ostree admin deploy` makes: boot.1 -> boot.1.1, and
// boot.1.1/<os>/<bootcsum>/0 -> ../../../deploy/<os>/deploy/<csum>.0
TEST(ResolveDeployment, FollowsBootSymlinks) {
  TempDir dir;
  std::string sysroot = dir / "sysroot";
  fs::create_directories(sysroot + "/ostree/deploy/keel/deploy/c0ffee.0/usr");
  fs::create_directories(sysroot + "/ostree/deploy/keel/var");
  fs::create_directories(sysroot + "/ostree/boot.1.1/keel/bootcsum");
  fs::create_directory_symlink("boot.1.1", sysroot + "/ostree/boot.1");
  fs::create_directory_symlink("../../../deploy/keel/deploy/c0ffee.0",
                               sysroot + "/ostree/boot.1.1/keel/bootcsum/0");
  auto d = resolve_deployment(sysroot, "/ostree/boot.1/keel/bootcsum/0");
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(*d, fs::canonical(sysroot).string() + "/ostree/deploy/keel/deploy/c0ffee.0");
  EXPECT_EQ(*stateroot_from_deployment(*d), "keel");
}

TEST(ResolveDeployment, Errors) {
  TempDir dir;
  std::string sysroot = dir / "sysroot";
  fs::create_directories(sysroot + "/elsewhere");
  auto empty = resolve_deployment(sysroot, "");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message().find("ostree="), std::string::npos);
  auto missing = resolve_deployment(sysroot, "/ostree/boot.1/keel/x/0");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("realpath"), std::string::npos);
  auto outside = resolve_deployment(sysroot, "/elsewhere");
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().message().find("not a deployment"), std::string::npos);
}
