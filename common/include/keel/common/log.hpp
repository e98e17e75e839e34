// Line-oriented logging: "<level> <component>: <message>", optionally prefixed
// with seconds since boot (CLOCK_BOOTTIME) so serial logs can be timed against
// the kernel's own timestamps. Libraries log only at debug; binaries log errors once.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace keel::log {

enum class Level { debug, info, warn, error };

void set_fd(int fd);                // default: 2 (stderr)
void set_boot_timestamps(bool on);  // "[    1.234567] " prefix
void set_min_level(Level level);
// One JSON object per line, {"level":...,"msg":...,"time":RFC 3339} (runc's
// --log-format json, which containerd parses); the component is not included.
void set_json(bool on);
void write(Level level, std::string_view component, std::string_view message);

// Also hands every line that passes the level to `sink` (keel-init keeps its own
// events in a rotated file this way). One sink; nullptr removes it.
using Sink = void (*)(void* userdata, Level level, std::string_view component,
                      std::string_view message);
void set_sink(Sink sink, void* userdata);
std::string_view level_name(Level level);

template <class... A>
void debug(std::string_view c, fmt::format_string<A...> f, A&&... a) {
  write(Level::debug, c, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void info(std::string_view c, fmt::format_string<A...> f, A&&... a) {
  write(Level::info, c, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void warn(std::string_view c, fmt::format_string<A...> f, A&&... a) {
  write(Level::warn, c, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void error(std::string_view c, fmt::format_string<A...> f, A&&... a) {
  write(Level::error, c, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace keel::log
