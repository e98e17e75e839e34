#include "keel/init/cmdline.hpp"

#include <gtest/gtest.h>

using namespace keel::init;

TEST(Cmdline, SplitsLikeTheKernel) {
  auto w = split_cmdline("  a=1 b=\"two words\"  \"c=x y\"\tflag\n");
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0], "a=1");
  EXPECT_EQ(w[1], "b=two words");
  EXPECT_EQ(w[2], "c=x y");
  EXPECT_EQ(w[3], "flag");
}

TEST(Cmdline, ParsesKeelKeys) {
  auto c = parse_cmdline(
      "BOOT_IMAGE=/vmlinuz root=LABEL=keel-root rw console=ttyS0 "
      "ostree=/ostree/boot.1/keel/abc/0 keel.shutdown-when-done=poweroff keel.panic-reboot\n");
  EXPECT_EQ(c.root, "LABEL=keel-root");
  EXPECT_EQ(c.root_label, "keel-root");
  EXPECT_EQ(c.ostree, "/ostree/boot.1/keel/abc/0");
  ASSERT_TRUE(c.shutdown_when_done);
  EXPECT_EQ(*c.shutdown_when_done, ShutdownAction::poweroff);
  EXPECT_TRUE(c.panic_reboot);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(Cmdline, DefaultsAndDevicePaths) {
  auto c = parse_cmdline("root=/dev/vda2 keel.panic-reboot=0");
  EXPECT_EQ(c.root, "/dev/vda2");
  EXPECT_TRUE(c.root_label.empty());
  EXPECT_TRUE(c.ostree.empty());
  EXPECT_FALSE(c.shutdown_when_done);
  EXPECT_FALSE(c.panic_reboot);
}

TEST(Cmdline, BadValuesBecomeWarnings) {
  auto c = parse_cmdline("keel.shutdown-when-done=explode keel.typo=1");
  EXPECT_FALSE(c.shutdown_when_done);
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_NE(c.warnings[0].find("explode"), std::string::npos);
  EXPECT_NE(c.warnings[1].find("keel.typo"), std::string::npos);
}

TEST(Cmdline, StopsAtDoubleDash) {
  auto c = parse_cmdline("ostree=/a -- ostree=/b");
  EXPECT_EQ(c.ostree, "/a");
}

TEST(Cmdline, ShutdownActionNames) {
  EXPECT_EQ(parse_shutdown_action("reboot"), ShutdownAction::reboot);
  EXPECT_EQ(parse_shutdown_action("halt"), ShutdownAction::halt);
  EXPECT_EQ(parse_shutdown_action(""), std::nullopt);
  EXPECT_EQ(to_string(ShutdownAction::poweroff), "poweroff");
}

namespace keel::init {
namespace {

TEST(Cmdline, RollbackFromGrub) {
  auto c = parse_cmdline("root=LABEL=keel-root keel.rollback=" + std::string(64, 'a') + ".0");
  EXPECT_EQ(c.rollback, std::string(64, 'a') + ".0");
  EXPECT_TRUE(c.warnings.empty());
}

}  // namespace
}  // namespace keel::init

TEST(Cmdline, LiveInstallKeys) {
  auto c = parse_cmdline("keel.live keel.install.to=/dev/vdb keel.install.poweroff");
  EXPECT_TRUE(c.live);
  EXPECT_EQ(c.install_to, "/dev/vdb");
  ASSERT_TRUE(c.after_install);
  EXPECT_EQ(*c.after_install, ShutdownAction::poweroff);
  EXPECT_TRUE(c.warnings.empty());

  auto plain = parse_cmdline("root=LABEL=keel-root");
  EXPECT_FALSE(plain.live);
  EXPECT_TRUE(plain.install_to.empty());
  EXPECT_FALSE(plain.after_install);

  auto bad = parse_cmdline("keel.live=1 keel.install.to=vdb keel.install.reboot");
  EXPECT_TRUE(bad.live);
  EXPECT_TRUE(bad.install_to.empty());
  ASSERT_EQ(bad.warnings.size(), 1u);
  EXPECT_NE(bad.warnings[0].find("keel.install.to=vdb"), std::string::npos);
  EXPECT_EQ(*bad.after_install, ShutdownAction::reboot);
}
