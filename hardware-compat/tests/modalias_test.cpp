// Alias matching: the kernel's modalias strings against modules.alias patterns.
#include "keel/hwcompat/modalias.hpp"

#include <gtest/gtest.h>

using namespace keel::hwcompat;

TEST(Modalias, PciStringHasTheKernelsShape) {
  PciId id{.vendor = 0x1af4,
           .device = 0x1001,
           .subvendor = 0x1af4,
           .subdevice = 2,
           .class_code = 0x010000};
  EXPECT_EQ(pci_modalias(id), "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00");
  id.subvendor = id.subdevice = 0;
  id.class_known = 2;
  EXPECT_EQ(pci_modalias(id), "pci:v00001AF4d00001001sv*sd*bc01sc00i*");
}

TEST(Modalias, WildcardsMatchAnyValue) {
  std::string m = "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00";
  EXPECT_TRUE(alias_matches("pci:v00008086d000010D3sv*sd*bc*sc*i*", m));
  EXPECT_TRUE(alias_matches("pci:v*d*sv*sd*bc02sc00i*", m));
  EXPECT_FALSE(alias_matches("pci:v00008086d000010D4sv*sd*bc*sc*i*", m));
  EXPECT_FALSE(alias_matches("pci:v*d*sv*sd*bc01sc08i02*", m));
}

TEST(Modalias, HexDigitsIgnoreCase) {
  // lspci prints lower case; the kernel's patterns are upper case.
  EXPECT_TRUE(alias_matches("pci:v00001AF4d*sv*sd*bc*sc*i*",
                            "pci:v00001af4d00001041sv00001af4sd00001100bc02sc00i00"));
  EXPECT_TRUE(alias_matches("virtio:d0000001Av*", "virtio:d0000001av00001AF4"));
}

TEST(Modalias, SubsystemPatternsNeedAKnownSubsystem) {
  std::string pattern = "pci:v000014E4d000016A8sv0000103Csd00003101bc*sc*i*";
  PciId known{.vendor = 0x14e4,
              .device = 0x16a8,
              .subvendor = 0x103c,
              .subdevice = 0x3101,
              .class_code = 0x020000};
  EXPECT_TRUE(alias_matches(pattern, pci_modalias(known)));
  PciId other = known;
  other.subdevice = 0x3102;
  EXPECT_FALSE(alias_matches(pattern, pci_modalias(other)));
  // lspci -n shows no subsystem: only subsystem wildcards can match then.
  PciId unknown = known;
  unknown.subvendor = unknown.subdevice = 0;
  EXPECT_FALSE(alias_matches(pattern, pci_modalias(unknown)));
  EXPECT_TRUE(alias_matches("pci:v000014E4d000016A8sv*sd*bc*sc*i*", pci_modalias(unknown)));
}

TEST(Modalias, UnknownProgIfMatchesAnyProgIfButNotAnotherClass) {
  PciId nvme{.vendor = 0x1b36, .device = 0x0010, .class_code = 0x010800, .class_known = 2};
  EXPECT_TRUE(alias_matches("pci:v*d*sv*sd*bc01sc08i02*", pci_modalias(nvme)));
  EXPECT_FALSE(alias_matches("pci:v*d*sv*sd*bc01sc06i01*", pci_modalias(nvme)));
  // Without any class, class patterns cannot be confirmed.
  PciId bare{.vendor = 0x1b36, .device = 0x0010, .class_known = 0};
  EXPECT_FALSE(alias_matches("pci:v*d*sv*sd*bc01sc08i02*", pci_modalias(bare)));
}

TEST(Modalias, PatternsComeApart) {
  auto p = parse_pattern("pci:v00008086d00002922sv*sd*bc*sc*i*");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->vendor, 0x8086);
  EXPECT_EQ(p->device, 0x2922);
  EXPECT_FALSE(p->subvendor);
  EXPECT_FALSE(p->base_class);
  auto c = parse_pattern("pci:v*d*sv*sd*bc01sc08i02*");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->vendor);
  EXPECT_EQ(c->base_class, 0x01);
  EXPECT_EQ(c->prog_if, 0x02);
  auto u = parse_pattern("usb:v0BDAp8153d*dc*dsc*dp*icFFisc*ip*in*");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->vendor, 0x0bda);
  EXPECT_EQ(u->device, 0x8153);
  EXPECT_EQ(u->base_class, 0xff);
  auto v = parse_pattern("virtio:d00000008v*");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->virtio_device, 8u);
  EXPECT_FALSE(parse_pattern("pci:v0000*d*sv*sd*bc*sc*i*"));  // not a whole field
  EXPECT_FALSE(parse_pattern("acpi*:PNP0A03:*"));
}

TEST(Modalias, PciRefsTakeAnOptionalClass) {
  auto a = parse_pci_ref("1AF4:1001");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->vendor, 0x1af4);
  EXPECT_EQ(a->class_known, 0);
  auto b = parse_pci_ref("1b36:0010/0108");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->class_code, 0x010800u);
  EXPECT_EQ(b->class_known, 2);
  auto c = parse_pci_ref("8086:2922/010601");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->class_code, 0x010601u);
  EXPECT_FALSE(parse_pci_ref("8086-2922"));
  EXPECT_FALSE(parse_pci_ref("8086:2922/01"));
  EXPECT_FALSE(parse_pci_ref("8086:29g2"));
}
