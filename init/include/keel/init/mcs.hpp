// MCS category pairs for application containers, as libvirt's svirt hands them out:
// each container gets s0:cX,cY (X < Y, both in c1..c1023, c0 is never used), and no
// two live containers share a pair, so the policy's MCS constraint (selinux-policy/
// mcs.cil) keeps one container out of another's files even with the same type.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace keel::init {

class McsAllocator {
 public:
  // `random` returns a uniformly random 32-bit number (getrandom(2) by default).
  explicit McsAllocator(std::function<uint32_t()> random = {});

  // The pair of `name`: the one it already has (restarts keep their pair, so its
  // volumes stay its own) or a new random one no other container has.
  std::string level_for(const std::string& name);

 private:
  std::function<uint32_t()> m_random;
  std::map<std::string, std::pair<int, int>> m_by_name;
};

}  // namespace keel::init
