// runtime-spec "runtime.md" run: create the cgroup and namespaces with clone3, let
// the child set up the rootfs and exec, then supervise it until it exits.
#include "keel/runtime/container.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "capabilities.hpp"
#include "cgroup.hpp"
#include "child.hpp"
#include "keel/common/sys.hpp"
#include "launch.hpp"
#include "namespaces.hpp"
#include "process_attrs.hpp"
#include "propagation.hpp"
#include "seccomp_program.hpp"
#include "selinux_label.hpp"
#include "state.hpp"
#include "trace.hpp"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace keel::runtime {
namespace {

// struct clone_args, CLONE_ARGS_SIZE_VER2 (clone(2)); glibc 2.36 has no wrapper.
struct CloneArgs {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

// Signals a supervisor sends to stop or steer a container (keel-init's stop_signal,
// `kill` of a foreground `run`), passed on to its PID 1 rather than acted on here.
constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

// The namespaces, checked against what else the spec asks for.
Result<NamespacePlan> plan_container_namespaces(const Spec& spec) {
  auto ns = TRY(plan_namespaces(spec.linux_));
  if (!spec.hostname.empty() && !((ns.clone_flags | ns.unshare_flags) & CLONE_NEWUTS))
    return fail_msg("hostname is set but there is no uts namespace (config.md#hostname)");
  return ns;
}

Result<ChildPlan> make_plan(const Spec& spec, const std::string& bundle_dir) {
  ChildPlan p;
  std::string root =
      spec.root_path.starts_with('/') ? spec.root_path : bundle_dir + "/" + spec.root_path;
  char real[PATH_MAX];
  if (!::realpath(root.c_str(), real)) return fail_errno("root.path " + root);
  p.rootfs = real;
  p.root_readonly = spec.root_readonly;
  p.mounts = TRY(plan_mounts(spec.mounts));
  TRY(plan_rootfs_propagation(spec.linux_.rootfs_propagation, p));
  p.masked_paths = spec.linux_.masked_paths;
  p.readonly_paths = spec.linux_.readonly_paths;
  p.hostname = spec.hostname;
  TRY(plan_process(spec, p));
  TRY(plan_selinux_labels(spec.process.selinux_label, spec.linux_.mount_label, p));
  trace("child planned (mounts, capabilities, seccomp filter)");
  return p;
}

// Blocks the forwarded signals (so none is lost between clone and poll) and returns a
// signalfd for them; the old mask is saved for the child and for restoring.
Result<UniqueFd> block_signals(sigset_t& old) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kForwarded) sigaddset(&set, s);
  if (::sigprocmask(SIG_BLOCK, &set, &old) < 0) return fail_errno("sigprocmask");
  int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) {
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return fail_errno("signalfd");
  }
  return UniqueFd(fd);
}

Result<int> wait_status(int pidfd) {
  siginfo_t si;
  std::memset(&si, 0, sizeof si);
  while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si, WEXITED) < 0)
    if (errno != EINTR) return fail_errno("waitid");
  if (si.si_code == CLD_EXITED) return si.si_status;
  return 128 + si.si_status;  // CLD_KILLED / CLD_DUMPED: shell convention
}

