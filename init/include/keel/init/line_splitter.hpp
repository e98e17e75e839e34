// Splits a child's output stream into log lines. Partial lines wait for the rest;
// a line longer than the cap is cut so one noisy container cannot grow PID 1's memory.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::init {

class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line = 4096) : m_max(max_line) {}
  // Complete lines in `data` (without '\n' or a trailing '\r').
  std::vector<std::string> feed(std::string_view data);
  // The pending partial line, if any (at EOF).
  std::optional<std::string> flush();

 private:
  size_t m_max;
  std::string m_pending;
};

}  // namespace keel::init
