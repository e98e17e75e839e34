#include "keel/bootloader/grub_cfg.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "keel/testing/temp_dir.hpp"

namespace keel::bootloader {
namespace {

using keel::testing::TempDir;

BlsEntry entry(const std::string& title, const std::string& csum, int serial) {
  BlsEntry e;
  e.title = title;
  e.kernel = "/ostree/keel-" + csum + "/vmlinuz-6.1.0-56-cloud-amd64";
  e.initrds = {"/ostree/keel-" + csum + "/initramfs-6.1.0-56-cloud-amd64.img"};
  e.options = "root=LABEL=keel-root rw console=ttyS0 ostree=/ostree/boot.1/keel/" + csum + "/" +
              std::to_string(serial);
  return e;
}

// grub-script-check (Debian grub-common) parses the file as GRUB would: exit 0 if it is
// valid GRUB script.
int grub_script_check(const std::string& text) {
  TempDir d;
  std::string f = d.write("grub.cfg", text);
  return std::system((std::string(GRUB_SCRIPT_CHECK) + " " + f + " >/dev/null 2>&1").c_str());
}

// A trial counts only when keel_pending names entry 0's deployment: the updater arms it
// before switching the boot loader, so after a power cut between the two the old menu
// must boot its entry 0 without taking attempts (qemu.011_power_cut).
TEST(GrubCfg, CountsOnlyTheTrialOfEntryZero) {
  GrubCfgInput in;
  in.entries = {entry("Keel 0.2.0 (ostree:0)", "bbb", 0), entry("Keel 0.1.0 (ostree:1)", "aaa", 0)};
  in.newest_id = "c0ffee.1";
  std::string cfg = render_grub_cfg(in);
  EXPECT_NE(cfg.find("fi\nif [ \"$keel_pending\" = 'c0ffee.1' ]; then\n  set keel_trial=0\n"),
            std::string::npos)
      << cfg;
  EXPECT_EQ(cfg.find("[ -n \"$keel_pending\" ]"), std::string::npos);
}

TEST(GrubCfg, TwoDeploymentsNewestFirstWithCounter) {
  GrubCfgInput in;
  in.entries = {entry("Keel 0.2.0 (ostree:0)", "bbb", 0), entry("Keel 0.1.0 (ostree:1)", "aaa", 0)};
  in.menu_timeout_s = 5;
  in.source = "loader.1/entries";
  std::string cfg = render_grub_cfg(in);
  EXPECT_NE(cfg.find("from loader.1/entries; do not edit"), std::string::npos);
  EXPECT_NE(cfg.find("set timeout=5\n"), std::string::npos);
  EXPECT_NE(cfg.find("serial --unit=0 --speed=115200"), std::string::npos);
  EXPECT_NE(cfg.find("terminal_input serial\nterminal_output serial\n"), std::string::npos);
  EXPECT_NE(cfg.find("set keel_env='/boot/keel/grubenv'\n"), std::string::npos);
  EXPECT_NE(cfg.find("load_env --file \"$keel_env\" keel_pending keel_tries\n"), std::string::npos);
  EXPECT_NE(cfg.find("if [ \"$keel_tries\" = 9 ]; then set keel_tries=8; set keel_trial=1\n"),
            std::string::npos);
  EXPECT_NE(cfg.find("elif [ \"$keel_tries\" = 1 ]; then set keel_tries=0; set keel_trial=1\n"),
            std::string::npos);
  EXPECT_NE(cfg.find("if save_env --file \"$keel_env\" keel_tries; then"), std::string::npos);
  EXPECT_NE(cfg.find("set default=1\n    set keel_args=\"keel.rollback=$keel_pending\""),
            std::string::npos);
  EXPECT_NE(cfg.find("export keel_args\n"), std::string::npos);
  size_t first = cfg.find(
      "menuentry 'Keel 0.2.0 (ostree:0)' --id=keel-0 {\n"
      "  linux '/boot/ostree/keel-bbb/vmlinuz-6.1.0-56-cloud-amd64' "
      "'root=LABEL=keel-root' 'rw' 'console=ttyS0' "
      "'ostree=/ostree/boot.1/keel/bbb/0' $keel_args\n"
      "  initrd '/boot/ostree/keel-bbb/initramfs-6.1.0-56-cloud-amd64.img'\n"
      "}\n");
  size_t second = cfg.find("menuentry 'Keel 0.1.0 (ostree:1)' --id=keel-1 {");
  ASSERT_NE(first, std::string::npos) << cfg;
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_EQ(grub_script_check(cfg), 0) << cfg;
}

TEST(GrubCfg, OneDeploymentHasNoFallback) {
  GrubCfgInput in;
  in.entries = {entry("Keel", "aaa", 0)};
  std::string cfg = render_grub_cfg(in);
  EXPECT_EQ(cfg.find("set default=1"), std::string::npos);
  EXPECT_NE(cfg.find("there is no previous deployment to fall back to"), std::string::npos);
  EXPECT_EQ(grub_script_check(cfg), 0) << cfg;
}

TEST(GrubCfg, ConsolesAndSeparateBoot) {
  GrubCfgInput in;
  in.entries = {entry("Keel", "aaa", 0)};
  in.console = Console::graphical;
  in.boot_prefix = "";
  std::string cfg = render_grub_cfg(in);
  EXPECT_EQ(cfg.find("serial --unit"), std::string::npos);
  EXPECT_NE(cfg.find("terminal_input console\nterminal_output console\n"), std::string::npos);
  EXPECT_NE(cfg.find("linux '/ostree/keel-aaa/vmlinuz"), std::string::npos);
  EXPECT_NE(cfg.find("set keel_env='/keel/grubenv'"), std::string::npos);
  in.console = Console::both;
  cfg = render_grub_cfg(in);
  EXPECT_NE(cfg.find("serial --unit=0"), std::string::npos);
  EXPECT_NE(cfg.find("terminal_input serial console\nterminal_output serial console\n"),
            std::string::npos);
}

TEST(GrubCfg, QuotingKeepsHostileTextInert) {
  EXPECT_EQ(grub_quote("plain"), "'plain'");
  EXPECT_EQ(grub_quote("it's $x; reboot"), "'it'\\''s $x; reboot'");
  GrubCfgInput in;
  in.entries = {entry("Bob's \"OS\" $(x) }", "aaa", 0)};
  in.entries[0].options = "quiet foo=\"a b\" $root ; reboot";
  std::string cfg = render_grub_cfg(in);
  EXPECT_NE(cfg.find("menuentry 'Bob'\\''s \"OS\" $(x) }' --id=keel-0"), std::string::npos);
  // Double-quoted kernel values stay one word, quotes kept for the kernel.
  EXPECT_NE(cfg.find("'quiet' 'foo=\"a b\"' '$root' ';' 'reboot' $keel_args"), std::string::npos)
      << cfg;
  EXPECT_EQ(grub_script_check(cfg), 0) << cfg;
}

TEST(GrubCfg, TheSyntaxCheckCanFail) {
  EXPECT_NE(grub_script_check("if [ x ]; then\n"), 0);
}

}  // namespace
}  // namespace keel::bootloader
