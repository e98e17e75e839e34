#include "keel/common/log.hpp"

#include <time.h>
#include <unistd.h>

#include <string>

namespace keel::log {

namespace {
int g_fd = 2;
bool g_timestamps = false;
Level g_min = Level::info;
Sink g_sink = nullptr;
void* g_sink_data = nullptr;
}  // namespace

std::string_view level_name(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "?";
}

void set_sink(Sink sink, void* userdata) {
  g_sink = sink;
  g_sink_data = userdata;
}

void set_fd(int fd) {
  g_fd = fd;
}
void set_boot_timestamps(bool on) {
  g_timestamps = on;
}
void set_min_level(Level level) {
  g_min = level;
}

void write(Level level, std::string_view component, std::string_view message) {
  if (level < g_min) return;
  std::string line;
  if (g_timestamps) {
    timespec ts{};
    clock_gettime(CLOCK_BOOTTIME, &ts);
    line = fmt::format("[{:5}.{:06}] ", ts.tv_sec, ts.tv_nsec / 1000);
  }
  line += fmt::format("{} {}: {}\n", level_name(level), component, message);
  // One write() per line so concurrent writers to the console do not interleave
  // mid-line; a short write to a console is not worth retrying at this level.
  [[maybe_unused]] auto n = ::write(g_fd, line.data(), line.size());
  if (g_sink) g_sink(g_sink_data, level, component, message);
}

}  // namespace keel::log
