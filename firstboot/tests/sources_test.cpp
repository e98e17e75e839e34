#include "keel/firstboot/sources.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "http_stub.hpp"
#include "keel/firstboot/user_data.hpp"
#include "keel/testing/temp_dir.hpp"

using namespace keel::firstboot;
using keel::firstboot::test::HttpStub;
using keel::testing::TempDir;

namespace {

// A FAT file system image with `label`, as a test builds a config drive.
std::string vfat_image(const TempDir& dir, const std::string& name, const std::string& label) {
  std::string path = dir / name;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::string cmd = "mkfs.vfat -C -n " + label + " " + path + " 1024 >/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << " (dosfstools: scripts/install-deps)";
  return path;
}

MetadataOptions quick(int tries) {
  return MetadataOptions{tries, std::chrono::milliseconds(500), std::chrono::milliseconds(2000),
                         std::chrono::milliseconds(10)};
}

}  // namespace

TEST(Sources, LibblkidReadsTheLabel) {
  TempDir dir;
  auto probed = probe_filesystem(vfat_image(dir, "drive.img", "CIDATA"));
  ASSERT_TRUE(probed) << probed.error().message();
  ASSERT_TRUE(*probed);
  EXPECT_EQ((*probed)->type, "vfat");
  EXPECT_EQ((*probed)->label, "CIDATA");
  dir.write("blank.img", std::string(64 * 1024, '\0'));
  auto blank = probe_filesystem(dir / "blank.img");
  ASSERT_TRUE(blank);
  EXPECT_FALSE(*blank);
  EXPECT_FALSE(probe_filesystem(dir / "missing.img"));
}

TEST(Sources, ConfigDriveLabels) {
  for (const char* l : {"cidata", "CIDATA", "config-2", "CONFIG-2"})
    EXPECT_TRUE(is_config_drive_label(l));
  for (const char* l : {"", "keel-root", "CIDATA2", "cidata "})
    EXPECT_FALSE(is_config_drive_label(l));
}

TEST(Sources, ConfigDriveScanSkipsOtherDisksAndEmptyOnes) {
  TempDir dir;
  DrivePaths p{dir / "sys/class/block", dir / "dev", dir / "mnt"};
  dir.write("sys/class/block/sr0/size", "0\n");  // an empty CD drive: never opened
  dir.write("sys/class/block/vda/size", "2048\n");
  vfat_image(dir, "dev/vda", "EFI");
  auto none = read_config_drive(p);
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_FALSE(*none);
  // A drive with the label is mounted; here it is an image file, not a block device,
  // so the mount fails and says so: proof that it was picked.
  dir.write("sys/class/block/vdb/size", "2048\n");
  vfat_image(dir, "dev/vdb", "CIDATA");
  auto picked = read_config_drive(p);
  ASSERT_FALSE(picked);
  EXPECT_NE(picked.error().message().find("mount " + dir / "mnt"), std::string::npos)
      << picked.error().message();
}

TEST(Sources, FwCfg) {
  TempDir sys;
  auto absent = read_fw_cfg(sys.path());
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);  // not QEMU
  sys.write("firmware/qemu_fw_cfg/by_name/etc/boot-fail-wait/raw", "x");
  auto other = read_fw_cfg(sys.path());
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);  // QEMU, but no entry of ours
  sys.write("firmware/qemu_fw_cfg/by_name/opt/keel/user-data/raw", "hostname = \"vm\"\n");
  auto found = read_fw_cfg(sys.path());
  ASSERT_TRUE(found) << found.error().message();
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->text, "hostname = \"vm\"\n");
  EXPECT_EQ((*found)->source, "QEMU's fw_cfg entry opt/keel/user-data");
  sys.write("firmware/qemu_fw_cfg/by_name/opt/keel/user-data/raw",
            std::string(kMaxUserData + 1, '#'));
  auto big = read_fw_cfg(sys.path());
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message().find("larger than 65536 bytes"), std::string::npos);
}

TEST(Sources, DmiNamesTheCloud) {
  TempDir sys;
  std::string which;
  EXPECT_FALSE(dmi_says_cloud(sys.path(), &which));  // no DMI at all
  sys.write("class/dmi/id/sys_vendor", "QEMU\n");
  sys.write("class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n");
  EXPECT_FALSE(dmi_says_cloud(sys.path(), &which));
  sys.write("class/dmi/id/product_name", "OpenStack Nova\n");
  EXPECT_TRUE(dmi_says_cloud(sys.path(), &which));
  EXPECT_EQ(which, "OpenStack");
  sys.write("class/dmi/id/sys_vendor", "Amazon EC2\n");
  sys.write("class/dmi/id/product_name", "t3.micro\n");
  EXPECT_TRUE(dmi_says_cloud(sys.path(), &which));
  EXPECT_EQ(which, "Amazon EC2");
}

