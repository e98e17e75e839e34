// Parsing a kernel .config (scripts/kconfig/confdata.c writes it): "CONFIG_X=y",
// "CONFIG_X=m", "CONFIG_X=\"text\"", "# CONFIG_X is not set", and a header comment
// "# Linux/x86 6.1.0 Kernel Configuration" naming the kernel version.
#include <fmt/format.h>

#include <charconv>

#include "keel/common/sys.hpp"
#include "keel/common/text.hpp"
#include "keel/kernel/config_check.hpp"

namespace keel::kernel {

namespace {

// Reads a decimal number at the front of `s` and drops it; nullopt if none.
std::optional<int> take_number(std::string_view& s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p == s.data()) return std::nullopt;
  s.remove_prefix(static_cast<size_t>(p - s.data()));
  return v;
}

// "# Linux/x86 6.1.192 Kernel Configuration" → 6.1.192
std::optional<KernelVersion> header_version(std::string_view line) {
  constexpr std::string_view prefix = "# Linux/";
  constexpr std::string_view suffix = " Kernel Configuration";
  if (!line.starts_with(prefix) || !line.ends_with(suffix)) return std::nullopt;
  line.remove_suffix(suffix.size());
  size_t space = line.rfind(' ');
  if (space == std::string_view::npos) return std::nullopt;
  return parse_kernel_version(line.substr(space + 1));
}

}  // namespace

std::string KernelVersion::str() const {
  return fmt::format("{}.{}.{}", major, minor, patch);
}

std::optional<KernelVersion> parse_kernel_version(std::string_view text) {
  KernelVersion v;
  auto major = take_number(text);
  if (!major || !text.starts_with('.')) return std::nullopt;
  text.remove_prefix(1);
  auto minor = take_number(text);
  if (!minor) return std::nullopt;
  v.major = *major;
  v.minor = *minor;
  if (text.starts_with('.')) {
    text.remove_prefix(1);
    if (auto patch = take_number(text)) v.patch = *patch;
  }
  return v;
}

KernelConfig parse_kernel_config(std::string_view text) {
  KernelConfig cfg;
  for (std::string_view line : split_lines(text)) {
    if (line.starts_with('#')) {
      if (!cfg.version) cfg.version = header_version(line);
      continue;
    }
    size_t eq = line.find('=');
    if (!line.starts_with("CONFIG_") || eq == std::string_view::npos) continue;
    cfg.options.insert_or_assign(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return cfg;
}

Result<KernelConfig> load_kernel_config(const std::string& path) {
  auto text = TRY_CTX(sys::read_file(path), fmt::format("cannot read kernel config {}", path));
  return parse_kernel_config(text);
}

}  // namespace keel::kernel
