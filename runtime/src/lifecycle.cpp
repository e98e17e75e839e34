// runtime-spec "runtime.md#create" and "#run": the container's init is cloned as
// for run_container, then blocks on <root>/<id>/exec.fifo until `start` opens it
// (the scheme runc uses), so `create` can exit leaving the container "created".
#include "keel/runtime/lifecycle.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "cgroup.hpp"
#include "console.hpp"
#include "hooks.hpp"
#include "keel/common/sys.hpp"
#include "keel/runtime/container.hpp"
#include "launch.hpp"
#include "state.hpp"

namespace keel::runtime {
namespace {

// Removes the state directory unless create succeeded ("create fails: nothing left").
class StateDirGuard {
 public:
  explicit StateDirGuard(std::string dir) : m_dir(std::move(dir)) {}
  ~StateDirGuard() {
    std::error_code ec;
    if (!m_dir.empty()) std::filesystem::remove_all(m_dir, ec);
  }
  void dismiss() { m_dir.clear(); }

 private:
  std::string m_dir;
};

// mkdir <root>/<id>: EEXIST is the spec's "ID not unique" error.
Result<void> make_state_dir(const std::string& root, const std::string& id) {
  TRY(sys::mkdir_p(root, 0700));
  std::string dir = state_dir(root, id);
  if (::mkdir(dir.c_str(), 0700) < 0) {
    if (errno == EEXIST) return fail_msg("a container with this ID already exists (" + dir + ")");
    return fail_errno("mkdir " + dir);
  }
  return {};
}

Result<UniqueFd> make_exec_fifo(const std::string& path) {
  // 0622: the init may have switched to the container's user before opening it.
  if (::mkfifo(path.c_str(), 0622) < 0) return fail_errno("mkfifo " + path);
  ::chmod(path.c_str(), 0622);  // mkfifo's mode is filtered by our umask
  return sys::open(path, O_PATH);
}

Result<UniqueFd> make_state_memfd() {
  int fd = ::memfd_create("keel-state", MFD_CLOEXEC);
  if (fd < 0) return fail_errno("memfd_create");
  return UniqueFd(fd);
}

// LISTEN_FDS from socket activation (sd_listen_fds(3)) pass through, as runc does.
int listen_fds() {
  const char* v = std::getenv("LISTEN_FDS");
  int n = v ? std::atoi(v) : 0;
  return n > 0 && n < 1024 ? n : 0;
}

// The process sees its listen fds as its own: LISTEN_PID is its pid, 1 in its
// pid namespace (runc does the same; sd_listen_fds checks LISTEN_PID == getpid()).
void add_listen_env(Spec& spec) {
  int n = listen_fds();
  if (n == 0) return;
  spec.process.env.push_back("LISTEN_FDS=" + std::to_string(n));
  spec.process.env.push_back("LISTEN_PID=1");
}

Result<std::string> real_bundle(const std::string& bundle) {
  char real[PATH_MAX];
  if (!::realpath(bundle.c_str(), real)) return fail_errno("bundle " + bundle);
  return std::string(real);
}

// The createRuntime point: the child has its namespaces and rootfs mounts and waits
// before pivot_root (config.md: prestart runs here too, in the runtime namespace).
Result<void> run_create_hooks(const Spec& spec, ContainerState& st, pid_t pid) {
  st.pid = pid;
  std::string json = render_state(st, false);
  TRY(run_hooks(spec.hooks.prestart, "prestart", json));
  TRY(run_hooks(spec.hooks.create_runtime, "createRuntime", json));
  if (spec.hooks.create_container.empty()) return {};
  auto pidfd = TRY(sys::pidfd_open(pid));
  return run_hooks(spec.hooks.create_container, "createContainer", json, pidfd.get());
}

struct Created {
  Launched init;
  ContainerState state;
};

// Everything of create except writing the state; the caller owns the state dir.
Result<Created> create_in(const std::string& id, const CreateOptions& o, const Spec& spec,
                          const std::string& bundle, bool pdeathsig,
                          std::optional<sigset_t> sigmask) {
  if (spec.process.terminal == o.console_socket.empty())
    return fail_msg(spec.process.terminal ? "process.terminal is true: --console-socket needed"
                                          : "--console-socket needs process.terminal: true");
  ContainerState st{.oci_version = spec.oci_version, .id = id, .bundle = bundle};
  st.annotations = spec.annotations;
  st.created = rfc3339_now();
  TRY(save_container_state(o.root, st));  // `state` says "creating" meanwhile
  auto fifo = TRY(make_exec_fifo(fifo_path(o.root, id)));
  auto state_fd = TRY(make_state_memfd());
  ChildLifecycle lc{.pdeathsig = pdeathsig,
                    .exec_fifo_fd = fifo.get(),
                    .state_fd = state_fd.get(),
                    .start_hooks = plan_child_hooks(spec.hooks.start_container),
                    .no_pivot = o.no_pivot,
                    .preserve_fds = o.preserve_fds + listen_fds()};
  UniqueFd console;
  if (spec.process.terminal) {
    console = TRY_CTX(connect_console_socket(o.console_socket), "--console-socket");
    lc.console_socket_fd = console.get();
  }
  Launch launch;
  launch.sigmask = sigmask;
  std::optional<sys::Pipe> go;
  const auto& h = spec.hooks;
  if (!h.prestart.empty() || !h.create_runtime.empty() || !h.create_container.empty()) {
    go = TRY(sys::pipe(O_CLOEXEC));
    lc.hooks_go_fd = go->read.get();
    launch.go_fd = go->write.get();
    launch.before_pivot = [&](pid_t pid) { return run_create_hooks(spec, st, pid); };
  }
  auto cg = TRY(Cgroup::create(spec.linux_, id));
  auto init = TRY(launch_container(spec, bundle, cg, std::move(lc), launch));
  st.pid = init.pid;
  st.status = "created";
  st.start_time = process_start_time(init.pid);
  // startContainer hooks read this (the init reads it after `start`).
  if (auto w = sys::write_all(state_fd.get(), render_state(st, false)); !w) {
    (void)sys::pidfd_send_signal(init.pidfd.get(), SIGKILL);  // blocked on the fifo
    return fail(std::move(w).error());
  }
  st.cgroups_v1 = cg.release_v1();
  st.cgroup = cg.release();
  return Created{std::move(init), std::move(st)};
}

Result<Created> create_steps(const std::string& id, const CreateOptions& o, bool pdeathsig,
                             std::optional<sigset_t> sigmask) {
  TRY(check_container_id(id));
  std::string bundle = TRY(real_bundle(o.bundle));
  auto spec = TRY(load_spec(bundle + "/config.json"));
  add_listen_env(spec);
  TRY(make_state_dir(o.root, id));
  StateDirGuard guard(state_dir(o.root, id));
  auto c = TRY(create_in(id, o, spec, bundle, pdeathsig, sigmask));
  auto saved = save_container_state(o.root, c.state);
  if (saved && !o.pid_file.empty())
    saved = write_file_renamed(o.pid_file, std::to_string(c.init.pid), 0644);
  if (!saved) {
    (void)sys::pidfd_send_signal(c.init.pidfd.get(), SIGKILL);
    if (!c.state.cgroup.empty()) ::rmdir(c.state.cgroup.c_str());
    return fail(std::move(saved).error());
  }
  guard.dismiss();
  return c;
}

// The whole of create; errors are prefixed "container <id>".
Result<Created> create_impl(const std::string& id, const CreateOptions& o, bool pdeathsig,
                            std::optional<sigset_t> sigmask) {
  auto c = create_steps(id, o, pdeathsig, sigmask);
  if (!c) return fail(std::move(c).error().context("container " + id));
  return c;
}

// Foreground: the forwarded signals are blocked from before create, so one sent
// while the container starts is forwarded, not fatal to the runtime.
Result<int> run_foreground(const std::string& id, const CreateOptions& opts) {
  sigset_t old;
  auto sigfd = TRY(block_forwarded_signals(old));
  auto c = create_impl(id, opts, true, old);
  Result<int> status = c ? Result<int>(0) : fail(std::move(c).error());
  if (c) {
    if (auto r = start_container(opts.root, id); !r) status = fail(std::move(r).error());
  }
  if (status) status = supervise_container(c->init.pidfd.get(), sigfd.get());
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (!c) return status;
  auto removed = delete_container(opts.root, id, true);
  if (!status) return fail(std::move(status).error().context("container " + id));
  if (!removed) return fail(std::move(removed).error());
  return status;
}

// `run` in the foreground with nothing that needs the create/start split (hooks, a
// console, a pid file, --no-pivot, passed fds): the container starts at once, as
// `keel-runtime up` starts them, without the exec fifo round trip and the second
// state write. state.json says "running" while it runs (RunningRecord).
bool direct_run_possible(const Spec& spec, const CreateOptions& o) {
  const auto& h = spec.hooks;
  return h.prestart.empty() && h.create_runtime.empty() && h.create_container.empty() &&
         h.start_container.empty() && h.poststart.empty() && h.poststop.empty() &&
         o.console_socket.empty() && o.pid_file.empty() && !o.no_pivot && o.preserve_fds == 0 &&
         listen_fds() == 0 && !spec.process.terminal;
}

Result<int> run_direct(const std::string& id, const CreateOptions& o, const Spec& spec,
                       const std::string& bundle) {
  TRY_CTX(make_state_dir(o.root, id), "container " + id);  // "ID not unique" first
  StateDirGuard guard(state_dir(o.root, id));
  return run_container(spec, bundle, id, RunOptions{.state_root = o.root});
}

}  // namespace

Result<void> create_container(const std::string& id, const CreateOptions& opts) {
  TRY(create_impl(id, opts, false, std::nullopt));
  return {};
}

Result<int> run_lifecycle(const std::string& id, const CreateOptions& opts, Detach detach) {
  if (detach == Detach::no) {
    TRY_CTX(check_container_id(id), "container " + id);
    std::string bundle = TRY_CTX(real_bundle(opts.bundle), "container " + id);
    auto spec = TRY_CTX(load_spec(bundle + "/config.json"), "container " + id);
    if (direct_run_possible(spec, opts)) return run_direct(id, opts, spec, bundle);
    return run_foreground(id, opts);
  }
  TRY(create_impl(id, opts, false, std::nullopt));
  if (auto r = start_container(opts.root, id); !r) {
    (void)delete_container(opts.root, id, true);
    return fail(std::move(r).error());
  }
  return 0;
}

}  // namespace keel::runtime
