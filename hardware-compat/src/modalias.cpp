#include "keel/hwcompat/modalias.hpp"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace keel::hwcompat {

std::string_view bus_name(Bus b) {
  switch (b) {
    case Bus::pci:
      return "pci";
    case Bus::usb:
      return "usb";
    case Bus::virtio:
      return "virtio";
  }
  return "?";
}

std::string pci_modalias(const PciId& id) {
  std::string sub = id.has_subsystem() ? fmt::format("sv{:08X}sd{:08X}", id.subvendor, id.subdevice)
                                       : std::string("sv*sd*");
  std::string cls;
  const char* names[3] = {"bc", "sc", "i"};
  for (int i = 0; i < 3; ++i) {
    uint32_t byte = (id.class_code >> (16 - 8 * i)) & 0xff;
    cls +=
        i < id.class_known ? fmt::format("{}{:02X}", names[i], byte) : fmt::format("{}*", names[i]);
  }
  return fmt::format("pci:v{:08X}d{:08X}{}{}", id.vendor, id.device, sub, cls);
}

std::string virtio_modalias(uint32_t virtio_device) {
  return fmt::format("virtio:d{:08X}v{:08X}", virtio_device, 0x1af4);
}

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

bool alias_matches(std::string_view pattern, std::string_view modalias) {
  // The field letters (v, d, sv, bc ...) are lower case in both; upper-casing both
  // sides keeps them aligned while making the hex digits case-insensitive.
  // An unknown subsystem ("sv*sd*" in the modalias) must match only a wildcard.
  // An unknown subsystem is a literal "sv*sd*" in the modalias: a pattern's '*'
  // matches it, a pattern's hex digits do not, which is what we want.
  std::string p = upper(pattern), m = upper(modalias);
  // An unknown prog-if (a trailing "i*" after a known class) matches any prog-if:
  // compare up to the pattern's own "i" field only.
  if (m.starts_with("PCI:") && m.ends_with("I*") && !m.ends_with("SC*I*")) {
    auto pi = p.rfind('I');
    if (pi == std::string::npos) return false;
    p.resize(pi);
    m.resize(m.size() - 2);
  }
  return fnmatch(p.c_str(), m.c_str(), 0) == 0;
}

std::optional<uint32_t> virtio_device_id(const PciId& id) {
  if (id.vendor != 0x1af4 || id.device < 0x1000 || id.device > 0x107f) return std::nullopt;
  if (id.device >= 0x1040) return id.device - 0x1040u;
  if (id.has_subsystem()) return id.subdevice;
  // virtio 1.1, 4.1.2.1 "Transitional PCI Device ID".
  switch (id.device) {
    case 0x1000:
      return 1u;  // network card
    case 0x1001:
      return 2u;  // block device
    case 0x1002:
      return 5u;  // memory ballooning
    case 0x1003:
      return 3u;  // console
    case 0x1004:
      return 8u;  // SCSI host
    case 0x1005:
      return 4u;  // entropy source
    case 0x1009:
      return 9u;  // 9P transport
  }
  return std::nullopt;
}

std::string_view virtio_device_name(uint32_t d) {
  switch (d) {  // virtio 1.2, 5 "Device Types"
    case 1:
      return "Virtio network device";
    case 2:
      return "Virtio block device";
    case 3:
      return "Virtio console";
    case 4:
      return "Virtio entropy device";
    case 5:
      return "Virtio memory balloon";
    case 8:
      return "Virtio SCSI host";
    case 9:
      return "Virtio 9P transport";
    case 16:
      return "Virtio GPU device";
    case 18:
      return "Virtio input device";
    case 19:
      return "Virtio socket device";
    case 20:
      return "Virtio crypto device";
    case 24:
      return "Virtio memory device";
    case 26:
      return "Virtio file system device";
    case 27:
      return "Virtio PMEM device";
  }
  return {};
}

