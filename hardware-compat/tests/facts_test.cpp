// Facts from a modules directory: the builtin overlay and the lockfile.
#include "keel/hwcompat/facts.hpp"

#include <gtest/gtest.h>

#include "keel/hwcompat/resolve.hpp"
#include "keel/testing/temp_dir.hpp"

using keel::testing::TempDir;
using namespace keel::hwcompat;

namespace {

const char* kOverlay =
    "# comment\n"
    "alias pci:v*d*sv*sd*bc01sc08i02* nvme  # NVM Express class\n"
    "alias pci:v00008086d00002922sv*sd*bc*sc*i* ahci\n"
    "alias pci:v00001234d00005678sv*sd*bc*sc*i* fancy\n";

// A kernel where nvme is built in without aliases, ahci is a module, and "fancy"
// is built in with an alias of its own in modules.builtin.modinfo.
std::string fake_moddir(const TempDir& d) {
  d.write("m/modules.dep",
          "kernel/drivers/ata/ahci.ko: kernel/drivers/ata/libahci.ko\n"
          "kernel/drivers/ata/libahci.ko:\n");
  d.write("m/modules.alias",
          "alias pci:v*d*sv*sd*bc01sc06i01* ahci\nalias acpi*:PNP0A03:* ignored\n");
  d.write("m/modules.builtin", "kernel/drivers/nvme/host/nvme.ko\nkernel/drivers/misc/fancy.ko\n");
  std::string modinfo = std::string("nvme.license=GPL") + '\0' +
                        "fancy.alias=pci:v0000ABCDd00000001sv*sd*bc*sc*i*" + '\0' +
                        "fancy.firmware=fancy/fw.bin" + '\0';
  d.write("m/modules.builtin.modinfo", modinfo);
  return d / "m";
}

}  // namespace

TEST(BuiltinOverlay, AddsAliasesOnlyForBuiltinsWithoutTheirOwn) {
  TempDir d;
  auto overlay = d.write("overlay", kOverlay);
  auto f = generate_facts({fake_moddir(d), "cloud", overlay});
  ASSERT_TRUE(f) << f.error().message();
  ASSERT_TRUE(f->module("nvme"));
  EXPECT_TRUE(f->module("nvme")->builtin);
  EXPECT_FALSE(f->module("ahci")->builtin);
  EXPECT_EQ(f->module("ahci")->depends, std::vector<std::string>{"libahci"});
  auto has = [&](const std::string& pattern, const std::string& mod) {
    return std::find(f->aliases.begin(), f->aliases.end(), AliasFact{pattern, mod}) !=
           f->aliases.end();
  };
  EXPECT_TRUE(has("pci:v*d*sv*sd*bc01sc08i02*", "nvme"));  // built in, no alias: overlay
  // ahci is a loadable module: the kernel's own aliases win over the overlay.
  EXPECT_TRUE(has("pci:v*d*sv*sd*bc01sc06i01*", "ahci"));
  EXPECT_FALSE(has("pci:v00008086d00002922sv*sd*bc*sc*i*", "ahci"));
  // fancy has an alias in modules.builtin.modinfo: that one wins, the overlay's is dropped.
  EXPECT_TRUE(has("pci:v0000ABCDd00000001sv*sd*bc*sc*i*", "fancy"));
  EXPECT_FALSE(has("pci:v00001234d00005678sv*sd*bc*sc*i*", "fancy"));
  EXPECT_EQ(f->module("fancy")->firmware, std::vector<std::string>{"fancy/fw.bin"});
  EXPECT_FALSE(has("acpi*:PNP0A03:*", "ignored"));
  // And the built-in NVMe driver now claims an NVMe controller.
  PciId ctrl{.vendor = 0x1b36, .device = 0x0010, .class_code = 0x010802};
  auto chains = resolve_pci(*f, ctrl);
  ASSERT_EQ(chains.size(), 1u);
  EXPECT_EQ(chains[0], Chain{"nvme"});
}

TEST(BuiltinOverlay, WithoutTheOverlayTheBuiltinIsMissed) {
  TempDir d;
  auto f = generate_facts({fake_moddir(d), "cloud", ""});
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_TRUE(
      resolve_pci(*f, {.vendor = 0x1b36, .device = 0x0010, .class_code = 0x010802}).empty());
}

TEST(Lockfile, RoundTripsAndIsSorted) {
  TempDir d;
  auto overlay = d.write("overlay", kOverlay);
  IdsDb pci = IdsDb::parse(
      "abcd  Fancy Corp\n\t0001  Fancy One\nC 01  Mass storage controller\n"
      "\t06  SATA controller\n\t\t01  AHCI 1.0\n\t08  Non-Volatile memory controller\n");
  IdsDb usb;
  auto f = generate_facts({fake_moddir(d), "cloud", overlay, &pci, &usb});
  ASSERT_TRUE(f) << f.error().message();
  std::string text = write_lockfile(*f);
  EXPECT_NE(text.find("pci\tabcd\t0001\t*\t*\tfancy\tFancy Corp\tFancy One\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("pci\t*\t*\t*\t010601\tahci\t-\tAHCI 1.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("firmware\tfancy\tfancy/fw.bin\n"), std::string::npos);
  auto back = parse_lockfile(text, "x.lock");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(write_lockfile(*back), text);
}

TEST(Lockfile, BadLinesNameFileAndLine) {
  auto r = parse_lockfile("kernel\t6.1\nflavour\tcloud\nbogus\tline\n", "facts/cloud.lock");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("facts/cloud.lock:3: unknown record 'bogus'"),
            std::string::npos)
      << r.error().message();
}
