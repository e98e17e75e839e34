// keel-hwcompat report: lspci and sysfs input, verdicts against the real cloud facts.
#include "keel/hwcompat/report.hpp"

#include <gtest/gtest.h>

#include "keel/common/sys.hpp"

using namespace keel::hwcompat;

namespace {

const std::string kDir = std::string(KEEL_SOURCE_DIR) + "/hardware-compat";

std::vector<HostDevice> lspci(const std::string& name) {
  auto text = keel::sys::read_file(kDir + "/tests/fixtures/" + name);
  EXPECT_TRUE(text);
  auto devs = parse_lspci(*text, name);
  EXPECT_TRUE(devs) << devs.error().message();
  return *devs;
}

const HostDevice& slot(const std::vector<HostDevice>& devs, const std::string& s) {
  for (const auto& d : devs)
    if (d.slot == s) return d;
  ADD_FAILURE() << "no device " << s;
  return devs.front();
}

}  // namespace

TEST(HostDevices, LspciNumeric) {
  auto devs = lspci("qemu-q35.lspci-n");
  ASSERT_EQ(devs.size(), 9u);
  const auto& blk = slot(devs, "00:03.0");
  EXPECT_EQ(blk.id.vendor, 0x1af4);
  EXPECT_EQ(blk.id.device, 0x1001);
  EXPECT_EQ(blk.id.class_code, 0x010000u);
  EXPECT_EQ(blk.id.class_known, 2);  // lspci -n shows no prog-if
  EXPECT_FALSE(blk.id.has_subsystem());
}

TEST(HostDevices, LspciMachineReadable) {
  auto devs = lspci("qemu-q35.lspci-nnmm");
  ASSERT_EQ(devs.size(), 6u);
  const auto& nvme = slot(devs, "00:04.0");
  EXPECT_EQ(nvme.id.class_code, 0x010802u);  // -p02
  EXPECT_EQ(nvme.id.subvendor, 0x1af4);
  EXPECT_EQ(nvme.id.subdevice, 0x1100);
  const auto& ahci = slot(devs, "00:1f.2");  // a name with brackets inside
  EXPECT_EQ(ahci.id.device, 0x2922);
  EXPECT_EQ(ahci.id.class_code, 0x010601u);
  auto bad = parse_lspci("00:02.0 garbage\n", "x.txt");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("x.txt:1:"), std::string::npos);
}

TEST(HostDevices, Sysfs) {
  auto devs = read_sysfs(kDir + "/tests/fixtures/sys");
  ASSERT_TRUE(devs) << devs.error().message();
  ASSERT_EQ(devs->size(), 5u);
  const auto& blk = slot(*devs, "0000:00:03.0");
  EXPECT_EQ(blk.id.subdevice, 2);
  EXPECT_EQ(blk.driver, "virtio-pci");
  EXPECT_EQ(slot(*devs, "0000:00:1f.2").driver, "");
}

TEST(Report, CloudKernelOnQemu) {
  auto facts = load_lockfile(kDir + "/facts/cloud.lock");
  ASSERT_TRUE(facts) << facts.error().message();
  auto policy = load_policy(kDir + "/policy.toml");
  ASSERT_TRUE(policy) << policy.error().message();
  auto devs = read_sysfs(kDir + "/tests/fixtures/sys");
  ASSERT_TRUE(devs);
  ReportInput in{*facts, *policy, nullptr, "/nonexistent"};
  auto blk = report_device(in, slot(*devs, "0000:00:03.0"));  // transitional, subsystem 2
  EXPECT_TRUE(blk.supported);
  EXPECT_EQ(blk.chain, "virtio_pci>virtio_blk");
  EXPECT_EQ(blk.tier, Tier::certified);
  auto nvme = report_device(in, slot(*devs, "0000:00:04.0"));  // built in: the overlay
  EXPECT_EQ(nvme.chain, "nvme");
  auto ahci = report_device(in, slot(*devs, "0000:00:1f.2"));  // the cloud kernel has no AHCI
  EXPECT_FALSE(ahci.supported);
  EXPECT_TRUE(ahci.fatal);
  in.allow = {"8086:2922"};
  EXPECT_FALSE(report_device(in, slot(*devs, "0000:00:1f.2")).fatal);
  auto bridge = report_device(in, slot(*devs, "0000:00:00.0"));
  EXPECT_FALSE(bridge.supported);
  EXPECT_FALSE(bridge.fatal);  // not a disk controller or NIC: a warning
}