namespace {

// Reads `letters` then either exactly `digits` hex digits or a lone '*'.
// Returns false if the text does not have this shape.
template <class T>
bool field(std::string_view& s, std::string_view letters, size_t digits, std::optional<T>& out) {
  if (!s.starts_with(letters)) return false;
  s.remove_prefix(letters.size());
  if (s.starts_with('*')) {
    s.remove_prefix(1);
    out.reset();
    return true;
  }
  if (s.size() < digits) return false;
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + digits, v, 16);
  if (ec != std::errc() || p != s.data() + digits) return false;
  out = static_cast<T>(v);
  s.remove_prefix(digits);
  return true;
}

std::optional<PatternFields> parse_pci(std::string_view s) {
  PatternFields f{.bus = Bus::pci};
  if (!field(s, "v", 8, f.vendor) || !field(s, "d", 8, f.device) ||
      !field(s, "sv", 8, f.subvendor) || !field(s, "sd", 8, f.subdevice) ||
      !field(s, "bc", 2, f.base_class) || !field(s, "sc", 2, f.sub_class) ||
      !field(s, "i", 2, f.prog_if))
    return std::nullopt;
  if (!s.empty() && s != "*") return std::nullopt;
  return f;
}

// usb:vVVVVpPPPPdBCDdcDCdscDSCdpDPicICiscISCipIPinIN (file2alias.c do_usb_entry);
// the bcdDevice range is often a bracket expression, which we skip over.
std::optional<PatternFields> parse_usb(std::string_view s) {
  PatternFields f{.bus = Bus::usb};
  if (!field(s, "v", 4, f.vendor) || !field(s, "p", 4, f.device)) return std::nullopt;
  auto ic = s.find("ic");
  if (ic == std::string_view::npos) return std::nullopt;
  s.remove_prefix(ic);
  if (!field(s, "ic", 2, f.base_class) || !field(s, "isc", 2, f.sub_class) ||
      !field(s, "ip", 2, f.prog_if))
    return std::nullopt;
  return f;
}

}  // namespace

std::optional<PatternFields> parse_pattern(std::string_view pattern) {
  if (pattern.starts_with("pci:")) return parse_pci(pattern.substr(4));
  if (pattern.starts_with("usb:")) return parse_usb(pattern.substr(4));
  if (pattern.starts_with("virtio:")) {
    std::string_view s = pattern.substr(7);
    PatternFields f{.bus = Bus::virtio};
    std::optional<uint32_t> d;
    if (!field(s, "d", 8, d) || !d) return std::nullopt;
    f.virtio_device = d;
    return f;
  }
  return std::nullopt;
}

std::optional<std::pair<uint16_t, uint16_t>> parse_vendor_device(std::string_view text) {
  auto colon = text.find(':');
  if (colon != 4 || text.size() != 9) return std::nullopt;
  uint16_t v = 0, d = 0;
  auto r1 = std::from_chars(text.data(), text.data() + 4, v, 16);
  auto r2 = std::from_chars(text.data() + 5, text.data() + 9, d, 16);
  if (r1.ec != std::errc() || r1.ptr != text.data() + 4 || r2.ec != std::errc() ||
      r2.ptr != text.data() + 9)
    return std::nullopt;
  return std::pair{v, d};
}

std::optional<PciId> parse_pci_ref(std::string_view text) {
  auto vd = parse_vendor_device(text.substr(0, 9));
  if (!vd) return std::nullopt;
  PciId id{.vendor = vd->first, .device = vd->second, .class_known = 0};
  if (text.size() == 9) return id;
  std::string_view cls = text.substr(9);
  if (!cls.starts_with('/') || (cls.size() != 5 && cls.size() != 7)) return std::nullopt;
  cls.remove_prefix(1);
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(cls.data(), cls.data() + cls.size(), v, 16);
  if (ec != std::errc() || p != cls.data() + cls.size()) return std::nullopt;
  id.class_known = static_cast<int>(cls.size() / 2);
  id.class_code = id.class_known == 2 ? v << 8 : v;
  return id;
}

}  // namespace keel::hwcompat
