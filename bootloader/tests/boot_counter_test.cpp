#include "keel/bootloader/boot_counter.hpp"

#include <gtest/gtest.h>

#include "keel/bootloader/grubenv.hpp"
#include "keel/common/sys.hpp"
#include "keel/testing/temp_dir.hpp"

namespace keel::bootloader {
namespace {

using keel::testing::TempDir;

const std::string kNew = std::string(64, 'a') + ".0";
const std::string kOld = std::string(64, 'b') + ".1";

TEST(BootCounter, DeploymentIds) {
  EXPECT_TRUE(is_deployment_id(kNew));
  EXPECT_TRUE(is_deployment_id(std::string(64, 'f') + ".12"));
  EXPECT_FALSE(is_deployment_id(std::string(64, 'a')));
  EXPECT_FALSE(is_deployment_id(std::string(64, 'a') + "."));
  EXPECT_FALSE(is_deployment_id(std::string(64, 'A') + ".0"));
  EXPECT_FALSE(is_deployment_id(std::string(63, 'a') + ".0"));
  EXPECT_FALSE(is_deployment_id(std::string(64, 'a') + ".0 x"));
}

TEST(BootCounter, MissingFileMeansNoTrial) {
  TempDir d;
  auto c = read_boot_counter(d / "grubenv");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->pending, "");
  EXPECT_FALSE(c->tries_left);
  EXPECT_EQ(c->failed, "");
  EXPECT_EQ(classify_boot(*c, kNew, ""), BootKind::normal);
}

TEST(BootCounter, ArmMarkGood) {
  TempDir d;
  std::string f = d / "grubenv";
  ASSERT_TRUE(arm_trial(f, kNew, 3));
  auto c = read_boot_counter(f);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->pending, kNew);
  EXPECT_EQ(c->tries_left, 3);
  EXPECT_EQ(classify_boot(*c, kNew, ""), BootKind::trial);
  EXPECT_EQ(classify_boot(*c, kOld, ""), BootKind::other);
  // Another deployment passing its gates does not end the trial.
  auto other = mark_boot_good(f, kOld);
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
  EXPECT_EQ(read_boot_counter(f)->pending, kNew);
  auto good = mark_boot_good(f, kNew);
  ASSERT_TRUE(good);
  EXPECT_TRUE(*good);
  c = read_boot_counter(f);
  EXPECT_EQ(c->pending, "");
  EXPECT_FALSE(c->tries_left);
  EXPECT_EQ(classify_boot(*c, kNew, ""), BootKind::normal);
}

TEST(BootCounter, RollbackIsRecordedAndKeepsTheTrial) {
  TempDir d;
  std::string f = d / "grubenv";
  ASSERT_TRUE(arm_trial(f, kNew, 1));
  // What GRUB does: one attempt taken, then none left.
  auto env = read_grubenv(f);
  env->set(kVarTries, "0");
  ASSERT_TRUE(write_grubenv(f, *env));
  auto c = read_boot_counter(f);
  EXPECT_EQ(c->tries_left, 0);
  EXPECT_EQ(classify_boot(*c, kOld, kNew), BootKind::rollback);
  ASSERT_TRUE(record_rollback(f, kNew));
  c = read_boot_counter(f);
  EXPECT_EQ(c->failed, kNew);
  EXPECT_EQ(c->pending, kNew);  // GRUB keeps booting the fallback
  EXPECT_EQ(c->tries_left, 0);
  ASSERT_TRUE(clear_trial(f));
  c = read_boot_counter(f);
  EXPECT_EQ(c->pending, "");
  EXPECT_EQ(c->failed, kNew);
}

TEST(BootCounter, BadArguments) {
  TempDir d;
  std::string f = d / "grubenv";
  auto bad_id = arm_trial(f, "../../etc", 3);
  ASSERT_FALSE(bad_id);
  EXPECT_NE(bad_id.error().message().find("'../../etc' is not a deployment id"), std::string::npos);
  auto zero = arm_trial(f, kNew, 0);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().message(), "0 boot attempts: give 1 to 9");
  EXPECT_FALSE(arm_trial(f, kNew, 10));
  EXPECT_FALSE(sys::exists(f));
}

TEST(BootCounter, CorruptBlockIsAnError) {
  TempDir d;
  std::string f = d.write("grubenv", "not an env block");
  auto c = read_boot_counter(f);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("not a GRUB environment block"), std::string::npos);
  EXPECT_FALSE(arm_trial(f, kNew, 3));
}

TEST(BootCounter, NonNumericTries) {
  TempDir d;
  std::string f = d / "grubenv";
  GrubEnv env;
  env.set(kVarPending, kNew);
  env.set(kVarTries, "many");
  ASSERT_TRUE(write_grubenv(f, env));
  auto c = read_boot_counter(f);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->tries_left);
}

}  // namespace
}  // namespace keel::bootloader
