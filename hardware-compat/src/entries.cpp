// The matrix rows, derived from the aliases: one per concrete device, vendor or
// class pattern. Class patterns stay one row each (not expanded over every device
// in pci.ids), which keeps the generic kernel's lockfile small.
#include <fmt/format.h>

#include <algorithm>

#include "keel/hwcompat/facts.hpp"
#include "keel/hwcompat/resolve.hpp"

namespace keel::hwcompat {

namespace {

template <class T>
std::string hex_or_star(const std::optional<T>& v, int width) {
  return v ? fmt::format("{:0{}x}", static_cast<uint32_t>(*v), width) : std::string("*");
}

// "01", "0108" or "010802": the concrete prefix of class, subclass, prog-if.
std::string class_prefix(const PatternFields& p) {
  std::string out;
  for (const auto* part : {&p.base_class, &p.sub_class, &p.prog_if}) {
    if (!*part) break;
    out += fmt::format("{:02x}", **part);
  }
  return out.empty() ? "*" : out;
}

uint32_t class_code(const PatternFields& p) {
  return static_cast<uint32_t>(p.base_class.value_or(0)) << 16 |
         static_cast<uint32_t>(p.sub_class.value_or(0)) << 8 | p.prog_if.value_or(0);
}

std::optional<IdEntry> entry_for(const AliasFact& a, const IdsDb& pci, const IdsDb& usb) {
  auto p = parse_pattern(a.pattern);
  if (!p) return std::nullopt;
  IdEntry e{.bus = p->bus, .chain = a.module};
  if (p->bus == Bus::virtio) {
    e.device = hex_or_star(p->virtio_device, 4);
    e.name = std::string(virtio_device_name(*p->virtio_device));
    return e;
  }
  if (!p->vendor && !p->base_class) return std::nullopt;  // matches anything: not a row
  const IdsDb& db = p->bus == Bus::pci ? pci : usb;
  e.vendor = hex_or_star(p->vendor, 4);
  e.device = hex_or_star(p->device, 4);
  if (p->subvendor || p->subdevice)
    e.subsystem = hex_or_star(p->subvendor, 4) + ":" + hex_or_star(p->subdevice, 4);
  e.cls = class_prefix(*p);
  if (p->vendor) e.vendor_name = db.vendor(*p->vendor);
  if (p->vendor && p->device) e.name = db.device(*p->vendor, *p->device);
  if (e.name.empty() && p->base_class) {
    int depth = p->prog_if ? 3 : p->sub_class ? 2 : 1;
    e.name = db.class_name(class_code(*p), depth);
  }
  return e;
}

// The virtio second hop, spelled out for every virtio PCI id pci.ids knows.
void add_virtio_rows(Facts& f, const IdsDb& pci, std::vector<IdEntry>& out) {
  for (const auto& [dev, name] : pci.devices_of(0x1af4)) {
    PciId id{.vendor = 0x1af4, .device = dev};
    if (!virtio_device_id(id)) continue;
    for (const Chain& c : resolve_pci(f, id)) {
      if (!is_complete(c, id)) continue;
      out.push_back({.bus = Bus::pci,
                     .vendor = "1af4",
                     .device = fmt::format("{:04x}", dev),
                     .chain = chain_text(c),
                     .vendor_name = pci.vendor(0x1af4),
                     .name = name});
    }
  }
}

}  // namespace

void derive_entries(Facts& f, const IdsDb& pci_ids, const IdsDb& usb_ids) {
  std::vector<IdEntry> out;
  for (const auto& a : f.aliases)
    if (auto e = entry_for(a, pci_ids, usb_ids)) out.push_back(std::move(*e));
  add_virtio_rows(f, pci_ids, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  f.entries = std::move(out);
  for (const auto& [key, name] : pci_ids.class_names())
    if (key.size() <= 4) f.class_names["pci " + key] = name;
  for (const auto& [key, name] : usb_ids.class_names())
    if (key.size() <= 4) f.class_names["usb " + key] = name;
}

}  // namespace keel::hwcompat
