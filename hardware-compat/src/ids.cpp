#include "keel/hwcompat/ids.hpp"

#include <fmt/format.h>

#include <charconv>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"

namespace keel::hwcompat {

namespace {

bool hex(std::string_view s, uint32_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc() && p == s.data() + s.size();
}

// "1af4  Red Hat, Inc." -> id and name (two spaces separate them).
bool split_entry(std::string_view line, size_t id_len, uint32_t& id, std::string& name) {
  if (line.size() < id_len + 2 || !hex(line.substr(0, id_len), id)) return false;
  name = std::string(trim(line.substr(id_len)));
  return true;
}

}  // namespace

Result<IdsDb> IdsDb::load_file(const std::string& path) {
  auto text =
      TRY_CTX(sys::read_file(path),
              fmt::format("reading {} (install it: apt-get install pci.ids usb.ids)", path));
  return parse(text);
}

IdsDb IdsDb::parse(std::string_view text) {
  IdsDb db;
  uint32_t vendor = 0, cls = 0, sub = 0;
  bool in_class = false, have_vendor = false;
  for (std::string_view line : split_lines(text)) {
    if (line.empty() || line.starts_with('#')) continue;
    uint32_t id = 0;
    std::string name;
    if (line.starts_with("C ")) {
      in_class = split_entry(line.substr(2), 2, cls, name);
      if (in_class) db.m_classes[fmt::format("{:02x}", cls)] = name;
    } else if (line.starts_with("\t\t")) {
      if (in_class && split_entry(line.substr(2), 2, id, name))
        db.m_classes[fmt::format("{:02x}{:02x}{:02x}", cls, sub, id)] = name;
      // Subsystem lines (vendor device name) are not needed.
    } else if (line.starts_with('\t')) {
      if (in_class && split_entry(line.substr(1), 2, sub, name))
        db.m_classes[fmt::format("{:02x}{:02x}", cls, sub)] = name;
      else if (!in_class && have_vendor && split_entry(line.substr(1), 4, id, name))
        db.m_devices[vendor << 16 | id] = name;
    } else {
      // A top-level line that is not a vendor (usb.ids has "AT", "HID", "L" ... lists)
      // ends both the class and the vendor section.
      in_class = false;
      have_vendor = split_entry(line, 4, vendor, name) && line[4] == ' ';
      if (have_vendor) db.m_vendors[static_cast<uint16_t>(vendor)] = name;
    }
  }
  return db;
}

std::string IdsDb::vendor(uint16_t v) const {
  auto it = m_vendors.find(v);
  return it == m_vendors.end() ? std::string() : it->second;
}

std::string IdsDb::device(uint16_t v, uint16_t d) const {
  auto it = m_devices.find(static_cast<uint32_t>(v) << 16 | d);
  return it == m_devices.end() ? std::string() : it->second;
}

std::string IdsDb::class_name(uint32_t code, int depth) const {
  std::string keys[3] = {fmt::format("{:02x}", (code >> 16) & 0xff),
                         fmt::format("{:04x}", (code >> 8) & 0xffff),
                         fmt::format("{:06x}", code & 0xffffff)};
  for (int i = depth - 1; i >= 0; --i)
    if (auto it = m_classes.find(keys[i]); it != m_classes.end()) return it->second;
  return {};
}

std::map<uint16_t, std::string> IdsDb::devices_of(uint16_t v) const {
  std::map<uint16_t, std::string> out;
  for (auto it = m_devices.lower_bound(static_cast<uint32_t>(v) << 16);
       it != m_devices.end() && (it->first >> 16) == v; ++it)
    out[static_cast<uint16_t>(it->first & 0xffff)] = it->second;
  return out;
}

}  // namespace keel::hwcompat
