// Running a container from a parsed OCI spec (runtime-spec "runtime.md" run =
// create + start + wait, in the foreground).
#pragma once

#include <functional>
#include <string>

#include "keel/common/error.hpp"
#include "keel/runtime/layer_store.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

struct RunOptions {
  // Non-empty: <state_root>/<id>/state.json says "running" while it runs, so that
  // `state`, `list`, `ps`, `kill` and `exec` with --root state_root find it.
  std::string state_root;
  // >= 0: once the container's process has been exec'd, "started\n" is written here
  // and the fd closed. keel-init counts a ready = "started" container as ready then.
  int started_fd = -1;
};

// Creates the cgroup and namespaces, sets up the rootfs and execs the process.
// Forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT to the container's PID 1 while waiting.
// Returns the exit status, or 128+N when killed by signal N. Errors during setup
// (in the parent or in the cloned child) come back as Error, prefixed "container <id>".
Result<int> run_container(const Spec& spec, const std::string& bundle_dir, const std::string& id,
                          const RunOptions& opts = {});

// How `up` builds a container's rootfs.
enum class RootfsMode {
  // overlayfs: the image's layers from the layer store (extracted once, shared,
  // read-only) under a fresh per-container upper directory. Falls back to copy, with
  // a warning, when the kernel has no overlayfs or the mount fails.
  overlay,
  // Every layer extracted into a fresh private directory at each start.
  copy,
};

struct UpOptions {
  std::string images_dir = "/usr/lib/keel/images";
  std::string state_dir = "/run/keel/containers";
  std::string layers_dir = kDefaultLayerStore;
  std::string volumes_dir = "/var/lib/keel/volumes";  // [[volumes]] live below it
  std::string runtime_root;                           // RunOptions::state_root
  std::string notify_socket;  // ready = "notify": the init's socket (with_notify_socket)
  int started_fd = -1;        // RunOptions::started_fd
  std::string mcs_level;      // --mcs s0:cX,cY: the container's categories (SELinux hosts)
  RootfsMode rootfs = RootfsMode::overlay;
  // Told, in one line, why the overlay rootfs was not possible. May be empty.
  std::function<void(const std::string&)> warn;
};

// `keel-runtime up`: definition -> fresh bundle <state>/<name>/{config.json, rootfs,
// upper, work} -> run. With RootfsMode::overlay the rootfs is an overlay mounted
// at <state>/<name>/rootfs for the container's lifetime and unmounted when it exits;
// upper keeps the container's writes until the next start wipes them.
Result<int> up(const std::string& definition_path, const UpOptions& opts);

}  // namespace keel::runtime
