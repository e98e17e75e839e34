// The supervisor's per-container state machine and restart backoff, free of I/O so
// it can be tested with plain values. Talos-style: the restart policy wraps the
// runner instead of living inside it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "keel/common/container_def.hpp"

namespace keel::init {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, like sd-event's timers

//   waiting (for after/requires) -> starting -> running -> (exit) -> backing_off -> starting ...
//                                                            -> stopped (exit 0 or shutdown) |
//                                                            failed
enum class ContainerState { waiting, starting, running, backing_off, stopped, failed };
std::string_view to_string(ContainerState s);

// Exponential backoff: 100 ms, doubling, capped at 30 s; a run that lasted at least
// 10 s counts as healthy and resets the delay.
class Backoff {
 public:
  static constexpr std::chrono::milliseconds kInitial{100};
  static constexpr std::chrono::milliseconds kMax{30'000};
  static constexpr std::chrono::milliseconds kResetAfter{10'000};

  std::chrono::milliseconds next(Clock::duration ran_for);

 private:
  std::chrono::milliseconds m_next = kInitial;
};

// waitpid(2) status as a shell would report it: exit code, or 128+signal.
int exit_status_from_wait(int wstatus);
bool should_restart(RestartPolicy policy, int exit_status);

class ContainerTracker {
 public:
  // Consecutive runs shorter than Backoff::kResetAfter that make a crash loop.
  static constexpr unsigned kCrashLoopRuns = 5;

  explicit ContainerTracker(RestartPolicy policy,
                            std::optional<uint32_t> restart_max = std::nullopt)
      : m_policy(policy), m_restart_max(restart_max) {}

  ContainerState state() const { return m_state; }
  // Settled: exited and will not be started again.
  bool settled() const {
    return m_state == ContainerState::stopped || m_state == ContainerState::failed;
  }

  unsigned restarts() const { return m_restarts; }
  // It keeps dying young (kCrashLoopRuns short runs in a row); a healthy run clears it.
  bool crash_looping() const { return m_short_runs >= kCrashLoopRuns; }

  // Its dependencies are there (or it has none): start it now.
  void on_dependencies_met() { m_state = ContainerState::starting; }
  // A container it requires failed: it will not start.
  void on_dependency_failed() { m_state = ContainerState::failed; }
  void on_spawned(Clock::time_point now);
  // Returns the delay before the restart, or nullopt if it stays down
  // (policy says so, or the machine is shutting down).
  std::optional<std::chrono::milliseconds> on_exit(int exit_status, Clock::time_point now,
                                                   bool shutting_down);
  void on_restart_due() {
    m_state = ContainerState::starting;
    ++m_restarts;
  }
  // Shutdown while waiting for a restart: do not start it again.
  void on_stop() { m_state = ContainerState::stopped; }
  // `keelctl stop`: once it exits it stays down, whatever the policy says.
  void on_user_stop();
  // `keelctl start` of a settled container: a fresh start, backoff and counts reset.
  void on_manual_start();

 private:
  RestartPolicy m_policy;
  std::optional<uint32_t> m_restart_max;
  ContainerState m_state = ContainerState::waiting;
  unsigned m_restarts = 0, m_short_runs = 0;
  bool m_user_stopped = false;
  Clock::time_point m_started{};
  Backoff m_backoff;
};

}  // namespace keel::init
