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
// Never wait for the output (a serial console at 115200 baud, a pipe nobody reads):
// what does not fit now waits in memory, in order, up to kMaxPending bytes; beyond
// that lines are dropped and a note says how many. `hook` is called when lines start
// waiting: the caller then calls flush_pending() whenever the fd is writable, until it
// returns true. For PID 1, whose own log files keep every line.
inline constexpr size_t kMaxPending = 256 * 1024;
using PendingHook = void (*)(void* userdata);
void set_nonblocking(PendingHook hook, void* userdata);
bool flush_pending();  // true: nothing is waiting any more
// Back to blocking writes, after waiting at most `wait_ms` for what is waiting to be
// written (the rest is dropped); the hook is forgotten.
void set_blocking(int wait_ms);
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
