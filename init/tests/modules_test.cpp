#include "keel/init/modules.hpp"

#include <gtest/gtest.h>

using namespace keel::init;

TEST(ModuleList, SkipsCommentsAndBlanks) {
  auto m = parse_module_list(
      "# storage drivers, dependencies first\n"
      "kernel/drivers/virtio/virtio.ko\n"
      "\n"
      "  kernel/drivers/block/virtio_blk.ko  # disk\r\n"
      "kernel/fs/ext4/ext4.ko.xz");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], "kernel/drivers/virtio/virtio.ko");
  EXPECT_EQ(m[1], "kernel/drivers/block/virtio_blk.ko");
  EXPECT_EQ(m[2], "kernel/fs/ext4/ext4.ko.xz");
}

TEST(ModuleList, Empty) {
  EXPECT_TRUE(parse_module_list("\n# nothing\n").empty());
}

TEST(ModuleLoad, MissingFileNamesIt) {
  auto r = load_module("/nonexistent/foo.ko");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("/nonexistent/foo.ko"), std::string::npos);
}
