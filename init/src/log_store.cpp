#include "keel/init/log_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"

namespace keel::init {

LogStore::LogStore(std::string dir, std::string name, LogLimits limits)
    : m_dir(std::move(dir)), m_name(std::move(name)), m_limits(limits) {
  if (!m_dir.empty()) m_path = m_dir + "/" + m_name + ".log";
}

void LogStore::append(std::string_view line, double stamp) {
  std::string text = fmt::format("[{:12.6f}] {}", stamp, line);
  for (const auto& [id, f] : m_followers) f(text);
  write_file(text + "\n");
  m_bytes += text.size();
  m_lines.push_back(std::move(text));
  // Keep at least the newest line even if it alone is over the cap.
  while (m_bytes > m_limits.memory_bytes && m_lines.size() > 1) {
    m_bytes -= m_lines.front().size();
    m_lines.pop_front();
  }
}

std::vector<std::string> LogStore::tail(size_t n) const {
  size_t skip = n == 0 || n >= m_lines.size() ? 0 : m_lines.size() - n;
  return {m_lines.begin() + static_cast<std::ptrdiff_t>(skip), m_lines.end()};
}

uint64_t LogStore::follow(Follower f) {
  m_followers.emplace_back(m_next_follower, std::move(f));
  return m_next_follower++;
}

void LogStore::unfollow(uint64_t id) {
  std::erase_if(m_followers, [id](const auto& p) { return p.first == id; });
}

void LogStore::open_file() {
  auto fd = sys::open(m_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (!fd) return;
  struct stat st {};
  m_file_size = ::fstat(fd->get(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  m_fd = std::move(*fd);
}

// NAME.log.<keep-1> -> NAME.log.<keep>, ..., NAME.log -> NAME.log.1; a fresh NAME.log.
void LogStore::rotate() {
  m_fd.reset();
  for (unsigned i = m_limits.keep; i > 0; --i) {
    std::string from = i == 1 ? m_path : fmt::format("{}.{}", m_path, i - 1);
    std::string to = fmt::format("{}.{}", m_path, i);
    ::rename(from.c_str(), to.c_str());  // ENOENT: not that many files yet
  }
  if (m_limits.keep == 0) ::unlink(m_path.c_str());
  m_file_size = 0;
}

void LogStore::write_file(const std::string& text) {
  if (m_path.empty()) return;
  if (!m_fd) open_file();
  if (m_fd && m_file_size + text.size() > m_limits.file_bytes && m_file_size > 0) {
    rotate();
    open_file();
  }
  ssize_t n = m_fd ? ::write(m_fd.get(), text.data(), text.size()) : -1;
  if (n == static_cast<ssize_t>(text.size())) {
    m_file_size += text.size();
    return;
  }
  int err = m_fd ? errno : ENOENT;
  ++m_dropped;
  if (m_reported) return;
  m_reported = true;  // once: a full /var must not flood the console
  log::error("keel-init",
             "container {}: cannot write its log {}: {} (lines stay in memory; "
             "free space under {} and restart it)",
             m_name, m_path, Error::from_errno("write", err).message(), m_dir);
}

}  // namespace keel::init
