#include "keel/common/sys.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>

using namespace keel;

TEST(Sys, AtomicWriteReplacesWholeFile) {
  char tmpl[] = "/tmp/keel-sys-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::string f = dir + "/a/b/file";
  ASSERT_TRUE(sys::mkdir_p(dir + "/a/b"));
  ASSERT_TRUE(sys::write_file_atomic(f, "first"));
  ASSERT_TRUE(sys::write_file_atomic(f, "second"));
  auto r = sys::read_file(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "second");
  EXPECT_FALSE(sys::exists(f + ".tmp"));
  std::string cmd = "rm -rf " + dir;
  ASSERT_EQ(system(cmd.c_str()), 0);
}

TEST(Sys, OpenNamesThePath) {
  auto r = sys::open("/nonexistent/keel", O_RDONLY);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "open /nonexistent/keel: No such file or directory");
}

TEST(Sys, ListDirNamesEntriesWithoutDots) {
  char tmpl[] = "/tmp/keel-sys-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  ASSERT_TRUE(sys::write_file_atomic(dir + "/b.conf", "x"));
  ASSERT_TRUE(sys::mkdir_p(dir + "/a"));
  auto r = sys::list_dir(dir);
  ASSERT_TRUE(r) << r.error().message();
  std::vector<std::string> names = *r;
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b.conf"}));
  std::string cmd = "rm -rf " + dir;
  ASSERT_EQ(system(cmd.c_str()), 0);
}

TEST(Sys, ListDirNamesTheMissingDirectory) {
  auto r = sys::list_dir("/nonexistent/keel");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "open /nonexistent/keel: No such file or directory");
}
