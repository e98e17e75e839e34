#include "keel/hwcompat/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace keel::hwcompat {

namespace fs = std::filesystem;

namespace {

std::string role_of(uint32_t class_code) {
  switch ((class_code >> 16) & 0xff) {
    case 0x01:
      return "storage";
    case 0x02:
      return "nic";
  }
  return "other";
}

std::string class_name(const Facts& f, uint32_t code) {
  auto it = f.class_names.find(fmt::format("pci {:04x}", (code >> 8) & 0xffff));
  if (it == f.class_names.end()) it = f.class_names.find(fmt::format("pci {:02x}", code >> 16));
  return it == f.class_names.end() ? std::string() : it->second;
}

// The chain's tier: its worst module, unless the policy overrides the device.
Tier chain_tier(const ReportInput& in, const Chain& c, const PciId& id) {
  if (const DevicePolicy* d = in.policy.device(id.vendor, id.device); d && d->tier) return *d->tier;
  Tier t = Tier::certified;
  for (const auto& m : c) t = std::max(t, in.policy.module_tier(m, in.facts.flavour));
  return t;
}

std::vector<FirmwareState> firmware_of(const ReportInput& in, const Chain& c) {
  std::vector<FirmwareState> out;
  for (const auto& m : c)
    if (const ModuleFact* f = in.facts.module(m))
      for (const auto& file : f->firmware)
        out.push_back({file, fs::exists(fs::path(in.firmware_dir) / file) ||
                                 fs::exists(fs::path(in.firmware_dir) / (file + ".xz"))});
  return out;
}

}  // namespace

DeviceReport report_device(const ReportInput& in, const HostDevice& dev) {
  DeviceReport r{dev};
  r.name = device_name(in.facts, dev.id);
  if (r.name.empty()) r.name = class_name(in.facts, dev.id.class_code);
  r.role = role_of(dev.id.class_code);
  Selection sel;
  if (in.spec) sel = select_modules(in.facts, in.policy, *in.spec);
  std::optional<Chain> best;
  for (const Chain& c : resolve_pci(in.facts, dev.id)) {
    if (!is_complete(c, dev.id)) {
      if (r.reason.empty())
        r.reason = fmt::format("{} drives the transport, but no driver claims the virtio device",
                               chain_text(c));
      continue;
    }
    std::string gap;
    if (in.spec)
      for (const auto& m : c)
        if (auto why = why_missing(m, in.facts, in.policy, *in.spec, sel); !why.empty())
          gap = fmt::format("{} is not in this image, {}", m, why);
    Tier t = chain_tier(in, c, dev.id);
    if (!gap.empty()) {
      if (!best) r.reason = gap;
      continue;
    }
    if (!best || t < *r.tier) {
      best = c;
      r.tier = t;
    }
  }
  if (!best && r.reason.empty())
    r.reason = fmt::format("no driver in kernel {} claims it", in.facts.kernel);
  if (best) {
    r.chain = chain_text(*best);
    r.supported = *r.tier != Tier::unsupported;
    if (!r.supported) r.reason = "the policy marks it unsupported";
    r.firmware = firmware_of(in, *best);
  }
  std::string pci = fmt::format("{:04x}:{:04x}", dev.id.vendor, dev.id.device);
  bool allowed = std::find(in.allow.begin(), in.allow.end(), pci) != in.allow.end();
  // A NIC is always boot-critical; a storage controller is, unless live sysfs showed
  // that the root disk hangs off another one.
  bool boot_critical =
      r.role == "nic" || (r.role == "storage" && (!in.root_known || dev.holds_root));
  r.fatal = !r.supported && boot_critical && !allowed;
  if (allowed && !r.supported) r.reason += " (allowed: --allow " + pci + ")";
  if (!r.supported && r.role == "storage" && !boot_critical)
    r.reason += " (not the root disk's controller: a warning)";
  return r;
}

std::vector<DeviceReport> build_report(const ReportInput& in, const std::vector<HostDevice>& devs) {
  std::vector<DeviceReport> out;
  for (const auto& d : devs) out.push_back(report_device(in, d));
  return out;
}

std::string report_text(const std::vector<DeviceReport>& rs) {
  std::string out;
  int fatal = 0, unsupported = 0;
  for (const auto& r : rs) {
    std::string fw = "none requested";
    if (!r.firmware.empty()) {
      auto present = std::count_if(r.firmware.begin(), r.firmware.end(),
                                   [](const FirmwareState& f) { return f.present; });
      fw = fmt::format("{} of {} files present", present, r.firmware.size());
    }
    std::string verdict = r.supported ? std::string(tier_name(*r.tier))
                                      : (r.fatal ? "FATAL unsupported" : "unsupported");
    out += fmt::format("{:<13} {:04x}:{:04x} {:<7} {:<18} {}{}\n", r.dev.slot, r.dev.id.vendor,
                       r.dev.id.device, r.role, verdict, r.name.empty() ? "?" : r.name,
                       (r.dev.driver.empty() ? "" : fmt::format(" [bound: {}]", r.dev.driver)) +
                           (r.dev.holds_root ? " [root disk]" : ""));
    if (r.supported)
      out += fmt::format("{:13} module {}; firmware: {}\n", "", r.chain, fw);
    else
      out += fmt::format("{:13} {}\n", "", r.reason);
    fatal += r.fatal;
    unsupported += !r.supported;
  }
  out += fmt::format(
      "{} devices, {} unsupported, {} fatal (an unsupported disk controller or "
      "NIC)\n",
      rs.size(), unsupported, fatal);
  return out;
}

std::string report_json(const std::vector<DeviceReport>& rs) {
  nlohmann::json devices = nlohmann::json::array();
  bool any_fatal = false;
  for (const auto& r : rs) {
    nlohmann::json fw = nlohmann::json::array();
    for (const auto& f : r.firmware) fw.push_back({{"file", f.file}, {"present", f.present}});
    devices.push_back({{"slot", r.dev.slot},
                       {"pci", fmt::format("{:04x}:{:04x}", r.dev.id.vendor, r.dev.id.device)},
                       {"class", fmt::format("{:06x}", r.dev.id.class_code)},
                       {"name", r.name},
                       {"role", r.role},
                       {"supported", r.supported},
                       {"fatal", r.fatal},
                       {"tier", r.tier ? nlohmann::json(tier_name(*r.tier)) : nlohmann::json()},
                       {"module", r.chain},
                       {"bound_driver", r.dev.driver},
                       {"reason", r.reason},
                       {"firmware", fw}});
    any_fatal = any_fatal || r.fatal;
  }
  return nlohmann::json{{"devices", devices}, {"fatal", any_fatal}}.dump(2) + "\n";
}

}  // namespace keel::hwcompat
