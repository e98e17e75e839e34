// Keel's support policy (hardware-compat/policy.toml): opinions about modules
// and devices, curated by hand. The facts say what the kernel can drive; the
// policy says how far Keel stands behind it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/common/toml.hpp"
#include "keel/hwcompat/modalias.hpp"

namespace keel::hwcompat {

// Best first: an image at tier T takes every module at T or better.
enum class Tier { certified, tested, community, unsupported };
std::optional<Tier> parse_tier(std::string_view s);
std::string_view tier_name(Tier t);

// storage and nic drivers are boot-critical: they go into the initramfs.
enum class Role { storage, nic, other };

struct ModulePolicy {
  std::string name;
  Tier tier = Tier::community;
  std::vector<std::string> flavours;  // empty: every flavour
  Role role = Role::other;
  std::vector<std::string> needs;  // loaded with it, though no alias names them (sd_mod)
  std::string firmware_package;    // Debian package shipping its firmware
  std::vector<std::string> firmware_required;  // files it cannot work without
  std::vector<std::string> tested_in;
  std::string notes;
  std::string where;  // policy.toml:LINE:COL
};

struct DevicePolicy {
  PciId id;
  std::string text;  // "8086:10d3"
  std::optional<Tier> tier;
  std::vector<std::string> tested_in;
  std::string notes;
  std::string where;
};

struct DeviceRef {
  PciId id;
  std::string text;
  std::string where;
};

// A named set of boot devices an image can declare it runs on.
struct Target {
  std::string name, description;
  std::vector<DeviceRef> disk, nic;
  std::string where;
};

struct Policy {
  std::string path;
  Tier default_tier = Tier::community;
  std::map<std::string, ModulePolicy> modules;
  std::vector<DevicePolicy> devices;
  std::map<std::string, Target> targets;

  const ModulePolicy* module(const std::string& name) const;
  // The module's tier in a flavour. A module the policy does not list, or lists
  // for other flavours only, gets default_tier.
  Tier module_tier(const std::string& name, const std::string& flavour) const;
  const DevicePolicy* device(uint16_t vendor, uint16_t device) const;
};

Result<Policy> parse_policy(const TomlDoc& doc);
Result<Policy> load_policy(const std::string& path);

}  // namespace keel::hwcompat
