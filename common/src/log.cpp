#include "keel/common/log.hpp"

#include <time.h>
#include <unistd.h>

#include <string>

namespace keel::log {

namespace {
int g_fd = 2;
bool g_timestamps = false;
bool g_json = false;
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

namespace {

std::string json_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      out += {'\\', static_cast<char>(c)};
    else if (c < 0x20)
      out += fmt::format("\\u{:04x}", c);
    else
      out += static_cast<char>(c);
  }
  return out;
}

std::string utc_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", t.tm_year + 1900, t.tm_mon + 1,
                     t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec);
}

}  // namespace

void set_json(bool on) {
  g_json = on;
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
  if (g_json) {
    // logrus's level names, which runc's json logs use ("warning", not "warn").
    std::string_view name = level == Level::warn ? "warning" : level_name(level);
    line = fmt::format(R"({{"level":"{}","msg":"{}","time":"{}"}})", name, json_escape(message),
                       utc_now());
    line += '\n';
  } else if (g_timestamps) {
    timespec ts{};
    clock_gettime(CLOCK_BOOTTIME, &ts);
    line = fmt::format("[{:5}.{:06}] ", ts.tv_sec, ts.tv_nsec / 1000);
  }
  if (!g_json) line += fmt::format("{} {}: {}\n", level_name(level), component, message);
  // One write() per line so concurrent writers to the console do not interleave
  // mid-line; a short write to a console is not worth retrying at this level.
  [[maybe_unused]] auto n = ::write(g_fd, line.data(), line.size());
  if (g_sink) g_sink(g_sink_data, level, component, message);
}

}  // namespace keel::log
