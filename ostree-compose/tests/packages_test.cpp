#include "keel/compose/packages.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "keel/common/sys.hpp"
#include "keel/compose/compose.hpp"
#include "keel/compose/process.hpp"
#include "keel/testing/temp_dir.hpp"

using keel::testing::TempDir;

using namespace keel::compose;

TEST(Packages, FindsTheMissingPackageInAptOutput) {
  EXPECT_EQ(missing_package_from_log("E: Unable to locate package nosuchpkg\nE: failed"),
            "nosuchpkg");
  EXPECT_EQ(missing_package_from_log("E: Package 'foo' has no installation candidate"), "foo");
  EXPECT_EQ(missing_package_from_log("I: all good"), "");
}

TEST(Packages, ListsTheFilesOfADeb) {
  TempDir d;
  d.write("pkg/DEBIAN/control",
          "Package: keel-test\nVersion: 1\nArchitecture: all\nMaintainer: k <k@k>\n"
          "Description: test\n");
  d.write("pkg/usr/share/keel-test/a.txt", "a");
  d.write("pkg/usr/bin/keel-test", "#!/bin/sh\n");
  ASSERT_TRUE(run_command(
      {"dpkg-deb", "--build", "--root-owner-group", d.path() + "/pkg", d.path() + "/t.deb"},
      {.log_path = d.path() + "/log"}));
  auto files = deb_file_list(d.path() + "/t.deb");
  ASSERT_TRUE(files) << files.error().message();
  EXPECT_NE(std::find(files->begin(), files->end(), "usr/bin/keel-test"), files->end());
  EXPECT_NE(std::find(files->begin(), files->end(), "usr/share/keel-test/a.txt"), files->end());
}

TEST(Packages, NotADebIsAClearError) {
  TempDir d;
  auto r = deb_file_list(d.write("x.deb", "garbage"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("x.deb"), std::string::npos);
}

TEST(Packages, ExcludeRemovesThePackagesFilesButKeepsSharedDirectories) {
  TempDir d;
  d.write("pkg/DEBIAN/control",
          "Package: keel-test\nVersion: 1\nArchitecture: all\nMaintainer: k <k@k>\n"
          "Description: test\n");
  d.write("pkg/usr/share/keel-test/a.txt", "a");
  d.write("pkg/usr/bin/keel-test", "#!/bin/sh\n");
  ASSERT_TRUE(run_command({"dpkg-deb", "--build", "--root-owner-group", d / "pkg", d / "t.deb"},
                          {.log_path = d / "log"}));
  // The tree: the package's files plus a file of another package in a shared directory.
  d.write("root/usr/share/keel-test/a.txt", "a");
  d.write("root/usr/bin/keel-test", "x");
  d.write("root/usr/bin/other", "y");
  d.write("root/usr/share/other/b.txt", "b");
  ASSERT_TRUE(remove_deb_files(d / "root", d / "t.deb"));
  EXPECT_FALSE(std::filesystem::exists(d / "root/usr/bin/keel-test"));
  EXPECT_FALSE(std::filesystem::exists(d / "root/usr/share/keel-test"));
  EXPECT_TRUE(std::filesystem::exists(d / "root/usr/bin/other"));
  EXPECT_TRUE(std::filesystem::exists(d / "root/usr/share"));
}

// mmdebstrap's sync-in copies the whole cache into the chroot and its sync-out copies it
// back with tar, which replaces each file by a new one. A lock file inside the cache was
// replaced too, and two composes then held "the" lock at once (each on its own inode).
TEST(Packages, CacheLockSurvivesSyncOut) {
  TempDir d;
  std::string cache = d.path() + "/debs/";
  d.write("debs/a.deb", "a");
  std::string lock = cache_lock_path(cache);
  EXPECT_FALSE(lock.starts_with(cache)) << lock;
  auto held = keel::sys::lock_exclusive(lock);
  ASSERT_TRUE(held) << held.error().message();
  // What sync-in and sync-out do to the cache directory, in one step.
  ASSERT_TRUE(run_command({"sh", "-c", "tar -C \"$1\" -cf - . | tar -C \"$1\" -xf -", "sh", cache},
                          {.log_path = d.path() + "/log"}));
  auto second = keel::sys::try_lock_exclusive(cache_lock_path(cache));
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_FALSE(second->has_value()) << "a second compose got the lock while the first held it";
}
