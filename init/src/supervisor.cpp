#include "keel/init/supervisor.hpp"

#include <fcntl.h>
#include <selinux/selinux.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/init/definitions.hpp"
#include "keel/init/line_splitter.hpp"
#include "keel/init/start_order.hpp"
#include "keel/init/supervisor_state.hpp"
#include "keel/init/update_checks.hpp"
#include "supervisor_container.hpp"

namespace keel::init {

namespace {

constexpr std::string_view kLog = "keel-init";
constexpr int kHandledSignals[] = {SIGCHLD, SIGTERM, SIGINT, SIGUSR1, SIGUSR2};
// Reads per wakeup: a chatty container must not starve the loop (sources are level
// triggered, so what is left is read on the next iteration).
constexpr int kMaxReadsPerWakeup = 16;
constexpr int kStartedFd = 3;  // keel-runtime up --ready-fd 3

Error sd_error(std::string_view what, int r) {
  return Error::from_errno(what, -r);
}

// RLIMIT_NOFILE as keel-init found it, restored in each child (see raise_fd_limit).
rlimit g_child_nofile{};

// Each container costs the init three fds (pidfd, output pipe, log file): 1,000
// containers pass the kernel's default soft limit of 1024. Raise the soft limit to
// the hard one for the init only; children get the original back, because select(2)
// users break above 1024 (systemd does the same).
void raise_fd_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) < 0) return;
  g_child_nofile = r;
  if (r.rlim_cur == r.rlim_max) return;
  r.rlim_cur = r.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &r) < 0)
    log::warn(kLog, "raising the open-file limit: {}", Error::from_errno("setrlimit").message());
}

// Runs in the forked child: only async-signal-safe calls until execv (signal-safety(7)).
[[noreturn]] void exec_runtime_child(int out_fd, int started_fd, char* const argv[]) {
  if (g_child_nofile.rlim_cur != 0) ::setrlimit(RLIMIT_NOFILE, &g_child_nofile);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);  // the mask survives execve(2)
  signal(SIGPIPE, SIG_DFL);
  setsid();  // its own session: console signals and our process group stay ours
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd >= 0) dup2(null_fd, 0);
  dup2(out_fd, 1);  // dup2 clears O_CLOEXEC on the copies
  dup2(out_fd, 2);
  // --ready-fd 3. dup2 onto itself would keep O_CLOEXEC, so clear it then.
  if (started_fd == kStartedFd)
    fcntl(kStartedFd, F_SETFD, 0);
  else
    dup2(started_fd, kStartedFd);
  execv(argv[0], argv);
  static constexpr char msg[] = "keel-init: cannot execute the runtime\n";
  [[maybe_unused]] auto n = write(2, msg, sizeof msg - 1);
  _exit(127);
}

}  // namespace

Supervisor::Supervisor(SupervisorConfig config)
    : m_config(std::move(config)), m_init_log(m_config.log_dir, "keel-init") {}

Supervisor::~Supervisor() {
  log::set_sink(nullptr, nullptr);
  // The hook points here; the shutdown's last lines must reach the console too.
  log::set_blocking(2000);
}

double boot_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The init's own events (not the container lines it relays) also go to keel-init.log.
void Supervisor::log_sink(void* ud, log::Level level, std::string_view component,
                          std::string_view message) {
  if (component != kLog) return;
  static_cast<Supervisor*>(ud)->m_init_log.append(
      fmt::format("{} {}", log::level_name(level), message), boot_seconds());
}

// Log lines are waiting for the console (log::set_nonblocking): write them as it
// drains. The source is made once and switched on only while lines wait.
void Supervisor::on_log_pending(void* ud) {
  auto* sup = static_cast<Supervisor*>(ud);
  if (!sup->m_console_io) {
    sd_event_source* s = nullptr;
    if (sd_event_add_io(sup->m_event.get(), &s, 2, EPOLLOUT, &Supervisor::on_console_writable,
                        sup) < 0)
      return;  // not pollable (a regular file never makes lines wait)
    sup->m_console_io.reset(s);
  }
  sd_event_source_set_enabled(sup->m_console_io.get(), SD_EVENT_ON);
}

int Supervisor::on_console_writable(sd_event_source* s, int, uint32_t, void*) {
  if (log::flush_pending()) sd_event_source_set_enabled(s, SD_EVENT_OFF);
  return 0;
}

