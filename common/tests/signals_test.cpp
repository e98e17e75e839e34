// keel::parse_signal: the one signal-name parser (keel-runtime kill, stop_signal).
#include "keel/common/signals.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace keel {
namespace {

TEST(Signals, NamesWithAndWithoutPrefixAndNumbers) {
  EXPECT_EQ(parse_signal("TERM").value(), SIGTERM);
  EXPECT_EQ(parse_signal("IOT").value(), SIGABRT);
  EXPECT_EQ(parse_signal("SIGWINCH").value(), SIGWINCH);
  EXPECT_FALSE(parse_signal("15x"));
  EXPECT_EQ(parse_signal("SIGTERM").value(), SIGTERM);
  EXPECT_EQ(parse_signal("KILL").value(), SIGKILL);
  EXPECT_EQ(parse_signal("9").value(), 9);
  EXPECT_EQ(parse_signal("SIGUSR1").value(), SIGUSR1);
  EXPECT_EQ(parse_signal("RTMIN+2").value(), SIGRTMIN + 2);
  EXPECT_FALSE(parse_signal("SIGNOPE"));
  EXPECT_FALSE(parse_signal("0"));
  EXPECT_FALSE(parse_signal("999"));
  EXPECT_FALSE(parse_signal(""));
}

TEST(Signals, ErrorsNameTheInput) {
  EXPECT_EQ(parse_signal("SIGFOO").error().message(), "unknown signal 'SIGFOO'");
  EXPECT_EQ(parse_signal("99").error().message(), "signal 99 is out of range");
}

}  // namespace
}  // namespace keel
