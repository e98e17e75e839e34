#include "keel/common/error.hpp"

#include <gtest/gtest.h>

#include <cerrno>

using namespace keel;

namespace {
Result<int> fails() {
  return fail(Error::from_errno("open /x", ENOENT));
}
Result<int> adds_context() {
  return TRY_CTX(fails(), "loading config") + 1;
}
Result<void> void_ok() {
  return {};
}
Result<int> uses_void() {
  TRY(void_ok());
  return 7;
}
}  // namespace

TEST(Error, ChainsContextAndKeepsErrno) {
  auto r = adds_context();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().message(), "loading config: open /x: No such file or directory");
}

TEST(Error, TryPassesValuesThrough) {
  auto r = uses_void();
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 7);
}