// One loop over {signalfd, pidfd}: forward signals until the container's PID 1 exits.
Result<int> supervise(int pidfd, int sigfd) {
  for (;;) {
    pollfd fds[2] = {{sigfd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_errno("poll");
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo ssi;
      while (::read(sigfd, &ssi, sizeof ssi) == sizeof ssi) {
        // ESRCH: it already exited; the pidfd reports that next.
        auto r = sys::pidfd_send_signal(pidfd, static_cast<int>(ssi.ssi_signo));
        if (!r && r.error().code() != ESRCH) return fail(std::move(r).error());
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) return wait_status(pidfd);
  }
}

// Reads the child's setup reports: EOF means execve succeeded (the pipe is CLOEXEC);
// kChildHooks asks for the pre-pivot hooks (then one byte on go_fd releases it);
// kChildReady means a created container waits on its exec fifo.
Result<void> read_child_report(int fd, const Launch& launch, pid_t pid) {
  for (;;) {
    ChildReport r;
    size_t got = 0;
    while (got < sizeof r) {
      ssize_t n = ::read(fd, reinterpret_cast<char*>(&r) + got, sizeof r - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno("read setup pipe");
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    if (got == 0) return {};
    if (got < sizeof r) return fail_msg("setup failed (short report from the container process)");
    if (r.err == kChildReady) return {};
    if (r.err == kChildHooks) {
      if (launch.before_pivot) TRY(launch.before_pivot(pid));
      TRY(sys::write_all(launch.go_fd, "g"));
      continue;
    }
    r.message[sizeof r.message - 1] = '\0';
    return fail(r.err ? Error::from_errno(r.message, r.err) : Error::msg(r.message));
  }
}

// Hybrid/v1 hosts: clone3 cannot start the child in v1 groups, so it waits on
// plan.cgroup_join_fd until the parent has added it (child.cpp); on failure the
// child is killed before it ran any of the container's code.
Result<void> join_cgroups_before_exec(const Cgroup& cg, pid_t pid, int pidfd, UniqueFd release) {
  if (auto r = cg.join(pid); !r) {
    (void)sys::pidfd_send_signal(pidfd, SIGKILL);
    (void)wait_status(pidfd);
    return r;
  }
  return sys::write_all(release.get(), "j");
}

// Kills a child that has not exec'd yet and reaps it, for a setup error.
Error abort_child(int pidfd, Error e) {
  (void)sys::pidfd_send_signal(pidfd, SIGKILL);  // it may wait on a hook or fifo
  (void)wait_status(pidfd);
  return e;
}

Result<Launched> spawn(ChildPlan& plan, NamespacePlan& ns, const Cgroup& cg, const Launch& launch) {
  auto pipe = TRY(sys::pipe(O_CLOEXEC));
  plan.err_fd = pipe.write.get();
  plan.loopback_up = ((ns.clone_flags | ns.unshare_flags) & CLONE_NEWNET) != 0;
  plan_child_namespaces(ns, plan);
  std::optional<sys::Pipe> join;
  if (cg.needs_join()) {
    join = TRY(sys::pipe(O_CLOEXEC));
    plan.cgroup_join_fd = join->read.get();
  }
  int pidfd = -1;
  CloneArgs args;
  std::memset(&args, 0, sizeof args);
  args.flags = ns.clone_flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (cg.fd() >= 0) {
    // The child starts inside its cgroup: no cgroup.procs write, no window in
    // which it runs unlimited (clone(2) CLONE_INTO_CGROUP).
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cg.fd());
  }
  long pid;
  {
    auto in_pid_ns = TRY(PidNamespaceForClone::enter(ns));
    pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) return fail_errno("clone3");
    if (pid == 0) child_main(plan);
  }
  UniqueFd pfd(pidfd);
  pipe.write.reset();
  trace("cloned");
  // The id maps first: the child waits for them before any setup, and for the
  // cgroup join only before it execs.
  if (auto r = release_child(static_cast<pid_t>(pid), ns); !r)
    return fail(abort_child(pfd.get(), std::move(r).error()));
  if (join) {
    join->read.reset();
    TRY(join_cgroups_before_exec(cg, static_cast<pid_t>(pid), pfd.get(), std::move(join->write)));
  }
  if (auto r = read_child_report(pipe.read.get(), launch, static_cast<pid_t>(pid)); !r)
    return fail(abort_child(pfd.get(), std::move(r).error()));
  return Launched{std::move(pfd), static_cast<pid_t>(pid)};
}

// With a state root, the running container is recorded there (RunningRecord).
Result<std::optional<RunningRecord>> record(const Spec& spec, const std::string& bundle_dir,
                                            const std::string& id, const RunOptions& o,
                                            const Cgroup& cg, pid_t pid) {
  if (o.state_root.empty()) return std::nullopt;
  char real[PATH_MAX];
  if (!::realpath(bundle_dir.c_str(), real)) return fail_errno("bundle " + bundle_dir);
  ContainerState st{.oci_version = spec.oci_version, .id = id, .bundle = real, .pid = pid};
  st.annotations = spec.annotations;
  st.cgroup = cg.path();
  st.cgroups_v1 = cg.v1_paths();
  return TRY_CTX(RunningRecord::write(o.state_root, std::move(st)), "recording its state");
}

// spawn() returned, so the child has exec'd the container's process. A reader that
// went away must not end the runtime with SIGPIPE.
void report_started(int fd) {
  if (fd < 0) return;
  auto old = ::signal(SIGPIPE, SIG_IGN);
  (void)sys::write_all(fd, "started\n");
  ::signal(SIGPIPE, old);
  ::close(fd);
}

Result<int> run_in_cgroup(const Spec& spec, const std::string& bundle_dir, const std::string& id,
                          const RunOptions& o, const Cgroup& cg) {
  auto ns = TRY(plan_container_namespaces(spec));
  auto plan = TRY(make_plan(spec, bundle_dir));
  sigset_t old;
  auto sigfd = TRY(block_signals(old));
  plan.sigmask = old;
  auto child = spawn(plan, ns, cg, Launch{});
  Result<std::optional<RunningRecord>> rec =
      child ? record(spec, bundle_dir, id, o, cg, child->pid) : fail(child.error());
  if (child && !rec) (void)sys::pidfd_send_signal(child->pidfd.get(), SIGKILL);
  if (rec) trace("process runs (the child exec'd)");
  if (rec) report_started(o.started_fd);
  Result<int> status = rec ? supervise(child->pidfd.get(), sigfd.get()) : fail(rec.error());
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  return status;
}

}  // namespace

Result<void> plan_process(const Spec& spec, ChildPlan& p) {
  p.cwd = spec.process.cwd;
  p.uid = spec.process.uid;
  p.gid = spec.process.gid;
  p.additional_gids.assign(spec.process.additional_gids.begin(),
                           spec.process.additional_gids.end());
  p.umask = static_cast<mode_t>(spec.process.umask.value_or(022));  // config.md: default 0022
  p.no_new_privs = spec.process.no_new_privileges;
  if (spec.process.capabilities) {
    p.caps.emplace();
    TRY(plan_capabilities(*spec.process.capabilities, *p.caps));
  }
  TRY(plan_process_attrs(spec, p));
  if (spec.linux_.seccomp)
    p.seccomp = TRY_CTX(seccomp_program(*spec.linux_.seccomp), "linux.seccomp");
  for (const auto& a : spec.process.args) p.argv.push_back(const_cast<char*>(a.c_str()));
  p.argv.push_back(nullptr);
  for (const auto& e : spec.process.env) p.envp.push_back(const_cast<char*>(e.c_str()));
  p.envp.push_back(nullptr);
  return {};
}

Result<Launched> launch_exec(ChildPlan& plan, UniqueFd pid_ns, const Cgroup& cg) {
  NamespacePlan ns;
  ns.pid_join = std::move(pid_ns);
  return spawn(plan, ns, cg, Launch{});
}

Result<UniqueFd> block_forwarded_signals(sigset_t& old) {
  return block_signals(old);
}

Result<int> supervise_container(int pidfd, int sigfd) {
  return supervise(pidfd, sigfd);
}

Result<Launched> launch_container(const Spec& spec, const std::string& bundle_dir, const Cgroup& cg,
                                  ChildLifecycle lifecycle, const Launch& launch) {
  auto ns = TRY(plan_container_namespaces(spec));
  auto plan = TRY(make_plan(spec, bundle_dir));
  plan.lifecycle = std::move(lifecycle);
  if (launch.sigmask)
    plan.sigmask = *launch.sigmask;
  else
    ::sigprocmask(SIG_SETMASK, nullptr, &plan.sigmask);
  return spawn(plan, ns, cg, launch);
}

Result<int> run_container(const Spec& spec, const std::string& bundle_dir, const std::string& id,
                          const RunOptions& opts) {
  std::string ctx = "container " + id;
  if (spec.process.terminal)
    return fail_msg(ctx + ": process.terminal=true needs create/run --console-socket");
  auto cg = TRY_CTX(Cgroup::create(spec.linux_, id), ctx);
  trace("cgroup created");
  auto status = run_in_cgroup(spec, bundle_dir, id, opts, cg);
  auto removed = cg.remove();
  if (!status) return fail(std::move(status).error().context(ctx));
  if (!removed) return fail(std::move(removed).error().context(ctx));
  return status;
}

}  // namespace keel::runtime
