#include "keel/common/toml.hpp"

#include <gtest/gtest.h>

using namespace keel;

TEST(Toml, SyntaxErrorNamesFileLineAndColumn) {
  auto r = TomlDoc::parse("a = 1\nb = [1, \n c = ", "img.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("img.toml:3:"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("TOML syntax error"), std::string::npos);
}

TEST(Toml, WrongTypeNamesKeyAndPosition) {
  auto doc = TomlDoc::parse("\nname = 5\n", "x.toml");
  ASSERT_TRUE(doc);
  auto r = doc->get_string(doc->root(), "name");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("x.toml:2:"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("'name' must be a string"), std::string::npos);
}

TEST(Toml, RejectsUnknownKeys) {
  auto doc = TomlDoc::parse("imgae = \"x\"\n", "c.toml");
  ASSERT_TRUE(doc);
  auto r = doc->reject_unknown_keys(doc->root(), "top", {"image"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("unknown key 'imgae'"), std::string::npos);
}

TEST(Toml, ParsesSizes) {
  EXPECT_EQ(parse_size("64M"), 64ull << 20);
  EXPECT_EQ(parse_size("1G"), 1ull << 30);
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("12X"), std::nullopt);
  EXPECT_EQ(parse_size("M"), std::nullopt);
  EXPECT_EQ(parse_size("99999999999999999999G"), std::nullopt);
}

TEST(Toml, Durations) {
  using std::chrono::milliseconds;
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("10s"), milliseconds(10'000));
  EXPECT_EQ(parse_duration("2m"), milliseconds(120'000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_FALSE(parse_duration("10"));  // a string needs its unit
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("25h"));
  EXPECT_FALSE(parse_duration("-1s"));
}
