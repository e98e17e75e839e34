// log::set_nonblocking: lines wait in order while the output is full, are written as it
// drains, and beyond kMaxPending are dropped with a note.
#include "keel/common/log.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace keel::log {
namespace {

int g_hooks = 0;
void count_hook(void*) {
  ++g_hooks;
}

std::string drain(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

TEST(Log, NonblockingOutputQueuesInOrderThenDrops) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  set_fd(p[1]);
  set_nonblocking(&count_hook, nullptr);
  const std::string payload(1000, 'x');
  // 64 KiB fit in the pipe, 256 KiB wait, the rest (of 600 KiB) is dropped.
  for (int i = 0; i < 600; ++i) info("t", "{} {}", i, payload);
  EXPECT_EQ(g_hooks, 1);  // once, when lines started to wait
  std::string out;
  while (!flush_pending()) out += drain(p[0]);
  out += drain(p[0]);
  set_blocking(0);
  EXPECT_EQ(::fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
  set_fd(2);
  ::close(p[0]);
  ::close(p[1]);
  // In order and whole up to where the queue was full, then the note.
  size_t at = 0;
  int last = -1;
  for (int i = 0; i < 600; ++i) {
    auto pos = out.find("info t: " + std::to_string(i) + " x", at);
    if (pos == std::string::npos) break;
    at = pos;
    last = i;
  }
  EXPECT_GT(last, 300);  // 64 KiB + 256 KiB of ~1 KiB lines
  EXPECT_LT(last, 599);
  auto note = out.find("lines dropped: the output was too slow");
  ASSERT_NE(note, std::string::npos) << out.substr(out.size() - 200);
  EXPECT_GT(note, at);
  EXPECT_EQ(out.find("info t: " + std::to_string(last + 1) + " x"), std::string::npos);
}

}  // namespace
}  // namespace keel::log
