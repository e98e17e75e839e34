// An image's [hardware] against the matrix: selection, targets and firmware.
#include "keel/hwcompat/image.hpp"

#include <gtest/gtest.h>

#include "keel/testing/temp_dir.hpp"

using keel::TomlDoc;
using keel::testing::TempDir;
using namespace keel::hwcompat;

namespace {

Facts facts() {
  Facts f{.kernel = "6.1.0-test", .flavour = "generic"};
  f.modules = {{"virtio_pci", {"virtio_pci"}},
               {"virtio_blk", {"virtio_blk", false, {"virtio"}}},
               {"ahci", {"ahci", false, {"libahci"}}},
               {"sd_mod", {"sd_mod"}},
               {"bnx2", {"bnx2", false, {}, {"bnx2/mips.fw", "bnx2/rv2p.fw", "bnx2/opt.fw"}}},
               {"r8169", {"r8169", false, {}, {"rtl_nic/rtl8168g-2.fw"}}}};
  f.aliases = {{"pci:v00001AF4d*sv*sd*bc*sc*i*", "virtio_pci"},
               {"virtio:d00000002v*", "virtio_blk"},
               {"pci:v*d*sv*sd*bc01sc06i01*", "ahci"},
               {"pci:v000014E4d0000163Bsv*sd*bc*sc*i*", "bnx2"}};
  return f;
}

Policy policy() {
  auto doc = TomlDoc::parse(R"(
[module.virtio_blk]
tier = "certified"
role = "storage"
needs = ["virtio_pci"]
[module.virtio_pci]
tier = "certified"
[module.ahci]
tier = "tested"
flavours = ["generic"]
role = "storage"
needs = ["sd_mod"]
[module.bnx2]
tier = "community"
role = "nic"
firmware_package = "firmware-bnx2"
firmware_required = ["bnx2/mips.fw", "bnx2/rv2p.fw"]
[target.vm]
disk = ["1af4:1001"]
[target.sata]
disk = ["8086:2922/010601"]
)",
                            "policy.toml");
  EXPECT_TRUE(doc) << doc.error().message();
  auto p = parse_policy(*doc);
  EXPECT_TRUE(p) << p.error().message();
  return *p;
}

HardwareSpec spec(Tier t, std::vector<std::string> targets, std::vector<std::string> excl = {}) {
  return {.source = "images/x.toml",
          .flavour = "generic",
          .tier = t,
          .targets = targets,
          .exclude_modules = excl,
          .targets_where = "images/x.toml:5:11",
          .exclude_where = "images/x.toml:6:19"};
}

}  // namespace

TEST(Selection, TakesTheTierAndBetterAndTheBootDriversNeeds) {
  auto f = facts();
  auto p = policy();
  auto sel = select_modules(f, p, spec(Tier::tested, {}));
  EXPECT_EQ(sel.modules, (std::vector<std::string>{"ahci", "sd_mod", "virtio_blk", "virtio_pci"}));
  EXPECT_EQ(sel.initramfs,
            (std::vector<std::string>{"ahci", "sd_mod", "virtio_blk", "virtio_pci"}));
  auto community = select_modules(f, p, spec(Tier::community, {}));
  EXPECT_TRUE(community.has("bnx2"));
  EXPECT_TRUE(community.has("r8169"));  // not in the policy: default tier community
  EXPECT_EQ(community.firmware_packages, std::set<std::string>{"firmware-bnx2"});
}

TEST(Targets, ExcludedRootDiskDriverFailsNamingIt) {
  auto f = facts();
  auto p = policy();
  auto s = spec(Tier::certified, {"vm"}, {"virtio_blk"});
  auto r = check_targets(f, p, s, select_modules(f, p, s));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "image images/x.toml: target vm's boot disk controller 1af4:1001 (Virtio block "
            "device) needs virtio_blk, which this image's matrix excludes (images/x.toml:6:19 "
            "[hardware] exclude_modules). Fix: include the module (remove it from "
            "exclude_modules, or lower [hardware] tier), or drop vm from [hardware] targets "
            "(images/x.toml:5:11)");
  auto ok = spec(Tier::certified, {"vm"});
  EXPECT_TRUE(check_targets(f, p, ok, select_modules(f, p, ok)));
}

