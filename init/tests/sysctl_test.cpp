// sysctl.d files: parsing, which file wins, and applying to a stand-in /proc/sys.
#include "keel/init/sysctl.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "temp_dir.hpp"

namespace keel::init {
namespace {

using test::read_text;
using test::TempDir;
using test::write_text;

TEST(Sysctl, ParsesKeysValuesCommentsAndIgnoreMarks) {
  auto s = parse_sysctl_conf(
      "# comment\n; also\n\nvm.max_map_count = 262144\n-net.ipv4.ip_forward=1 \n"
      "  kernel.domainname =  with spaces  \n",
      "a.conf");
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(s->size(), 3u);
  EXPECT_EQ((*s)[0].key, "vm.max_map_count");
  EXPECT_EQ((*s)[0].value, "262144");
  EXPECT_EQ((*s)[0].where, "a.conf:4");
  EXPECT_EQ((*s)[1].key, "net.ipv4.ip_forward");
  EXPECT_TRUE((*s)[1].ignore_failure);
  EXPECT_EQ((*s)[2].value, "with spaces");
}

TEST(Sysctl, ALineWithoutEqualsNamesFileAndLine) {
  auto s =
      parse_sysctl_conf("vm.swappiness = 10\nvm.overcommit_memory 1\n", "/etc/sysctl.d/x.conf");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(),
            "/etc/sysctl.d/x.conf:2: expected \"key = value\", like \"vm.max_map_count = 262144\"");
}

TEST(Sysctl, KeysBecomePathsThatStayInProcSys) {
  EXPECT_EQ(sysctl_path("net.ipv4.ip_forward", "/p"), "/p/net/ipv4/ip_forward");
  EXPECT_EQ(sysctl_path("net/ipv4/conf/eth0.100/forwarding", "/p"),
            "/p/net/ipv4/conf/eth0.100/forwarding");
  EXPECT_EQ(sysctl_path("../../etc/passwd", "/p"), "");
  EXPECT_EQ(sysctl_path("/etc/passwd", "/p"), "");
}

// /etc wins over /usr/lib for the same file name; files apply in name order, so a
// later file's value is the one left; failures are reported with file:line.
TEST(Sysctl, EtcOverridesUsrLibAndFilesApplyInNameOrder) {
  TempDir dir;
  namespace fs = std::filesystem;
  std::string proc = dir / "proc", etc = dir / "etc", lib = dir / "lib";
  fs::create_directories(proc + "/vm");
  fs::create_directories(etc);
  fs::create_directories(lib);
  // Empty stand-ins: a plain file, unlike /proc/sys, keeps the tail of a longer value.
  write_text(proc + "/vm/max_map_count", "");
  write_text(proc + "/vm/swappiness", "");
  write_text(lib + "/50-image.conf", "vm.max_map_count = 1\nvm.swappiness = 10\n");
  write_text(etc + "/50-image.conf", "vm.max_map_count = 262144\n");
  write_text(lib + "/60-later.conf", "vm.swappiness = 5\nvm.nope = 1\n-vm.quiet = 1\n");
  write_text(etc + "/README", "not a .conf file = ignored\n");
  auto r = apply_sysctls({etc, lib}, proc);
  EXPECT_EQ(read_text(proc + "/vm/max_map_count"), "262144");
  EXPECT_EQ(read_text(proc + "/vm/swappiness"), "5");
  EXPECT_EQ(r.applied, 2);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("60-later.conf:2: vm.nope = 1"), std::string::npos) << r.errors[0];
}

}  // namespace
}  // namespace keel::init
