#include "trace.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace keel::runtime {
namespace {

// Read once, in the parent: the cloned child inherits the answer.
bool enabled() noexcept {
  static const bool on = [] {
    const char* v = std::getenv("KEEL_RUNTIME_TRACE");
    return v && *v && *v != '0';
  }();
  return on;
}

}  // namespace

void trace(const char* step) noexcept {
  if (!enabled()) return;
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  char line[160];
  int n = std::snprintf(line, sizeof line, "keel-runtime trace %lld.%06ld %s\n",
                        static_cast<long long>(ts.tv_sec), ts.tv_nsec / 1000, step);
  if (n > 0) (void)!::write(2, line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
}

}  // namespace keel::runtime