TEST(Targets, DriverBelowTheImagesTierFails) {
  auto f = facts();
  auto p = policy();
  auto s = spec(Tier::certified, {"sata"});
  auto r = check_targets(f, p, s, select_modules(f, p, s));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("needs ahci, which is at tier tested for flavour generic "
                                     "(policy.toml:"),
            std::string::npos)
      << r.error().message();
  auto tested = spec(Tier::tested, {"sata"});
  EXPECT_TRUE(check_targets(f, p, tested, select_modules(f, p, tested)));
  auto unknown = spec(Tier::certified, {"nosuch"});
  auto u = check_targets(f, p, unknown, select_modules(f, p, unknown));
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message().find("unknown hardware target 'nosuch'"), std::string::npos);
}

TEST(Firmware, RequiredMissingFailsOptionalMissingIsNoted) {
  TempDir d;
  auto f = facts();
  auto p = policy();
  d.write("fw/bnx2/mips.fw", "x");
  d.write("fw/rtl_nic/rtl8168g-2.fw.xz", "x");  // compressed firmware counts
  auto r = select_firmware(f, p, {"bnx2", "r8169"}, d / "fw");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("module bnx2 requires firmware bnx2/rv2p.fw, which is not "
                                     "in " +
                                     d / "fw" + " (package firmware-bnx2 was to ship it)"),
            std::string::npos)
      << r.error().message();
  d.write("fw/bnx2/rv2p.fw", "x");
  auto ok = select_firmware(f, p, {"bnx2", "r8169"}, d / "fw");
  ASSERT_TRUE(ok) << ok.error().message();
  ASSERT_EQ(ok->size(), 4u);
  for (const auto& fw : *ok) {
    if (fw.file == "bnx2/opt.fw") {
      EXPECT_FALSE(fw.present);
      EXPECT_FALSE(fw.required);
    } else {
      EXPECT_TRUE(fw.present) << fw.file;
    }
  }
}

TEST(Firmware, InitramfsGetsOnlyTheBootDriversFilesAsFoundOnDisk) {
  TempDir d;
  auto f = facts();
  auto p = policy();
  d.write("fw/bnx2/mips.fw", "x");
  d.write("fw/bnx2/rv2p.fw.xz", "x");  // compressed: the initramfs takes the .xz
  d.write("fw/rtl_nic/rtl8168g-2.fw", "x");
  auto fw = select_firmware(f, p, {"bnx2", "r8169"}, d / "fw");
  ASSERT_TRUE(fw) << fw.error().message();
  // bnx2 is a boot NIC here, r8169 is not; bnx2/opt.fw is missing.
  EXPECT_EQ(initramfs_firmware(*fw, {"bnx2", "sd_mod"}, d / "fw"),
            (std::vector<std::string>{"bnx2/mips.fw", "bnx2/rv2p.fw.xz"}));
  EXPECT_TRUE(initramfs_firmware(*fw, {"virtio_blk"}, d / "fw").empty());
}

TEST(Policy, ErrorsNameTheLine) {
  auto doc = TomlDoc::parse("[module.x]\ntier = \"gold\"\n", "policy.toml");
  ASSERT_TRUE(doc);
  auto p = parse_policy(*doc);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("policy.toml:2:8: unknown tier 'gold'"), std::string::npos)
      << p.error().message();
  auto doc2 = TomlDoc::parse("[target.t]\ndisk = [\"1af4\"]\n", "policy.toml");
  auto p2 = parse_policy(*doc2);
  ASSERT_FALSE(p2);
  EXPECT_NE(p2.error().message().find("policy.toml:2:9: disk must be a PCI id"), std::string::npos)
      << p2.error().message();
}

TEST(Policy, ShippedPolicyParsesAndCoversTheQemuTargets) {
  auto p = load_policy(std::string(KEEL_SOURCE_DIR) + "/hardware-compat/policy.toml");
  ASSERT_TRUE(p) << p.error().message();
  for (const char* m : {"virtio_blk", "virtio_scsi", "nvme", "virtio_net", "virtio_pci",
                        "virtio_rng", "ahci", "e1000e"})
    EXPECT_EQ(p->module(m)->tier, Tier::certified) << m;
  EXPECT_TRUE(p->targets.contains("qemu"));
  EXPECT_TRUE(p->targets.contains("qemu-generic"));
}
