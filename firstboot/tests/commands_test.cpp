// keel-firstboot's boot-time commands end to end against temporary directories: the
// sources (fw_cfg and the metadata service stand in for all), the checks, the
// transaction, the status keelctl shows. The config drive's mount needs QEMU
// (qemu-tests/009_firstboot).
#include "commands.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "http_stub.hpp"
#include "keel/common/container_def.hpp"
#include "keel/firstboot/render.hpp"
#include "keel/testing/temp_dir.hpp"

using namespace keel::firstboot;
using keel::firstboot::test::HttpStub;
using keel::testing::read_text;
using keel::testing::TempDir;

namespace {

// A booted host in miniature: the image's tree, /sys, /run/keel, /proc/cmdline.
struct Host {
  TempDir dir;
  Paths paths;
  Host() {
    dir.write("root/usr/lib/keel/containers/hello.toml", "image = \"busybox\"\n");
    dir.write("root/usr/lib/keel/containers/network.toml", "image = \"network\"\n");
    dir.write("root/usr/lib/keel/images/busybox/index.json", "{}");
    dir.write("root/usr/lib/keel/images/network/index.json", "{}");
    dir.write("root/etc/hostname", "keel\n");
    dir.write("sys/class/dmi/id/sys_vendor", "QEMU\n");
    dir.write("cmdline", "root=LABEL=keel-root console=ttyS0\n");
    std::filesystem::create_directories(dir / "sys/class/block");
    paths = Paths{dir / "root", dir / "sys", dir / "dev", dir / "run", dir / "cmdline", ""};
  }
  void fw_cfg(const std::string& text) const {
    dir.write("sys/firmware/qemu_fw_cfg/by_name/opt/keel/user-data/raw", text);
  }
  nlohmann::json status() const {
    return nlohmann::json::parse(read_text(dir / "run/firstboot.json"), nullptr, false);
  }
  std::map<std::string, std::string> etc() const {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "root/etc"))
      out[e.path().string()] = e.is_regular_file() ? read_text(e.path().string()) : "dir";
    return out;
  }
};

constexpr const char* kGood = R"(hostname = "edge-01"
[network]
mode = "static"
address = "10.0.2.50/24"
gateway = "10.0.2.2"
[containers.add.probe]
image = "busybox"
command = ["/bin/true"]
)";

}  // namespace

