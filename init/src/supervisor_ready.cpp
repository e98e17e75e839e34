// When a container is ready, and when all of them are. keel-runtime up writes
// "started" on the pipe given as --ready-fd once the container's process has been
// exec'd: a ready = "started" container is ready then (not when the runtime was
// forked, which says nothing about the container), and its health probes begin. The
// other kinds become ready on their first healthy probe, READY=1, or a clean exit.
// Each start's readiness is logged once, and the first time every container is
// ready, or has ended without becoming so, keel-init says so: bench/boot measures
// the boot by these lines.
#include <unistd.h>

#include <string_view>

#include "keel/common/log.hpp"
#include "keel/init/supervisor.hpp"
#include "supervisor_container.hpp"

namespace keel::init {
namespace {

constexpr std::string_view kLog = "keel-init";

}  // namespace

Result<void> Supervisor::watch_started(Container& c, UniqueFd read_end) {
  c.runtime_started = false;
  c.ready_logged = false;
  sd_event_source* s = nullptr;
  int r = sd_event_add_io(m_event.get(), &s, read_end.get(), EPOLLIN, &Supervisor::on_started, &c);
  if (r < 0) return fail(Error::from_errno("sd_event_add_io", -r));
  c.started_io.reset(s);
  c.started_pipe = std::move(read_end);
  return {};
}

int Supervisor::on_started(sd_event_source*, int fd, uint32_t, void* ud) {
  auto* c = static_cast<Container*>(ud);
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  // One short message, then EOF: the runtime closes it (or exits) either way.
  c->started_io.reset();
  c->started_pipe.reset();
  if (n <= 0 || std::string_view(buf, static_cast<size_t>(n)) != "started\n" || c->pid < 0)
    return 0;
  c->runtime_started = true;
  log::info(kLog, "container {} is running", c->def.name);
  // Health checks start with the process, as Docker's and Kubernetes' do. Armed at
  // the runtime's fork, probes of a start still under way could only fail, and each
  // is an exec: under TCG they made the boot's two container starts about 0.2 s
  // longer each (docs/BENCHMARKS.md, "Boot"). start_period counts from here too.
  if (c->def.health.kind != HealthCheck::Kind::none) {
    c->health.on_start(Clock::now());
    c->sup->arm_health_timer(*c);
  }
  if (c->def.ready == ReadyWhen::started) c->sup->mark_ready(*c, "started");
  return 0;
}

void Supervisor::mark_ready(Container& c, std::string_view how) {
  if (!c.ready_logged) {
    c.ready_logged = true;
    c.ever_ready = true;
    log::info(kLog, "container {} is ready ({})", c.def.name, how);
  }
  check_all_ready();
  start_ready();
}

void Supervisor::check_all_ready() {
  check_boot_gates();  // supervisor_boot.cpp
  if (m_boot_done) return;
  size_t ready = 0, ended = 0;
  for (const auto& c : m_containers) {
    auto st = c->tracker.state();
    if (c->ever_ready)
      ++ready;
    else if (st == ContainerState::stopped || st == ContainerState::failed)
      ++ended;
    else
      return;  // still on its way
  }
  m_boot_done = true;
  if (ready == 0)
    log::warn(kLog, "no container became ready ({} ended)", ended);
  else if (ended == 0)
    log::info(kLog, "all {} containers are ready", ready);
  else
    log::info(kLog, "all {} containers are ready ({} ended without becoming ready)", ready, ended);
  maybe_finish();  // keel.shutdown-when-done waits for this too
}

}  // namespace keel::init
