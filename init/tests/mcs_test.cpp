#include "keel/init/mcs.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace keel::init {
namespace {

TEST(McsAllocator, PairsAreOrderedDistinctAndInRange) {
  McsAllocator mcs;
  std::regex re("s0:c([0-9]+),c([0-9]+)");
  for (int i = 0; i < 200; ++i) {
    std::string level = mcs.level_for("c" + std::to_string(i));
    std::smatch m;
    ASSERT_TRUE(std::regex_match(level, m, re)) << level;
    int a = std::stoi(m[1]), b = std::stoi(m[2]);
    EXPECT_GE(a, 1) << level;
    EXPECT_LT(a, b) << level;
    EXPECT_LE(b, 1023) << level;
  }
}

TEST(McsAllocator, SameNameKeepsItsPair) {
  McsAllocator mcs;
  EXPECT_EQ(mcs.level_for("web"), mcs.level_for("web"));
}

TEST(McsAllocator, NoTwoContainersShareAPairEvenWithAStuckRandomSource) {
  // A source that always says the same number: every random draw collides (a == b),
  // so the fallback scan must still hand out distinct pairs.
  McsAllocator mcs([] { return 7u; });
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(seen.insert(mcs.level_for(std::to_string(i))).second);
}

TEST(McsAllocator, CollidingDrawsAreRetried) {
  // Draws 5,9 then 9,5 (the same pair) for the second container, then 2,3.
  std::vector<uint32_t> draws = {4, 8, 8, 4, 1, 2};
  size_t i = 0;
  McsAllocator mcs([&] { return draws[i++ % draws.size()]; });
  EXPECT_EQ(mcs.level_for("a"), "s0:c5,c9");
  EXPECT_EQ(mcs.level_for("b"), "s0:c2,c3");
}

}  // namespace
}  // namespace keel::init
