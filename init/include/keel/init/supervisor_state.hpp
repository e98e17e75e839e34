// The supervisor's per-container state machine and restart backoff, free of I/O so
// it can be tested with plain values. Talos-style: the restart policy wraps the
// runner instead of living inside it.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "keel/common/container_def.hpp"

namespace keel::init {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, like sd-event's timers

//   starting -> running -> (exit) -> backing_off -> starting ...
//                                 -> stopped (exit 0 or shutdown) | failed
enum class ContainerState { starting, running, backing_off, stopped, failed };
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
  explicit ContainerTracker(RestartPolicy policy) : m_policy(policy) {}

  ContainerState state() const { return m_state; }
  // Settled: exited and will not be started again.
  bool settled() const {
    return m_state == ContainerState::stopped || m_state == ContainerState::failed;
  }

  void on_spawned(Clock::time_point now);
  // Returns the delay before the restart, or nullopt if it stays down
  // (policy says so, or the machine is shutting down).
  std::optional<std::chrono::milliseconds> on_exit(int exit_status, Clock::time_point now,
                                                   bool shutting_down);
  void on_restart_due() { m_state = ContainerState::starting; }
  // Shutdown while waiting for a restart: do not start it again.
  void on_stop() { m_state = ContainerState::stopped; }

 private:
  RestartPolicy m_policy;
  ContainerState m_state = ContainerState::starting;
  Clock::time_point m_started{};
  Backoff m_backoff;
};

}  // namespace keel::init
