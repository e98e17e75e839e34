// Device identities and the kernel's modalias strings: how a PCI, USB or virtio
// device is matched against the `alias` patterns in modules.alias.
// Formats: the kernel's scripts/mod/file2alias.c (do_pci_entry, do_usb_entry,
// do_virtio_entry); matching is fnmatch(3), as libkmod does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::hwcompat {

enum class Bus { pci, usb, virtio };
std::string_view bus_name(Bus b);

struct PciId {
  uint16_t vendor = 0, device = 0;
  uint16_t subvendor = 0, subdevice = 0;  // 0: unknown (lspci -n does not show them)
  uint32_t class_code = 0;                // 24 bits: class, subclass, prog-if
  // How many class bytes are known: 3 (sysfs, lspci -nnmm), 2 (lspci -n shows no
  // prog-if), 0 (a policy target given as vendor:device only).
  int class_known = 3;
  bool has_subsystem() const { return subvendor != 0 || subdevice != 0; }
};

// "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00" (upper-case hex, as
// the kernel writes /sys/bus/pci/devices/*/modalias). Unknown subsystem ids are
// written as '*', so only patterns that ignore them match; so are unknown class
// bytes, except that an unknown prog-if alone matches any prog-if (see
// alias_matches), since lspci -n never shows it.
std::string pci_modalias(const PciId& id);
std::string virtio_modalias(uint32_t virtio_device);

// True when `pattern` (a modules.alias pattern) matches `modalias`. Case is
// ignored in the hex digits, so ids typed from lspci (lower case) match too.
bool alias_matches(std::string_view pattern, std::string_view modalias);

// The virtio second hop. PCI 1af4:1000-107f belong to virtio_pci; the virtio
// device id behind them is (virtio 1.1, 4.1.2.1) device - 0x1040 for modern
// ids, and for transitional ids 0x1000-0x103f the PCI subsystem device id, or the
// spec's table of transitional ids when the subsystem is unknown (lspci -n).
std::optional<uint32_t> virtio_device_id(const PciId& id);
// The virtio spec's name for a device type (5 "Device Types"); empty if unknown.
std::string_view virtio_device_name(uint32_t virtio_device);

// A modules.alias pattern taken apart for the matrix. A field is nullopt when the
// pattern has a wildcard there (or anything other than a full hex value).
struct PatternFields {
  Bus bus = Bus::pci;
  std::optional<uint16_t> vendor, device, subvendor, subdevice;
  std::optional<uint8_t> base_class, sub_class, prog_if;  // USB: interface class
  std::optional<uint32_t> virtio_device;
};
std::optional<PatternFields> parse_pattern(std::string_view pattern);

// "1af4:1001" (hex, either case) -> vendor/device.
std::optional<std::pair<uint16_t, uint16_t>> parse_vendor_device(std::string_view text);
// "1af4:1001", or with a class as lspci prints it: "1b36:0010/0108" or
// "1b36:0010/010802".
std::optional<PciId> parse_pci_ref(std::string_view text);

}  // namespace keel::hwcompat
