#include "keel/init/supervisor_state.hpp"

#include <sys/wait.h>

#include <algorithm>

namespace keel::init {

std::string_view to_string(ContainerState s) {
  switch (s) {
    case ContainerState::waiting:
      return "waiting";
    case ContainerState::starting:
      return "starting";
    case ContainerState::running:
      return "running";
    case ContainerState::backing_off:
      return "backing-off";
    case ContainerState::stopped:
      return "stopped";
    case ContainerState::failed:
      return "failed";
  }
  return "?";
}

std::chrono::milliseconds Backoff::next(Clock::duration ran_for) {
  if (ran_for >= kResetAfter) m_next = kInitial;
  auto delay = m_next;
  m_next = std::min(m_next * 2, kMax);
  return delay;
}

int exit_status_from_wait(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 255;  // stopped/continued are not reported: waitpid() is called without WUNTRACED
}

bool should_restart(RestartPolicy policy, int exit_status) {
  switch (policy) {
    case RestartPolicy::always:
      return true;
    case RestartPolicy::on_failure:
      return exit_status != 0;
    case RestartPolicy::never:
      return false;
  }
  return false;
}

void ContainerTracker::on_spawned(Clock::time_point now) {
  m_state = ContainerState::running;
  m_started = now;
}

std::optional<std::chrono::milliseconds> ContainerTracker::on_exit(int exit_status,
                                                                   Clock::time_point now,
                                                                   bool shutting_down) {
  // A spawn that failed never reached running: it counts as a zero-length run.
  auto ran_for = m_state == ContainerState::running ? now - m_started : Clock::duration{};
  m_short_runs = ran_for < Backoff::kResetAfter ? m_short_runs + 1 : 0;
  bool allowed = !m_restart_max || m_restarts < *m_restart_max;
  if (!shutting_down && !m_user_stopped && allowed && should_restart(m_policy, exit_status)) {
    m_state = ContainerState::backing_off;
    return m_backoff.next(ran_for);
  }
  bool clean = exit_status == 0 || shutting_down || m_user_stopped;
  m_state = clean ? ContainerState::stopped : ContainerState::failed;
  return std::nullopt;
}

}  // namespace keel::init

namespace keel::init {

void ContainerTracker::on_user_stop() {
  m_user_stopped = true;
  if (m_state == ContainerState::backing_off || m_state == ContainerState::waiting)
    m_state = ContainerState::stopped;
}

void ContainerTracker::on_manual_start() {
  m_user_stopped = false;
  m_restarts = 0;
  m_short_runs = 0;
  m_backoff = Backoff{};
  m_state = ContainerState::starting;
}

}  // namespace keel::init
