// Checks of single user-data values (docs/FIRSTBOOT.md). Each returns nothing when
// the value is fine, or what is wrong with it and how to fix it; the caller adds the
// file, line and column. Pure functions, so every rule has a unit test.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::firstboot {

using Problem = std::optional<std::string>;

// RFC 1123 host names: labels of a-z, 0-9 and '-', 1-63 characters, not starting or
// ending with '-', joined by '.', 64 characters at most (HOST_NAME_MAX, sethostname(2)).
Problem check_hostname(std::string_view name);

struct Ipv4Cidr {
  uint32_t address = 0;  // host byte order
  int prefix = 0;
};
// "10.0.2.50/24": an IPv4 host address with its prefix length (1-32), not the
// network's own address or its broadcast address.
std::optional<Ipv4Cidr> parse_ipv4_cidr(std::string_view text, std::string* why);
std::optional<uint32_t> parse_ipv4(std::string_view text);
bool same_subnet(const Ipv4Cidr& net, uint32_t address);

// A network interface name the kernel accepts (1-15 characters, no '/', ':' or
// whitespace, dev_valid_name() in net/core/dev.c), kept to [A-Za-z0-9_.-].
Problem check_interface(std::string_view name);

// One authorized_keys line: "TYPE BASE64 [COMMENT]" where the base64 blob is an SSH
// public key of that type (RFC 4253 section 6.6: it starts with the type's name).
// Options before the type (from="...", command="...") are not accepted.
Problem check_authorized_key(std::string_view line);

}  // namespace keel::firstboot
