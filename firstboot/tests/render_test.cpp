#include "keel/firstboot/render.hpp"

#include <gtest/gtest.h>

#include <map>

#include "keel/common/container_def.hpp"
#include "keel/testing/temp_dir.hpp"
#include "keel/update/config.hpp"

using namespace keel::firstboot;
using keel::testing::TempDir;

namespace {

HostFacts facts() {
  return HostFacts{{"hello", "network"}, {"busybox", "network"}};
}

std::map<std::string, FileChange> by_path(const std::vector<FileChange>& changes) {
  std::map<std::string, FileChange> m;
  for (const auto& c : changes) m[c.path] = c;
  return m;
}

}  // namespace

TEST(Render, EverySectionBecomesItsFileAndTheMarkerComesLast) {
  auto ud = parse_user_data(R"(hostname = "edge-01"
[network]
mode = "static"
address = "10.0.2.50/24"
gateway = "10.0.2.2"
dns = ["10.0.2.3", "10.0.2.4"]
[containers]
disable = ["hello"]
[containers.add.probe]
image = "busybox"
command = ["/bin/sh", "-c", "echo 'quoted \"text\"'"]
[update]
policy = "pinned"
version = "0.1.0"
[keys]
trusted = ["QqeB0e3ZvJ742pQpxrwhyc3+oTMBH34mMfSaPoH8BGg="]
[admin]
authorized_keys = []
)",
                            "user-data", facts());
  ASSERT_TRUE(ud) << ud.error().message();
  auto changes = render_changes(*ud, facts(), "the config drive /dev/vdb");
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes.back().path, kDoneMarker);
  EXPECT_NE(changes.back().content.find("source = 'the config drive /dev/vdb'"), std::string::npos)
      << changes.back().content;
  auto m = by_path(changes);
  EXPECT_EQ(m.size(), 8u);
  EXPECT_EQ(m["etc/hostname"].content, "edge-01\n");
  EXPECT_NE(m["etc/keel/containers/hello.toml"].content.find("\nenabled = false\n"),
            std::string::npos);
  EXPECT_EQ(m["etc/keel/admin/authorized_keys"].mode, 0600u);
  EXPECT_EQ(m["etc/keel/admin/authorized_keys"].content, "");
  EXPECT_NE(m["etc/keel/update.toml"].content.find("policy = 'pinned'"), std::string::npos);
  EXPECT_NE(m["etc/keel/update.toml"].content.find("version = '0.1.0'"), std::string::npos);
  EXPECT_NE(m["etc/keel/keys/user-data.pub"].content.find(
                "\nQqeB0e3ZvJ742pQpxrwhyc3+oTMBH34mMfSaPoH8BGg=\n"),
            std::string::npos);
  // Each container file reads back as a definition, as keel-init will read it.
  for (const char* name : {"hello", "network", "probe"}) {
    std::string path = std::string("etc/keel/containers/") + name + ".toml";
    auto def = keel::parse_container_def_text(m[path].content, "/" + path);
    ASSERT_TRUE(def) << def.error().message() << "\n" << m[path].content;
  }
  auto probe = keel::parse_container_def_text(m["etc/keel/containers/probe.toml"].content,
                                              "/etc/keel/containers/probe.toml");
  EXPECT_EQ(probe->command[2], "echo 'quoted \"text\"'");
}

// What keel-firstboot writes to /etc/keel/update.toml is what keelctl update reads.
TEST(Render, UpdateTomlIsTheUpdateClientsSchema) {
  auto ud = parse_user_data(R"([update]
url = "http://10.0.2.100/repo"
branch = "keel/x86_64/boot"
policy = "automatic"
[update.window]
days = ["sat", "sun"]
start = "03:00"
duration = "90m"
)",
                            "user-data", facts());
  ASSERT_TRUE(ud) << ud.error().message();
  auto m = by_path(render_changes(*ud, facts(), "fw_cfg"));
  TempDir d;
  auto file = d.write("update.toml", m["etc/keel/update.toml"].content);
  auto cfg = keel::update::load_update_config({file});
  ASSERT_TRUE(cfg) << cfg.error().message() << "\n" << m["etc/keel/update.toml"].content;
  EXPECT_EQ(cfg->url, "http://10.0.2.100/repo");
  EXPECT_EQ(cfg->branch, "keel/x86_64/boot");
  EXPECT_EQ(cfg->policy, keel::update::Policy::automatic);
  ASSERT_TRUE(cfg->window);
  EXPECT_EQ(cfg->window->days, (1u << 6) | 1u);
  EXPECT_EQ(cfg->window->start_min, 180);
  EXPECT_EQ(cfg->window->length_min, 90);
}

TEST(Render, StaticNetworkIsAnOverrideOfTheNetworkContainer) {
  NetworkConfig net;
  net.mode = NetworkConfig::Mode::fixed;
  net.address = "10.0.2.50/24";
  net.gateway = "10.0.2.2";
  net.dns = {"10.0.2.3"};
  auto text = render_network(net, facts());
  ASSERT_TRUE(text);
  auto def = keel::parse_container_def_text(*text, "/etc/keel/containers/network.toml");
  ASSERT_TRUE(def) << def.error().message() << "\n" << *text;
  EXPECT_EQ(def->image, "network");
  EXPECT_TRUE(def->system);
  EXPECT_EQ(def->ready, keel::ReadyWhen::healthy);
  ASSERT_EQ(def->command.size(), 3u);
  EXPECT_EQ(def->command[2],
            "ip link set eth0 up && ip addr replace 10.0.2.50/24 dev eth0 && ip route replace "
            "default via 10.0.2.2 dev eth0 && printf 'nameserver 10.0.2.3\\n' > /etc/resolv.conf "
            "&& echo \"static address 10.0.2.50/24 on eth0\" && exec sleep 2147483647");
  EXPECT_EQ(def->health.command,
            (std::vector<std::string>{"/bin/grep", "-q", "^eth0\t", "/proc/net/route"}));
  ASSERT_EQ(def->mounts.size(), 1u);
  EXPECT_EQ(def->mounts[0].target, "/etc/resolv.conf");
}

TEST(Render, DhcpNeedsNoOverrideUnlessOnAnotherInterface) {
  NetworkConfig net;  // DHCP on eth0: what the image's container does
  EXPECT_FALSE(render_network(net, facts()));
  // An image without a network container gets one.
  EXPECT_TRUE(render_network(net, HostFacts{{}, {"network"}}));
  net.interface = "ens3";
  auto text = render_network(net, facts());
  ASSERT_TRUE(text);
  auto def = keel::parse_container_def_text(*text, "/etc/keel/containers/network.toml");
  ASSERT_TRUE(def) << def.error().message();
  EXPECT_EQ(def->command, (std::vector<std::string>{"udhcpc", "-f", "-R", "-i", "ens3"}));
}
