// Starting a container's init for `create`/`run` (lifecycle.cpp) with the same code
// path as run_container (container.cpp), plus the create/start split.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "cgroup.hpp"
#include "child.hpp"
#include "keel/common/error.hpp"
#include "keel/common/unique_fd.hpp"
#include "keel/runtime/spec.hpp"

namespace keel::runtime {

struct Launched {
  UniqueFd pidfd;
  pid_t pid = -1;
};

struct Launch {
  // Runs when the child has prepared its rootfs and waits before pivot_root
  // (ChildLifecycle::hooks_go_fd); go_fd is the pipe's write end that releases it.
  std::function<Result<void>(pid_t)> before_pivot;
  int go_fd = -1;
};

// Clones the container's init into its namespaces and cgroup. Returns once it has
// exec'd or, with lifecycle.exec_fifo_fd, once it waits on the exec fifo.
Result<Launched> launch_container(const Spec& spec, const std::string& bundle_dir, const Cgroup& cg,
                                  ChildLifecycle lifecycle, const Launch& launch);

// Forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT to the container until it exits; its status.
Result<int> supervise_container(int pidfd);

}  // namespace keel::runtime
