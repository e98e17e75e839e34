#include "keel/init/log_store.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "temp_dir.hpp"

using namespace keel::init;
using keel::init::test::read_text;
using keel::init::test::TempDir;

TEST(LogStore, KeepsTheLastLinesWithinTheMemoryCap) {
  LogStore s("", "web", {.memory_bytes = 60});
  for (int i = 0; i < 10; ++i) s.append("line " + std::to_string(i), 1.5);
  auto all = s.tail(0);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back(), "[    1.500000] line 9");
  size_t bytes = 0;
  for (const auto& l : all) bytes += l.size();
  EXPECT_LE(bytes, 60u);
  EXPECT_EQ(s.tail(1), std::vector<std::string>{"[    1.500000] line 9"});
}

TEST(LogStore, RotatesFilesAtTheSizeCap) {
  TempDir d;
  LogStore s(d.path(), "web", {.file_bytes = 100, .keep = 2});
  for (int i = 0; i < 20; ++i) s.append(fmt::format("message number {:02}", i), 2.0);
  // A line is 33 bytes with its stamp: three fit in 100, so seven files were
  // written; only NAME.log and two rotated ones remain, the newest lines in NAME.log.
  EXPECT_TRUE(std::filesystem::exists(d / "web.log"));
  EXPECT_TRUE(std::filesystem::exists(d / "web.log.1"));
  EXPECT_TRUE(std::filesystem::exists(d / "web.log.2"));
  EXPECT_FALSE(std::filesystem::exists(d / "web.log.3"));
  EXPECT_NE(read_text(d / "web.log").find("message number 19\n"), std::string::npos);
  EXPECT_NE(read_text(d / "web.log.1").find("message number 17\n"), std::string::npos);
  for (const char* f : {"web.log", "web.log.1", "web.log.2"})
    EXPECT_LE(std::filesystem::file_size(d / f), 100u) << f;
  EXPECT_EQ(s.dropped_writes(), 0u);
}

TEST(LogStore, AnUnwritableDirectoryKeepsLinesInMemory) {
  LogStore s("/nonexistent/keel-logs", "web");
  s.append("still here", 3.0);
  EXPECT_EQ(s.dropped_writes(), 1u);
  EXPECT_EQ(s.tail(0).size(), 1u);
}

TEST(LogStore, FollowersGetNewLinesUntilRemoved) {
  LogStore s("", "web");
  std::vector<std::string> got;
  auto id = s.follow([&](const std::string& l) { got.push_back(l); });
  s.append("a", 0);
  s.unfollow(id);
  s.append("b", 0);
  EXPECT_EQ(got, std::vector<std::string>{"[    0.000000] a"});
}
