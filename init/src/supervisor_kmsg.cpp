// SELinux denials into keel-init's log (kmsg.hpp): a non-blocking /dev/kmsg reader on
// the event loop. Reading from the start of the buffer also catches denials from
// before the supervisor started.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"
#include "keel/init/kmsg.hpp"
#include "supervisor_container.hpp"

namespace keel::init {

namespace {
constexpr std::string_view kLog = "keel-init";
}

Result<void> Supervisor::watch_kmsg() {
  m_kmsg = TRY(sys::open(m_config.kmsg, O_RDONLY | O_NONBLOCK));
  sd_event_source* s = nullptr;
  int r = sd_event_add_io(m_event.get(), &s, m_kmsg.get(), EPOLLIN, &Supervisor::on_kmsg, this);
  if (r < 0) return fail(Error::from_errno("sd_event_add_io " + m_config.kmsg, -r));
  m_kmsg_io.reset(s);
  return {};
}

int Supervisor::on_kmsg(sd_event_source*, int fd, uint32_t, void*) {
  // One record per read(2); 8 KiB holds any record (printk's limit is 1 KiB of text).
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EPIPE) continue;  // records overwritten before we read them
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: all read
    if (auto d = avc_denial(std::string_view(buf, static_cast<size_t>(n))))
      log::warn(kLog, "SELinux: {}", *d);
  }
  return 0;
}

}  // namespace keel::init
