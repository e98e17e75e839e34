#include "keel/bootloader/settings.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "keel/bootloader/boot_counter.hpp"

namespace keel::bootloader {

std::string_view to_string(Console c) {
  switch (c) {
    case Console::serial:
      return "serial";
    case Console::graphical:
      return "graphical";
    case Console::both:
      return "both";
  }
  return "?";
}

namespace {

Result<std::optional<int>> whole_seconds(const TomlDoc& doc, const toml::table& t,
                                         std::string_view key, int max) {
  auto d = TRY(doc.get_duration(t, key));
  if (!d) return std::optional<int>();
  if (d->count() % 1000 != 0 || d->count() < 0 || d->count() / 1000 > max)
    return fail(doc.error_at(t.get(key), fmt::format("{} must be whole seconds from 0 to {} "
                                                     "(like 5 or \"5s\")",
                                                     key, max)));
  return std::optional<int>(static_cast<int>(d->count() / 1000));
}

}  // namespace

Result<BootSettings> parse_boot_settings(const TomlDoc& doc, const toml::table& t,
                                         std::string_view section) {
  TRY(doc.reject_unknown_keys(t, section,
                              {"console", "menu_timeout", "tries", "deadline", "gates"}));
  BootSettings s;
  if (auto c = TRY(doc.get_string(t, "console"))) {
    if (*c == "serial")
      s.console = Console::serial;
    else if (*c == "graphical")
      s.console = Console::graphical;
    else if (*c == "both")
      s.console = Console::both;
    else
      return fail(doc.error_at(t.get("console"), fmt::format("console = \"{}\": use \"serial\", "
                                                             "\"graphical\" or \"both\"",
                                                             *c)));
  }
  if (auto v = TRY(whole_seconds(doc, t, "menu_timeout", 300))) s.menu_timeout_s = *v;
  if (auto v = TRY(doc.get_int(t, "tries"))) {
    if (*v < 1 || *v > kMaxTries)
      return fail(doc.error_at(t.get("tries"), fmt::format("tries = {}: a new deployment gets "
                                                           "1 to {} boot attempts",
                                                           *v, kMaxTries)));
    s.tries = static_cast<int>(*v);
  }
  if (auto v = TRY(whole_seconds(doc, t, "deadline", 24 * 3600))) {
    if (*v == 0) return fail(doc.error_at(t.get("deadline"), "deadline must be longer than 0 s"));
    s.deadline = std::chrono::seconds(*v);
  }
  if (t.get("gates")) s.gates = TRY(doc.get_string_array(t, "gates"));
  return s;
}

Result<BootSettings> load_boot_settings(const std::string& path) {
  auto doc = TRY(TomlDoc::load_file(path));
  return parse_boot_settings(doc, doc.root(), "the boot settings");
}

std::string render_boot_settings(const BootSettings& s, std::string_view source) {
  std::vector<std::string> quoted;
  for (const auto& g : s.gates.value_or(std::vector<std::string>{}))
    quoted.push_back(fmt::format("\"{}\"", g));
  return fmt::format(
      "# Written by keel-compose from {} (docs/BOOT.md).\n"
      "console = \"{}\"\nmenu_timeout = {}\ntries = {}\ndeadline = {}\ngates = [{}]\n",
      source, to_string(s.console), s.menu_timeout_s, s.tries, s.deadline.count(),
      fmt::join(quoted, ", "));
}

std::vector<std::string> console_kernel_args(Console c) {
  // ttyS0 at GRUB's speed; the last console= is /dev/console (kernel-parameters.txt).
  switch (c) {
    case Console::serial:
      return {"console=ttyS0,115200"};
    case Console::graphical:
      return {"console=tty0"};
    case Console::both:
      return {"console=tty0", "console=ttyS0,115200"};
  }
  return {};
}

}  // namespace keel::bootloader
