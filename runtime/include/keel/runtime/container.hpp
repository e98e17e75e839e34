// Running a container from a parsed OCI spec (runtime-spec "runtime.md" run =
// create + start + wait, in the foreground).
#pragma once

#include <string>

#include "keel/common/error.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

// Creates the cgroup and namespaces, sets up the rootfs and execs the process.
// Forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT to the container's PID 1 while waiting.
// Returns the exit status, or 128+N when killed by signal N. Errors during setup
// (in the parent or in the cloned child) come back as Error, prefixed "container <id>".
Result<int> run_container(const Spec& spec, const std::string& bundle_dir, const std::string& id);

struct UpOptions {
  std::string images_dir = "/usr/lib/keel/images";
  std::string state_dir = "/run/keel/containers";
};

// `keel-runtime up`: definition -> fresh bundle <state>/<name>/{rootfs,config.json} -> run.
Result<int> up(const std::string& definition_path, const UpOptions& opts);

}  // namespace keel::runtime
