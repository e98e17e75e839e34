// Which driver chain claims a device, from the facts' aliases alone.
#pragma once

#include <string>
#include <vector>

#include "keel/hwcompat/facts.hpp"
#include "keel/hwcompat/modalias.hpp"

namespace keel::hwcompat {

using Chain = std::vector<std::string>;  // transport first: {"virtio_pci", "virtio_blk"}

// Every module whose alias matches `modalias`, de-duplicated, in alias order.
std::vector<std::string> match_modalias(const Facts& facts, const std::string& modalias);

// Every chain that claims a PCI device. For virtio devices (1af4:1000-107f) each
// matching transport is followed by the drivers of the virtio device behind it;
// a transport with no such driver is returned alone (incomplete: see
// is_complete).
std::vector<Chain> resolve_pci(const Facts& facts, const PciId& id);

// False for a virtio transport chain without its second hop.
bool is_complete(const Chain& chain, const PciId& id);

std::string chain_text(const Chain& chain);  // "virtio_pci>virtio_blk"

}  // namespace keel::hwcompat