Result<std::unique_ptr<Supervisor>> Supervisor::create(SupervisorConfig config) {
  std::unique_ptr<Supervisor> sup(new Supervisor(std::move(config)));
  sd_event* e = nullptr;
  if (int r = sd_event_new(&e); r < 0) return fail(sd_error("sd_event_new", r));
  sup->m_event.reset(e);
  TRY(sup->add_signal_sources());
  if (sup->m_config.hotplug) sup->watch_hotplug();  // before coldplug's events are over
  raise_fd_limit();
  if (!sup->m_config.log_dir.empty()) {
    if (auto r = sys::mkdir_p(sup->m_config.log_dir, 0750); !r)
      log::error(kLog, "log directory: {} (logs stay in memory)", r.error().message());
  }
  log::set_sink(&Supervisor::log_sink, sup.get());
  // The console echoes every container's output: a chatty one on a slow serial line
  // must not stall PID 1. What waits is written when the console can take it.
  log::set_nonblocking(&Supervisor::on_log_pending, sup.get());
  if (!sup->m_config.kmsg.empty())
    if (auto r = sup->watch_kmsg(); !r)
      log::warn(kLog, "SELinux denials stay in the kernel log only: {}", r.error().message());
  DefinitionSet set = load_definitions(sup->m_config.container_dirs);
  for (const auto& err : set.errors)
    log::error(kLog, "skipping a container definition: {}", err.message());
  for (const auto& def : set.disabled)
    log::info(kLog, "container {} is disabled on this host (enabled = false in {})", def.name,
              def.source_path);
  StartOrder order = resolve_start_order(set.defs);
  for (const auto& w : order.warnings) log::warn(kLog, "{}", w);
  for (const auto& err : order.errors) log::error(kLog, "{}", err.message());
  // Indices of set.defs -> containers; unstartable ones are reported and left out.
  std::vector<Container*> by_index(set.defs.size(), nullptr);
  for (size_t i = 0; i < set.defs.size(); ++i) {
    if (order.unstartable[i]) continue;
    sup->m_containers.push_back(
        std::make_unique<Container>(sup.get(), std::move(set.defs[i]), sup->m_config.log_dir));
    by_index[i] = sup->m_containers.back().get();
  }
  for (size_t i = 0; i < by_index.size(); ++i) {
    if (!by_index[i]) continue;
    for (size_t d : order.waits_for[i]) by_index[i]->waits_for.push_back(by_index[d]);
    for (size_t d : order.required[i]) by_index[i]->required.push_back(by_index[d]);
  }
  return sup;
}

Result<void> Supervisor::add_signal_sources() {
  // sd_event_add_signal(3): the signal must be blocked first, or it is delivered the
  // default way instead of through the signalfd.
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kHandledSignals) sigaddset(&set, sig);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) < 0) return fail_errno("sigprocmask");
  for (int sig : kHandledSignals) {
    sd_event_source* s = nullptr;
    if (int r = sd_event_add_signal(m_event.get(), &s, sig, &Supervisor::on_signal, this); r < 0)
      return fail(sd_error("sd_event_add_signal", r));
    m_signal_sources.emplace_back(s);
  }
  return {};
}

Result<EventSourcePtr> Supervisor::add_timer(std::chrono::milliseconds delay,
                                             sd_event_time_handler_t handler, void* userdata) {
  sd_event_source* s = nullptr;
  auto usec = static_cast<uint64_t>(delay.count()) * 1000;
  int r =
      sd_event_add_time_relative(m_event.get(), &s, CLOCK_MONOTONIC, usec, 1000, handler, userdata);
  if (r < 0) return fail(sd_error("sd_event_add_time_relative", r));
  return EventSourcePtr(s);
}

