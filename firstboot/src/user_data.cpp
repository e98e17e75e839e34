// The user-data parser: one function per top-level section, then the checks that
// span sections. Messages are "file:line:col: what is wrong; what to do".
#include "keel/firstboot/user_data.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "keel/common/container_def.hpp"
#include "keel/common/container_def_toml.hpp"
#include "keel/common/toml.hpp"
#include "keel/firstboot/checks.hpp"
#include "keel/sign/ed25519.hpp"
#include "toml_text.hpp"

namespace keel::firstboot {

namespace {

// Formats of other tools that a cloud or an operator may hand over by mistake.
Result<void> reject_foreign_formats(std::string_view text, const std::string& path) {
  if (text.size() > kMaxUserData)
    return fail_msg(
        fmt::format("{}: the user-data is {} bytes; at most {} are read (move large "
                    "files into container images)",
                    path, text.size(), kMaxUserData));
  if (text.starts_with("\x1f\x8b"))
    return fail_msg(
        fmt::format("{}: the user-data is gzip-compressed; pass the TOML text itself "
                    "(docs/FIRSTBOOT.md)",
                    path));
  for (std::string_view head : {"#cloud-config", "#!", "Content-Type:", "#include"})
    if (text.starts_with(head))
      return fail_msg(
          fmt::format("{}:1:1: this is cloud-init user-data ('{}'); Keel reads a TOML "
                      "document instead (docs/FIRSTBOOT.md has an example)",
                      path, head));
  return {};
}

Result<void> parse_hostname(const TomlDoc& doc, UserData& ud) {
  auto name = TRY(doc.get_string(doc.root(), "hostname"));
  if (!name) return {};
  if (auto p = check_hostname(*name)) return fail(doc.error_at(doc.root().get("hostname"), *p));
  ud.hostname = std::move(name);
  return {};
}

Result<NetworkConfig::Mode> parse_mode(const TomlDoc& doc, const toml::table& t) {
  auto mode = TRY(doc.get_string(t, "mode")).value_or("dhcp");
  if (mode == "dhcp") return NetworkConfig::Mode::dhcp;
  if (mode == "static") return NetworkConfig::Mode::fixed;
  return fail(doc.error_at(t.get("mode"), fmt::format("mode = \"{}\" is not known; use \"dhcp\" "
                                                      "or \"static\"",
                                                      mode)));
}

Result<void> parse_static(const TomlDoc& doc, const toml::table& t, NetworkConfig& net) {
  net.address = *TRY(doc.get_string(t, "address", true));
  std::string why;
  auto cidr = parse_ipv4_cidr(net.address, &why);
  if (!cidr)
    return fail(doc.error_at(t.get("address"), fmt::format("address \"{}\" {}", net.address, why)));
  net.gateway = TRY(doc.get_string(t, "gateway")).value_or("");
  if (!net.gateway.empty()) {
    auto gw = parse_ipv4(net.gateway);
    if (!gw || !same_subnet(*cidr, *gw) || *gw == cidr->address)
      return fail(doc.error_at(t.get("gateway"),
                               fmt::format("gateway \"{}\" must be another IPv4 address in {}'s "
                                           "subnet (the router on that link)",
                                           net.gateway, net.address)));
  }
  net.dns = TRY(doc.get_string_array(t, "dns"));
  for (const auto& d : net.dns)
    if (!parse_ipv4(d))
      return fail(doc.error_at(t.get("dns"), fmt::format("dns: \"{}\" is not an IPv4 address, "
                                                         "e.g. dns = [\"10.0.2.3\"]",
                                                         d)));
  return {};
}

Result<void> parse_network(const TomlDoc& doc, UserData& ud) {
  const toml::table* t = TRY(doc.get_table(doc.root(), "network"));
  if (!t) return {};
  TRY(doc.reject_unknown_keys(*t, "[network]", {"mode", "interface", "address", "gateway", "dns"}));
  NetworkConfig net;
  net.mode = TRY(parse_mode(doc, *t));
  net.interface = TRY(doc.get_string(*t, "interface")).value_or("eth0");
  if (auto p = check_interface(net.interface)) return fail(doc.error_at(t->get("interface"), *p));
  if (net.mode == NetworkConfig::Mode::fixed) {
    TRY(parse_static(doc, *t, net));
  } else {
    for (const char* key : {"address", "gateway", "dns"})
      if (const toml::node* n = t->get(key))
        return fail(doc.error_at(n, fmt::format("{} is only for mode = \"static\"; with DHCP the "
                                                "lease provides it",
                                                key)));
  }
  ud.network = std::move(net);
  return {};
}

// The definition as /etc/keel/containers/<name>.toml, with a note of where it came from.
Result<std::string> render_definition(const TomlDoc& doc, const toml::table& t,
                                      const std::string& name) {
  std::string text = fmt::format(
      "# Added by keel-firstboot from the user-data's [containers.add.{}] ({}); "
      "docs/FIRSTBOOT.md.\n{}",
      name, doc.path(), toml_text(t));
  // What is written must read back as the definition that was checked.
  auto again = parse_container_def_text(text, "/etc/keel/containers/" + name + ".toml");
  if (!again)
    return fail(doc.error_at(
        &t, "this definition does not read back after formatting: " + again.error().message()));
  return text;
}

Result<void> parse_added(const TomlDoc& doc, const toml::table& add, const HostFacts& facts,
                         UserData& ud) {
  for (const auto& [key, node] : add) {
    std::string name(key.str());
    std::string section = fmt::format("[containers.add.{}]", name);
    if (!is_valid_container_name(name))
      return fail(doc.error_at(&node, fmt::format("{}: '{}' is not a container name; use 1-63 "
                                                  "characters of a-z, 0-9 and '-'",
                                                  section, name)));
    if (!node.is_table())
      return fail(doc.error_at(&node, fmt::format("{} must be a table of definition keys "
                                                  "(image = ..., command = [...])",
                                                  section)));
    const toml::table& t = *node.as_table();
    auto def = TRY(parse_container_def_table(doc, t, name, section));
    if (!def.enabled)
      return fail(doc.error_at(t.get("enabled"), fmt::format("{}: to disable a container, list "
                                                             "it in [containers] disable",
                                                             section)));
    if (!facts.images.contains(def.image))
      return fail(doc.error_at(t.get("image"),
                               fmt::format("{}: image \"{}\" is not in this OS image (it has: {}); "
                                           "containers run images the image definition builds",
                                           section, def.image, fmt::join(facts.images, ", "))));
    ud.add.push_back({name, TRY(render_definition(doc, t, name))});
  }
  return {};
}

Result<void> parse_disabled(const TomlDoc& doc, const toml::table& t, const HostFacts& facts,
                            UserData& ud) {
  ud.disable = TRY(doc.get_string_array(t, "disable"));
  std::set<std::string> seen;
  for (const auto& name : ud.disable) {
    std::string why;
    if (!facts.containers.contains(name))
      why = fmt::format("the image has no container \"{}\" (it has: {})", name,
                        fmt::join(facts.containers, ", "));
    else if (!seen.insert(name).second)
      why = fmt::format("\"{}\" is listed twice", name);
    if (!why.empty()) return fail(doc.error_at(t.get("disable"), "disable: " + why));
  }
  return {};
}

Result<void> parse_containers(const TomlDoc& doc, const HostFacts& facts, UserData& ud) {
  const toml::table* t = TRY(doc.get_table(doc.root(), "containers"));
  if (!t) return {};
  TRY(doc.reject_unknown_keys(*t, "[containers]", {"add", "disable"}));
  if (const toml::table* add = TRY(doc.get_table(*t, "add")))
    TRY(parse_added(doc, *add, facts, ud));
  TRY(parse_disabled(doc, *t, facts, ud));
  for (const auto& a : ud.add)
    for (const auto& d : ud.disable)
      if (a.name == d)
        return fail(doc.error_at(t->get("disable"), fmt::format("\"{}\" is both added and "
                                                                "disabled; keep one",
                                                                d)));
  return {};
}

// [update] is /etc/keel/update.toml's table, so the update client's parser checks it (the
// same errors `keelctl update` would give, here at first boot with the user-data's line).
Result<void> parse_update(const TomlDoc& doc, UserData& ud) {
  const toml::table* t = TRY(doc.get_table(doc.root(), "update"));
  if (!t) return {};
  UpdateSettings u;
  TRY(update::apply_update_table(doc, *t, "[update]", u.config));
  u.text = toml_text(*t);
  ud.update = std::move(u);
  return {};
}

// Each element of a string array with its own position, so a bad key names its line.
Result<std::vector<std::pair<std::string, const toml::node*>>> string_elements(
    const TomlDoc& doc, const toml::table& t, std::string_view key) {
  std::vector<std::pair<std::string, const toml::node*>> out;
  TRY(doc.get_string_array(t, key));  // type errors first
  if (const toml::array* arr = t.get_as<toml::array>(key))
    for (const toml::node& el : *arr) out.emplace_back(*el.value<std::string>(), &el);
  return out;
}

Result<void> parse_keys(const TomlDoc& doc, UserData& ud) {
  const toml::table* t = TRY(doc.get_table(doc.root(), "keys"));
  if (!t) return {};
  TRY(doc.reject_unknown_keys(*t, "[keys]", {"trusted"}));
  for (auto& [key, node] : TRY(string_elements(doc, *t, "trusted"))) {
    // The same reader the update client uses on /etc/keel/keys/*.pub.
    if (key.find('\n') != std::string::npos || !sign::parse_public_keys(key, "user-data"))
      return fail(doc.error_at(node,
                               "trusted: not an ed25519 public key (one base64-encoded "
                               "32-byte key, as keel-compose keygen writes into its .pub "
                               "file)"));
    ud.trusted_keys.push_back(std::move(key));
  }
  return {};
}

Result<void> parse_admin(const TomlDoc& doc, UserData& ud) {
  const toml::table* t = TRY(doc.get_table(doc.root(), "admin"));
  if (!t) return {};
  TRY(doc.reject_unknown_keys(*t, "[admin]", {"authorized_keys"}));
  std::vector<std::string> lines;
  for (auto& [line, node] : TRY(string_elements(doc, *t, "authorized_keys"))) {
    Problem p = line.find_first_of("\r\n") != std::string::npos
                    ? Problem("one key per string; this one spans lines")
                    : check_authorized_key(line);
    if (p) return fail(doc.error_at(node, "authorized_keys: " + *p));
    lines.push_back(std::move(line));
  }
  ud.authorized_keys = std::move(lines);
  return {};
}

// [network] writes the network container's definition: it cannot also be added or
// disabled, and the image must have the network image it runs.
Result<void> check_network_container(const TomlDoc& doc, const UserData& ud,
                                     const HostFacts& facts) {
  if (!ud.network) return {};
  const toml::node* at = doc.root().get("network");
  for (const auto& a : ud.add)
    if (a.name == "network")
      return fail(doc.error_at(at,
                               "[network] and [containers.add.network] both define the "
                               "network container; keep one"));
  for (const auto& d : ud.disable)
    if (d == "network")
      return fail(doc.error_at(at,
                               "[network] configures the network container, which "
                               "[containers] disable turns off; keep one"));
  if (!facts.images.contains("network"))
    return fail(doc.error_at(at,
                             "[network] needs the image's \"network\" container image "
                             "(images/default.toml [images.network]), which this OS image "
                             "lacks"));
  return {};
}

}  // namespace

Result<UserData> parse_user_data(std::string_view text, const std::string& path,
                                 const HostFacts& facts) {
  TRY(reject_foreign_formats(text, path));
  auto doc = TRY(TomlDoc::parse(text, path));
  TRY(doc.reject_unknown_keys(doc.root(), "the user-data",
                              {"hostname", "network", "containers", "update", "keys", "admin"}));
  UserData ud;
  TRY(parse_hostname(doc, ud));
  TRY(parse_network(doc, ud));
  TRY(parse_containers(doc, facts, ud));
  TRY(parse_update(doc, ud));
  TRY(parse_keys(doc, ud));
  TRY(parse_admin(doc, ud));
  TRY(check_network_container(doc, ud, facts));
  return ud;
}

}  // namespace keel::firstboot
