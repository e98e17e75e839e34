// The container supervisor: one sd-event loop (sd-event(3)) that starts
// `keel-runtime up <definition>` per container, logs each output line as
// "<container>: <line>", reaps every child (PID 1 inherits orphans), restarts per
// policy with backoff, starts containers after the ones they wait for (after/requires),
// and stops everything with each one's stop signal and grace period at shutdown.
#pragma once

#include <sys/types.h>
#include <systemd/sd-event.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/common/log.hpp"
#include "keel/common/unique_fd.hpp"
#include "keel/init/boot_check.hpp"
#include "keel/init/cmdline.hpp"
#include "keel/init/control.hpp"
#include "keel/init/log_store.hpp"
#include "keel/init/mcs.hpp"
#include "keel/init/supervisor_state.hpp"

namespace keel::init {

class UpdateChecks;

struct SupervisorConfig {
  std::vector<std::string> container_dirs;  // later directories override earlier ones
  std::string runtime = "/usr/bin/keel-runtime";
  std::optional<ShutdownAction> shutdown_when_done;
  // Stop signal -> SIGKILL for every container; unset: each definition's stop_grace.
  std::optional<std::chrono::milliseconds> grace_override;
  // keelctl's socket (docs/KEELCTL.md); empty: none.
  std::string control_socket;
  // Rotated log files, <dir>/<container>.log and <dir>/keel-init.log; empty: memory only.
  std::string log_dir;
  // ready = "notify": <dir>/<container>/notify.sock, the container's NOTIFY_SOCKET.
  std::string notify_dir = "/run/keel/notify";
  // Load drivers for devices added after boot (supervisor_hotplug.cpp).
  bool hotplug = false;
  // The kernel log (/dev/kmsg): its SELinux denials are copied into keel-init's log,
  // where `keelctl logs keel-init` shows them. Empty: not read.
  std::string kmsg;
  // This boot and its gates (boot_check.hpp); nullopt: nothing to mark good (harness).
  std::optional<BootInfo> boot;
  // keel-firstboot's outcome ({"state","message"}, docs/FIRSTBOOT.md), passed on in
  // the status reply as "firstboot" when the file exists. Empty: none.
  std::string firstboot_status;
  // Automatic updates (update_checks.hpp): keelctl, run as `keelctl update auto` once the
  // boot is good, and the update.toml files it reads. Empty: none (the test harness).
  std::string update_keelctl;
  std::vector<std::string> update_config_files;
};

struct EventDeleter {
  void operator()(sd_event* e) const { sd_event_unref(e); }
};
struct SourceDeleter {
  void operator()(sd_event_source* s) const { sd_event_source_disable_unref(s); }
};
using EventSourcePtr = std::unique_ptr<sd_event_source, SourceDeleter>;

class Supervisor {
 public:
  // Blocks the signals it handles (sd_event_add_signal needs them blocked) and
  // loads the definitions; bad ones are logged and skipped.
  static Result<std::unique_ptr<Supervisor>> create(SupervisorConfig config);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Runs until a shutdown was requested and every container is down.
  Result<ShutdownAction> run();

 private:
  struct Container;
  explicit Supervisor(SupervisorConfig config);
  Result<void> add_signal_sources();
  void start(Container& c);
  Result<void> spawn(Container& c);
  void drain_output(Container& c, bool at_exit);
  void reap_children();
  void on_container_exit(Container& c, int status);
  void begin_shutdown(ShutdownAction action);
  void stop(Container& c);
  void start_ready();
  Container* find(std::string_view name);
  void arm_health_timer(Container& c);
  void start_probe(Container& c);
  void on_probe_exit(Container& c, int status);
  Result<void> prepare_notify(Container& c);
  Result<void> watch_kmsg();
  static int on_kmsg(sd_event_source* s, int fd, uint32_t revents, void* ud);
  static int on_notify(sd_event_source* s, int fd, uint32_t revents, void* ud);
  Result<void> watch_started(Container& c, UniqueFd read_end);
  static int on_started(sd_event_source* s, int fd, uint32_t revents, void* ud);
  void mark_ready(Container& c, std::string_view how);
  void check_all_ready();
  void watch_hotplug();
  static void on_log_pending(void* ud);
  static int on_console_writable(sd_event_source* s, int fd, uint32_t revents, void* ud);
  static int on_uevent(sd_event_source* s, int fd, uint32_t revents, void* ud);
  static int on_health_timer(sd_event_source* s, uint64_t usec, void* ud);
  void start_boot_check();
  void check_boot_gates();
  void boot_verdict(GateVerdict v, const std::string& why);
  void start_update_checks();
  static int on_boot_deadline(sd_event_source* s, uint64_t usec, void* ud);
  Json boot_status() const;
  Json handle_control(const Json& request, ControlClient& client);
  Json control_status();
  Json control_logs(const Json& request, ControlClient& client);
  Json control_start(Container& c);
  Json control_stop(Container& c, bool then_start);
  static void log_sink(void* ud, log::Level level, std::string_view component,
                       std::string_view message);
  bool dependencies_met(Container& c);
  void maybe_finish();
  Result<EventSourcePtr> add_timer(std::chrono::milliseconds delay, sd_event_time_handler_t handler,
                                   void* userdata);

  static int on_signal(sd_event_source* s, const struct signalfd_siginfo* si, void* ud);
  static int on_output(sd_event_source* s, int fd, uint32_t revents, void* ud);
  static int on_restart_timer(sd_event_source* s, uint64_t usec, void* ud);
  static int on_kill_timer(sd_event_source* s, uint64_t usec, void* ud);

  SupervisorConfig m_config;
  std::unique_ptr<sd_event, EventDeleter> m_event;
  std::vector<EventSourcePtr> m_signal_sources;
  std::vector<std::unique_ptr<Container>> m_containers;
  std::map<pid_t, Container*> m_by_pid;
  std::map<pid_t, Container*> m_probes;  // health probes in flight
  std::optional<ShutdownAction> m_shutdown;
  EventSourcePtr m_console_io;  // on_log_pending
  UniqueFd m_uevent_fd;
  EventSourcePtr m_uevent_io;
  bool m_boot_done = false;  // every container was ready once, or ended (supervisor_ready.cpp)
  McsAllocator m_mcs;        // each application container's category pair
  UniqueFd m_kmsg;
  EventSourcePtr m_kmsg_io;
  LogStore m_init_log;
  GateVerdict m_boot_verdict = GateVerdict::waiting;  // supervisor_boot.cpp
  EventSourcePtr m_boot_deadline;
  std::unique_ptr<UpdateChecks> m_updates;  // supervisor_boot.cpp: started once the boot is good
  Clock::time_point m_started_at = Clock::now();
  // Declared last: destroyed first, while the log stores its followers use still exist.
  std::unique_ptr<ControlServer> m_control;
};

}  // namespace keel::init
