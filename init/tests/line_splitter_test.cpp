#include "keel/init/line_splitter.hpp"

#include <gtest/gtest.h>

using namespace keel::init;

TEST(LineSplitter, BuffersPartialLines) {
  LineSplitter s;
  EXPECT_TRUE(s.feed("hel").empty());
  auto l = s.feed("lo\nworld\r\npar");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0], "hello");
  EXPECT_EQ(l[1], "world");
  EXPECT_EQ(s.flush(), "par");
  EXPECT_EQ(s.flush(), std::nullopt);
}

TEST(LineSplitter, EmptyLinesAreKept) {
  LineSplitter s;
  auto l = s.feed("\n\na\n");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[2], "a");
}

TEST(LineSplitter, CapsLongLines) {
  LineSplitter s(4);
  auto l = s.feed("abcdefghij\nxy");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0], "abcd");
  EXPECT_EQ(l[1], "efgh");
  EXPECT_EQ(l[2], "ij");
  EXPECT_EQ(s.flush(), "xy");
  auto exact = s.feed("wxyz\n");  // exactly at the cap: one line, no empty extra
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0], "wxyz");
}
