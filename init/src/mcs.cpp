#include "keel/init/mcs.hpp"

#include <sys/random.h>

#include <fmt/format.h>

#include <algorithm>

namespace keel::init {

namespace {

constexpr int kFirst = 1, kLast = 1023;  // categories a container may get

uint32_t getrandom_u32() {
  uint32_t v = 0;
  // GRND_INSECURE (Linux >= 5.6): never blocks PID 1 early in boot, before the pool is
  // initialised. The pair needs no secrecy, only distinctness, which level_for ensures.
  if (::getrandom(&v, sizeof v, GRND_INSECURE) != sizeof v) v = 0;
  return v;
}

}  // namespace

McsAllocator::McsAllocator(std::function<uint32_t()> random)
    : m_random(random ? std::move(random) : getrandom_u32) {}

std::string McsAllocator::level_for(const std::string& name) {
  auto it = m_by_name.find(name);
  if (it == m_by_name.end()) {
    auto taken = [&](std::pair<int, int> p) {
      return std::ranges::any_of(m_by_name, [&](const auto& e) { return e.second == p; });
    };
    std::pair<int, int> p;
    // 523,776 pairs: a few draws find a free one; the scan afterwards makes it certain.
    for (int tries = 0; tries < 64; ++tries) {
      int a = kFirst + static_cast<int>(m_random() % (kLast - kFirst + 1));
      int b = kFirst + static_cast<int>(m_random() % (kLast - kFirst + 1));
      p = {std::min(a, b), std::max(a, b)};
      if (a != b && !taken(p)) break;
      p = {0, 0};
    }
    for (int a = kFirst; p.first == 0 && a < kLast; ++a)
      for (int b = a + 1; b <= kLast; ++b)
        if (!taken({a, b})) {
          p = {a, b};
          break;
        }
    it = m_by_name.emplace(name, p).first;
  }
  return fmt::format("s0:c{},c{}", it->second.first, it->second.second);
}

}  // namespace keel::init
