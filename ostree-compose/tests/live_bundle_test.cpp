#include "keel/compose/live_bundle.hpp"

#include <gtest/gtest.h>

using namespace keel::compose;

TEST(LiveBundle, KernelArgsDropRootAndAddLive) {
  // The image's cmdline file as keel-compose writes it, final newline included.
  std::string image =
      "root=LABEL=keel-root rw console=ttyS0,115200  ostree=/ostree/boot.1/keel/ab/0\n";
  EXPECT_EQ(live_kernel_args(image, {}),
            "rw console=ttyS0,115200 ostree=/ostree/boot.1/keel/ab/0 keel.live");
  EXPECT_EQ(live_kernel_args(image, {"keel.install.to=/dev/sda", "keel.install.reboot"}),
            "rw console=ttyS0,115200 ostree=/ostree/boot.1/keel/ab/0 keel.live "
            "keel.install.to=/dev/sda keel.install.reboot");
}

TEST(LiveBundle, GrubCfgBootsBothInitrdsOnTheSerialConsole) {
  std::string cfg = live_grub_cfg("keel.live ostree=/x");
  EXPECT_NE(cfg.find("serial --unit=0 --speed=115200\n"), std::string::npos);
  EXPECT_NE(cfg.find("terminal_output serial console\n"), std::string::npos);
  EXPECT_NE(cfg.find("  linux /live/vmlinuz keel.live ostree=/x\n"), std::string::npos);
  EXPECT_NE(cfg.find("  initrd /live/initramfs.img /live/rootfs.img\n"), std::string::npos);
}
