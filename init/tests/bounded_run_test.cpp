#include "keel/init/bounded_run.hpp"

#include <gtest/gtest.h>

using namespace keel::init;
using namespace std::chrono_literals;

TEST(BoundedRun, ExitStatusComesBack) {
  auto ok = run_bounded({"/bin/true"}, 5s);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_FALSE(ok->timed_out);
  EXPECT_EQ(ok->status, 0);
  auto bad = run_bounded({"/bin/sh", "-c", "exit 3"}, 5s);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 3);
}

TEST(BoundedRun, AHungHelperIsKilledAtTheDeadline) {
  auto start = std::chrono::steady_clock::now();
  auto r = run_bounded({"/bin/sleep", "30"}, 300ms);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(BoundedRun, AMissingProgramIsAnError) {
  auto r = run_bounded({"/nonexistent/keel-firstboot", "local"}, 1s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("running /nonexistent/keel-firstboot"), std::string::npos)
      << r.error().message();
}
