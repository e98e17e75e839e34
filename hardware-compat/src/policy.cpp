#include "keel/hwcompat/policy.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace keel::hwcompat {

std::optional<Tier> parse_tier(std::string_view s) {
  if (s == "certified") return Tier::certified;
  if (s == "tested") return Tier::tested;
  if (s == "community") return Tier::community;
  if (s == "unsupported") return Tier::unsupported;
  return std::nullopt;
}

std::string_view tier_name(Tier t) {
  switch (t) {
    case Tier::certified:
      return "certified";
    case Tier::tested:
      return "tested";
    case Tier::community:
      return "community";
    case Tier::unsupported:
      return "unsupported";
  }
  return "?";
}

const ModulePolicy* Policy::module(const std::string& name) const {
  auto it = modules.find(name);
  return it == modules.end() ? nullptr : &it->second;
}

Tier Policy::module_tier(const std::string& name, const std::string& flavour) const {
  const ModulePolicy* m = module(name);
  if (!m) return default_tier;
  if (!m->flavours.empty() &&
      std::find(m->flavours.begin(), m->flavours.end(), flavour) == m->flavours.end())
    return default_tier;
  return m->tier;
}

const DevicePolicy* Policy::device(uint16_t vendor, uint16_t dev) const {
  for (const auto& d : devices)
    if (d.id.vendor == vendor && d.id.device == dev) return &d;
  return nullptr;
}

namespace {

std::string where(const TomlDoc& doc, const toml::node* n) {
  auto b = n->source().begin;
  return fmt::format("{}:{}:{}", doc.path(), b.line, b.column);
}

Result<Tier> get_tier(const TomlDoc& doc, const toml::table& t, bool required) {
  auto s = TRY(doc.get_string(t, "tier", required));
  if (!s) return Tier::community;
  auto tier = parse_tier(*s);
  if (!tier)
    return fail(doc.error_at(t.get("tier"), fmt::format("unknown tier '{}'; use certified, "
                                                        "tested, community or unsupported",
                                                        *s)));
  return *tier;
}

Result<ModulePolicy> parse_module(const TomlDoc& doc, std::string name, const toml::table& t) {
  TRY(doc.reject_unknown_keys(t, "[module." + name + "]",
                              {"tier", "flavours", "role", "needs", "firmware_package",
                               "firmware_required", "tested_in", "notes"}));
  ModulePolicy m{.name = std::move(name), .where = where(doc, &t)};
  m.tier = TRY(get_tier(doc, t, true));
  m.flavours = TRY(doc.get_string_array(t, "flavours"));
  auto role = TRY(doc.get_string(t, "role")).value_or("other");
  if (role == "storage")
    m.role = Role::storage;
  else if (role == "nic")
    m.role = Role::nic;
  else if (role != "other")
    return fail(doc.error_at(t.get("role"), fmt::format("unknown role '{}'; use storage (a boot "
                                                        "disk controller), nic or other",
                                                        role)));
  m.needs = TRY(doc.get_string_array(t, "needs"));
  m.firmware_package = TRY(doc.get_string(t, "firmware_package")).value_or("");
  m.firmware_required = TRY(doc.get_string_array(t, "firmware_required"));
  if (!m.firmware_required.empty() && m.firmware_package.empty())
    return fail(doc.error_at(&t,
                             "firmware_required needs firmware_package: the Debian package "
                             "that ships the files"));
  m.tested_in = TRY(doc.get_string_array(t, "tested_in"));
  m.notes = TRY(doc.get_string(t, "notes")).value_or("");
  return m;
}

Result<PciId> parse_ref(const TomlDoc& doc, const toml::node& n, std::string_view what) {
  auto s = n.value<std::string>();
  auto id = s ? parse_pci_ref(*s) : std::nullopt;
  if (!id)
    return fail(doc.error_at(&n, fmt::format("{} must be a PCI id \"vvvv:dddd\", optionally "
                                             "with a class \"vvvv:dddd/ccss\"",
                                             what)));
  return *id;
}

Result<DevicePolicy> parse_device(const TomlDoc& doc, const toml::table& t) {
  TRY(doc.reject_unknown_keys(t, "[[device]]", {"pci", "tier", "tested_in", "notes"}));
  const toml::node* pci = t.get("pci");
  if (!pci) return fail(doc.error_at(&t, "[[device]] needs pci = \"vvvv:dddd\""));
  DevicePolicy d{.id = TRY(parse_ref(doc, *pci, "pci")), .where = where(doc, &t)};
  d.text = *pci->value<std::string>();
  if (t.get("tier")) d.tier = TRY(get_tier(doc, t, true));
  d.tested_in = TRY(doc.get_string_array(t, "tested_in"));
  d.notes = TRY(doc.get_string(t, "notes")).value_or("");
  return d;
}

Result<Target> parse_target(const TomlDoc& doc, std::string name, const toml::table& t) {
  TRY(doc.reject_unknown_keys(t, "[target." + name + "]", {"description", "disk", "nic"}));
  Target tg{.name = std::move(name), .where = where(doc, &t)};
  tg.description = TRY(doc.get_string(t, "description")).value_or("");
  for (auto [key, out] : {std::pair{"disk", &tg.disk}, std::pair{"nic", &tg.nic}}) {
    TRY(doc.get_string_array(t, key));  // types, with a good message
    if (const toml::array* a = t.get_as<toml::array>(key))
      for (const toml::node& el : *a)
        out->push_back({TRY(parse_ref(doc, el, key)), *el.value<std::string>(), where(doc, &el)});
  }
  return tg;
}

}  // namespace

Result<Policy> parse_policy(const TomlDoc& doc) {
  TRY(doc.reject_unknown_keys(doc.root(), "the policy",
                              {"default_tier", "module", "device", "target"}));
  Policy p{.path = doc.path()};
  if (auto s = TRY(doc.get_string(doc.root(), "default_tier"))) {
    auto tier = parse_tier(*s);
    if (!tier)
      return fail(doc.error_at(doc.root().get("default_tier"),
                               "unknown tier: use certified, "
                               "tested, community or unsupported"));
    p.default_tier = *tier;
  }
  if (const toml::table* mods = TRY(doc.get_table(doc.root(), "module")))
    for (const auto& [k, n] : *mods) {
      if (!n.is_table()) return fail(doc.error_at(&n, "each module is a table: [module.NAME]"));
      auto m = TRY(parse_module(doc, std::string(k.str()), *n.as_table()));
      p.modules[m.name] = std::move(m);
    }
  if (const toml::node* devs = doc.root().get("device")) {
    if (!devs->is_array_of_tables())
      return fail(doc.error_at(devs, "device overrides are [[device]] tables"));
    for (const toml::node& n : *devs->as_array())
      p.devices.push_back(TRY(parse_device(doc, *n.as_table())));
  }
  if (const toml::table* tgs = TRY(doc.get_table(doc.root(), "target")))
    for (const auto& [k, n] : *tgs) {
      if (!n.is_table()) return fail(doc.error_at(&n, "each target is a table: [target.NAME]"));
      auto t = TRY(parse_target(doc, std::string(k.str()), *n.as_table()));
      p.targets[t.name] = std::move(t);
    }
  return p;
}

Result<Policy> load_policy(const std::string& path) {
  return parse_policy(TRY(TomlDoc::load_file(path)));
}

}  // namespace keel::hwcompat
