#include "keel/hwcompat/image.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <filesystem>

namespace keel::hwcompat {

namespace fs = std::filesystem;

namespace {

std::string where(const TomlDoc& doc, const toml::node* n) {
  if (!n) return doc.path();
  auto b = n->source().begin;
  return fmt::format("{}:{}:{}", doc.path(), b.line, b.column);
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

Result<std::optional<HardwareSpec>> parse_hardware(const TomlDoc& doc, const std::string& flavour) {
  const toml::table* hw = TRY(doc.get_table(doc.root(), "hardware"));
  if (!hw) return std::nullopt;
  TRY(doc.reject_unknown_keys(*hw, "[hardware]",
                              {"tier", "targets", "exclude_modules", "flavour_targets"}));
  HardwareSpec s{.source = doc.path(), .flavour = flavour};
  if (auto t = TRY(doc.get_string(*hw, "tier"))) {
    auto tier = parse_tier(*t);
    if (!tier || *tier == Tier::unsupported)
      return fail(doc.error_at(hw->get("tier"), fmt::format("[hardware] tier '{}': use "
                                                            "certified, tested or community",
                                                            *t)));
    s.tier = *tier;
  }
  s.targets = TRY(doc.get_string_array(*hw, "targets"));
  // [hardware.flavour_targets] NAME = [...]: targets only that kernel flavour reaches
  // (AHCI and e1000e exist only in the generic kernel).
  if (const toml::table* per = TRY(doc.get_table(*hw, "flavour_targets"))) {
    for (const auto& [key, node] : *per) {
      auto extra = TRY(doc.get_string_array(*per, key.str()));
      if (key.str() == flavour) s.targets.insert(s.targets.end(), extra.begin(), extra.end());
    }
  }
  s.exclude_modules = TRY(doc.get_string_array(*hw, "exclude_modules"));
  s.targets_where = where(doc, hw->get("targets") ? hw->get("targets") : hw);
  s.exclude_where = where(doc, hw->get("exclude_modules") ? hw->get("exclude_modules") : hw);
  return s;
}

Result<HardwareSpec> load_hardware_spec(const std::string& path) {
  auto doc = TRY(TomlDoc::load_file(path));
  const toml::table* k = TRY(doc.get_table(doc.root(), "kernel"));
  if (!k) return fail(doc.error_at(nullptr, "no [kernel] table with the flavour"));
  auto flavour = *TRY(doc.get_string(*k, "flavour", true));
  auto spec = TRY(parse_hardware(doc, flavour));
  if (!spec) return fail(doc.error_at(nullptr, "no [hardware] table (docs/IMAGES.md)"));
  return *spec;
}

std::string write_hardware_spec(const HardwareSpec& s) {
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "\"" : ", \"") + x + "\"";
    return "[" + out + "]";
  };
  return fmt::format(
      "# Written by keel-compose from {}: what keel-hwcompat report checks this host against.\n"
      "[kernel]\nflavour = \"{}\"\n\n[hardware]\ntier = \"{}\"\ntargets = {}\n"
      "exclude_modules = {}\n",
      s.source, s.flavour, tier_name(s.tier), list(s.targets), list(s.exclude_modules));
}

bool Selection::has(const std::string& module) const {
  return std::binary_search(modules.begin(), modules.end(), module);
}

Selection select_modules(const Facts& facts, const Policy& policy, const HardwareSpec& spec) {
  Selection sel;
  std::set<std::string> initramfs;
  for (const auto& [name, fact] : facts.modules) {
    if (policy.module_tier(name, spec.flavour) > spec.tier) continue;
    if (contains(spec.exclude_modules, name)) continue;
    sel.modules.push_back(name);
    const ModulePolicy* mp = policy.module(name);
    if (!mp) continue;
    if (!mp->firmware_package.empty() && !fact.firmware.empty())
      sel.firmware_packages.insert(mp->firmware_package);
    if (mp->role == Role::other) continue;
    initramfs.insert(name);
    initramfs.insert(mp->needs.begin(), mp->needs.end());
  }
  // A module's needs come along into the image too (sd_mod for a SCSI HBA).
  for (const auto& n : initramfs)
    if (!contains(sel.modules, n) && facts.module(n)) sel.modules.push_back(n);
  std::sort(sel.modules.begin(), sel.modules.end());
  sel.initramfs.assign(initramfs.begin(), initramfs.end());
  return sel;
}

std::string why_missing(const std::string& module, const Facts& facts, const Policy& policy,
                        const HardwareSpec& spec, const Selection& sel) {
  const ModuleFact* f = facts.module(module);
  if (f && f->builtin) return {};
  if (sel.has(module)) return {};
  if (!f) return fmt::format("which kernel {} does not have", facts.kernel);
  if (contains(spec.exclude_modules, module))
    return fmt::format("which this image's matrix excludes ({} [hardware] exclude_modules)",
                       spec.exclude_where);
  Tier t = policy.module_tier(module, spec.flavour);
  const ModulePolicy* mp = policy.module(module);
  return fmt::format("which is at tier {} for flavour {} ({}), below this image's tier {}",
                     tier_name(t), spec.flavour, mp ? mp->where : policy.path + ": not listed",
                     tier_name(spec.tier));
}

std::string device_name(const Facts& facts, const PciId& id) {
  std::string v = fmt::format("{:04x}", id.vendor), d = fmt::format("{:04x}", id.device);
  for (const auto& e : facts.entries)
    if (e.bus == Bus::pci && e.vendor == v && e.device == d && !e.name.empty()) return e.name;
  if (auto vid = virtio_device_id(id)) return std::string(virtio_device_name(*vid));
  return {};
}

namespace {

std::string describe(const Facts& facts, const DeviceRef& ref) {
  std::string name = device_name(facts, ref.id);
  return name.empty() ? ref.text : fmt::format("{} ({})", ref.text, name);
}

Result<void> check_device(const Facts& facts, const Policy& policy, const HardwareSpec& spec,
                          const Selection& sel, const Target& tg, const DeviceRef& ref,
                          std::string_view role) {
  std::string head =
      fmt::format("image {}: target {}'s {} {}", spec.source, tg.name, role, describe(facts, ref));
  if (const DevicePolicy* d = policy.device(ref.id.vendor, ref.id.device);
      d && d->tier && *d->tier > spec.tier)
    return fail_msg(fmt::format(
        "{} is at tier {} ({}), below this image's tier {}. Fix: lower "
        "[hardware] tier, or drop {} from [hardware] targets ({})",
        head, tier_name(*d->tier), d->where, tier_name(spec.tier), tg.name, spec.targets_where));
  auto chains = resolve_pci(facts, ref.id);
  std::string first_gap;
  for (const Chain& c : chains) {
    if (!is_complete(c, ref.id)) continue;
    std::string gap;
    for (const auto& m : c)
      if (auto why = why_missing(m, facts, policy, spec, sel); !why.empty() && gap.empty())
        gap = fmt::format("needs {}, {}", m, why);
    if (gap.empty()) return {};
    if (first_gap.empty()) first_gap = gap;
  }
  if (first_gap.empty())
    return fail_msg(
        fmt::format("{}: no driver in kernel {} claims it. Fix: use another kernel "
                    "flavour, or drop {} from [hardware] targets ({})",
                    head, facts.kernel, tg.name, spec.targets_where));
  return fail_msg(
      fmt::format("{} {}. Fix: include the module (remove it from exclude_modules, "
                  "or lower [hardware] tier), or drop {} from [hardware] targets ({})",
                  head, first_gap, tg.name, spec.targets_where));
}

}  // namespace

Result<void> check_targets(const Facts& facts, const Policy& policy, const HardwareSpec& spec,
                           const Selection& sel) {
  for (const auto& name : spec.targets) {
    auto it = policy.targets.find(name);
    if (it == policy.targets.end()) {
      std::string known;
      for (const auto& [k, _] : policy.targets) known += (known.empty() ? "" : ", ") + k;
      return fail_msg(fmt::format("{}: unknown hardware target '{}'; {} defines: {}",
                                  spec.targets_where, name, policy.path, known));
    }
    for (const auto& d : it->second.disk)
      TRY(check_device(facts, policy, spec, sel, it->second, d, "boot disk controller"));
    for (const auto& d : it->second.nic)
      TRY(check_device(facts, policy, spec, sel, it->second, d, "NIC"));
  }
  return {};
}

namespace {

// A requested name may be a glob (some drivers request "dir/*.bin").
bool firmware_present(const std::string& dir, const std::string& file) {
  if (file.find_first_of("*?[") == std::string::npos)
    return fs::exists(fs::path(dir) / file) || fs::exists(fs::path(dir) / (file + ".xz")) ||
           fs::exists(fs::path(dir) / (file + ".zst"));
  fs::path sub = (fs::path(dir) / file).parent_path();
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(sub, ec))
    if (fnmatch(file.c_str(), fs::relative(e.path(), dir).c_str(), 0) == 0) return true;
  return false;
}

}  // namespace