TEST(Report, OnlyTheRootDiskControllerIsBootCritical) {
  auto facts = load_lockfile(kDir + "/facts/cloud.lock");
  auto policy = load_policy(kDir + "/policy.toml");
  ASSERT_TRUE(facts && policy);
  auto devs = read_sysfs(kDir + "/tests/fixtures/sys");
  ASSERT_TRUE(devs);
  // The root filesystem on virtio-blk at 00:03.0, as /sys/dev/block/MAJ:MIN resolves.
  EXPECT_TRUE(
      mark_root_controller(*devs, "/sys/devices/pci0000:00/0000:00:03.0/virtio1/block/vda/vda2"));
  EXPECT_TRUE(slot(*devs, "0000:00:03.0").holds_root);
  EXPECT_FALSE(slot(*devs, "0000:00:1f.2").holds_root);
  ReportInput in{*facts, *policy, nullptr, "/nonexistent"};
  in.root_known = true;
  auto ahci = report_device(in, slot(*devs, "0000:00:1f.2"));
  EXPECT_FALSE(ahci.supported);
  EXPECT_FALSE(ahci.fatal) << "q35's AHCI holds no disk here";
  EXPECT_NE(ahci.reason.find("not the root disk's controller"), std::string::npos);
  EXPECT_NE(report_text({report_device(in, slot(*devs, "0000:00:03.0"))}).find("[root disk]"),
            std::string::npos);
  // A root on a path with no PCI function of the list marks none.
  EXPECT_FALSE(mark_root_controller(*devs, "/sys/devices/virtual/block/loop0"));
}

TEST(Report, ImageWithoutTheRootDiskDriverIsFatal) {
  auto facts = load_lockfile(kDir + "/facts/cloud.lock");
  auto policy = load_policy(kDir + "/policy.toml");
  ASSERT_TRUE(facts && policy);
  auto spec =
      load_hardware_spec(std::string(KEEL_SOURCE_DIR) + "/images/tests/no-root-driver.toml");
  ASSERT_TRUE(spec) << spec.error().message();
  ReportInput in{*facts, *policy, &*spec, "/nonexistent"};
  auto devs = lspci("qemu-q35.lspci-n");
  auto blk = report_device(in, slot(devs, "00:03.0"));
  EXPECT_FALSE(blk.supported);
  EXPECT_TRUE(blk.fatal);
  EXPECT_NE(blk.reason.find("virtio_blk is not in this image, which this image's matrix excludes"),
            std::string::npos)
      << blk.reason;
  auto net = report_device(in, slot(devs, "00:02.0"));
  EXPECT_TRUE(net.supported) << net.reason;
  auto json = report_json({blk, net});
  EXPECT_NE(json.find("\"fatal\": true"), std::string::npos);
}

TEST(Matrix, MarkdownAndHtmlRows) {
  auto cloud = load_lockfile(kDir + "/facts/cloud.lock");
  auto generic = load_lockfile(kDir + "/facts/generic.lock");
  auto policy = load_policy(kDir + "/policy.toml");
  ASSERT_TRUE(cloud && generic && policy);
  auto md = export_matrix({*cloud, *generic}, *policy, MatrixFormat::markdown, Tier::certified);
  EXPECT_NE(md.find("| pci | Red Hat, Inc. (1af4) | Virtio block device (1001) | * | "
                    "virtio_pci → virtio_blk | certified | cloud, generic |"),
            std::string::npos)
      << md.substr(0, 2000);
  EXPECT_NE(md.find("| e1000e | certified | generic |"), std::string::npos);
  EXPECT_EQ(md.find("| community |"), std::string::npos);  // below --min-tier
  auto html = export_matrix({*cloud}, *policy, MatrixFormat::html, Tier::certified);
  EXPECT_NE(html.find("<td>virtio_pci → virtio_blk</td>"), std::string::npos);
  EXPECT_NE(html.find("<table>"), std::string::npos);
}

// --boot-disk: a node that is no block device (or none at all) names no controller, so
// the report falls back to treating every storage controller as boot-critical.
TEST(Report, BootDiskMustBeABlockDevice) {
  EXPECT_FALSE(block_device_sys_path("/sys", "/dev/null"));
  EXPECT_FALSE(block_device_sys_path("/sys", "/nonexistent/vdb"));
  EXPECT_FALSE(block_device_sys_path("/sys", "/"));
}
