#include "keel/common/log.hpp"

#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

namespace keel::log {

namespace {
int g_fd = 2;
bool g_nonblocking = false;
std::string g_pending;   // set_nonblocking: written when the fd is writable again
uint64_t g_dropped = 0;  // lines that did not fit in g_pending
PendingHook g_hook = nullptr;
void* g_hook_data = nullptr;
bool g_timestamps = false;
bool g_json = false;
Level g_min = Level::info;
Sink g_sink = nullptr;
void* g_sink_data = nullptr;
// Blocking output: one write() per line, so concurrent writers to the console do not
// interleave mid-line; a short write is not worth retrying at this level.
void emit(std::string line) {
  if (!g_nonblocking) {
    [[maybe_unused]] auto n = ::write(g_fd, line.data(), line.size());
    return;
  }
  if (g_pending.empty()) {
    ssize_t n = ::write(g_fd, line.data(), line.size());
    if (n == static_cast<ssize_t>(line.size())) return;
    if (n < 0 && errno != EAGAIN) return;  // no output to wait for
    if (n > 0) line.erase(0, static_cast<size_t>(n));
  }
  if (g_pending.size() + line.size() > kMaxPending) {
    ++g_dropped;
    return;
  }
  bool was_empty = g_pending.empty();
  g_pending += line;
  if (was_empty && g_hook) g_hook(g_hook_data);
}

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
void set_nonblocking(PendingHook hook, void* userdata) {
  int fl = ::fcntl(g_fd, F_GETFL);
  if (fl >= 0) ::fcntl(g_fd, F_SETFL, fl | O_NONBLOCK);
  g_nonblocking = true;
  g_hook = hook;
  g_hook_data = userdata;
}

void set_blocking(int wait_ms) {
  for (int waited = 0; !flush_pending() && waited < wait_ms; waited += 10) {
    pollfd p{g_fd, POLLOUT, 0};
    ::poll(&p, 1, 10);
  }
  g_pending.clear();
  g_dropped = 0;
  int fl = ::fcntl(g_fd, F_GETFL);
  if (fl >= 0) ::fcntl(g_fd, F_SETFL, fl & ~O_NONBLOCK);
  g_nonblocking = false;
  g_hook = nullptr;
  g_hook_data = nullptr;
}

bool flush_pending() {
  while (!g_pending.empty()) {
    ssize_t n = ::write(g_fd, g_pending.data(), g_pending.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return false;
    if (n <= 0) {  // the output is gone (EIO, EPIPE): nothing will drain it
      g_pending.clear();
      break;
    }
    g_pending.erase(0, static_cast<size_t>(n));
    if (g_pending.empty() && g_dropped > 0) {
      g_pending = fmt::format("warn log: {} lines dropped: the output was too slow\n", g_dropped);
      g_dropped = 0;
    }
  }
  return true;
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
  emit(std::move(line));
  if (g_sink) g_sink(g_sink_data, level, component, message);
}

}  // namespace keel::log
