#include "keel/firstboot/checks.hpp"

#include <gtest/gtest.h>

using namespace keel::firstboot;

TEST(Checks, Hostnames) {
  EXPECT_FALSE(check_hostname("edge-01"));
  EXPECT_FALSE(check_hostname("web.example.com"));
  EXPECT_FALSE(check_hostname(std::string(63, 'a')));
  for (std::string bad :
       std::initializer_list<std::string>{"", "-edge", "edge-", "Edge", "edge_01", "a..b", "a b",
                                          ".a", std::string(64, 'a'), std::string(65, 'a')}) {
    auto p = check_hostname(bad);
    ASSERT_TRUE(p) << bad;
    EXPECT_NE(p->find("e.g. \"edge-01\""), std::string::npos) << *p;  // says how to fix it
  }
}

TEST(Checks, Ipv4Cidr) {
  std::string why;
  auto c = parse_ipv4_cidr("10.0.2.50/24", &why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->prefix, 24);
  EXPECT_EQ(c->address, (10u << 24) | (2u << 8) | 50u);
  EXPECT_TRUE(same_subnet(*c, *parse_ipv4("10.0.2.2")));
  EXPECT_FALSE(same_subnet(*c, *parse_ipv4("10.0.3.2")));
  EXPECT_TRUE(parse_ipv4_cidr("192.0.2.7/32", nullptr));
  EXPECT_TRUE(parse_ipv4_cidr("192.0.2.1/31", nullptr));
  for (const char* bad :
       {"10.0.2.50", "10.0.2.50/", "10.0.2.50/33", "10.0.2.50/0", "10.0.2/24", "10.0.2.0/24",
        "10.0.2.255/24", "fd00::1/64", "10.0.2.50/2x", "010.0.2.50/24 "}) {
    EXPECT_FALSE(parse_ipv4_cidr(bad, &why)) << bad;
    EXPECT_FALSE(why.empty());
  }
  EXPECT_FALSE(parse_ipv4("10.0.2.256"));
  EXPECT_FALSE(parse_ipv4(""));
}

TEST(Checks, Interfaces) {
  EXPECT_FALSE(check_interface("eth0"));
  EXPECT_FALSE(check_interface("enp0s3"));
  EXPECT_FALSE(check_interface("br-lan.10"));
  EXPECT_TRUE(check_interface(""));
  EXPECT_TRUE(check_interface("eth0;reboot"));  // it ends up in a shell command
  EXPECT_TRUE(check_interface("a/b"));
  EXPECT_TRUE(check_interface("waytoolonginterface"));
}

// A real key from ssh-keygen -t ed25519 (public part only).
constexpr const char* kEd25519 =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGwNRU1XIYCaPu4V2u7I1y2FH4kPezBaDQopxPpH8oSD alice@laptop";
// Its blob, but claiming to be an RSA key.
constexpr const char* kMislabelled =
    "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIGwNRU1XIYCaPu4V2u7I1y2FH4kPezBaDQopxPpH8oSD";

TEST(Checks, AuthorizedKeys) {
  EXPECT_FALSE(check_authorized_key(kEd25519));
  EXPECT_FALSE(check_authorized_key(std::string(kEd25519).substr(0, 80)));  // no comment
  auto p = check_authorized_key(kMislabelled);
  ASSERT_TRUE(p);
  EXPECT_NE(p->find("not an SSH public key of that type"), std::string::npos) << *p;
  EXPECT_TRUE(check_authorized_key("ssh-ed25519"));
  EXPECT_TRUE(check_authorized_key("ssh-ed25519 not*base64"));
  EXPECT_TRUE(check_authorized_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"));  // truncated blob
  auto opts = check_authorized_key("from=\"10.0.0.1\" ssh-ed25519 AAAA");
  ASSERT_TRUE(opts);
  EXPECT_NE(opts->find("options such as from="), std::string::npos) << *opts;
  EXPECT_TRUE(check_authorized_key("ssh-dss AAAAB3NzaC1kc3M="));
}
