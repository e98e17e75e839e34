#include "keel/update/version.hpp"

#include <gtest/gtest.h>

using keel::update::check_version;
using keel::update::compare_versions;

TEST(Version, AcceptsReleaseVersions) {
  for (const char* v : {"0.1.0", "1.2.3", "2026.11.1", "1.0~rc1", "1.0+build5", "1.0-2"})
    EXPECT_TRUE(check_version(v)) << v;
}

TEST(Version, RefusesOthersWithTheRule) {
  for (const char* v : {"", "v1.0", "1.0 beta", "1/2", ".1", "1.0\n"}) {
    auto r = check_version(v);
    ASSERT_FALSE(r) << v;
    EXPECT_NE(r.error().message().find("must start with a digit"), std::string::npos);
  }
  EXPECT_FALSE(check_version(std::string(65, '1')));
}

TEST(Version, OrdersNumbersAsNumbers) {
  EXPECT_LT(compare_versions("0.1.9", "0.1.10"), 0);
  EXPECT_GT(compare_versions("1.10.0", "1.9.9"), 0);
  EXPECT_EQ(compare_versions("1.2.3", "1.2.3"), 0);
  EXPECT_LT(compare_versions("1.2", "1.2.1"), 0);
  EXPECT_LT(compare_versions("2026.1.2", "2026.11.0"), 0);
}

TEST(Version, TildeSortsBeforeTheRelease) {
  EXPECT_LT(compare_versions("1.0~rc1", "1.0"), 0);
  EXPECT_GT(compare_versions("1.0", "1.0~rc2"), 0);
  EXPECT_LT(compare_versions("1.0~rc1", "1.0~rc2"), 0);
  EXPECT_GT(compare_versions("1.0.1~rc1", "1.0"), 0);
  EXPECT_EQ(compare_versions("1.0~rc1", "1.0~rc1"), 0);
}
