// keel::trim and keel::split_lines.
#include "keel/common/text.hpp"

#include <gtest/gtest.h>

namespace keel {
namespace {

TEST(Text, TrimDropsSpacesTabsAndCarriageReturns) {
  EXPECT_EQ(trim(" \tvalue \r"), "value");
  EXPECT_EQ(trim("  "), "");
}

TEST(Text, SplitLinesKeepsEmptyLinesButNoTrailingOne) {
  EXPECT_EQ(split_lines("a\n\nb\n"), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(split_lines("a"), (std::vector<std::string_view>{"a"}));
  EXPECT_TRUE(split_lines("").empty());
}

}  // namespace
}  // namespace keel
