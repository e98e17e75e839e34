#include "keel/firstboot/user_data.hpp"

#include <gtest/gtest.h>

#include "keel/testing/temp_dir.hpp"

using namespace keel::firstboot;

namespace {

HostFacts facts() {
  return HostFacts{{"hello", "network"}, {"busybox", "network"}};
}

constexpr const char* kKey = "QqeB0e3ZvJ742pQpxrwhyc3+oTMBH34mMfSaPoH8BGg=";
constexpr const char* kSsh =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGwNRU1XIYCaPu4V2u7I1y2FH4kPezBaDQopxPpH8oSD alice@laptop";

std::string full_example() {
  return std::string(R"(hostname = "edge-01"

[network]
mode = "static"
interface = "eth0"
address = "10.0.2.50/24"
gateway = "10.0.2.2"
dns = ["10.0.2.3"]

[containers]
disable = ["hello"]

[containers.add.web]
image = "busybox"
command = ["/bin/httpd", "-f", "-p", "8080"]
network = "host"
[containers.add.web.resources]
memory_max = "32M"

[update]
policy = "automatic"
url = "https://updates.example.com/keel"
[update.window]
days = ["sun"]
start = "02:00"
duration = "2h"

[keys]
trusted = [")") +
         kKey + R"("]

[admin]
authorized_keys = [")" +
         kSsh + R"("]
)";
}

// The error of parsing `text`; the test fails if it parses.
std::string error_of(const std::string& text) {
  auto r = parse_user_data(text, "/run/keel/firstboot/user-data", facts());
  EXPECT_FALSE(r) << text;
  return r ? std::string() : r.error().message();
}

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

}  // namespace

TEST(UserData, FullExample) {
  auto r = parse_user_data(full_example(), "user-data", facts());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->hostname, "edge-01");
  ASSERT_TRUE(r->network);
  EXPECT_EQ(r->network->mode, NetworkConfig::Mode::fixed);
  EXPECT_EQ(r->network->address, "10.0.2.50/24");
  EXPECT_EQ(r->network->gateway, "10.0.2.2");
  EXPECT_EQ(r->network->dns, std::vector<std::string>{"10.0.2.3"});
  EXPECT_EQ(r->disable, std::vector<std::string>{"hello"});
  ASSERT_EQ(r->add.size(), 1u);
  EXPECT_EQ(r->add[0].name, "web");
  EXPECT_HAS(r->add[0].definition, "image = 'busybox'");
  EXPECT_HAS(r->add[0].definition, "[resources]");
  ASSERT_TRUE(r->update);
  EXPECT_EQ(r->update->config.policy, keel::update::Policy::automatic);
  EXPECT_EQ(r->update->config.url, "https://updates.example.com/keel");
  ASSERT_TRUE(r->update->config.window);
  EXPECT_EQ(r->update->config.window->start_min, 120);
  EXPECT_EQ(r->update->config.window->length_min, 120);
  EXPECT_EQ(r->trusted_keys, std::vector<std::string>{kKey});
  ASSERT_TRUE(r->authorized_keys);
  EXPECT_EQ(r->authorized_keys->size(), 1u);
}

TEST(UserData, EmptyIsValidAndChangesNothing) {
  auto r = parse_user_data("# nothing to set\n", "user-data", facts());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->hostname);
  EXPECT_FALSE(r->network);
  EXPECT_TRUE(r->add.empty());
  EXPECT_FALSE(r->authorized_keys);
}

TEST(UserData, DhcpOnAnotherInterface) {
  auto r = parse_user_data("[network]\ninterface = \"ens3\"\n", "user-data", facts());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->network->mode, NetworkConfig::Mode::dhcp);
  EXPECT_EQ(r->network->interface, "ens3");
}

TEST(UserData, PinnedNeedsAVersion) {
  auto ok = parse_user_data("[update]\npolicy = \"pinned\"\nversion = \"0.1.0\"\n", "u", facts());
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->update->config.version, "0.1.0");
  EXPECT_HAS(error_of("[update]\npolicy = \"pinned\"\n"),
             "user-data:2:10: policy = \"pinned\" needs version = \"X.Y.Z\"");
}

