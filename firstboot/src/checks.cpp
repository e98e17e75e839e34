#include "keel/firstboot/checks.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <vector>

namespace keel::firstboot {

namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// The SSH wire format's first field: uint32 length, then the key type's name.
std::optional<std::string_view> blob_type(const std::vector<uint8_t>& blob) {
  if (blob.size() < 4) return std::nullopt;
  uint32_t len = uint32_t(blob[0]) << 24 | uint32_t(blob[1]) << 16 | uint32_t(blob[2]) << 8 |
                 uint32_t(blob[3]);
  if (len == 0 || len > blob.size() - 4) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(blob.data() + 4), len);
}

constexpr std::array<std::string_view, 7> kSshKeyTypes = {"ssh-ed25519",
                                                          "sk-ssh-ed25519@openssh.com",
                                                          "ecdsa-sha2-nistp256",
                                                          "ecdsa-sha2-nistp384",
                                                          "ecdsa-sha2-nistp521",
                                                          "ssh-rsa",
                                                          "sk-ecdsa-sha2-nistp256@openssh.com"};

}  // namespace

Problem check_hostname(std::string_view name) {
  constexpr std::string_view kFix =
      "; use lowercase letters, digits and '-' in labels of 1-63 characters joined by '.', "
      "e.g. \"edge-01\"";
  if (name.empty() || name.size() > 64)
    return fmt::format("hostname \"{}\" must be 1-64 characters{}", name, kFix);
  for (std::string_view label : split(name, '.')) {
    bool ok = !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-';
    for (char c : label) ok = ok && (is_lower_alnum(c) || c == '-');
    if (!ok) return fmt::format("hostname \"{}\" is not a valid host name{}", name, kFix);
  }
  return std::nullopt;
}

std::optional<uint32_t> parse_ipv4(std::string_view text) {
  if (text.empty() || text.size() > 15) return std::nullopt;
  in_addr a{};
  if (::inet_pton(AF_INET, std::string(text).c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::optional<Ipv4Cidr> parse_ipv4_cidr(std::string_view text, std::string* why) {
  auto fail = [&](std::string w) -> std::optional<Ipv4Cidr> {
    if (why) *why = std::move(w);
    return std::nullopt;
  };
  size_t slash = text.find('/');
  if (slash == std::string_view::npos)
    return fail("needs a prefix length: write it as ADDRESS/PREFIX, e.g. \"10.0.2.50/24\"");
  auto addr = parse_ipv4(text.substr(0, slash));
  if (!addr)
    return fail(
        "is not an IPv4 address with a prefix length, e.g. \"10.0.2.50/24\" "
        "(IPv6 is not supported yet)");
  std::string_view p = text.substr(slash + 1);
  int prefix = 0;
  bool ok = !p.empty() && p.size() <= 2;
  for (char c : p) {
    ok = ok && c >= '0' && c <= '9';
    prefix = prefix * 10 + (c - '0');
  }
  if (!ok || prefix < 1 || prefix > 32) return fail("has a prefix length outside 1-32");
  Ipv4Cidr cidr{*addr, prefix};
  uint32_t host_mask = prefix == 32 ? 0 : (0xffffffffu >> prefix);
  if (prefix <= 30 && ((*addr & host_mask) == 0 || (*addr & host_mask) == host_mask))
    return fail("is the subnet's network or broadcast address, not a host address");
  return cidr;
}

bool same_subnet(const Ipv4Cidr& net, uint32_t address) {
  uint32_t mask = net.prefix == 0 ? 0 : (0xffffffffu << (32 - net.prefix));
  return (net.address & mask) == (address & mask);
}

Problem check_interface(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 15 && name != "." && name != "..";
  for (char c : name)
    ok = ok && (is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.');
  if (ok) return std::nullopt;
  return fmt::format(
      "interface \"{}\" is not an interface name (1-15 characters of letters, "
      "digits, '-', '_' and '.', e.g. \"eth0\")",
      name);
}

Problem check_authorized_key(std::string_view line) {
  auto fields = split(line, ' ');
  std::string_view type = fields[0];
  bool known = false;
  for (auto t : kSshKeyTypes) known = known || t == type;
  if (!known)
    return fmt::format(
        "\"{}\" is not an SSH key type; a line must be \"TYPE BASE64 "
        "[COMMENT]\" with TYPE one of ssh-ed25519, ecdsa-sha2-nistp256, "
        "ssh-rsa, ... (options such as from=\"...\" are not supported)",
        type.substr(0, 40));
  if (fields.size() < 2 || fields[1].empty())
    return fmt::format("the {} key has no base64 key after its type", type);
  std::vector<uint8_t> blob(fields[1].size());
  size_t len = 0;
  const char* end = nullptr;
  bool decoded = sodium_base642bin(blob.data(), blob.size(), fields[1].data(), fields[1].size(),
                                   nullptr, &len, &end, sodium_base64_VARIANT_ORIGINAL) == 0 &&
                 end == fields[1].data() + fields[1].size();
  blob.resize(len);
  if (!decoded || blob_type(blob) != type)
    return fmt::format(
        "the {} key's base64 part is not an SSH public key of that type (copy the "
        "whole line of the .pub file)",
        type);
  // ssh-ed25519: string "ssh-ed25519" then string of the 32-byte key (RFC 8709).
  if (type == "ssh-ed25519" && blob.size() != 4 + 11 + 4 + 32)
    return std::string("the ssh-ed25519 key has the wrong length (copy the whole .pub line)");
  return std::nullopt;
}

}  // namespace keel::firstboot
