#include "keel/firstboot/checks.hpp"

#include "curl_lib.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <memory>
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

// "HH:MM", 00:00 to 23:59; minutes since midnight.
std::optional<int> parse_clock(std::string_view t) {
  if (t.size() != 5 || t[2] != ':') return std::nullopt;
  for (size_t i : {0u, 1u, 3u, 4u})
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
  int h = (t[0] - '0') * 10 + (t[1] - '0');
  int m = (t[3] - '0') * 10 + (t[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

bool is_day(std::string_view d) {
  for (std::string_view name : {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"})
    if (d == name) return true;
  return false;
}

bool valid_days(std::string_view days) {
  if (days == "daily") return true;
  for (std::string_view item : split(days, ',')) {
    auto range = split(item, '-');
    if (range.size() > 2) return false;
    for (std::string_view d : range)
      if (!is_day(d)) return false;
  }
  return true;
}

std::optional<std::string> url_part(const CurlLib& curl, CURLU* u, CURLUPart part) {
  char* raw = nullptr;
  if (curl.url_get(u, part, &raw, 0) != CURLUE_OK || !raw) return std::nullopt;
  std::string out(raw);
  curl.free(raw);
  return out;
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

Problem check_update_window(std::string_view window) {
  auto bad = [&] {
    return fmt::format(
        "window \"{}\" must be DAYS HH:MM-HH:MM, DAYS being \"daily\" or day "
        "names and ranges (Mon Tue Wed Thu Fri Sat Sun), e.g. \"Sun "
        "02:00-04:00\" or \"Mon-Fri 22:00-02:00\"",
        window);
  };
  size_t space = window.find(' ');
  if (space == std::string_view::npos) return bad();
  auto times = split(window.substr(space + 1), '-');
  if (!valid_days(window.substr(0, space)) || times.size() != 2) return bad();
  auto start = parse_clock(times[0]), end = parse_clock(times[1]);
  if (!start || !end) return bad();
  if (*start == *end)
    return fmt::format("window \"{}\" starts and ends at the same time; give it a length", window);
  return std::nullopt;
}

Problem check_remote_url(std::string_view url) {
  std::string fix = fmt::format(
      "remote \"{}\" must be an http:// or https:// URL with a host, e.g. "
      "\"https://updates.example.com/keel\"",
      url);
  if (url.empty() || url.size() > 2048 || url.find_first_of(" \t\r\n") != std::string_view::npos)
    return fix;
  auto curl = curl_lib();
  if (!curl) return "cannot check remote \"" + std::string(url) + "\": " + curl.error().message();
  const CurlLib& c = **curl;
  std::unique_ptr<CURLU, decltype(c.url_cleanup)> u(c.url(), c.url_cleanup);
  if (!u || c.url_set(u.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) return fix;
  auto scheme = url_part(c, u.get(), CURLUPART_SCHEME);
  auto host = url_part(c, u.get(), CURLUPART_HOST);
  if (!scheme || (*scheme != "http" && *scheme != "https") || !host || host->empty()) return fix;
  return std::nullopt;
}

Problem check_version(std::string_view version) {
  bool ok = !version.empty() && version.size() <= 64;
  for (char c : version)
    ok = ok && (is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '+' || c == '-' ||
                c == '_' || c == '~');
  if (ok) return std::nullopt;
  return fmt::format(
      "version \"{}\" must be a release version such as \"0.2.0\" (letters, "
      "digits and .+-_~, at most 64)",
      version);
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
