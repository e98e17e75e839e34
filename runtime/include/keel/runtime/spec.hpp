// The subset of the OCI runtime spec (runtime-spec v1.0-v1.2, "config.md" and
// "config-linux.md") that keel-runtime implements.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keel/common/container_def.hpp"
#include "keel/common/error.hpp"
#include "keel/runtime/oci_image.hpp"

namespace keel::runtime {

// config.md#linux-process "capabilities": names like "CAP_CHOWN".
struct SpecCapabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

// config.md#posix-process "rlimits": type is "RLIMIT_NOFILE" etc.
struct SpecRlimit {
  std::string type;
  uint64_t soft = 0, hard = 0;
};

struct SpecProcess {
  std::vector<std::string> args, env;
  std::string cwd = "/";
  bool terminal = false;
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  std::optional<uint32_t> umask;                 // absent: 0022
  std::optional<SpecCapabilities> capabilities;  // absent: the runtime's own are kept
  bool no_new_privileges = false;
  std::vector<SpecRlimit> rlimits;
  std::optional<int> oom_score_adj;
  std::string selinux_label;  // config.md#linux-process "selinuxLabel"; empty: none
};

// config-linux.md#seccomp. Actions, operators, architectures and flags are the
// spec's strings ("SCMP_ACT_ERRNO", "SCMP_CMP_EQ", ...), checked when parsed.
struct SpecSeccompArg {
  uint32_t index = 0;
  uint64_t value = 0, value_two = 0;
  std::string op;
};

struct SpecSyscall {
  std::vector<std::string> names;
  std::string action;
  std::optional<uint32_t> errno_ret;
  std::vector<SpecSeccompArg> args;
};

struct SpecSeccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures, flags;
  std::vector<SpecSyscall> syscalls;
};

struct SpecMount {
  std::string destination, type, source;
  std::vector<std::string> options;
};

struct SpecNamespace {
  std::string type;  // pid, network, mount, ipc, uts, user, cgroup, time
  std::string path;  // empty: a new namespace; else the namespace to join
};

// config-linux.md#user-namespace-mappings: container ids [container_id, +size) are
// host ids [host_id, +size).
struct SpecIdMapping {
  uint32_t container_id = 0, host_id = 0, size = 0;
};

struct SpecLinux {
  std::vector<SpecNamespace> namespaces;
  std::optional<int64_t> memory_limit;  // resources.memory.limit
  std::optional<int64_t> pids_limit;    // resources.pids.limit
  std::string cgroups_path;
  std::vector<std::string> masked_paths, readonly_paths;
  std::map<std::string, std::string> sysctl;  // only namespaced keys are accepted
  std::optional<SpecSeccomp> seccomp;
  std::vector<SpecIdMapping> uid_mappings, gid_mappings;
  std::string rootfs_propagation;  // config-linux.md#rootfs-mount-propagation; empty: rslave
  std::string mount_label;         // config-linux.md#mount-label (SELinux context)
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

// Keel's default confinement, used by make_spec_json and default_spec_json: Docker's
// default capability set and a seccomp allowlist modelled on Docker's default profile
// (default_seccomp.cpp).
std::vector<std::string> default_capabilities();
SpecSeccomp default_seccomp_profile();

}  // namespace keel::runtime
