#include "keel/common/sys.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

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

// A second holder waits until the first lets go; try_lock_exclusive does not wait
// (keel-compose's download-cache lock, the layer store's lock).
TEST(Sys, LockExclusiveWaitsForTheHolder) {
  char tmpl[] = "/tmp/keel-sys-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/lock";
  auto first = sys::lock_exclusive(path);
  ASSERT_TRUE(first);
  auto busy = sys::try_lock_exclusive(path);
  ASSERT_TRUE(busy);
  EXPECT_FALSE(busy->has_value());
  std::atomic<bool> locked = false;
  std::thread second([&] { locked = sys::lock_exclusive(path).has_value(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(locked);
  first->reset();
  second.join();
  EXPECT_TRUE(locked);
  auto again = sys::try_lock_exclusive(path);  // the thread's fd closed: free again
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->has_value());
  std::string cmd = "rm -rf " + std::string(tmpl);
  ASSERT_EQ(system(cmd.c_str()), 0);
}
