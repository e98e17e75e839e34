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

// toml++ 3.3.0 reached __builtin_unreachable() on this (marzer/tomlplusplus#295, found
// by scripts/fuzz); keel/common/tomlpp.hpp makes it a plain syntax error.
TEST(Toml, NonAsciiWhereWhitespaceIsExpectedIsASyntaxError) {
  for (const char* text : {"image = \"a\"\n\xcc\xaa\n", "a = 1 \xc2\xa1\n", "\xe3\x83\xbb = 1\n"}) {
    auto r = TomlDoc::parse(text, "x.toml");
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message().find("x.toml:"), std::string::npos) << r.error().message();
  }
  // Non-ASCII inside strings and comments stays fine.
  EXPECT_TRUE(
      TomlDoc::parse("a = \"\xc2\xa1Hola, \xd0\x9c\xd0\xb8\xd1\x80!\" # \xc2\xa7\n", "x.toml"));
}
