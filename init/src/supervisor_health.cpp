// The supervisor's side of health checks (keel/init/health.hpp): a timer per
// checked container, one probe process at a time, state changes logged.
#include <fcntl.h>
#include <unistd.h>

#include <charconv>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/init/supervisor.hpp"
#include "supervisor_container.hpp"

namespace keel::init {
namespace {

constexpr std::string_view kLog = "keel-init";

// The container's own PID 1 is the runtime's child (/proc/PID/task/PID/children,
// Linux 3.5). Without one (a runtime that is the workload itself, as in the test
// harness) the runtime's process is probed in its own namespace.
pid_t container_pid(pid_t runtime) {
  auto text = sys::read_file("/proc/" + std::to_string(runtime) + "/task/" +
                             std::to_string(runtime) + "/children");
  if (!text) return runtime;
  pid_t child = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), child);
  return ec == std::errc() && child > 0 ? child : runtime;
}

}  // namespace

void Supervisor::arm_health_timer(Container& c) {
  auto timer = add_timer(c.health.next_delay(Clock::now()), &Supervisor::on_health_timer, &c);
  if (timer)
    c.health_timer = std::move(*timer);
  else
    log::error(kLog, "container {}: cannot arm its health timer: {}", c.def.name,
               timer.error().message());
}

int Supervisor::on_health_timer(sd_event_source*, uint64_t, void* ud) {
  auto* c = static_cast<Container*>(ud);
  c->health_timer.reset();  // freed after dispatch; a new one is armed below
  if (c->pid < 0 || c->sup->m_shutdown) return 0;
  // A probe still running past its interval counts as a timeout when it ends.
  if (c->probe_pid < 0) c->sup->start_probe(*c);
  c->sup->arm_health_timer(*c);
  return 0;
}

void Supervisor::start_probe(Container& c) {
  HealthProbe probe = plan_probe(c.def.health, {m_config.runtime, "exec", c.def.name});
  // Network probes join the container's network namespace; exec probes get
  // everything from keel-runtime exec.
  UniqueFd netns;
  if (probe.argv.empty()) {
    std::string ns = "/proc/" + std::to_string(container_pid(c.pid)) + "/ns/net";
    auto fd = sys::open(ns, O_RDONLY | O_CLOEXEC);
    if (!fd) {
      on_probe_exit(c, kProbeSetup);
      return;
    }
    netns = std::move(*fd);
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    log::warn(kLog, "container {}: health probe: {}", c.def.name,
              Error::from_errno("fork").message());
    return;
  }
  if (pid == 0) run_probe(netns.get(), probe);
  c.probe_pid = pid;
  m_probes[pid] = &c;
}

void Supervisor::on_probe_exit(Container& c, int status) {
  if (c.pid < 0) return;  // the container is gone; its result no longer matters
  bool ok = status == kProbeHealthy;
  if (!c.health.on_result(ok, Clock::now())) return;
  if (!ok) {
    log::warn(kLog, "container {} is unhealthy: {} ({} failed probes in a row)", c.def.name,
              probe_result_text(status), c.def.health.retries);
    return;
  }
  log::info(kLog, "container {} is healthy", c.def.name);
  if (c.def.ready == ReadyWhen::healthy)
    mark_ready(c, "healthy");  // its waiters may start now
  else
    start_ready();
}

}  // namespace keel::init