Result<void> Supervisor::spawn(Container& c) {
  auto pipe = TRY(sys::pipe());
  auto started = TRY(sys::pipe());
  // argv is built before fork(): the child only calls async-signal-safe functions.
  std::string verb = "up", notify_flag = "--notify-socket", ready_flag = "--ready-fd",
              ready_fd = std::to_string(kStartedFd), mcs_flag = "--mcs", level;
  std::vector<char*> argv = {m_config.runtime.data(), verb.data(), c.def.source_path.data()};
  // Only init sees every container, so only it can keep their category pairs unique.
  // System containers run in spc_t over all categories instead.
  if (!c.def.system && ::is_selinux_enabled() > 0) {
    level = m_mcs.level_for(c.def.name);
    argv.push_back(mcs_flag.data());
    argv.push_back(level.data());
  }
  if (c.def.ready == ReadyWhen::notify) {
    TRY(prepare_notify(c));
    argv.push_back(notify_flag.data());
    argv.push_back(c.notify_path.data());
  }
  argv.push_back(ready_flag.data());
  argv.push_back(ready_fd.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork");
  if (pid == 0) exec_runtime_child(pipe.write.get(), started.write.get(), argv.data());
  pipe.write.reset();
  started.write.reset();
  TRY(watch_started(c, std::move(started.read)));
  // No race with pid reuse: only this process reaps, and it has not reaped yet.
  auto pidfd = sys::pidfd_open(pid);
  if (pidfd)
    c.pidfd = std::move(*pidfd);
  else
    log::warn(kLog, "container {}: {} (signals go by pid)", c.def.name, pidfd.error().message());
  c.pid = pid;
  m_by_pid[pid] = &c;
  c.started_at = Clock::now();
  c.tracker.on_spawned(c.started_at);
  // "starting" from here; the probes begin once the runtime reports the process
  // running (on_started): until then nothing can answer them.
  c.health.on_start(c.started_at);
  int fl = ::fcntl(pipe.read.get(), F_GETFL);
  if (fl < 0 || ::fcntl(pipe.read.get(), F_SETFL, fl | O_NONBLOCK) < 0)
    return fail_errno("fcntl O_NONBLOCK");
  sd_event_source* s = nullptr;
  int r = sd_event_add_io(m_event.get(), &s, pipe.read.get(), EPOLLIN, &Supervisor::on_output, &c);
  if (r < 0) return fail(sd_error("sd_event_add_io", r));
  c.io.reset(s);
  c.out = std::move(pipe.read);
  return {};
}

void Supervisor::start(Container& c) {
  c.tracker.on_dependencies_met();
  log::info(kLog, "starting container {} ({} up {})", c.def.name, m_config.runtime,
            c.def.source_path);
  auto r = spawn(c);
  if (r) return;
  log::error(kLog, "container {}: starting {} failed: {}", c.def.name, m_config.runtime,
             r.error().message());
  // A child that did start is reaped and judged normally; otherwise judge it here
  // like a runtime that could not be executed.
  if (c.pid < 0) on_container_exit(c, 127);
}

// A dependency is there once it runs (ready = "started"), or once it exited for
// good with status 0 (ready = "exited", or a started one that already finished). A
// failed `requires` dependency fails the waiter; a failed `after` one releases it.
bool Supervisor::dependencies_met(Container& c) {
  for (Container* d : c.waits_for) {
    auto st = d->tracker.state();
    if (st == ContainerState::stopped) continue;
    if (st == ContainerState::running && d->def.ready == ReadyWhen::started && d->runtime_started)
      continue;
    if (st == ContainerState::running && d->def.ready == ReadyWhen::healthy &&
        d->health.state() == Health::healthy)
      continue;
    if (st == ContainerState::running && d->def.ready == ReadyWhen::notify && d->notified_ready)
      continue;
    if (st != ContainerState::failed) return false;
    if (std::ranges::find(c.required, d) == c.required.end()) continue;
    log::error(kLog, "container {} not started: the container it requires, {}, failed", c.def.name,
               d->def.name);
    c.tracker.on_dependency_failed();
    return false;
  }
  return true;
}

// Starts every waiting container whose dependencies are there. Starting or failing
// one can release or fail others, so repeat until nothing changes.
void Supervisor::start_ready() {
  if (m_shutdown) return;
  for (bool changed = true; changed;) {
    changed = false;
    for (auto& c : m_containers) {
      if (c->tracker.state() != ContainerState::waiting) continue;
      if (dependencies_met(*c))
        start(*c);
      else if (c->tracker.state() == ContainerState::waiting)
        continue;
      changed = true;
    }
  }
}

void Supervisor::drain_output(Container& c, bool at_exit) {
  if (!c.out) return;
  char buf[4096];
  // At exit, read what is already there (bounded: a grandchild may keep writing).
  int budget = at_exit ? 16 * kMaxReadsPerWakeup : kMaxReadsPerWakeup;
  for (int i = 0; i < budget; ++i) {
    ssize_t n = ::read(c.out.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 && !(n < 0 && errno == EAGAIN)) at_exit = true;  // EOF or error: done
    if (n <= 0) break;
    for (const auto& line : c.lines.feed({buf, static_cast<size_t>(n)})) {
      log::info(c.def.name, "{}", line);
      c.log.append(line, boot_seconds());
    }
  }
  if (!at_exit) return;  // more may come; the io source is level triggered
  // The pipe is done. A grandchild still holding it open loses the rest; the
  // runtime owns its children.
  if (auto rest = c.lines.flush()) {
    log::info(c.def.name, "{}", *rest);
    c.log.append(*rest, boot_seconds());
  }
  c.io.reset();
  c.out.reset();
}

int Supervisor::on_output(sd_event_source*, int, uint32_t, void* ud) {
  auto* c = static_cast<Container*>(ud);
  c->sup->drain_output(*c, false);
  return 0;
}

void Supervisor::reap_children() {
  // signalfd merges SIGCHLDs, and PID 1 inherits every orphan: reap until none is left.
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) break;
    if (m_updates && m_updates->on_reaped(pid, status)) continue;
    if (auto probe = m_probes.find(pid); probe != m_probes.end()) {
      Container& c = *probe->second;
      m_probes.erase(probe);
      c.probe_pid = -1;
      on_probe_exit(c, WIFEXITED(status) ? WEXITSTATUS(status) : kProbeTimeout);
      continue;
    }
    auto it = m_by_pid.find(pid);
    if (it == m_by_pid.end()) {
      log::debug(kLog, "reaped orphan {}", pid);
      continue;
    }
    Container& c = *it->second;
    m_by_pid.erase(it);
    on_container_exit(c, exit_status_from_wait(status));
  }
  check_all_ready();  // one that ended without becoming ready no longer holds it up
  start_ready();
  maybe_finish();
}

