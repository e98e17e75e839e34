// A container's log: the last lines in memory (for `keelctl logs`) and, when a log
// directory is set, a size-capped file rotated like logrotate's "size" mode:
// NAME.log -> NAME.log.1 -> ... -> NAME.log.<keep>, the oldest dropped.
// Writes go to regular files with O_APPEND, so no slow reader can block PID 1; a
// failing write (full disk) is counted and reported once, never retried in a loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "keel/common/unique_fd.hpp"

namespace keel::init {

struct LogLimits {
  size_t memory_bytes = 256 * 1024;   // kept in memory per container
  uint64_t file_bytes = 1024 * 1024;  // rotate past this
  unsigned keep = 2;                  // rotated files kept
};

class LogStore {
 public:
  // dir empty: memory only (the harness mode without --log-dir).
  LogStore(std::string dir, std::string name, LogLimits limits = {});

  // Stores one line (without its newline), stamped with `stamp` (seconds since boot).
  void append(std::string_view line, double stamp);
  // The last n lines (all kept ones if n is 0), oldest first, as "[stamp] line".
  std::vector<std::string> tail(size_t n) const;
  const std::string& path() const { return m_path; }
  uint64_t dropped_writes() const { return m_dropped; }

  // Followers (keelctl logs -f) get every new formatted line; remove by the id.
  using Follower = std::function<void(const std::string&)>;
  uint64_t follow(Follower f);
  void unfollow(uint64_t id);

 private:
  void write_file(const std::string& text);
  void rotate();
  void open_file();

  std::string m_dir, m_name, m_path;
  LogLimits m_limits;
  std::deque<std::string> m_lines;
  size_t m_bytes = 0;
  UniqueFd m_fd;
  uint64_t m_file_size = 0, m_dropped = 0;
  bool m_reported = false;
  uint64_t m_next_follower = 1;
  std::vector<std::pair<uint64_t, Follower>> m_followers;
};

}  // namespace keel::init
