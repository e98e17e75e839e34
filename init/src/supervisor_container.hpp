// One supervised container: its definition, state machine, runtime process and log.
// Private to the supervisor's source files.
#pragma once

#include <sys/types.h>

#include <memory>
#include <vector>

#include "keel/common/container_def.hpp"
#include "keel/common/unique_fd.hpp"
#include "keel/init/health.hpp"
#include "keel/init/line_splitter.hpp"
#include "keel/init/log_store.hpp"
#include "keel/init/supervisor.hpp"
#include "keel/init/supervisor_state.hpp"

namespace keel::init {

// Seconds since boot (CLOCK_BOOTTIME), the stamp of every log line.
double boot_seconds();

struct Supervisor::Container {
  Supervisor* sup = nullptr;
  ContainerDef def;
  ContainerTracker tracker;
  pid_t pid = -1;  // the `keel-runtime up` process
  UniqueFd pidfd;
  UniqueFd out;
  EventSourcePtr io;
  EventSourcePtr restart_timer;
  EventSourcePtr kill_timer;  // stop signal sent; SIGKILL when it fires
  LineSplitter lines;
  LogStore log;
  std::vector<Container*> waits_for, required;  // resolved after/requires
  bool crash_loop_reported = false;
  bool start_when_down = false;  // `keelctl restart`: start again once it has exited
  Clock::time_point started_at{};
  int last_exit = -1;  // -1: has not exited yet
  HealthTracker health;
  EventSourcePtr health_timer;
  pid_t probe_pid = -1;
  // ready = "notify" (supervisor_notify.cpp): the socket, made at the first start.
  std::string notify_path;
  UniqueFd notify_fd;
  EventSourcePtr notify_io;
  bool notified_ready = false;  // READY=1 came since the last start
  // supervisor_ready.cpp: keel-runtime's --ready-fd pipe, read until "started".
  UniqueFd started_pipe;
  EventSourcePtr started_io;
  bool runtime_started = false;  // the container's process runs (this start)
  bool ready_logged = false;     // "is ready" was logged for this start
  bool ever_ready = false;       // for "all containers are ready"

  Container(Supervisor* s, ContainerDef d, const std::string& log_dir)
      : sup(s),
        def(std::move(d)),
        tracker(def.restart, def.restart_max),
        log(log_dir, def.name),
        health(def.health) {}
};

}  // namespace keel::init
