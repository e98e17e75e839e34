#include "keel/common/block_partition.hpp"

#include <gtest/gtest.h>
#include <sys/sysmacros.h>

#include <filesystem>

#include "keel/testing/temp_dir.hpp"

namespace keel {
namespace {

namespace fs = std::filesystem;

// A sysfs with one disk "vda" (1,000,000 sectors): vda1 at 2048 (ESP), vda2 after it.
class BlockPartitionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    disk_ = tmp_.path() + "/devices/virtual/block/vda";
    write(disk_ + "/size", "1000000\n");
    part(1, 2048, 131072);
    part(2, 133120, 262144);
  }
  void write(const std::string& path, const std::string& text) { testing::write_text(path, text); }
  void part(int n, uint64_t start, uint64_t size) {
    std::string dir = disk_ + "/vda" + std::to_string(n);
    write(dir + "/partition", std::to_string(n) + "\n");
    write(dir + "/start", std::to_string(start) + "\n");
    write(dir + "/size", std::to_string(size) + "\n");
    fs::create_directories(tmp_.path() + "/dev/block");
    fs::create_symlink(dir, tmp_.path() + "/dev/block/254:" + std::to_string(n));
  }
  testing::TempDir tmp_;
  std::string disk_;
};

TEST_F(BlockPartitionTest, LastPartitionCanGrowToTheBackupGpt) {
  auto p = partition_of(makedev(254, 2), tmp_.path());
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->disk, "vda");
  EXPECT_EQ(p->partition, "vda2");
  EXPECT_EQ(p->number, 2u);
  EXPECT_EQ(p->next_start, 1000000u);
  EXPECT_EQ(growable_sectors(*p), 1000000u - 33 - (133120 + 262144));
}

TEST_F(BlockPartitionTest, APartitionBeforeAnotherGrowsOnlyIntoTheGap) {
  auto p = partition_of(makedev(254, 1), tmp_.path());
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->next_start, 133120u);
  EXPECT_EQ(growable_sectors(*p), 0u);
}

TEST_F(BlockPartitionTest, AWholeDiskIsRefused) {
  fs::create_symlink(disk_, tmp_.path() + "/dev/block/254:0");
  auto p = partition_of(makedev(254, 0), tmp_.path());
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("is a whole disk"), std::string::npos);
}

TEST_F(BlockPartitionTest, GarbageInSysfsIsNamed) {
  write(disk_ + "/vda2/size", "lots\n");
  auto p = partition_of(makedev(254, 2), tmp_.path());
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("vda2/size: 'lots' is not a number"), std::string::npos);
}

}  // namespace
}  // namespace keel