TEST(Sources, MetadataFound) {
  HttpStub server({HttpStub::response(200, "hostname = \"cloudy\"\n")});
  auto a = fetch_metadata(server.url(), quick(3));
  EXPECT_EQ(a.kind, MetadataAnswer::Kind::found) << a.detail;
  EXPECT_EQ(a.text, "hostname = \"cloudy\"\n");
}

TEST(Sources, MetadataWithAnImdsV2SessionToken) {
  HttpStub server({HttpStub::response(200, "hostname = \"ec2\"\n")},
                  HttpStub::response(200, "AQAEAtoken=="));
  auto a = fetch_metadata(server.url(), quick(1));
  EXPECT_EQ(a.kind, MetadataAnswer::Kind::found) << a.detail;
  ASSERT_EQ(server.gets().size(), 1u);
  EXPECT_NE(server.gets()[0].find("X-aws-ec2-metadata-token: AQAEAtoken==\r\n"), std::string::npos)
      << server.gets()[0];
  // Without a token service (IMDSv1, OpenStack) the GET goes without the header.
  HttpStub v1({HttpStub::response(200, "hostname = \"v1\"\n")});
  EXPECT_EQ(fetch_metadata(v1.url(), quick(1)).kind, MetadataAnswer::Kind::found);
  EXPECT_EQ(v1.gets()[0].find("X-aws-ec2-metadata-token"), std::string::npos);
}

TEST(Sources, MetadataWithoutUserData) {
  HttpStub server({HttpStub::response(404, "not found")});
  auto a = fetch_metadata(server.url(), quick(3));
  EXPECT_EQ(a.kind, MetadataAnswer::Kind::none);
  EXPECT_NE(a.detail.find("has no user-data for this host (HTTP 404)"), std::string::npos);
  EXPECT_EQ(server.requests(), 1);  // a definite answer: no retry
}

TEST(Sources, MetadataRetriesServerErrors) {
  HttpStub server({HttpStub::response(503, "busy"), HttpStub::response(500, "oops"),
                   HttpStub::response(200, "hostname = \"late\"\n")});
  auto a = fetch_metadata(server.url(), quick(3));
  EXPECT_EQ(a.kind, MetadataAnswer::Kind::found) << a.detail;
  EXPECT_EQ(server.requests(), 3);
  HttpStub failing({HttpStub::response(500, "x"), HttpStub::response(500, "x")});
  auto b = fetch_metadata(failing.url(), quick(2));
  EXPECT_EQ(b.kind, MetadataAnswer::Kind::unreachable);
  EXPECT_NE(b.detail.find("HTTP 500 (try 2 of 2)"), std::string::npos) << b.detail;
}

TEST(Sources, MetadataUnreachableAndOversized) {
  std::string url = "http://127.0.0.1:" + std::to_string(test::closed_port()) + "/latest/user-data";
  auto a = fetch_metadata(url, quick(2));
  EXPECT_EQ(a.kind, MetadataAnswer::Kind::unreachable);
  EXPECT_NE(a.detail.find("(try 2 of 2)"), std::string::npos) << a.detail;
  HttpStub big({HttpStub::response(200, std::string(kMaxUserData + 10, '#'))});
  auto b = fetch_metadata(big.url(), quick(3));
  EXPECT_EQ(b.kind, MetadataAnswer::Kind::unreachable);
  EXPECT_NE(b.detail.find("more than 65536 bytes"), std::string::npos) << b.detail;
  HttpStub redirect(
      {"HTTP/1.1 302 Found\r\nLocation: http://192.0.2.1/\r\nContent-Length: "
       "0\r\nConnection: close\r\n\r\n",
       HttpStub::response(302, ""), HttpStub::response(302, "")});
  auto c = fetch_metadata(redirect.url(), quick(1));
  EXPECT_EQ(c.kind, MetadataAnswer::Kind::unreachable);  // not followed off the service
  EXPECT_NE(c.detail.find("HTTP 302"), std::string::npos) << c.detail;
}
