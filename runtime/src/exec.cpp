// `keel-runtime exec` (runc exec, runtime-spec has no exec): a new process in a
// running container. It joins the init's namespaces through its pidfd (setns(2)
// with a pidfd joins several at once), starts in the init's pid namespace and
// cgroups, and gets the confinement config.json gives the container's process.
#include <fcntl.h>
#include <sched.h>

#include <csignal>

#include "cgroup.hpp"
#include "child.hpp"
#include "keel/common/sys.hpp"
#include "keel/runtime/lifecycle.hpp"
#include "keel/runtime/spec.hpp"
#include "launch.hpp"
#include "namespaces.hpp"
#include "selinux_label.hpp"
#include "state.hpp"

namespace keel::runtime {
namespace {

// config.json's process, or --process's; then the command line on top.
Result<SpecProcess> exec_process(const Spec& spec, const ExecOptions& o) {
  SpecProcess p = spec.process;
  if (!o.process_file.empty()) p = TRY_CTX(load_process(o.process_file), "--process");
  if (!o.args.empty()) p.args = o.args;
  if (p.args.empty()) return fail_msg("no command: give one after the container ID");
  if (!o.env.empty()) p.env = merge_env(p.env, o.env);
  if (!o.cwd.empty()) {
    if (!o.cwd.starts_with('/')) return fail_msg("--cwd must be an absolute path");
    p.cwd = o.cwd;
  }
  if (!o.user.empty()) {
    auto [uid, gid] = TRY_CTX(parse_user(o.user), "--user");
    p.uid = uid;
    p.gid = gid;
    p.additional_gids.clear();
  }
  if (p.terminal) return fail_msg("process.terminal: exec with a terminal is not supported yet");
  return p;
}

// The namespaces the init was given; pid is entered through clone3 instead.
int namespace_flags(const Spec& spec) {
  int flags = 0;
  for (const auto& n : spec.linux_.namespaces) flags |= namespace_flag(n.type);
  return flags & ~CLONE_NEWPID;
}

bool has_pid_namespace(const Spec& spec) {
  for (const auto& n : spec.linux_.namespaces)
    if (n.type == "pid") return true;
  return false;
}

Result<int> exec_steps(const std::string& root, const std::string& id, const ExecOptions& o) {
  auto st = TRY(load_live(root, id));
  if (st.status != "running")
    return fail_msg("container is " + st.status + ", not running: exec needs a running container");
  auto init = TRY(open_init(st));
  Spec spec = TRY(load_spec(st.bundle + "/config.json"));
  spec.process = TRY(exec_process(spec, o));
  ChildPlan plan;
  TRY(plan_process(spec, plan));
  TRY(plan_selinux_labels(spec.process.selinux_label, "", plan));
  plan.exec = {init.get(), namespace_flags(spec)};
  plan.lifecycle.pdeathsig = !o.detach;
  UniqueFd pid_ns;
  if (has_pid_namespace(spec))
    pid_ns = TRY(sys::open("/proc/" + std::to_string(st.pid) + "/ns/pid", O_RDONLY));
  // The init may have exited and its pid been reused between the two opens.
  TRY_CTX(sys::pidfd_send_signal(init.get(), 0), "container init");
  auto cg = TRY(Cgroup::borrow(st.cgroup, st.cgroups_v1));
  sigset_t old;
  auto sigfd = TRY(block_forwarded_signals(old));
  plan.sigmask = old;
  auto child = launch_exec(plan, std::move(pid_ns), cg);
  Result<int> status = child ? Result<int>(0) : fail(child.error());
  if (child && !o.pid_file.empty())
    if (auto w = write_file_renamed(o.pid_file, std::to_string(child->pid), 0644); !w)
      status = fail(std::move(w).error());
  if (status && !o.detach) status = supervise_container(child->pidfd.get(), sigfd.get());
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  return status;
}

}  // namespace

Result<int> exec_container(const std::string& root, const std::string& id, const ExecOptions& o) {
  TRY(check_container_id(id));
  return with_context(exec_steps(root, id, o), "container " + id + ": exec");
}

}  // namespace keel::runtime
