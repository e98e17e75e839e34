// The keel-hwcompat subcommands: each loads its inputs, calls the library and
// prints; errors are printed once, here.
#include <fmt/format.h>

#include "cli.hpp"
#include "keel/common/sys.hpp"
#include "keel/hwcompat/report.hpp"

namespace keel::hwcompat::cli {

const char* const kUsage =
    "usage: keel-hwcompat facts --modules-dir DIR --flavour NAME [-o FILE]\n"
    "                           [--pci-ids FILE] [--usb-ids FILE] [--builtin-aliases FILE]\n"
    "       keel-hwcompat report [--sys DIR | --lspci FILE] [--facts FILE] [--policy FILE]\n"
    "                           [--image FILE | --no-image] [--firmware-dir DIR] [--json]\n"
    "                           [--allow VVVV:DDDD...] [--boot-disk /dev/DISK]\n"
    "       keel-hwcompat matrix --facts FILE [--facts FILE...] [--policy FILE]\n"
    "                           [--format md|html] [--min-tier TIER]\n"
    "       keel-hwcompat firmware --image FILE [--facts FILE] [--policy FILE]\n"
    "                           [--firmware-dir DIR]\n";

namespace {

constexpr const char* kShare = "/usr/share/keel/hwcompat";

int report_error(const keel::Error& e) {
  fmt::print(stderr, "error keel-hwcompat: {}\n", e.message());
  return 2;
}

}  // namespace

int cmd_facts(const Args& a) {
  std::string dir = a.get("--modules-dir"), flavour = a.get("--flavour");
  if (dir.empty() || flavour.empty()) return fmt::print(stderr, "{}", kUsage), 2;
  auto pci = IdsDb::load_file(a.get("--pci-ids", "/usr/share/misc/pci.ids"));
  auto usb = IdsDb::load_file(a.get("--usb-ids", "/usr/share/misc/usb.ids"));
  if (!pci) return report_error(pci.error());
  if (!usb) return report_error(usb.error());
  FactsInput in{dir, flavour,
                a.get("--builtin-aliases", KEEL_SOURCE_DIR "/hardware-compat/builtin-aliases"),
                &*pci, &*usb};
  auto facts = generate_facts(in);
  if (!facts) return report_error(facts.error());
  std::string text = write_lockfile(*facts);
  std::string out = a.get("-o");
  if (out.empty()) return fmt::print("{}", text), 0;
  if (auto w = keel::sys::write_file_atomic(out, text); !w) return report_error(w.error());
  fmt::print("{}: kernel {}: {} modules, {} aliases, {} rows, {} firmware files\n", out,
             facts->kernel, facts->modules.size(), facts->aliases.size(), facts->entries.size(),
             facts->firmware_count());
  return 0;
}

int cmd_report(const Args& a) {
  auto facts = load_lockfile(a.get("--facts", std::string(kShare) + "/facts.lock"));
  if (!facts) return report_error(facts.error());
  auto policy = load_policy(a.get("--policy", std::string(kShare) + "/policy.toml"));
  if (!policy) return report_error(policy.error());
  std::optional<HardwareSpec> spec;
  std::string image = a.get("--image", std::string(kShare) + "/image.toml");
  if (!a.opts.contains("--no-image") && (a.opts.contains("--image") || keel::sys::exists(image))) {
    auto s = load_hardware_spec(image);
    if (!s) return report_error(s.error());
    spec = *s;
  }
  keel::Result<std::vector<HostDevice>> devs = std::vector<HostDevice>{};
  if (a.opts.contains("--lspci")) {
    auto text = keel::sys::read_file(a.get("--lspci"));
    if (!text) return report_error(text.error());
    devs = parse_lspci(*text, a.get("--lspci"));
  } else {
    devs = read_sysfs(a.get("--sys", "/sys"));
  }
  if (!devs) return report_error(devs.error());
  ReportInput in{*facts, *policy, spec ? &*spec : nullptr,
                 a.get("--firmware-dir", "/lib/firmware")};
  // --boot-disk (keel-install's target): judge storage by the disk the image will boot
  // from, not by the disk this system (a live system in RAM, a rescue USB) runs from.
  if (!a.opts.contains("--lspci")) {
    auto root = a.opts.contains("--boot-disk")
                    ? block_device_sys_path(a.get("--sys", "/sys"), a.get("--boot-disk"))
                    : root_block_device(a.get("--sys", "/sys"));
    if (root) in.root_known = mark_root_controller(*devs, *root);
  }
  if (auto it = a.opts.find("--allow"); it != a.opts.end()) in.allow = it->second;
  auto report = build_report(in, *devs);
  fmt::print("{}", a.opts.contains("--json") ? report_json(report) : report_text(report));
  for (const auto& r : report)
    if (r.fatal) return 1;
  return 0;
}

int cmd_matrix(const Args& a) {
  auto it = a.opts.find("--facts");
  if (it == a.opts.end()) return fmt::print(stderr, "{}", kUsage), 2;
  std::vector<Facts> facts;
  for (const auto& path : it->second) {
    auto f = load_lockfile(path);
    if (!f) return report_error(f.error());
    facts.push_back(std::move(*f));
  }
  auto policy = load_policy(a.get("--policy", std::string(kShare) + "/policy.toml"));
  if (!policy) return report_error(policy.error());
  std::string format = a.get("--format", "md");
  auto min = parse_tier(a.get("--min-tier", "unsupported"));
  if ((format != "md" && format != "html") || !min) return fmt::print(stderr, "{}", kUsage), 2;
  fmt::print("{}",
             export_matrix(facts, *policy,
                           format == "md" ? MatrixFormat::markdown : MatrixFormat::html, *min));
  return 0;
}

int cmd_firmware(const Args& a) {
  if (!a.opts.contains("--image")) return fmt::print(stderr, "{}", kUsage), 2;
  auto spec = load_hardware_spec(a.get("--image"));
  if (!spec) return report_error(spec.error());
  auto facts = load_lockfile(a.get("--facts", std::string(kShare) + "/facts.lock"));
  if (!facts) return report_error(facts.error());
  auto policy = load_policy(a.get("--policy", std::string(kShare) + "/policy.toml"));
  if (!policy) return report_error(policy.error());
  auto sel = select_modules(*facts, *policy, *spec);
  auto fw = select_firmware(*facts, *policy, sel.modules, a.get("--firmware-dir", "/lib/firmware"));
  if (!fw) {
    fmt::print(stderr, "error keel-hwcompat: {}\n", fw.error().message());
    return 1;  // a required file is missing: the image would not work on that hardware
  }
  size_t present = 0;
  for (const auto& f : *fw) {
    present += f.present;
    fmt::print("{:<16} {:<48} {:<8} {:<7} {}\n", f.module, f.file,
               f.required ? "required" : "optional", f.present ? "present" : "missing",
               f.package.empty() ? "-" : f.package);
  }
  fmt::print(
      "{} firmware files requested by {} selected modules: {} present, {} missing "
      "(optional)\n",
      fw->size(), sel.modules.size(), present, fw->size() - present);
  return 0;
}

}  // namespace keel::hwcompat::cli
