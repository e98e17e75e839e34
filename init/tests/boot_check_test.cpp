#include "keel/init/boot_check.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "keel/bootloader/boot_counter.hpp"
#include "temp_dir.hpp"

namespace keel::init {
namespace {

namespace fs = std::filesystem;
namespace bl = keel::bootloader;
using test::TempDir;

TEST(BootCheck, GatesGoodWhenAllReady) {
  std::string why;
  EXPECT_EQ(judge_gates({}, {}, why), GateVerdict::good);
  std::vector<GateView> seen = {{"network", true}, {"db", false}, {"web", true}};
  EXPECT_EQ(judge_gates({"network", "web"}, seen, why), GateVerdict::good);
  EXPECT_EQ(judge_gates({"network", "db"}, seen, why), GateVerdict::waiting);
}

TEST(BootCheck, GatesFail) {
  std::string why;
  std::vector<GateView> seen = {
      {"db", false, true, false}, {"web", false, false, true}, {"done", true, true, false}};
  EXPECT_EQ(judge_gates({"done", "db"}, seen, why), GateVerdict::failed);
  EXPECT_EQ(why, "gate db ended without becoming ready");
  EXPECT_EQ(judge_gates({"web"}, seen, why), GateVerdict::failed);
  EXPECT_EQ(why, "gate web is crash-looping without becoming ready");
  EXPECT_EQ(judge_gates({"nosuch"}, seen, why), GateVerdict::failed);
  EXPECT_NE(why.find("gate nosuch is not a container this host runs"), std::string::npos);
  // Ready once counts, even if it ended afterwards (a one-shot gate).
  EXPECT_EQ(judge_gates({"done"}, seen, why), GateVerdict::good);
}

// A booted host's view: /sysroot with the ostree= link, the grubenv, the image's files.
struct Host {
  TempDir d;
  std::string id = std::string(64, 'c') + ".0";
  BootPaths paths;
  KernelCmdline cmd;
  Host() {
    fs::create_directories(d / ("sysroot/ostree/deploy/keel/deploy/" + id));
    fs::create_directories(d / "sysroot/ostree/boot.1/keel/bc");
    fs::create_symlink("../../../deploy/keel/deploy/" + id, d / "sysroot/ostree/boot.1/keel/bc/0");
    fs::create_directories(d / "sysroot/boot/keel");
    paths = {d / "sysroot", d.write("os-release", "ID=keel\nVERSION_ID=\"0.2.0\"\n"),
             d.write("boot.toml", "deadline = 30\ngates = [\"network\"]\n"),
             d / "sysroot/boot/keel/grubenv"};
    cmd.ostree = "/ostree/boot.1/keel/bc/0";
  }
};

TEST(BootCheck, NormalBoot) {
  Host h;
  auto b = read_boot_info(h.cmd, h.paths);
  EXPECT_EQ(b.deployment, h.id);
  EXPECT_EQ(b.version, "0.2.0");
  EXPECT_EQ(b.kind, bl::BootKind::normal);
  EXPECT_EQ(b.gates, std::vector<std::string>{"network"});
  EXPECT_EQ(b.deadline, std::chrono::seconds(30));
  EXPECT_EQ(b.grubenv, h.paths.grubenv);  // a missing block: counting works, nothing pending
  EXPECT_TRUE(b.problems.empty());
  EXPECT_EQ(describe_boot(b), "normal boot");
}

TEST(BootCheck, TrialAndOtherAndRollback) {
  Host h;
  ASSERT_TRUE(bl::arm_trial(h.paths.grubenv, h.id, 2));
  auto b = read_boot_info(h.cmd, h.paths);
  EXPECT_EQ(b.kind, bl::BootKind::trial);
  EXPECT_EQ(describe_boot(b), "trial boot of this deployment, 2 attempts left after this one");
  std::string other = std::string(64, 'd') + ".0";
  ASSERT_TRUE(bl::arm_trial(h.paths.grubenv, other, 1));
  b = read_boot_info(h.cmd, h.paths);
  EXPECT_EQ(b.kind, bl::BootKind::other);
  h.cmd.rollback = other;
  b = read_boot_info(h.cmd, h.paths);
  EXPECT_EQ(b.kind, bl::BootKind::rollback);
  EXPECT_EQ(b.rolled_back_from, other);
  EXPECT_NE(describe_boot(b).find("rollback: deployment " + other + " used up"), std::string::npos);
}

TEST(BootCheck, ProblemsTurnCountingOff) {
  Host h;
  h.d.write("sysroot/boot/keel/grubenv", "garbage");
  auto b = read_boot_info(h.cmd, h.paths);
  EXPECT_EQ(b.grubenv, "");
  ASSERT_EQ(b.problems.size(), 1u);
  EXPECT_NE(b.problems[0].find("not a GRUB environment block"), std::string::npos);
  KernelCmdline none;
  b = read_boot_info(none, h.paths);
  EXPECT_EQ(b.deployment, "");
  EXPECT_EQ(b.grubenv, "");
  EXPECT_FALSE(b.problems.empty());
  h.d.write("boot.toml", "tries = 99\n");
  b = read_boot_info(h.cmd, h.paths);
  EXPECT_NE(b.problems.at(0).find("boot.toml:1:9: tries = 99"), std::string::npos);
}

}  // namespace
}  // namespace keel::init
