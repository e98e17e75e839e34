// Coldplug: modaliases found in a stand-in /sys/devices, /proc/modules parsing, and
// modprobe's arguments (a fake modprobe records them).
#include "keel/init/drivers.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "temp_dir.hpp"

namespace keel::init {
namespace {

using test::read_text;
using test::TempDir;
using test::write_text;

TEST(Drivers, CollectsDistinctModaliasesWithoutFollowingSymlinks) {
  TempDir d;
  namespace fs = std::filesystem;
  write_text(d / "devices/pci0000:00/0000:00:02.0/modalias", "pci:v00001AF4d00001000sv*\n");
  write_text(d / "devices/pci0000:00/0000:00:02.0/virtio0/modalias", "virtio:d00000001v00001AF4\n");
  write_text(d / "devices/platform/serial8250/modalias", "platform:serial8250\n");
  write_text(d / "devices/platform/other/modalias", "platform:serial8250\n");  // a duplicate
  write_text(d / "devices/platform/empty/modalias", "\n");
  fs::create_directory_symlink(d / "devices/pci0000:00", d / "devices/platform/loop");
  auto a = collect_modaliases(d / "devices");
  EXPECT_EQ(a, (std::vector<std::string>{"pci:v00001AF4d00001000sv*", "platform:serial8250",
                                         "virtio:d00000001v00001AF4"}));
  EXPECT_TRUE(collect_modaliases(d / "nonexistent").empty());
}

TEST(Drivers, LoadedModulesAreTheFirstWords) {
  auto m = loaded_modules(
      "virtio_net 61440 0 - Live 0x0\noverlay 151552 0 - Live 0x0\nnet_failover 20480 1 "
      "virtio_net, Live 0x0\n");
  EXPECT_EQ(m, (std::set<std::string>{"net_failover", "overlay", "virtio_net"}));
}

TEST(Drivers, ModprobeGetsEveryAliasAtOnce) {
  TempDir d;
  std::string fake = d / "modprobe";
  write_text(fake, "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/args\"\nexit 1\n");
  ASSERT_EQ(::chmod(fake.c_str(), 0755), 0);
  auto r = load_drivers({"virtio:d00000001v00001AF4", "pci:v1"}, fake);
  ASSERT_TRUE(r) << r.error().message();  // exit 1 (some alias unknown) is not an error
  EXPECT_TRUE(r->empty());                // it loaded nothing
  EXPECT_EQ(read_text(d / "args"), "-q -b -a virtio:d00000001v00001AF4 pci:v1\n");
  EXPECT_FALSE(load_drivers({"x"}, d / "no-such-modprobe"));
}

}  // namespace
}  // namespace keel::init
