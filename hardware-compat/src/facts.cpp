#include "keel/hwcompat/facts.hpp"

#include <fmt/format.h>
#include <libkmod.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"

namespace keel::hwcompat {

namespace fs = std::filesystem;

const ModuleFact* Facts::module(const std::string& name) const {
  auto it = modules.find(name);
  return it == modules.end() ? nullptr : &it->second;
}

size_t Facts::firmware_count() const {
  std::set<std::string> files;
  for (const auto& [_, m] : modules) files.insert(m.firmware.begin(), m.firmware.end());
  return files.size();
}

namespace {

// "kernel/drivers/nvme/host/nvme-core.ko.xz" -> "nvme_core"
std::string module_name(std::string_view path) {
  auto slash = path.rfind('/');
  std::string base(slash == std::string_view::npos ? path : path.substr(slash + 1));
  base = base.substr(0, base.find(".ko"));
  std::replace(base.begin(), base.end(), '-', '_');
  return base;
}

bool is_bus_alias(std::string_view p) {
  return p.starts_with("pci:") || p.starts_with("usb:") || p.starts_with("virtio:");
}

// "alias PATTERN MODULE" lines (modules.alias and the builtin overlay).
std::vector<AliasFact> parse_alias_lines(std::string_view text) {
  std::vector<AliasFact> out;
  for (std::string_view line : split_lines(text)) {
    line = trim(line.substr(0, line.find('#')));
    if (!line.starts_with("alias ")) continue;
    line.remove_prefix(6);
    auto sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    std::string pattern(line.substr(0, sp));
    if (is_bus_alias(pattern)) out.push_back({pattern, std::string(trim(line.substr(sp + 1)))});
  }
  return out;
}

struct Kmod {
  kmod_ctx* ctx = nullptr;
  ~Kmod() { kmod_unref(ctx); }
};

// modinfo "firmware" entries through libkmod (handles compressed modules).
std::vector<std::string> module_firmware(kmod_ctx* ctx, const std::string& path) {
  std::vector<std::string> out;
  kmod_module* mod = nullptr;
  if (kmod_module_new_from_path(ctx, path.c_str(), &mod) < 0) return out;
  kmod_list* info = nullptr;
  if (kmod_module_get_info(mod, &info) >= 0) {
    kmod_list* it;
    kmod_list_foreach(it, info) {
      if (std::string_view(kmod_module_info_get_key(it)) == "firmware")
        out.emplace_back(kmod_module_info_get_value(it));
    }
    kmod_module_info_free_list(info);
  }
  kmod_module_unref(mod);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<void> read_modules(Facts& f, const std::string& dir) {
  auto dep = TRY_CTX(sys::read_file(dir + "/modules.dep"),
                     fmt::format("reading {}/modules.dep (run depmod -b ROOT KVER first)", dir));
  // A config dir that does not exist: the build host's /etc/modprobe.d must not leak in.
  const char* no_config[] = {"/nonexistent/keel-modprobe.d", nullptr};
  Kmod k{kmod_new(dir.c_str(), no_config)};
  if (!k.ctx) return fail_msg(fmt::format("libkmod cannot open {}", dir));
  for (std::string_view line : split_lines(dep)) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    ModuleFact m{module_name(line.substr(0, colon))};
    std::string_view rest = trim(line.substr(colon + 1));
    while (!rest.empty()) {
      auto sp = rest.find(' ');
      m.depends.push_back(module_name(rest.substr(0, sp)));
      rest = sp == std::string_view::npos ? std::string_view{} : trim(rest.substr(sp));
    }
    std::sort(m.depends.begin(), m.depends.end());
    m.firmware = module_firmware(k.ctx, dir + "/" + std::string(line.substr(0, colon)));
    f.modules[m.name] = std::move(m);
  }
  return {};
}

// Built-in modules, and the aliases modules.builtin.modinfo records for them
// ("name.alias=value", NUL-separated).
Result<void> read_builtins(Facts& f, const std::string& dir) {
  auto list = TRY_CTX(sys::read_file(dir + "/modules.builtin"), "reading the built-in modules");
  for (std::string_view line : split_lines(list))
    if (!trim(line).empty()) f.modules[module_name(trim(line))] = {module_name(trim(line)), true};
  auto info = sys::read_file(dir + "/modules.builtin.modinfo");
  if (!info) return {};  // older kernels lack it: the overlay has to do
  std::string_view rest = *info;
  while (!rest.empty()) {
    auto nul = rest.find('\0');
    std::string_view entry = rest.substr(0, nul);
    rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
    auto dot = entry.find('.');
    if (dot == std::string_view::npos) continue;
    std::string name(entry.substr(0, dot));
    std::replace(name.begin(), name.end(), '-', '_');
    std::string_view kv = entry.substr(dot + 1);
    if (kv.starts_with("alias=") && is_bus_alias(kv.substr(6)))
      f.aliases.push_back({std::string(kv.substr(6)), name});
    else if (kv.starts_with("firmware=") && f.modules.contains(name))
      f.modules[name].firmware.emplace_back(kv.substr(9));
  }
  return {};
}

}  // namespace

void apply_builtin_overlay(Facts& facts, std::string_view overlay_text) {
  std::set<std::string> has_alias;
  for (const auto& a : facts.aliases) has_alias.insert(a.module);
  for (auto& a : parse_alias_lines(overlay_text)) {
    const ModuleFact* m = facts.module(a.module);
    if (m && m->builtin && !has_alias.contains(a.module)) facts.aliases.push_back(std::move(a));
  }
  std::sort(facts.aliases.begin(), facts.aliases.end());
  facts.aliases.erase(std::unique(facts.aliases.begin(), facts.aliases.end()), facts.aliases.end());
}

Result<Facts> generate_facts(const FactsInput& in) {
  Facts f;
  f.kernel = fs::path(in.modules_dir).lexically_normal().filename().string();
  if (f.kernel.empty()) f.kernel = fs::path(in.modules_dir).parent_path().filename().string();
  f.flavour = in.flavour;
  TRY(read_modules(f, in.modules_dir));
  TRY(read_builtins(f, in.modules_dir));
  auto alias = TRY_CTX(sys::read_file(in.modules_dir + "/modules.alias"),
                       "reading modules.alias (run depmod -b ROOT KVER first)");
  auto found = parse_alias_lines(alias);
  f.aliases.insert(f.aliases.end(), found.begin(), found.end());
  std::string overlay;
  if (!in.builtin_aliases_path.empty())
    overlay = TRY_CTX(sys::read_file(in.builtin_aliases_path), "reading the builtin overlay");
  apply_builtin_overlay(f, overlay);
  IdsDb empty;
  derive_entries(f, in.pci_ids ? *in.pci_ids : empty, in.usb_ids ? *in.usb_ids : empty);
  return f;
}

}  // namespace keel::hwcompat
