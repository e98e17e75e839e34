// Cgroup::create on a fake v1 root of plain files: which groups are made, what is
// written where, and that cpuset levels inherit their parent's lists. (A temp dir is
// not cgroup2, so create() takes the hybrid/v1 path; the v2 path is covered by the
// pure mapping tests and the root tests.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cgroup.hpp"
#include "test_util.hpp"

namespace keel::runtime {
namespace {

namespace fs = std::filesystem;
using test::read_text;
using test::TempDir;
using test::write_text;

// What the kernel shows in a new v1 group of each hierarchy (only what the test needs).
void populate(const std::string& dir) {
  std::string hierarchy = fs::path(dir).parent_path().parent_path().filename();
  if (hierarchy != "memory" && hierarchy != "pids" && hierarchy != "cpuset" &&
      hierarchy != "devices")
    hierarchy = fs::path(dir).parent_path().filename();  // the first level below the root
  std::vector<std::string> files = {"cgroup.procs"};
  if (hierarchy == "memory")
    files.insert(files.end(), {"memory.limit_in_bytes", "memory.soft_limit_in_bytes"});
  if (hierarchy == "pids") files.push_back("pids.max");
  if (hierarchy == "cpuset") files.insert(files.end(), {"cpuset.cpus", "cpuset.mems"});
  if (hierarchy == "devices") files.insert(files.end(), {"devices.allow", "devices.deny"});
  for (const auto& f : files)
    if (!fs::exists(dir + "/" + f)) write_text(dir + "/" + f, "");
}

TEST(CgroupFakeRoot, V1LayoutGetsTheV1Files) {
  TempDir tmp;
  std::string root = tmp.path();
  for (const char* h : {"memory", "pids", "cpuset", "devices"})
    fs::create_directories(root + "/" + h);
  write_text(root + "/cpuset/cpuset.cpus", "0-1\n");
  write_text(root + "/cpuset/cpuset.mems", "0\n");
  SpecLinux l;
  l.cgroups_path = "/keel/c1";
  l.resources.memory = {.limit = 1 << 20, .swap = 2 << 20};  // no memsw file: a warning
  l.resources.pids_limit = 5;
  l.resources.cpu.mems = "0";    // cpus unset: copied from the parent
  l.resources.cpu.shares = 100;  // no cpu hierarchy here: a warning
  auto cg = Cgroup::create(l, "c1", root, populate);
  ASSERT_TRUE(cg) << cg.error().message();
  EXPECT_EQ(cg->fd(), -1);
  EXPECT_TRUE(cg->needs_join());
  EXPECT_EQ(cg->v1_paths(),
            (std::vector<std::string>{root + "/memory/keel/c1", root + "/cpuset/keel/c1",
                                      root + "/pids/keel/c1", root + "/devices/keel/c1"}));
  EXPECT_EQ(read_text(root + "/memory/keel/c1/memory.limit_in_bytes"), "1048576");
  EXPECT_FALSE(fs::exists(root + "/memory/keel/c1/memory.memsw.limit_in_bytes"));
  EXPECT_EQ(read_text(root + "/pids/keel/c1/pids.max"), "5");
  EXPECT_EQ(read_text(root + "/cpuset/keel/cpuset.cpus"), "0-1\n");  // each level inherits
  EXPECT_EQ(read_text(root + "/cpuset/keel/c1/cpuset.cpus"), "0-1\n");
  // The parent's "0\n" copied, then the spec's "0" written over it (plain files are
  // not truncated by a write, cgroupfs files are).
  EXPECT_EQ(read_text(root + "/cpuset/keel/c1/cpuset.mems"), "0\n");
  // Plain files keep only the last write: the last allow line is devpts.
  EXPECT_EQ(read_text(root + "/devices/keel/c1/devices.deny"), "a");
  EXPECT_EQ(read_text(root + "/devices/keel/c1/devices.allow"), "c 136:* rwm");
  EXPECT_FALSE(fs::exists(root + "/cpu"));
  ASSERT_TRUE(cg->join(4242));
  EXPECT_EQ(read_text(root + "/pids/keel/c1/cgroup.procs"), "4242");
}

TEST(CgroupFakeRoot, ABadCgroupsPathIsRefused) {
  TempDir tmp;
  SpecLinux l;
  l.cgroups_path = "/";
  auto cg = Cgroup::create(l, "x", tmp.path(), populate);
  ASSERT_FALSE(cg);
  EXPECT_NE(cg.error().message().find("linux.cgroupsPath"), std::string::npos)
      << cg.error().message();
}

}  // namespace
}  // namespace keel::runtime
