#include "keel/init/line_splitter.hpp"

namespace keel::init {

std::vector<std::string> LineSplitter::feed(std::string_view data) {
  std::vector<std::string> lines;
  auto emit = [&](std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  };
  while (!data.empty()) {
    auto nl = data.find('\n');
    std::string_view chunk = data.substr(0, nl);
    // Cut over-long lines at the cap; the remainder starts a new line.
    size_t room = m_max - m_pending.size();
    if (chunk.size() > room) {
      m_pending.append(chunk.substr(0, room));
      emit(std::move(m_pending));
      m_pending.clear();
      data.remove_prefix(room);
      continue;
    }
    m_pending.append(chunk);
    if (nl == std::string_view::npos) break;
    emit(std::move(m_pending));
    m_pending.clear();
    data.remove_prefix(nl + 1);
  }
  return lines;
}

std::optional<std::string> LineSplitter::flush() {
  if (m_pending.empty()) return std::nullopt;
  std::string out = std::move(m_pending);
  m_pending.clear();
  return out;
}

}  // namespace keel::init
