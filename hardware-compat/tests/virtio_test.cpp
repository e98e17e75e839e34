// The virtio second hop: PCI id -> virtio_pci -> virtio device id -> driver.
#include <gtest/gtest.h>

#include "keel/hwcompat/resolve.hpp"

using namespace keel::hwcompat;

namespace {

Facts virtio_facts() {
  Facts f{.kernel = "6.1.0-test", .flavour = "cloud"};
  for (const char* m : {"virtio_pci", "virtio_blk", "virtio_net", "virtio_scsi"})
    f.modules[m] = {m};
  f.aliases = {{"pci:v00001AF4d*sv*sd*bc*sc*i*", "virtio_pci"},
               {"virtio:d00000001v*", "virtio_net"},
               {"virtio:d00000002v*", "virtio_blk"},
               {"virtio:d00000008v*", "virtio_scsi"}};
  return f;
}

}  // namespace

TEST(VirtioTwoHop, DeviceIdsFollowTheSpec) {
  EXPECT_EQ(virtio_device_id({.vendor = 0x1af4, .device = 0x1042}), 2u);  // modern: -0x1040
  EXPECT_EQ(virtio_device_id({.vendor = 0x1af4, .device = 0x1048}), 8u);
  // Transitional: the subsystem device id when known, else the spec's table.
  EXPECT_EQ(virtio_device_id({.vendor = 0x1af4, .device = 0x1001}), 2u);
  EXPECT_EQ(virtio_device_id({.vendor = 0x1af4, .device = 0x1004}), 8u);
  EXPECT_EQ(
      virtio_device_id({.vendor = 0x1af4, .device = 0x1000, .subvendor = 0x1af4, .subdevice = 1}),
      1u);
  EXPECT_FALSE(virtio_device_id({.vendor = 0x1af4, .device = 0x1100}));  // not virtio
  EXPECT_FALSE(virtio_device_id({.vendor = 0x8086, .device = 0x1001}));
}

TEST(VirtioTwoHop, LegacyAndModernIdsReachTheSameDriver) {
  Facts f = virtio_facts();
  for (uint16_t dev : {uint16_t{0x1001}, uint16_t{0x1042}}) {
    auto chains = resolve_pci(f, {.vendor = 0x1af4, .device = dev, .class_known = 0});
    ASSERT_EQ(chains.size(), 1u) << dev;
    EXPECT_EQ(chain_text(chains[0]), "virtio_pci>virtio_blk");
    EXPECT_TRUE(is_complete(chains[0], {.vendor = 0x1af4, .device = dev}));
  }
  auto scsi = resolve_pci(f, {.vendor = 0x1af4, .device = 0x1048, .class_code = 0x010000});
  ASSERT_EQ(scsi.size(), 1u);
  EXPECT_EQ(chain_text(scsi[0]), "virtio_pci>virtio_scsi");
}

TEST(VirtioTwoHop, SysfsSubsystemIdWinsForTransitionalDevices) {
  // A transitional 1af4:1000 whose subsystem says block (as sysfs would show).
  Facts f = virtio_facts();
  auto chains =
      resolve_pci(f, {.vendor = 0x1af4, .device = 0x1000, .subvendor = 0x1af4, .subdevice = 2});
  ASSERT_EQ(chains.size(), 1u);
  EXPECT_EQ(chain_text(chains[0]), "virtio_pci>virtio_blk");
}

TEST(VirtioTwoHop, TransportWithoutDeviceDriverIsIncomplete) {
  Facts f = virtio_facts();
  PciId rng{.vendor = 0x1af4, .device = 0x1005};  // entropy: no virtio_rng in these facts
  auto chains = resolve_pci(f, rng);
  ASSERT_EQ(chains.size(), 1u);
  EXPECT_EQ(chain_text(chains[0]), "virtio_pci");
  EXPECT_FALSE(is_complete(chains[0], rng));
}

TEST(VirtioTwoHop, NonVirtioDevicesTakeOneHop) {
  Facts f = virtio_facts();
  f.modules["e1000e"] = {"e1000e"};
  f.aliases.push_back({"pci:v00008086d000010D3sv*sd*bc*sc*i*", "e1000e"});
  PciId nic{.vendor = 0x8086, .device = 0x10d3, .class_code = 0x020000};
  auto chains = resolve_pci(f, nic);
  ASSERT_EQ(chains.size(), 1u);
  EXPECT_EQ(chain_text(chains[0]), "e1000e");
  EXPECT_TRUE(is_complete(chains[0], nic));
}