// Every kind of mistake names the file, the line and column, and the fix.
TEST(UserData, ErrorsNameTheLineAndTheFix) {
  EXPECT_HAS(error_of("hostname = \"a\"\nhostnme = \"b\"\n"),
             "/run/keel/firstboot/user-data:2:11: unknown key 'hostnme' in the user-data (known "
             "keys: hostname, network, containers, update, keys, admin)");
  EXPECT_HAS(error_of("hostname = \"Edge_01\"\n"),
             "user-data:1:12: hostname \"Edge_01\" is not a valid host name; use lowercase");
  EXPECT_HAS(error_of("hostname = 7\n"), "user-data:1:12: 'hostname' must be a string");
  EXPECT_HAS(error_of("[network]\nmode = \"static\"\naddress = \"10.0.2.50\"\n"),
             "user-data:3:11: address \"10.0.2.50\" needs a prefix length");
  EXPECT_HAS(error_of("[network]\nmode = \"static\"\naddress = \"10.0.2.350/24\"\n"),
             "user-data:3:11: address \"10.0.2.350/24\" is not an IPv4 address");
  EXPECT_HAS(error_of("[network]\nmode = \"static\"\n"),
             "user-data:1:1: missing required key 'address'");
  EXPECT_HAS(error_of("[network]\nmode = \"static\"\naddress = \"10.0.2.50/24\"\n"
                      "gateway = \"10.0.3.1\"\n"),
             "user-data:4:11: gateway \"10.0.3.1\" must be another IPv4 address in 10.0.2.50/24's");
  EXPECT_HAS(error_of("[network]\nmode = \"static\"\naddress = \"10.0.2.50/24\"\n"
                      "dns = [\"dns.example\"]\n"),
             "user-data:4:7: dns: \"dns.example\" is not an IPv4 address");
  EXPECT_HAS(error_of("[network]\nmode = \"manual\"\n"),
             "user-data:2:8: mode = \"manual\" is not known; use \"dhcp\" or \"static\"");
  EXPECT_HAS(error_of("[network]\naddress = \"10.0.2.50/24\"\n"),
             "user-data:2:11: address is only for mode = \"static\"");
  EXPECT_HAS(error_of("[network]\ninterface = \"eth0; reboot\"\n"),
             "user-data:2:13: interface \"eth0; reboot\" is not an interface name");
  EXPECT_HAS(error_of("[network]\nmode = \"dhcp\"\nmtu = 1400\n"),
             "user-data:3:7: unknown key 'mtu' in [network]");
}

TEST(UserData, ContainerErrors) {
  EXPECT_HAS(error_of("[containers]\ndisable = [\"nosuch\"]\n"),
             "user-data:2:11: disable: the image has no container \"nosuch\" (it has: hello, "
             "network)");
  EXPECT_HAS(error_of("[containers]\ndisable = [\"hello\", \"hello\"]\n"),
             "\"hello\" is listed twice");
  EXPECT_HAS(error_of("[containers]\nremove = [\"hello\"]\n"),
             "user-data:2:10: unknown key 'remove' in [containers] (known keys: add, disable)");
  EXPECT_HAS(error_of("[containers.add.web]\nimage = \"nginx\"\n"),
             "user-data:2:9: [containers.add.web]: image \"nginx\" is not in this OS image (it "
             "has: busybox, network)");
  EXPECT_HAS(error_of("[containers.add.web]\nimage = \"busybox\"\nrestart = \"sometimes\"\n"),
             "user-data:3:11: restart = \"sometimes\" is not a policy");
  EXPECT_HAS(error_of("[containers.add.web]\nimage = \"busybox\"\ncomand = [\"x\"]\n"),
             "user-data:3:10: unknown key 'comand' in [containers.add.web]");
  EXPECT_HAS(error_of("[containers.add.Web]\nimage = \"busybox\"\n"),
             "[containers.add.Web]: 'Web' is not a container name");
  EXPECT_HAS(error_of("[containers]\nadd.web = 1\n"), "[containers.add.web] must be a table");
  EXPECT_HAS(error_of("[containers]\ndisable = [\"hello\"]\n[containers.add.hello]\n"
                      "image = \"busybox\"\n"),
             "user-data:2:11: \"hello\" is both added and disabled; keep one");
  EXPECT_HAS(error_of("[containers.add.web]\nenabled = false\n"),
             "to disable a container, list it in [containers] disable");
  EXPECT_HAS(error_of("[network]\nmode = \"dhcp\"\n[containers]\ndisable = [\"network\"]\n"),
             "user-data:1:1: [network] configures the network container, which [containers] "
             "disable turns off");
  EXPECT_HAS(error_of("[network]\n[containers.add.network]\nimage = \"busybox\"\n"),
             "[network] and [containers.add.network] both define the network container");
  auto no_network_image =
      parse_user_data("[network]\nmode = \"dhcp\"\n", "u", HostFacts{{"hello"}, {"busybox"}});
  ASSERT_FALSE(no_network_image);
  EXPECT_HAS(no_network_image.error().message(), "needs the image's \"network\" container image");
}

