#include "keel/init/ext4.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "keel/init/block_device.hpp"
#include "temp_dir.hpp"

using namespace keel::init;
using keel::init::test::TempDir;

namespace {
// mkfs.ext4 on a plain file: no loop device, no root needed.
bool make_ext4(const std::string& path, const std::string& label) {
  std::string cmd = "mkfs.ext4 -q -F -L " + label + " " + path + " 4M >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}
}  // namespace

TEST(Ext4, ReadsLabelFromImage) {
  TempDir dir;
  std::string img = dir / "root.img";
  ASSERT_TRUE(make_ext4(img, "keel-root")) << "mkfs.ext4 failed";
  auto label = read_ext4_label(img);
  ASSERT_TRUE(label) << label.error().message();
  ASSERT_TRUE(*label);
  EXPECT_EQ(**label, "keel-root");
}

TEST(Ext4, SixteenCharacterLabelHasNoNul) {
  TempDir dir;
  std::string img = dir / "root.img";
  ASSERT_TRUE(make_ext4(img, "abcdefghijklmnop"));
  auto label = read_ext4_label(img);
  ASSERT_TRUE(label && *label);
  EXPECT_EQ(**label, "abcdefghijklmnop");
}

TEST(Ext4, NotExt4) {
  TempDir dir;
  test::write_text(dir / "zero.img", std::string(4096, '\0'));
  auto label = read_ext4_label(dir / "zero.img");
  ASSERT_TRUE(label);
  EXPECT_FALSE(*label);
  test::write_text(dir / "tiny.img", "x");
  auto tiny = read_ext4_label(dir / "tiny.img");
  ASSERT_TRUE(tiny);
  EXPECT_FALSE(*tiny);
  EXPECT_FALSE(read_ext4_label(dir / "missing.img"));
}

TEST(Ext4, SuperblockBytes) {
  std::vector<unsigned char> sb(1024, 0);
  EXPECT_FALSE(ext4_label_from_superblock(sb));
  sb[0x38] = 0x53;
  sb[0x39] = 0xEF;
  sb[0x78] = 'x';
  EXPECT_EQ(ext4_label_from_superblock(sb), "x");
}

// A fake /sys/class/block and /dev: device "vdb1" is an ext4 image file.
TEST(BlockDevice, FindsByLabelAndTimesOut) {
  TempDir dir;
  std::filesystem::create_directories(dir / "sys/vda");
  std::filesystem::create_directories(dir / "sys/vdb1");
  std::filesystem::create_directories(dir / "dev");
  test::write_text(dir / "dev/vda", std::string(4096, '\0'));
  ASSERT_TRUE(make_ext4(dir / "dev/vdb1", "keel-root"));
  BlockPaths paths{dir / "sys", dir / "dev"};
  EXPECT_EQ(find_device_by_label("keel-root", paths), dir / "dev/vdb1");
  auto found = wait_for_device_by_label("keel-root", paths, std::chrono::milliseconds(50));
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, dir / "dev/vdb1");
  auto missing = wait_for_device_by_label("other", paths, std::chrono::milliseconds(50));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("vdb1"), std::string::npos);
}
