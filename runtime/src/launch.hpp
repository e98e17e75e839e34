// Starting a container's init for `create`/`run` (lifecycle.cpp) with the same code
// path as run_container (container.cpp), plus the create/start split.
#pragma once

#include <sys/types.h>

#include <signal.h>

#include <functional>
#include <optional>
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
  // The mask the process gets before execve; default: the caller's current mask.
  std::optional<sigset_t> sigmask;
};

// Clones the container's init into its namespaces and cgroup. Returns once it has
// exec'd or, with lifecycle.exec_fifo_fd, once it waits on the exec fifo.
Result<Launched> launch_container(const Spec& spec, const std::string& bundle_dir, const Cgroup& cg,
                                  ChildLifecycle lifecycle, const Launch& launch);

// The process part of a plan, shared by the container's init and `exec`: identity,
// capabilities, rlimits, seccomp, argv and env (pointing into `spec`).
Result<void> plan_process(const Spec& spec, ChildPlan& plan);

// `exec`: clones plan's process (plan.exec set) into the pid namespace `pid_ns`
// (empty: ours) and the container's cgroups; returns once it has exec'd.
Result<Launched> launch_exec(ChildPlan& plan, UniqueFd pid_ns, const Cgroup& cg);

// Blocks SIGTERM/SIGINT/SIGHUP/SIGQUIT (so none is lost before supervising) and
// returns a signalfd for them; `old` gets the previous mask, to restore and to give
// the container.
Result<UniqueFd> block_forwarded_signals(sigset_t& old);

// Forwards the signals read from `sigfd` to the container until it exits; its status.
Result<int> supervise_container(int pidfd, int sigfd);

}  // namespace keel::runtime