TEST(Commands, LocalAppliesFwCfgUserDataOnceOnly) {
  Host h;
  h.fw_cfg(kGood);
  EXPECT_EQ(run_local(h.paths), 0);
  EXPECT_EQ(read_text(h.dir / "root/etc/hostname"), "edge-01\n");
  EXPECT_TRUE(std::filesystem::exists(h.dir / "root/etc/keel/containers/network.toml"));
  EXPECT_TRUE(std::filesystem::exists(h.dir / "root/etc/keel/containers/probe.toml"));
  EXPECT_EQ(h.status()["state"], "applied");
  EXPECT_NE(h.status()["message"].get<std::string>().find(
                "applied the user-data from QEMU's fw_cfg entry opt/keel/user-data: wrote "
                "/etc/hostname, /etc/keel/containers/network.toml"),
            std::string::npos)
      << h.status().dump();
  // The copy it kept is private: user-data may carry keys.
  EXPECT_EQ(std::filesystem::status(h.dir / "run/firstboot/user-data").permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // Next boot: done; a changed source is not read again.
  h.fw_cfg("hostname = \"other\"\n");
  EXPECT_EQ(run_local(h.paths), 0);
  EXPECT_EQ(read_text(h.dir / "root/etc/hostname"), "edge-01\n");
  EXPECT_EQ(h.status()["state"], "done");
}

TEST(Commands, InvalidUserDataChangesNothingAndSaysWhere) {
  Host h;
  h.fw_cfg("hostname = \"edge-01\"\n[network]\nmode = \"static\"\naddress = \"10.0.2.50\"\n");
  auto before = h.etc();
  EXPECT_EQ(run_local(h.paths), 1);
  EXPECT_EQ(h.etc(), before);
  EXPECT_EQ(h.status()["state"], "invalid");
  std::string m = h.status()["message"];
  EXPECT_NE(m.find("invalid user-data from QEMU's fw_cfg entry opt/keel/user-data: " +
                   h.dir / "run/firstboot/user-data:4:11: address \"10.0.2.50\" needs a prefix "
                           "length"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("nothing was applied, the host runs with the image's defaults"),
            std::string::npos);
  // Not marked done: fixed user-data is applied at a later boot.
  h.fw_cfg(kGood);
  EXPECT_EQ(run_local(h.paths), 0);
  EXPECT_EQ(h.status()["state"], "applied");
}

TEST(Commands, NoUserDataAnywhere) {
  Host h;
  EXPECT_EQ(run_local(h.paths), 0);
  EXPECT_EQ(h.status()["state"], "none");
  EXPECT_FALSE(std::filesystem::exists(h.dir / "run/containers/firstboot.toml"));
  EXPECT_FALSE(std::filesystem::exists(h.dir / ("root/" + std::string(kDoneMarker))));
}

TEST(Commands, KernelCommandLineTurnsItOff) {
  Host h;
  h.fw_cfg(kGood);
  h.dir.write("cmdline", "console=ttyS0 keel.firstboot=0\n");
  EXPECT_EQ(run_local(h.paths), 0);
  EXPECT_EQ(h.status()["state"], "disabled");
  EXPECT_EQ(read_text(h.dir / "root/etc/hostname"), "keel\n");
}

TEST(Commands, OnACloudTheMetadataPhaseGetsAContainer) {
  Host h;
  h.dir.write("sys/class/dmi/id/sys_vendor", "OpenStack Foundation\n");
  EXPECT_EQ(run_local(h.paths), 0);
  EXPECT_EQ(h.status()["state"], "waiting");
  auto def = keel::parse_container_def(h.dir / "run/containers/firstboot.toml");
  ASSERT_TRUE(def) << def.error().message();
  EXPECT_TRUE(def->system);
  EXPECT_EQ(def->after, std::vector<std::string>{"network"});
  EXPECT_EQ(def->command.back(), "metadata");
  // keel.firstboot.metadata=0 overrides the DMI data, =1 asks anywhere.
  Host off;
  off.dir.write("sys/class/dmi/id/sys_vendor", "Amazon EC2\n");
  off.dir.write("cmdline", "keel.firstboot.metadata=0\n");
  EXPECT_EQ(run_local(off.paths), 0);
  EXPECT_EQ(off.status()["state"], "none");
  Host on;
  on.dir.write("cmdline", "keel.firstboot.metadata=1\n");
  EXPECT_EQ(run_local(on.paths), 0);
  EXPECT_EQ(on.status()["state"], "waiting");
}

TEST(Commands, MetadataPhaseAppliesWhatTheServiceSends) {
  Host h;
  HttpStub server({HttpStub::response(200, kGood)});
  EXPECT_EQ(run_metadata(h.paths, server.url(), MetadataOptions{1}), 0);
  EXPECT_EQ(read_text(h.dir / "root/etc/hostname"), "edge-01\n");
  EXPECT_EQ(h.status()["state"], "applied");
  // Done: the service is not asked again.
  EXPECT_EQ(run_metadata(h.paths, server.url(), MetadataOptions{1}), 0);
  EXPECT_EQ(server.requests(), 1);
}

TEST(Commands, MetadataPhaseWithoutAnAnswer) {
  Host h;
  HttpStub server({HttpStub::response(404, "")});
  auto before = h.etc();
  EXPECT_EQ(run_metadata(h.paths, server.url(), MetadataOptions{1}), 0);
  EXPECT_EQ(h.status()["state"], "none");
  EXPECT_EQ(h.etc(), before);
  HttpStub bad({HttpStub::response(200, "#cloud-config\nhostname: x\n")});
  EXPECT_EQ(run_metadata(h.paths, bad.url(), MetadataOptions{1}), 1);
  EXPECT_EQ(h.status()["state"], "invalid");
  EXPECT_EQ(h.etc(), before);
}

TEST(Commands, CheckPrintsWhatWouldBeWritten) {
  Host h;
  std::string file = h.dir.write("user-data.toml", kGood);
  std::FILE* out = std::tmpfile();
  EXPECT_EQ(run_check(file, h.paths, out), 0);
  std::rewind(out);
  char buf[8192];
  std::string text(buf, std::fread(buf, 1, sizeof buf, out));
  std::fclose(out);
  EXPECT_NE(text.find("==> /etc/hostname (mode 0644)\nedge-01\n"), std::string::npos) << text;
  EXPECT_NE(text.find("==> /etc/keel/firstboot.done"), std::string::npos);
  EXPECT_EQ(read_text(h.dir / "root/etc/hostname"), "keel\n");  // nothing written
  std::string bad = h.dir.write("bad.toml", "hostnme = \"x\"\n");
  EXPECT_EQ(run_check(bad, h.paths, stderr), 1);
}
