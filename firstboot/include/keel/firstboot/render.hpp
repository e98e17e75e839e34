// What a checked user-data becomes under /etc: the list of files to write, each with
// its full content. Pure: the transaction (transaction.hpp) writes them.
//
//   /etc/hostname                          hostname
//   /etc/keel/containers/network.toml      [network], when it differs from the image's DHCP
//   /etc/keel/containers/<name>.toml       [containers.add.<name>], or `enabled = false`
//                                          for each name in [containers] disable
//   /etc/keel/update.toml                  [update]
//   /etc/keel/keys/user-data.pub           [keys] trusted
//   /etc/keel/admin/authorized_keys        [admin] authorized_keys
//   /etc/keel/firstboot.done               always last: first boot is complete
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "keel/firstboot/paths.hpp"
#include "keel/firstboot/user_data.hpp"

namespace keel::firstboot {

struct FileChange {
  std::string path;  // relative to the root, no leading '/': "etc/hostname"
  std::string content;
  mode_t mode = 0644;
};

// `source` says where the user-data came from, for the files' comments and the marker.
std::vector<FileChange> render_changes(const UserData& ud, const HostFacts& facts,
                                       const std::string& source);

// The network container's definition for `net` (exposed for tests), or nothing when
// the image's own (DHCP on eth0) already does it.
std::optional<std::string> render_network(const NetworkConfig& net, const HostFacts& facts);

}  // namespace keel::firstboot
