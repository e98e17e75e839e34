#include "keel/init/update_checks.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "keel/common/log.hpp"
#include "keel/common/sys.hpp"

namespace keel::init {
namespace {

constexpr std::string_view kLog = "keel-init";
constexpr std::string_view kRunLog = "keel-update";

std::string interval_text(std::chrono::seconds s) {
  if (s.count() % 3600 == 0) return fmt::format("{}h", s.count() / 3600);
  if (s.count() % 60 == 0) return fmt::format("{}m", s.count() / 60);
  return fmt::format("{}s", s.count());
}

uint64_t random_u64() {
  uint64_t r = 0;
  // Minutes after boot the kernel's pool is ready; should it not be, any spread will do.
  if (::getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
    r = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return r;
}

}  // namespace

UpdateCheckPlan plan_update_checks(const Result<update::UpdateConfig>& cfg) {
  UpdateCheckPlan p;
  if (!cfg) {
    p.what = fmt::format("off until the settings are fixed: {}", cfg.error().message());
    return p;
  }
  p.interval = cfg->check_interval;
  std::string files =
      cfg->sources.empty() ? "the defaults" : fmt::format("{}", fmt::join(cfg->sources, ", "));
  if (cfg->policy == update::Policy::manual) {
    p.what = fmt::format("off (policy manual in {}; keelctl update apply installs updates)", files);
    return p;
  }
  if (auto complete = update::check_complete(*cfg); !complete) {
    p.what = fmt::format("off: {}", complete.error().message());
    return p;
  }
  p.enabled = true;
  p.what =
      fmt::format("keelctl update auto every {} (policy {}, {}, from {})",
                  interval_text(p.interval), update::policy_name(cfg->policy), cfg->url, files);
  return p;
}

std::chrono::milliseconds next_check_delay(std::chrono::seconds interval, uint64_t random) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(interval);
  auto spread = static_cast<uint64_t>(ms.count() / 10);
  return ms + std::chrono::milliseconds(spread ? random % (spread + 1) : 0);
}

UpdateChecks::UpdateChecks(sd_event* event, std::string keelctl,
                           std::vector<std::string> config_files)
    : m_event(event), m_keelctl(std::move(keelctl)), m_files(std::move(config_files)) {}

void UpdateChecks::start() {
  UpdateCheckPlan plan = plan_update_checks(update::load_update_config(m_files));
  log::info(kLog, "automatic updates: {}", plan.what);
  arm(plan.interval);
}

void UpdateChecks::stop() {
  m_stopped = true;
  m_timer.reset();
}

void UpdateChecks::arm(std::chrono::seconds interval) {
  if (m_stopped) return;
  sd_event_source* s = nullptr;
  auto delay = next_check_delay(interval, random_u64());
  int r = sd_event_add_time_relative(m_event, &s, CLOCK_BOOTTIME,
                                     static_cast<uint64_t>(delay.count()) * 1000, 1'000'000,
                                     &UpdateChecks::on_timer, this);
  if (r < 0) {
    log::error(kLog, "automatic updates: cannot arm the timer: {}",
               Error::from_errno("sd_event_add_time_relative", -r).message());
    return;
  }
  m_timer.reset(s);
}

int UpdateChecks::on_timer(sd_event_source*, uint64_t, void* ud) {
  auto* self = static_cast<UpdateChecks*>(ud);
  self->m_timer.reset();
  self->check_now();
  return 0;
}

void UpdateChecks::check_now() {
  UpdateCheckPlan plan = plan_update_checks(update::load_update_config(m_files));
  arm(plan.interval);
  if (!plan.enabled) {
    log::debug(kLog, "automatic updates: {}", plan.what);
    return;
  }
  if (m_pid >= 0) {
    log::warn(kLog,
              "automatic updates: the previous keelctl update auto (pid {}) still runs; "
              "skipping this check",
              m_pid);
    return;
  }
  if (auto r = spawn(); !r) log::error(kLog, "automatic updates: {}", r.error().message());
}

Result<void> UpdateChecks::spawn() {
  auto pipe = TRY(sys::pipe(O_CLOEXEC));
  pid_t pid = TRY(sys::spawn({m_keelctl, "update", "auto"}, pipe.write.get()));
  pipe.write.reset();
  int fl = ::fcntl(pipe.read.get(), F_GETFL);
  if (fl < 0 || ::fcntl(pipe.read.get(), F_SETFL, fl | O_NONBLOCK) < 0)
    return fail_errno("fcntl O_NONBLOCK");
  sd_event_source* s = nullptr;
  int r = sd_event_add_io(m_event, &s, pipe.read.get(), EPOLLIN, &UpdateChecks::on_output, this);
  if (r < 0) return fail(Error::from_errno("sd_event_add_io", -r));
  m_io.reset(s);
  m_out = std::move(pipe.read);
  m_pid = pid;
  log::info(kLog, "automatic updates: running {} update auto (pid {})", m_keelctl, pid);
  return {};
}

int UpdateChecks::on_output(sd_event_source*, int, uint32_t, void* ud) {
  static_cast<UpdateChecks*>(ud)->drain(false);
  return 0;
}

void UpdateChecks::drain(bool at_exit) {
  if (!m_out) return;
  char buf[4096];
  bool eof = false;
  for (;;) {
    ssize_t n = ::read(m_out.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    eof = n == 0;
    if (n <= 0) break;
    for (const auto& line : m_lines.feed({buf, static_cast<size_t>(n)}))
      log::info(kRunLog, "{}", line);
  }
  // At EOF the pipe stays readable: keeping the source would spin the loop until the reap.
  if (!eof && !at_exit) return;
  if (auto rest = m_lines.flush()) log::info(kRunLog, "{}", *rest);
  m_io.reset();
  m_out.reset();
}

bool UpdateChecks::on_reaped(pid_t pid, int status) {
  if (pid != m_pid) return false;
  m_pid = -1;
  drain(true);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code == 0)
    log::info(kLog, "automatic updates: keelctl update auto finished");
  else
    log::warn(kLog,
              "automatic updates: keelctl update auto failed (exit status {}); next check "
              "in one interval",
              code);
  return true;
}

}  // namespace keel::init
