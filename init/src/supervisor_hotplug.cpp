// Hotplug: a device added after boot gets its driver the way coldplug gave the
// others theirs. keel-init reads the kernel's uevents and starts `modprobe -q -b
// MODALIAS` for each "add" that names a modalias, without waiting for it: the child is
// reaped with the others, so a slow module load never holds the init up.
#include "keel/common/log.hpp"
#include "keel/init/drivers.hpp"
#include "keel/init/supervisor.hpp"
#include "keel/init/uevent.hpp"
#include "supervisor_container.hpp"

namespace keel::init {
namespace {

constexpr std::string_view kLog = "keel-init";
constexpr int kMaxUeventsPerWakeup = 64;

}  // namespace

void Supervisor::watch_hotplug() {
  auto fd = open_uevent_socket();
  if (!fd) {
    log::error(kLog, "hotplug: {} (devices added later get no driver)", fd.error().message());
    return;
  }
  sd_event_source* s = nullptr;
  int r = sd_event_add_io(m_event.get(), &s, fd->get(), EPOLLIN, &Supervisor::on_uevent, this);
  if (r < 0) {
    log::error(kLog, "hotplug: {}", Error::from_errno("sd_event_add_io", -r).message());
    return;
  }
  m_uevent_fd = std::move(*fd);
  m_uevent_io.reset(s);
}

int Supervisor::on_uevent(sd_event_source*, int fd, uint32_t, void*) {
  bool more = true;
  for (int i = 0; i < kMaxUeventsPerWakeup && more; ++i) {
    auto ev = receive_uevent(fd, more);
    if (!ev || ev->action != "add" || ev->modalias.empty()) continue;
    auto pid = start_modprobe(ev->modalias);
    if (pid)
      log::info(kLog, "hotplug: {} device {} added; loading its driver ({})", ev->subsystem,
                ev->devpath, ev->modalias);
    else
      log::warn(kLog, "hotplug: {} device {}: {}", ev->subsystem, ev->devpath,
                pid.error().message());
  }
  return 0;
}

}  // namespace keel::init
