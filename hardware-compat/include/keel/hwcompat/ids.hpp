// The pci.ids and usb.ids databases (Debian packages pci.ids and usb.ids,
// /usr/share/misc/): vendor, device and class names. Format: the header
// comment of pci.ids ("Syntax:"), tab-indented vendor > device > subsystem and
// "C class" > subclass > prog-if.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "keel/common/error.hpp"

namespace keel::hwcompat {

class IdsDb {
 public:
  static Result<IdsDb> load_file(const std::string& path);
  static IdsDb parse(std::string_view text);

  std::string vendor(uint16_t vendor) const;
  std::string device(uint16_t vendor, uint16_t device) const;
  // The most specific known name for a class: prog-if, subclass or class.
  // `depth` 1: class only, 2: class+subclass, 3: all three.
  std::string class_name(uint32_t code, int depth) const;
  // Every device of `vendor` that the database knows.
  std::map<uint16_t, std::string> devices_of(uint16_t vendor) const;
  // Every class (depth 1) and subclass (depth 2) name, keyed "CC" / "CCSS".
  const std::map<std::string, std::string>& class_names() const { return m_classes; }

 private:
  std::map<uint16_t, std::string> m_vendors;
  std::map<uint32_t, std::string> m_devices;     // vendor << 16 | device
  std::map<std::string, std::string> m_classes;  // "01", "0108", "010802"
};

}  // namespace keel::hwcompat