void Supervisor::on_container_exit(Container& c, int status) {
  drain_output(c, true);
  c.pid = -1;
  c.pidfd.reset();
  c.kill_timer.reset();
  c.health_timer.reset();
  c.health.on_stop();
  c.last_exit = status;
  c.started_io.reset();
  c.started_pipe.reset();
  c.runtime_started = false;
  log::info(kLog, "container {} exited with status {}", c.def.name, status);
  if (status == 0 && c.def.ready == ReadyWhen::exited) mark_ready(c, "exited");
  auto delay = c.tracker.on_exit(status, Clock::now(), m_shutdown.has_value());
  if (c.start_when_down) {  // `keelctl restart`
    c.start_when_down = false;
    if (!m_shutdown) {
      c.tracker.on_manual_start();
      start(c);
      return;
    }
  }
  if (c.tracker.crash_looping() && !c.crash_loop_reported) {
    // Reported once per loop; the backoff keeps it from eating the machine meanwhile.
    log::error(kLog, "container {} is crash-looping: {} runs in a row ended within {} s",
               c.def.name, ContainerTracker::kCrashLoopRuns,
               std::chrono::duration_cast<std::chrono::seconds>(Backoff::kResetAfter).count());
  }
  c.crash_loop_reported = c.tracker.crash_looping();
  if (!delay) {
    if (!m_shutdown)
      log::info(kLog, "container {} {} (restart={})", c.def.name, to_string(c.tracker.state()),
                to_string(c.def.restart));
    return;
  }
  log::info(kLog, "container {} restarting in {} ms (restart {}{})", c.def.name, delay->count(),
            c.tracker.restarts() + 1,
            c.def.restart_max ? fmt::format(" of at most {}", *c.def.restart_max) : "");
  auto timer = add_timer(*delay, &Supervisor::on_restart_timer, &c);
  if (timer) {
    c.restart_timer = std::move(*timer);
    return;
  }
  log::error(kLog, "container {}: cannot arm the restart timer: {}", c.def.name,
             timer.error().message());
  c.tracker.on_stop();
}

int Supervisor::on_restart_timer(sd_event_source*, uint64_t, void* ud) {
  auto* c = static_cast<Container*>(ud);
  c->restart_timer.reset();  // sd-event keeps the source alive until dispatch returns
  c->tracker.on_restart_due();
  c->sup->start(*c);
  c->sup->start_ready();
  c->sup->maybe_finish();
  return 0;
}

