// A Keel container definition: one TOML file per container, shipped read-only in
// the image under /usr/lib/keel/containers/ and optionally overridden in
// /etc/keel/containers/. The init reads it to supervise; the runtime reads it to
// build the OCI bundle. See docs/CONTAINERS.md for the format.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keel/common/error.hpp"

namespace keel {

enum class RestartPolicy { never, on_failure, always };
enum class NetworkMode { none, host };

// When containers that wait for this one (after/requires) may start.
enum class ReadyWhen {
  started,  // once its process runs
  exited,   // once it exited with status 0: a one-shot setup step
  healthy,  // once its [health] check passed
  notify,   // once it sent READY=1 over NOTIFY_SOCKET (sd_notify(3))
};

// [health]: probed from keel-init inside the container's network namespace.
struct HealthCheck {
  enum class Kind { none, tcp, http, exec } kind = Kind::none;
  std::vector<std::string> command;  // exec: run in the container; exit 0 is healthy
  std::string host = "127.0.0.1";    // IPv4 literal
  uint16_t port = 0;
  std::string path = "/";  // http: GET this; 2xx and 3xx are healthy
  std::chrono::milliseconds interval{5'000}, timeout{2'000}, start_period{0};
  // Between probes while starting (in start_period, not yet healthy), as Docker's
  // --health-start-interval: a service is found ready soon after it is.
  std::optional<std::chrono::milliseconds> start_interval;
  uint32_t retries = 3;  // consecutive failures before "unhealthy"
};

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

// A host path bind-mounted into the container ([[mounts]]).
struct ContainerMount {
  std::string source, target;  // absolute, without ".."
  bool readonly = false;
};

// Persistent storage ([[volumes]]): /var/lib/keel/volumes/<container>/<name> on the
// host, created on first start, kept across restarts, upgrades and rollbacks.
struct ContainerVolume {
  std::string name, target;
};

struct ContainerDef {
  std::string name;         // file stem; must be a valid hostname label
  std::string source_path;  // where it was read from, for messages
  // false: `enabled = false`, which masks the container of the same name that an
  // earlier directory defines (an image's container disabled on one host).
  bool enabled = true;
  std::string image;                 // OCI image layout name under the images directory
  std::vector<std::string> command;  // overrides the image's entrypoint + cmd
  std::vector<std::string> env;      // KEY=VALUE, added to the image's env
  std::string hostname;              // default: name
  RestartPolicy restart = RestartPolicy::on_failure;
  // on-failure only: give up (state "failed") after this many restarts.
  std::optional<uint32_t> restart_max;
  // Start ordering (names of other containers). `after` only orders; `required`
  // also orders, and the container is not started if a required one failed.
  std::vector<std::string> after, required;
  ReadyWhen ready = ReadyWhen::started;
  HealthCheck health;
  int stop_signal = 15;                          // SIGTERM; sent first at shutdown and stop
  std::chrono::milliseconds stop_grace{10'000};  // then SIGKILL
  ContainerResources resources;
  // A system container runs in the host's network, PID, IPC and UTS namespaces with
  // every capability and no seccomp filter: networking, time sync, admin tools.
  bool system = false;
  // An application container's network: its own namespace with only loopback ("none",
  // the default, as Docker's --network none) or the host's ("host", as Kubernetes'
  // hostNetwork). System containers always use the host's.
  NetworkMode network = NetworkMode::none;
  std::vector<std::string> cap_add, cap_drop;  // "CAP_NET_ADMIN" (prefix added if missing)
  std::string user;                            // "uid[:gid]"; empty: the image's
  std::vector<ContainerMount> mounts;
  std::vector<ContainerVolume> volumes;
};

Result<ContainerDef> parse_container_def(const std::string& path);
Result<ContainerDef> parse_container_def_text(std::string_view text, const std::string& path);

std::string_view to_string(RestartPolicy p);
// Names become cgroup and directory names: keep them to [a-z0-9-], 1..63 chars.
bool is_valid_container_name(std::string_view name);

}  // namespace keel