TEST(UserData, UpdateKeyAndAdminErrors) {
  // The update client's own parser, so the same errors as `keelctl update` gives.
  EXPECT_HAS(error_of("[update]\npolicy = \"sometimes\"\n"),
             "user-data:2:10: policy 'sometimes' is not one of \"manual\", \"automatic\" or "
             "\"pinned\"");
  EXPECT_HAS(error_of("[update]\nremote = \"https://x/\"\n"),
             "user-data:2:10: unknown key 'remote' in [update] (known keys: url, branch, policy, "
             "version, trusted_keys, window, check_interval)");
  EXPECT_HAS(error_of("[update]\nurl = \"ftp://x/repo\"\n"),
             "user-data:2:7: url 'ftp://x/repo' must start with http://, https:// or file:///");
  EXPECT_HAS(error_of("[update]\nbranch = \"keel x86\"\n"),
             "user-data:2:10: branch 'keel x86' is not an OSTree branch name");
  EXPECT_HAS(error_of("[update]\npolicy = \"automatic\"\n[update.window]\nstart = \"2am\"\n"),
             "user-data:4:9: [update.window] start '2am' must be a UTC time \"HH:MM\"");
  EXPECT_HAS(
      error_of(std::string("[keys]\ntrusted = [\n  \"") + kKey + "\",\n  \"c2hvcnQ=\",\n]\n"),
      "user-data:4:3: trusted: not an ed25519 public key");
  EXPECT_HAS(error_of("[keys]\ntrusted = \"one\"\n"),
             "user-data:2:11: 'trusted' must be an array of strings");
  EXPECT_HAS(error_of("[admin]\nauthorized_keys = [\"ssh-ed25519 AAAA\"]\n"),
             "user-data:2:20: authorized_keys: the ssh-ed25519 key's base64 part is not an SSH "
             "public key");
  EXPECT_HAS(error_of("[admin]\nauthorized_keys = [\"" + std::string(kSsh) + "\\nssh-rsa x\"]\n"),
             "authorized_keys: one key per string");
}

TEST(UserData, ForeignFormatsAndSyntax) {
  EXPECT_HAS(error_of("#cloud-config\nhostname: edge\n"),
             "user-data:1:1: this is cloud-init user-data ('#cloud-config'); Keel reads a TOML "
             "document instead");
  EXPECT_HAS(error_of("#!/bin/sh\necho hi\n"), "cloud-init user-data ('#!')");
  EXPECT_HAS(error_of(std::string("\x1f\x8b\x08\x00", 4)), "gzip-compressed");
  EXPECT_HAS(error_of("hostname = \"edge\nx"), "user-data:1:");
  EXPECT_HAS(error_of("hostname = \"edge\nx"), "TOML syntax error");
  EXPECT_HAS(error_of(std::string(kMaxUserData + 1, '#')), "at most 65536 are read");
}

TEST(UserData, HostFactsFromATree) {
  keel::testing::TempDir root;
  root.write("usr/lib/keel/containers/network.toml", "image = \"network\"\n");
  root.write("usr/lib/keel/containers/hello.toml", "image = \"busybox\"\n");
  root.write("usr/lib/keel/containers/README", "not a definition\n");
  root.write("usr/lib/keel/images/busybox/index.json", "{}");
  root.write("usr/lib/keel/images/web.tar", "");
  HostFacts f = load_host_facts(root.path());
  EXPECT_EQ(f.containers, (std::set<std::string>{"hello", "network"}));
  EXPECT_EQ(f.images, (std::set<std::string>{"busybox", "web"}));
  EXPECT_TRUE(load_host_facts(root / "nothing").containers.empty());
}
