#include "keel/compose/hardware.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <filesystem>
#include <set>

#include "keel/common/sys.hpp"
#include "keel/compose/packages.hpp"
#include "keel/compose/rootfs.hpp"

namespace keel::compose {

namespace fs = std::filesystem;
using namespace keel::hwcompat;

namespace {

std::string lockfile_path(const std::string& dir, const std::string& flavour) {
  return fmt::format("{}/facts/{}.lock", dir, flavour);
}

Result<Policy> policy_of(const std::string& dir) {
  return with_context(load_policy(dir + "/policy.toml"), "loading the hardware policy");
}

// Firmware packages' files that no selected module requests are dead weight.
Result<void> prune_firmware(const std::string& rootfs, const std::set<std::string>& packages,
                            const std::vector<FirmwareFile>& wanted,
                            const std::vector<std::string>& debs, const std::string& cache) {
  for (const auto& pkg : packages) {
    auto deb = std::find_if(debs.begin(), debs.end(),
                            [&](const std::string& d) { return d.starts_with(pkg + "_"); });
    if (deb == debs.end()) continue;
    for (const auto& path : TRY(deb_file_list(cache + "/" + *deb))) {
      auto at = path.find("lib/firmware/");
      if (at == std::string::npos || path.ends_with("/")) continue;
      std::string rel = path.substr(at + 13);
      bool keep = false;
      for (const auto& w : wanted)
        keep = keep || fnmatch(w.file.c_str(), rel.c_str(), 0) == 0 || rel == w.file + ".xz" ||
               rel == w.file + ".zst";
      std::error_code ec;
      if (!keep) fs::remove(fs::path(rootfs) / "usr/lib/firmware" / rel, ec);
    }
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> check_hardware_early(const HardwareSpec& spec,
                                                      const std::string& dir) {
  auto policy = TRY(policy_of(dir));
  std::string lock = lockfile_path(dir, spec.flavour);
  if (!fs::exists(lock)) return std::vector<std::string>{};  // a new flavour: checked at step 3
  auto facts = TRY(load_lockfile(lock));
  auto sel = select_modules(facts, policy, spec);
  TRY(check_targets(facts, policy, spec, sel));
  return std::vector<std::string>(sel.firmware_packages.begin(), sel.firmware_packages.end());
}

Result<HardwarePlan> plan_hardware(const ImageDef& def, const std::string& dir,
                                   const std::string& rootfs, const std::string& kver,
                                   const std::vector<std::string>& debs, const std::string& cache,
                                   const WarnFn& warn) {
  const HardwareSpec& spec = *def.hardware;
  auto policy = TRY(policy_of(dir));
  std::string moddir = rootfs + "/usr/lib/modules/" + kver;
  // Missing pci.ids only costs the names; the lockfile comparison then warns.
  IdsDb pci = IdsDb::load_file("/usr/share/misc/pci.ids").value_or(IdsDb{});
  IdsDb usb = IdsDb::load_file("/usr/share/misc/usb.ids").value_or(IdsDb{});
  FactsInput in{moddir, def.kernel_flavour, dir + "/builtin-aliases", &pci, &usb};
  auto facts = TRY_CTX(generate_facts(in), "generating the hardware facts of kernel " + kver);
  HardwarePlan plan{.facts_text = write_lockfile(facts)};
  std::string lock = lockfile_path(dir, def.kernel_flavour);
  if (sys::read_file(lock).value_or("") != plan.facts_text)
    warn(
        fmt::format("the facts of kernel {} differ from {}; the image uses the kernel's own. "
                    "Refresh the lockfile: keel-hwcompat facts --modules-dir DIR --flavour {} -o "
                    "{} (hardware-compat/README.md), review the diff and commit it",
                    kver, lock, def.kernel_flavour, lock));
  auto sel = select_modules(facts, policy, spec);
  TRY(check_targets(facts, policy, spec, sel));
  auto firmware = TRY_CTX(select_firmware(facts, policy, sel.modules, rootfs + "/usr/lib/firmware"),
                          def.path + ": [hardware]");
  std::vector<const FirmwareFile*> missing;
  for (const auto& f : firmware)
    if (!f.present) missing.push_back(&f);
  if (!missing.empty())
    warn(
        fmt::format("{} optional firmware files the selected modules request are not in the "
                    "image (first: {} for {}); set firmware_package in the policy to ship them",
                    missing.size(), missing[0]->file, missing[0]->module));
  TRY(prune_firmware(rootfs, sel.firmware_packages, firmware, debs, cache));
  plan.modules = sel.modules;
  plan.initramfs = sel.initramfs;
  plan.initramfs_firmware =
      initramfs_firmware(firmware, sel.initramfs, rootfs + "/usr/lib/firmware");
  return plan;
}

Result<void> install_matrix(const ImageDef& def, const std::string& dir, const std::string& rootfs,
                            const std::string& facts_text) {
  std::string share = rootfs + "/usr/share/keel/hwcompat";
  TRY(sys::mkdir_p(share));
  TRY(sys::write_file_atomic(share + "/facts.lock", facts_text));
  TRY(install_file(dir + "/policy.toml", share + "/policy.toml", 0644));
  return sys::write_file_atomic(share + "/image.toml", write_hardware_spec(*def.hardware));
}

}  // namespace keel::compose