Result<std::vector<FirmwareFile>> select_firmware(const Facts& facts, const Policy& policy,
                                                  const std::vector<std::string>& modules,
                                                  const std::string& firmware_dir) {
  std::vector<FirmwareFile> out;
  for (const auto& name : modules) {
    const ModuleFact* f = facts.module(name);
    if (!f) continue;
    const ModulePolicy* mp = policy.module(name);
    for (const auto& file : f->firmware) {
      FirmwareFile fw{name, file, mp ? mp->firmware_package : ""};
      fw.required = mp && contains(mp->firmware_required, file);
      fw.present = firmware_present(firmware_dir, file);
      if (fw.required && !fw.present)
        return fail_msg(fmt::format(
            "module {} requires firmware {}, which is not in {}{}. Fix: {} ({})", name, file,
            firmware_dir,
            fw.package.empty() ? "" : fmt::format(" (package {} was to ship it)", fw.package),
            fw.package.empty() ? "set firmware_package for the module in the policy"
                               : "check the file name against the package (dpkg -L), or "
                                 "remove it from firmware_required",
            mp->where));
      out.push_back(std::move(fw));
    }
  }
  return out;
}

std::vector<std::string> initramfs_firmware(const std::vector<FirmwareFile>& firmware,
                                            const std::vector<std::string>& initramfs_modules,
                                            const std::string& firmware_dir) {
  std::vector<std::string> out;
  for (const auto& f : firmware) {
    if (!f.present || !contains(initramfs_modules, f.module)) continue;
    for (const char* ext : {"", ".xz", ".zst"})  // the kernel's FW_LOADER_COMPRESS suffixes
      if (fs::is_regular_file(fs::path(firmware_dir) / (f.file + ext))) {
        out.push_back(f.file + ext);
        break;
      }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace keel::hwcompat
