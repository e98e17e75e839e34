// The boot settings of an image: its definition's [boot] table (docs/IMAGES.md), which
// keel-compose writes into the image as /usr/lib/keel/boot.toml. The grub.cfg generator
// reads the consoles and the menu timeout from the newest deployment's copy; keel-init
// reads the gates and the deadline from its own (docs/BOOT.md).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/common/toml.hpp"

namespace keel::bootloader {

// Where the console is: GRUB's terminals and the kernel's console= arguments.
enum class Console { serial, graphical, both };
std::string_view to_string(Console c);

inline constexpr const char* kSettingsInImage = "usr/lib/keel/boot.toml";

struct BootSettings {
  Console console = Console::serial;
  int menu_timeout_s = 1;  // GRUB shows its menu this long (0: boot at once, keys still work)
  int tries = 3;           // boot attempts a new deployment gets (bootloader/boot_counter.hpp)
  std::chrono::seconds deadline{120};  // the gates must be ready this long after keel-init
                                       // starts in the real root
  // Containers that must be ready for the boot to count as good. nullopt: not given
  // (keel-compose then takes every container with restart = "always").
  std::optional<std::vector<std::string>> gates;
};

// Reads `t` (the image definition's [boot], or boot.toml's root table; `section` names
// it in messages). Unknown keys and bad values are errors naming file:line:column.
Result<BootSettings> parse_boot_settings(const TomlDoc& doc, const toml::table& t,
                                         std::string_view section);
Result<BootSettings> load_boot_settings(const std::string& path);
// The boot.toml text for `s` (gates written out; `source` names where they came from).
std::string render_boot_settings(const BootSettings& s, std::string_view source);

// The kernel's console= arguments for `c`. The last one becomes /dev/console, where
// keel-init logs; with both, that is the serial line.
std::vector<std::string> console_kernel_args(Console c);

}  // namespace keel::bootloader
