#include "keel/hwcompat/resolve.hpp"

#include <algorithm>

namespace keel::hwcompat {

std::vector<std::string> match_modalias(const Facts& facts, const std::string& modalias) {
  std::vector<std::string> out;
  std::string_view prefix = std::string_view(modalias).substr(0, modalias.find(':') + 1);
  for (const auto& a : facts.aliases) {
    if (!a.pattern.starts_with(prefix)) continue;
    if (std::find(out.begin(), out.end(), a.module) != out.end()) continue;
    if (alias_matches(a.pattern, modalias)) out.push_back(a.module);
  }
  return out;
}

std::vector<Chain> resolve_pci(const Facts& facts, const PciId& id) {
  std::vector<Chain> out;
  auto virtio = virtio_device_id(id);
  std::vector<std::string> second;
  if (virtio) second = match_modalias(facts, virtio_modalias(*virtio));
  for (const auto& m : match_modalias(facts, pci_modalias(id))) {
    if (!virtio || second.empty()) {
      out.push_back({m});
      continue;
    }
    for (const auto& s : second) out.push_back({m, s});
  }
  return out;
}

bool is_complete(const Chain& chain, const PciId& id) {
  return !chain.empty() && (!virtio_device_id(id) || chain.size() >= 2);
}

std::string chain_text(const Chain& chain) {
  std::string out;
  for (const auto& m : chain) out += (out.empty() ? "" : ">") + m;
  return out;
}

}  // namespace keel::hwcompat
