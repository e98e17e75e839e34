#include "keel/bootloader/generator.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "keel/common/sys.hpp"
#include "keel/testing/temp_dir.hpp"

namespace keel::bootloader {
namespace {

namespace fs = std::filesystem;
using keel::testing::read_text;
using keel::testing::TempDir;

// A sysroot as OSTree leaves it when it runs the generator for bootversion 1: two
// deployments, the boot.1 links, the new loader.1/entries.
struct Sysroot {
  TempDir d;
  std::string newer = std::string(64, 'b') + ".0", older = std::string(64, 'a') + ".0";
  Sysroot() {
    for (const auto& [id, bootcsum, version] :
         {std::tuple{newer, "c2", 2}, std::tuple{older, "c1", 1}}) {
      fs::create_directories(d / ("ostree/deploy/keel/deploy/" + id + "/usr/lib/keel"));
      fs::create_directories(d / ("ostree/boot.1.1/keel/" + std::string(bootcsum)));
      fs::create_symlink("../../../deploy/keel/deploy/" + id,
                         d / ("ostree/boot.1.1/keel/" + std::string(bootcsum) + "/0"));
      std::string v = std::to_string(version);
      d.write("boot/loader.1/entries/ostree-" + v + "-keel.conf",
              "title Keel " + v + "\nversion " + v + "\nlinux /ostree/keel-" + bootcsum +
                  "/vmlinuz\ninitrd /ostree/keel-" + bootcsum +
                  "/initramfs.img\noptions root=LABEL=keel-root ostree=/ostree/boot.1/keel/" +
                  bootcsum + "/0\n");
    }
    fs::create_directory_symlink("boot.1.1", d / "ostree/boot.1");
  }
  std::string output() const { return d / "boot/loader.1/grub.cfg"; }
};

TEST(Generator, UsesTheNewestDeploymentsSettings) {
  Sysroot s;
  s.d.write("ostree/deploy/keel/deploy/" + s.newer + "/usr/lib/keel/boot.toml",
            "console = \"both\"\nmenu_timeout = 7\ntries = 3\ndeadline = 60\ngates = []\n");
  s.d.write("ostree/deploy/keel/deploy/" + s.older + "/usr/lib/keel/boot.toml",
            "console = \"graphical\"\nmenu_timeout = 9\n");
  auto r = generate_grub_cfg(s.output());
  ASSERT_TRUE(r) << r.error().message();
  std::string cfg = read_text(s.output());
  EXPECT_NE(cfg.find("from loader.1/entries"), std::string::npos);
  EXPECT_NE(cfg.find("set timeout=7\n"), std::string::npos);
  EXPECT_NE(cfg.find("terminal_output serial console\n"), std::string::npos);
  // /boot is a directory of the same filesystem as /ostree here.
  EXPECT_LT(cfg.find("menuentry 'Keel 2' --id=keel-0 {\n  linux '/boot/ostree/keel-c2/vmlinuz'"),
            cfg.find("menuentry 'Keel 1' --id=keel-1"));
  EXPECT_FALSE(sys::exists(s.output() + ".tmp"));
}

TEST(Generator, DefaultsWithoutBootToml) {
  Sysroot s;
  ASSERT_TRUE(generate_grub_cfg(s.output()));
  std::string cfg = read_text(s.output());
  EXPECT_NE(cfg.find("set timeout=1\n"), std::string::npos);
  EXPECT_NE(cfg.find("terminal_output serial\n"), std::string::npos);
}

TEST(Generator, Errors) {
  Sysroot s;
  auto shape = generate_grub_cfg(s.d / "grub.cfg");
  ASSERT_FALSE(shape);
  EXPECT_NE(shape.error().message().find("expected <sysroot>/boot/loader.N/grub.cfg"),
            std::string::npos);
  s.d.write("ostree/deploy/keel/deploy/" + s.newer + "/usr/lib/keel/boot.toml",
            "console = \"vga\"\n");
  auto bad = generate_grub_cfg(s.output());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("boot.toml:1:11: console = \"vga\""), std::string::npos)
      << bad.error().message();
  EXPECT_FALSE(sys::exists(s.output()));
  fs::remove(s.d / "ostree/boot.1");
  auto dangling = generate_grub_cfg(s.output());
  ASSERT_FALSE(dangling);
  EXPECT_NE(dangling.error().message().find("resolving ostree=/ostree/boot.1/keel/c2/0"),
            std::string::npos);
}

}  // namespace
}  // namespace keel::bootloader
