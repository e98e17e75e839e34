// Automatic updates (docs/UPDATES.md "Rolling out"): once the boot is good, keel-init runs
// `keelctl update auto` every check_interval, as Fedora CoreOS's zincati polls for
// releases. keelctl does the work and links libostree, which PID 1 must not; PID 1 keeps
// the clock, reaps the run and logs its output lines as "keel-update: ...". The policy is
// read again before every run, so a changed /etc/keel/update.toml takes effect without a
// reboot, and a host whose policy is manual only pays for a timer.
#pragma once

#include <sys/types.h>
#include <systemd/sd-event.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/common/unique_fd.hpp"
#include "keel/init/line_splitter.hpp"
#include "keel/init/supervisor.hpp"
#include "keel/update/config.hpp"

namespace keel::init {

struct UpdateCheckPlan {
  bool enabled = false;
  std::chrono::seconds interval{3600};  // the next check, enabled or not
  std::string what;                     // for the log: the policy and files, or why not
};

// What the update settings (or the error reading them) mean for automatic checks.
UpdateCheckPlan plan_update_checks(const Result<update::UpdateConfig>& cfg);

// The wait before the next run: the interval plus a splay of up to a tenth of it from
// `random`, so that hosts booted together do not all ask the server at once.
std::chrono::milliseconds next_check_delay(std::chrono::seconds interval, uint64_t random);

class UpdateChecks {
 public:
  UpdateChecks(sd_event* event, std::string keelctl, std::vector<std::string> config_files);
  UpdateChecks(const UpdateChecks&) = delete;
  UpdateChecks& operator=(const UpdateChecks&) = delete;

  // Logs the plan and arms the first check, one interval from now.
  void start();
  // No further runs (shutdown); a run in progress is left to the shutdown's kill.
  void stop();
  // The reaper's question: was `pid` the run? Then its exit is logged.
  bool on_reaped(pid_t pid, int status);
  // What the timer does (and re-arms it): reads the settings, runs keelctl when enabled.
  void check_now();
  pid_t running() const { return m_pid; }

 private:
  static int on_timer(sd_event_source* s, uint64_t usec, void* ud);
  static int on_output(sd_event_source* s, int fd, uint32_t revents, void* ud);
  void arm(std::chrono::seconds interval);
  Result<void> spawn();
  void drain(bool at_exit);

  sd_event* m_event;
  std::string m_keelctl;
  std::vector<std::string> m_files;
  EventSourcePtr m_timer;
  EventSourcePtr m_io;
  UniqueFd m_out;
  LineSplitter m_lines;
  pid_t m_pid = -1;
  bool m_stopped = false;
};

}  // namespace keel::init
