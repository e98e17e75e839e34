// Facts about one kernel build: which module claims which device, what each
// module depends on and which firmware files it requests. Generated from the
// kernel's modules directory with libkmod and committed as a sorted,
// line-oriented lockfile (hardware-compat/facts/<flavour>.lock), so a kernel bump
// shows up as a diff. Nothing here is opinion; that is the policy's job.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/hwcompat/ids.hpp"
#include "keel/hwcompat/modalias.hpp"

namespace keel::hwcompat {

struct ModuleFact {
  std::string name;  // as modprobe names it, '-' turned into '_'
  bool builtin = false;
  std::vector<std::string> depends;   // module names (modules.dep)
  std::vector<std::string> firmware;  // modinfo "firmware" entries, in the module's order
};

struct AliasFact {
  std::string pattern;  // modules.alias pattern: pci:..., usb:..., virtio:...
  std::string module;
  auto operator<=>(const AliasFact&) const = default;
};

// One row of the matrix: a device, a vendor's devices, or a class, and the driver
// chain that claims it ("virtio_pci>virtio_blk" for the virtio second hop).
// Fields are lower-case hex, or "*" where the kernel's pattern has a wildcard.
struct IdEntry {
  Bus bus = Bus::pci;
  std::string vendor = "*", device = "*", subsystem = "*", cls = "*";
  std::string chain;
  std::string vendor_name, name;
  auto operator<=>(const IdEntry&) const = default;
};

struct Facts {
  std::string kernel;   // 6.1.0-56-cloud-amd64
  std::string flavour;  // cloud
  std::map<std::string, ModuleFact> modules;
  std::vector<AliasFact> aliases;                  // sorted
  std::vector<IdEntry> entries;                    // sorted
  std::map<std::string, std::string> class_names;  // "pci 0108" -> "Non-Volatile memory controller"

  const ModuleFact* module(const std::string& name) const;
  // Firmware files requested by any module in the facts.
  size_t firmware_count() const;
};

struct FactsInput {
  std::string modules_dir;  // <root>/lib/modules/<kver>, after depmod
  std::string flavour;
  std::string builtin_aliases_path;  // hardware-compat/builtin-aliases (may be empty)
  const IdsDb* pci_ids = nullptr;
  const IdsDb* usb_ids = nullptr;
};

// Reads modules.dep, modules.alias, modules.builtin and modules.builtin.modinfo,
// and each module's modinfo through libkmod.
Result<Facts> generate_facts(const FactsInput& in);

// The "builtin overlay": a built-in driver's id table is not in
// modules.builtin.modinfo (the cloud kernel's nvme), so a modalias lookup misses
// it. `overlay_text` is in modules.alias format ("alias PATTERN MODULE"); its
// aliases are added for modules that are built into this kernel and have no
// bus alias of their own. Loadable modules keep the kernel's own aliases.
void apply_builtin_overlay(Facts& facts, std::string_view overlay_text);

// Derives the matrix rows from the aliases (called by generate_facts).
void derive_entries(Facts& facts, const IdsDb& pci_ids, const IdsDb& usb_ids);

std::string write_lockfile(const Facts& facts);
Result<Facts> parse_lockfile(std::string_view text, const std::string& path);
Result<Facts> load_lockfile(const std::string& path);

}  // namespace keel::hwcompat
