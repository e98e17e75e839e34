// The boot's verdict (docs/BOOT.md "Boot counting"): once every gate container was
// ready, the boot is good, and a trial boot ends its trial in GRUB's environment block;
// if a gate fails or the deadline passes first, a trial boot reboots so that GRUB takes
// its next attempt or falls back. A boot that is not on trial only reports it: rebooting
// would not change what boots.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "keel/bootloader/boot_counter.hpp"
#include "keel/common/log.hpp"
#include "keel/init/supervisor.hpp"
#include "keel/init/update_checks.hpp"
#include "supervisor_container.hpp"

namespace keel::init {
namespace {

constexpr std::string_view kLog = "keel-init";
namespace bl = keel::bootloader;

std::string_view verdict_name(GateVerdict v) {
  switch (v) {
    case GateVerdict::waiting:
      return "checking";
    case GateVerdict::good:
      return "good";
    case GateVerdict::failed:
      return "failed";
  }
  return "?";
}

}  // namespace

void Supervisor::start_boot_check() {
  if (!m_config.boot) return;
  BootInfo& b = *m_config.boot;
  for (const auto& p : b.problems) log::warn(kLog, "boot: {}", p);
  log::info(kLog, "boot: deployment {} (version {}): {}", b.deployment.empty() ? "-" : b.deployment,
            b.version.empty() ? "-" : b.version, describe_boot(b));
  if (b.kind == bl::BootKind::rollback) {
    // The host records the rollback; GRUB keeps booting this deployment until the
    // deployments change, so the failed one is not tried again on its own.
    log::warn(kLog,
              "boot: rolled back from deployment {}, which did not pass its gates in its "
              "boot attempts",
              b.rolled_back_from);
    if (auto r = bl::record_rollback(b.grubenv, b.rolled_back_from); !r)
      log::error(kLog, "boot: {}", r.error().message());
    else
      b.counter.failed = b.rolled_back_from;
  }
  auto timer = add_timer(b.deadline, &Supervisor::on_boot_deadline, this);
  if (timer)
    m_boot_deadline = std::move(*timer);
  else
    log::error(kLog, "boot: cannot arm the {} s deadline: {}", b.deadline.count(),
               timer.error().message());
  log::info(kLog, "boot: waiting up to {} s for the gates: {}", b.deadline.count(),
            b.gates.empty() ? "none" : fmt::format("{}", fmt::join(b.gates, ", ")));
  check_boot_gates();
}

void Supervisor::check_boot_gates() {
  if (!m_config.boot || m_boot_verdict != GateVerdict::waiting) return;
  std::vector<GateView> seen;
  for (const auto& c : m_containers)
    seen.push_back({c->def.name, c->ever_ready, c->tracker.settled(), c->tracker.crash_looping()});
  std::string why;
  auto v = judge_gates(m_config.boot->gates, seen, why);
  if (v != GateVerdict::waiting) boot_verdict(v, why);
}

int Supervisor::on_boot_deadline(sd_event_source*, uint64_t, void* ud) {
  auto* sup = static_cast<Supervisor*>(ud);
  sup->m_boot_deadline.reset();
  if (sup->m_boot_verdict != GateVerdict::waiting) return 0;
  sup->boot_verdict(GateVerdict::failed, fmt::format("the gates were not all ready within {} s",
                                                     sup->m_config.boot->deadline.count()));
  return 0;
}

void Supervisor::boot_verdict(GateVerdict v, const std::string& why) {
  m_boot_verdict = v;
  m_boot_deadline.reset();
  BootInfo& b = *m_config.boot;
  bool trial = b.kind == bl::BootKind::trial;
  // Never during a trial: a deployment still on trial must not stage another.
  if (v == GateVerdict::good || !trial) start_update_checks();
  if (v == GateVerdict::good) {
    if (!trial) {
      log::info(kLog, "boot: good (every gate is ready)");
      return;
    }
    auto r = bl::mark_boot_good(b.grubenv, b.deployment);
    if (!r) {
      log::error(kLog, "boot: every gate is ready, but marking the boot good failed: {}",
                 r.error().message());
      return;
    }
    if (!*r) {  // someone changed the block since boot: its trial is not ours to end
      log::info(kLog, "boot: good (every gate is ready; the trial was already over)");
      return;
    }
    b.counter.pending.clear();
    b.counter.tries_left.reset();
    log::info(kLog, "boot: good: deployment {} passed its trial and stays the default",
              b.deployment);
    return;
  }
  if (!trial) {
    log::warn(kLog,
              "boot: {}; this boot is not on trial, so there is nothing to fall back "
              "from",
              why);
    return;
  }
  log::error(kLog, "boot: failed: {}; rebooting so that GRUB counts the attempt ({} left)", why,
             b.counter.tries_left.value_or(0));
  begin_shutdown(ShutdownAction::reboot);
}

void Supervisor::start_update_checks() {
  if (m_updates || m_config.update_keelctl.empty() || m_shutdown) return;
  m_updates = std::make_unique<UpdateChecks>(m_event.get(), m_config.update_keelctl,
                                             m_config.update_config_files);
  m_updates->start();
}

Json Supervisor::boot_status() const {
  if (!m_config.boot) return nullptr;
  const BootInfo& b = *m_config.boot;
  auto str_or_null = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  return Json{
      {"deployment", str_or_null(b.deployment)},
      {"version", str_or_null(b.version)},
      {"kind", bl::to_string(b.kind)},
      {"state", verdict_name(m_boot_verdict)},
      {"description", describe_boot(b)},
      {"pending", str_or_null(b.counter.pending)},
      {"tries_left", b.counter.tries_left ? Json(*b.counter.tries_left) : Json(nullptr)},
      {"last_failed", str_or_null(b.counter.failed)},
      {"gates", b.gates},
  };
}

}  // namespace keel::init
