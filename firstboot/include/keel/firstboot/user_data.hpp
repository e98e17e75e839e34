// Keel's first-boot user-data: one TOML document per host (docs/FIRSTBOOT.md) with its
// hostname, network, containers to add or disable, update policy, extra trusted keys
// and the admin container's authorized keys. The whole document is checked before
// anything is written: a user-data with one error is applied not at all.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/update/config.hpp"

namespace keel::firstboot {

// What the image offers, which the user-data may refer to.
struct HostFacts {
  std::set<std::string> containers;  // the image's containers (/usr/lib/keel/containers)
  std::set<std::string> images;      // its container images (/usr/lib/keel/images)
};

// Reads the facts from an installed tree (the host's / or a test's directory).
HostFacts load_host_facts(const std::string& root);

struct NetworkConfig {
  enum class Mode { dhcp, fixed } mode = Mode::dhcp;
  std::string interface = "eth0";
  std::string address;  // fixed: "10.0.2.50/24"
  std::string gateway;  // fixed, optional: "10.0.2.2"
  std::vector<std::string> dns;
};

// The user-data's [update]: the keys of /etc/keel/update.toml, checked by the update
// client's own parser (update/, docs/UPDATES.md) and written back as that file.
struct UpdateSettings {
  update::UpdateConfig config;  // as keelctl update will read it
  std::string text;             // TOML text of /etc/keel/update.toml
};

// A container of [containers.add.<name>], checked as a container definition and
// written back as one (toml++'s own formatter).
struct AddedContainer {
  std::string name;
  std::string definition;  // TOML text of /etc/keel/containers/<name>.toml
};

struct UserData {
  std::optional<std::string> hostname;
  std::optional<NetworkConfig> network;
  std::vector<AddedContainer> add;
  std::vector<std::string> disable;
  std::optional<UpdateSettings> update;
  std::vector<std::string> trusted_keys;                    // base64 ed25519 public keys
  std::optional<std::vector<std::string>> authorized_keys;  // authorized_keys lines
};

// At most this much user-data is read from any source (EC2 allows 16 KiB).
inline constexpr size_t kMaxUserData = 64 * 1024;

// Parses and checks the whole document. `path` is what messages name (with line and
// column); the first problem found is returned, with what to change.
Result<UserData> parse_user_data(std::string_view text, const std::string& path,
                                 const HostFacts& facts);

}  // namespace keel::firstboot