int Supervisor::on_signal(sd_event_source*, const struct signalfd_siginfo* si, void* ud) {
  auto* sup = static_cast<Supervisor*>(ud);
  switch (si->ssi_signo) {
    case SIGCHLD:
      sup->reap_children();
      break;
    // busybox init's convention; the kernel sends SIGINT for ctrl-alt-del once
    // reboot(RB_DISABLE_CAD) is set (reboot(2)).
    case SIGTERM:
    case SIGINT:
      sup->begin_shutdown(ShutdownAction::reboot);
      break;
    case SIGUSR2:
      sup->begin_shutdown(ShutdownAction::poweroff);
      break;
    case SIGUSR1:
      sup->begin_shutdown(ShutdownAction::halt);
      break;
  }
  return 0;
}

void Supervisor::begin_shutdown(ShutdownAction action) {
  if (m_shutdown) {
    log::info(kLog, "already shutting down ({})", to_string(*m_shutdown));
    return;
  }
  m_shutdown = action;
  log::info(kLog, "shutting down ({})", to_string(action));
  if (m_updates) m_updates->stop();
  for (auto& c : m_containers) {
    auto st = c->tracker.state();
    if (st == ContainerState::backing_off || st == ContainerState::waiting) {
      c->restart_timer.reset();
      c->tracker.on_stop();
    }
    if (c->pid >= 0) stop(*c);
  }
  maybe_finish();
}

// The definition's stop signal now, SIGKILL after its grace period. keel-runtime
// forwards the signal to the container's PID 1 (ARCHITECTURE.md).
void Supervisor::stop(Container& c) {
  int sig = c.def.stop_signal;
  auto r = c.pidfd ? sys::pidfd_send_signal(c.pidfd.get(), sig)
                   : (::kill(c.pid, sig) < 0 ? fail_errno("kill") : Result<void>());
  if (!r) log::warn(kLog, "container {}: signal {}: {}", c.def.name, sig, r.error().message());
  auto grace = m_config.grace_override.value_or(c.def.stop_grace);
  auto timer = add_timer(grace, &Supervisor::on_kill_timer, &c);
  if (timer) {
    c.kill_timer = std::move(*timer);
    return;
  }
  log::error(kLog, "container {}: cannot arm the stop timer ({}); killing it now", c.def.name,
             timer.error().message());
  on_kill_timer(nullptr, 0, &c);
}

int Supervisor::on_kill_timer(sd_event_source*, uint64_t, void* ud) {
  auto* c = static_cast<Container*>(ud);
  if (c->pid < 0) return 0;
  log::warn(kLog, "container {} did not stop within {} ms; killing it", c->def.name,
            c->sup->m_config.grace_override.value_or(c->def.stop_grace).count());
  if (c->pidfd)
    (void)sys::pidfd_send_signal(c->pidfd.get(), SIGKILL);
  else
    ::kill(c->pid, SIGKILL);
  return 0;
}

void Supervisor::maybe_finish() {
  if (m_shutdown) {
    for (auto& c : m_containers)
      if (!c->tracker.settled()) return;
    sd_event_exit(m_event.get(), 0);
    return;
  }
  // The boot must have finished too: a test that checks the network container's
  // lease must not be cut short by a quick application container.
  if (!m_config.shutdown_when_done || !m_boot_done) return;
  // System containers (networking, time sync) serve the host and never finish; the
  // work is done when the application containers are.
  for (auto& c : m_containers)
    if (!c->def.system && !c->tracker.settled()) return;
  log::info(kLog, "every application container has exited and none will restart");
  begin_shutdown(*m_config.shutdown_when_done);
}

Result<ShutdownAction> Supervisor::run() {
  if (m_containers.empty()) {
    log::warn(kLog, "no container definitions found");
    m_boot_done = true;  // nothing to wait for
  }
  if (!m_config.control_socket.empty()) {
    auto handler = [this](const Json& req, ControlClient& c) { return handle_control(req, c); };
    auto server = ControlServer::listen(m_event.get(), m_config.control_socket, handler);
    if (server)
      m_control = std::move(*server);
    else  // keelctl will not work, but the containers still must run
      log::error(kLog, "control socket: {}", server.error().message());
  }
  start_boot_check();
  if (!m_config.boot) start_update_checks();  // no gates to wait for
  start_ready();
  maybe_finish();
  if (int r = sd_event_loop(m_event.get()); r < 0) return fail(sd_error("sd_event_loop", r));
  return m_shutdown.value_or(ShutdownAction::reboot);
}

}  // namespace keel::init
