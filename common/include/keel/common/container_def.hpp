// A Keel container definition: one TOML file per container, shipped read-only in
// the image under /usr/lib/keel/containers/ and optionally overridden in
// /etc/keel/containers/. The init reads it to supervise; the runtime reads it to
// build the OCI bundle. See docs/CONTAINERS.md for the format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel {

enum class RestartPolicy { never, on_failure, always };

struct ContainerResources {
  std::optional<uint64_t> memory_max;  // bytes -> memory.max
  std::optional<uint64_t> pids_max;    // -> pids.max
  std::optional<uint64_t> cpu_weight;  // 1..10000 -> cpu.weight (cgroup v2 only)
  // cpu_max = "50000 100000" or "max" (cgroup-v2.rst cpu.max: "$MAX [$PERIOD]"):
  // quota, or -1 for max; period in microseconds, default 100000.
  std::optional<int64_t> cpu_quota;
  std::optional<uint64_t> cpu_period;
  std::optional<uint64_t> io_weight;  // 1..10000 -> io.weight "default N" (cgroup v2 only)
};

struct ContainerDef {
  std::string name;                  // file stem; must be a valid hostname label
  std::string source_path;           // where it was read from, for messages
  std::string image;                 // OCI image layout name under the images directory
  std::vector<std::string> command;  // overrides the image's entrypoint + cmd
  std::vector<std::string> env;      // KEY=VALUE, added to the image's env
  std::string hostname;              // default: name
  RestartPolicy restart = RestartPolicy::on_failure;
  ContainerResources resources;
};

Result<ContainerDef> parse_container_def(const std::string& path);
Result<ContainerDef> parse_container_def_text(std::string_view text, const std::string& path);

std::string_view to_string(RestartPolicy p);
// Names become cgroup and directory names: keep them to [a-z0-9-], 1..63 chars.
bool is_valid_container_name(std::string_view name);

}  // namespace keel
