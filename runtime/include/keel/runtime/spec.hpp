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
  bool operator==(const SpecSeccompArg&) const = default;
};

struct SpecSyscall {
  std::vector<std::string> names;
  std::string action;
  std::optional<uint32_t> errno_ret;
  std::vector<SpecSeccompArg> args;
  bool operator==(const SpecSyscall&) const = default;
};

struct SpecSeccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures, flags;
  std::vector<SpecSyscall> syscalls;
  // Equal to default_seccomp_profile() means the build-time program serves it
  // (runtime/src/seccomp_program.hpp).
  bool operator==(const SpecSeccomp&) const = default;
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

// config-linux.md#control-groups "resources". Limits of -1 mean unlimited.
struct SpecMemory {
  std::optional<int64_t> limit, reservation, swap;  // swap: memory+swap, as in cgroup v1
  std::optional<uint64_t> swappiness;               // v1 only
  bool disable_oom_killer = false;                  // v1 only
};

struct SpecCpu {
  std::optional<uint64_t> shares, period, realtime_period;
  std::optional<int64_t> quota, realtime_runtime, idle;
  std::string cpus, mems;  // cpuset lists, "0-3,7"; empty: inherited
};

// blockIO device entries; major/minor name a block device.
struct SpecWeightDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leaf_weight;
};
struct SpecThrottleDevice {
  int64_t major = 0, minor = 0;
  uint64_t rate = 0;
};

struct SpecBlockIo {
  std::optional<uint16_t> weight, leaf_weight;  // 10..1000
  std::vector<SpecWeightDevice> weight_device;
  std::vector<SpecThrottleDevice> read_bps, write_bps, read_iops, write_iops;
};

struct SpecHugepageLimit {
  std::string page_size;  // "2MB", "1GB", "64KB"
  uint64_t limit = 0;
};

// config-linux.md#allowed-device-list: major/minor -1 match any.
struct SpecDeviceRule {
  bool allow = false;
  char type = 'a';  // a, b, c
  int64_t major = -1, minor = -1;
  std::string access = "rwm";
};

struct SpecResources {
  SpecMemory memory;
  SpecCpu cpu;
  std::optional<int64_t> pids_limit;
  SpecBlockIo block_io;
  std::vector<SpecHugepageLimit> hugepage_limits;
  std::map<std::string, std::string> unified;  // cgroup v2 file -> value
  std::vector<SpecDeviceRule> devices;
  // Fields accepted but without effect (memory.kernel, memory.kernelTCP): the cgroup
  // code warns about each once.
  std::vector<std::string> ignored;
};

struct SpecLinux {
  std::vector<SpecNamespace> namespaces;
  SpecResources resources;
  std::string cgroups_path;
  std::vector<std::string> masked_paths, readonly_paths;
  std::map<std::string, std::string> sysctl;  // only namespaced keys are accepted
  std::optional<SpecSeccomp> seccomp;
  std::vector<SpecIdMapping> uid_mappings, gid_mappings;
  std::string rootfs_propagation;  // config-linux.md#rootfs-mount-propagation; empty: rslave
  std::string mount_label;         // config-linux.md#mount-label (SELinux context)
};

// config.md#posix-platform-hooks: one hook; path is absolute, timeout in seconds.
struct SpecHook {
  std::string path;
  std::vector<std::string> args, env;
  std::optional<int> timeout;
};

struct SpecHooks {
  std::vector<SpecHook> prestart;  // deprecated: run at the createRuntime point
  std::vector<SpecHook> create_runtime, create_container, start_container, poststart, poststop;
};

// The hook kinds as config.json names them, in the order they run.
inline constexpr const char* kHookNames[] = {"prestart",       "createRuntime", "createContainer",
                                             "startContainer", "poststart",     "poststop"};

struct Spec {
  std::string oci_version;
  SpecProcess process;
  std::string root_path = "rootfs";
  bool root_readonly = false;
  std::string hostname;
  std::vector<SpecMount> mounts;
  SpecLinux linux_;
  SpecHooks hooks;
  std::map<std::string, std::string> annotations;
};

// `where` names the file in messages ("bundle/config.json: ...").
Result<Spec> parse_spec(std::string_view json_text, const std::string& where);
Result<Spec> load_spec(const std::string& config_path);
// A process.json for `exec --process` (the "process" object of config.md alone).
Result<SpecProcess> load_process(const std::string& path);

// Image env first, then the overrides; a later KEY= replaces an earlier one in place.
std::vector<std::string> merge_env(const std::vector<std::string>& image,
                                   const std::vector<std::string>& overrides);
// "uid", "uid:gid" or "root" (image-spec config.md User, `exec --user`). Names need
// the image's /etc/passwd, which is not read, so only numeric ids are accepted.
Result<std::pair<uint32_t, uint32_t>> parse_user(const std::string& user);

// config.json for a Keel container: the image's config merged with the definition
// (definition_spec.hpp: system containers, caps, user, mounts, volumes under
// volumes_root).
Result<std::string> make_spec_json(const ImageConfig& image, const keel::ContainerDef& def,
                                   const std::string& volumes_root = "/var/lib/keel/volumes");

// A default config.json (like `runc spec`): runs "sh" in ./rootfs.
std::string default_spec_json();

// Keel's default confinement, used by make_spec_json and default_spec_json: Docker's
// default capability set and a seccomp allowlist modelled on Docker's default profile
// (default_seccomp.cpp).
std::vector<std::string> default_capabilities();
SpecSeccomp default_seccomp_profile();

}  // namespace keel::runtime
