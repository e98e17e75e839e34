#include "keel/init/check_kernel.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace keel::init;

TEST(CheckKernel, CmdlineEnablesSelinux) {
  EXPECT_TRUE(cmdline_enables_selinux("root=/dev/vda2 security=selinux quiet"));
  EXPECT_TRUE(cmdline_enables_selinux("lsm=landlock,yama,selinux,bpf"));
  EXPECT_FALSE(cmdline_enables_selinux("root=/dev/vda2 quiet"));
  EXPECT_FALSE(cmdline_enables_selinux("security=apparmor"));
  EXPECT_FALSE(cmdline_enables_selinux("lsm=selinuxx,yama"));
  EXPECT_FALSE(cmdline_enables_selinux("security=selinux security=apparmor"));  // last wins
}

TEST(CheckKernel, HostChecksReadTheirFiles) {
  char tmpl[] = "/tmp/keel-check-kernel-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::ofstream(dir + "/lsm") << "lockdown,capability,yama,selinux";
  std::ofstream(dir + "/cmdline") << "root=/dev/vda2 security=selinux\n";
  auto checks = host_checks({.lsm = dir + "/lsm", .cgroup = dir, .cmdline = dir + "/cmdline"});
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_TRUE(checks[0].ok) << checks[0].detail;
  EXPECT_FALSE(checks[1].ok);  // a tmp dir is no cgroup2 mount
  EXPECT_NE(checks[1].detail.find("is not cgroup2"), std::string::npos) << checks[1].detail;
  EXPECT_TRUE(checks[2].ok) << checks[2].detail;

  std::ofstream(dir + "/lsm") << "lockdown,capability,apparmor";
  EXPECT_FALSE(host_checks({.lsm = dir + "/lsm"})[0].ok);
  std::filesystem::remove_all(dir);
}

TEST(CheckKernel, JsonReportFailsOnMissingOption) {
  char tmpl[] = "/tmp/keel-check-kernel-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::ofstream(dir + "/config") << "# Linux/x86 6.1.0 Kernel Configuration\nCONFIG_EXT4_FS=y\n";
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  int rc = run_check_kernel({.config = dir + "/config"}, true, out, stderr);
  std::fclose(out);
  std::string text(buf, len);
  free(buf);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(text.find("\"ok\":false"), std::string::npos) << text;
  EXPECT_NE(text.find("CONFIG_OVERLAY_FS is not set; containers need it"), std::string::npos);
  EXPECT_EQ(run_check_kernel({.config = dir + "/missing"}, true, stdout, stderr), 2);
  std::filesystem::remove_all(dir);
}
