// The subset of the OCI runtime spec (runtime-spec v1.0-v1.2, "config.md" and
// "config-linux.md") that keel-runtime implements.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keel/common/container_def.hpp"
#include "keel/common/error.hpp"
#include "keel/runtime/oci_image.hpp"

namespace keel::runtime {

struct SpecProcess {
  std::vector<std::string> args, env;
  std::string cwd = "/";
  bool terminal = false;
  uint32_t uid = 0, gid = 0;
};

struct SpecMount {
  std::string destination, type, source;
  std::vector<std::string> options;
};

struct SpecNamespace {
  std::string type;  // pid, network, mount, ipc, uts (user and cgroup are refused)
  std::string path;  // joining an existing namespace is not supported yet
};

struct SpecLinux {
  std::vector<SpecNamespace> namespaces;
  std::optional<int64_t> memory_limit;  // resources.memory.limit
  std::optional<int64_t> pids_limit;    // resources.pids.limit
  std::string cgroups_path;
  std::vector<std::string> masked_paths, readonly_paths;
};

struct Spec {
  std::string oci_version;
  SpecProcess process;
  std::string root_path = "rootfs";
  bool root_readonly = false;
  std::string hostname;
  std::vector<SpecMount> mounts;
  SpecLinux linux_;
};

// `where` names the file in messages ("bundle/config.json: ...").
Result<Spec> parse_spec(std::string_view json_text, const std::string& where);
Result<Spec> load_spec(const std::string& config_path);

// config.json for a Keel container: the image's config merged with the definition.
Result<std::string> make_spec_json(const ImageConfig& image, const keel::ContainerDef& def);

// A default config.json (like `runc spec`): runs "sh" in ./rootfs.
std::string default_spec_json();

}  // namespace keel::runtime
