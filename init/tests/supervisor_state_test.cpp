#include "keel/init/supervisor_state.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>

using namespace keel::init;
using keel::RestartPolicy;
using namespace std::chrono_literals;

TEST(Backoff, DoublesAndCaps) {
  Backoff b;
  EXPECT_EQ(b.next(0s), 100ms);
  EXPECT_EQ(b.next(1s), 200ms);
  EXPECT_EQ(b.next(1s), 400ms);
  for (int i = 0; i < 20; ++i) b.next(1s);
  EXPECT_EQ(b.next(1s), 30s);
}

TEST(Backoff, ResetsAfterAHealthyRun) {
  Backoff b;
  b.next(0s);
  b.next(0s);
  EXPECT_EQ(b.next(0s), 400ms);
  EXPECT_EQ(b.next(10s), 100ms);
  EXPECT_EQ(b.next(0s), 200ms);
}

TEST(RestartPolicy, Decision) {
  EXPECT_TRUE(should_restart(RestartPolicy::always, 0));
  EXPECT_TRUE(should_restart(RestartPolicy::on_failure, 1));
  EXPECT_FALSE(should_restart(RestartPolicy::on_failure, 0));
  EXPECT_FALSE(should_restart(RestartPolicy::never, 1));
}

TEST(ExitStatus, FromWaitStatus) {
  EXPECT_EQ(exit_status_from_wait(3 << 8), 3);  // WEXITSTATUS layout
  EXPECT_EQ(exit_status_from_wait(SIGKILL), 128 + SIGKILL);
}

TEST(Tracker, OnFailureBacksOffThenFails) {
  ContainerTracker t(RestartPolicy::on_failure);
  auto now = Clock::now();
  EXPECT_EQ(t.state(), ContainerState::waiting);
  t.on_dependencies_met();
  EXPECT_EQ(t.state(), ContainerState::starting);
  t.on_spawned(now);
  EXPECT_EQ(t.state(), ContainerState::running);
  EXPECT_EQ(t.on_exit(1, now + 1s, false), 100ms);
  EXPECT_EQ(t.state(), ContainerState::backing_off);
  EXPECT_FALSE(t.settled());
  t.on_restart_due();
  EXPECT_EQ(t.state(), ContainerState::starting);
  t.on_spawned(now + 2s);
  EXPECT_EQ(t.on_exit(1, now + 3s, false), 200ms);
  t.on_restart_due();
  t.on_spawned(now + 4s);
  EXPECT_EQ(t.on_exit(0, now + 5s, false), std::nullopt);
  EXPECT_EQ(t.state(), ContainerState::stopped);
  EXPECT_TRUE(t.settled());
}

TEST(Tracker, NeverAndShutdown) {
  ContainerTracker never(RestartPolicy::never);
  never.on_spawned(Clock::now());
  EXPECT_EQ(never.on_exit(5, Clock::now(), false), std::nullopt);
  EXPECT_EQ(never.state(), ContainerState::failed);

  ContainerTracker always(RestartPolicy::always);
  always.on_spawned(Clock::now());
  EXPECT_EQ(always.on_exit(143, Clock::now(), true), std::nullopt);
  EXPECT_EQ(always.state(), ContainerState::stopped);

  ContainerTracker waiting(RestartPolicy::always);
  waiting.on_spawned(Clock::now());
  ASSERT_TRUE(waiting.on_exit(0, Clock::now(), false));
  waiting.on_stop();
  EXPECT_TRUE(waiting.settled());
}

TEST(Tracker, SpawnFailureIsAZeroLengthRun) {
  ContainerTracker t(RestartPolicy::always);
  EXPECT_EQ(t.on_exit(127, Clock::now(), false), 100ms);
  t.on_restart_due();
  EXPECT_EQ(t.on_exit(127, Clock::now(), false), 200ms);
}

TEST(Tracker, StartsWaitingForDependencies) {
  ContainerTracker t(RestartPolicy::always);
  EXPECT_EQ(t.state(), ContainerState::waiting);
  EXPECT_FALSE(t.settled());
  t.on_dependency_failed();
  EXPECT_EQ(t.state(), ContainerState::failed);
  EXPECT_TRUE(t.settled());
}

TEST(Tracker, RestartMaxGivesUp) {
  ContainerTracker t(RestartPolicy::on_failure, 2);
  auto now = Clock::now();
  t.on_dependencies_met();
  for (int i = 0; i < 2; ++i) {
    t.on_spawned(now);
    ASSERT_TRUE(t.on_exit(1, now + 1s, false)) << "restart " << i;
    t.on_restart_due();
  }
  EXPECT_EQ(t.restarts(), 2u);
  t.on_spawned(now);
  EXPECT_EQ(t.on_exit(1, now + 1s, false), std::nullopt);
  EXPECT_EQ(t.state(), ContainerState::failed);
}

TEST(Tracker, CrashLoopIsFlaggedAndAHealthyRunClearsIt) {
  ContainerTracker t(RestartPolicy::always);
  auto now = Clock::now();
  t.on_dependencies_met();
  for (unsigned i = 0; i < ContainerTracker::kCrashLoopRuns; ++i) {
    EXPECT_FALSE(t.crash_looping()) << i;
    t.on_spawned(now);
    now += 1s;
    ASSERT_TRUE(t.on_exit(1, now, false));
    t.on_restart_due();
  }
  EXPECT_TRUE(t.crash_looping());
  t.on_spawned(now);
  now += 11s;  // longer than Backoff::kResetAfter
  EXPECT_EQ(t.on_exit(1, now, false), 100ms);
  EXPECT_FALSE(t.crash_looping());
}

TEST(Tracker, UserStopKeepsItDownAndManualStartResets) {
  ContainerTracker t(RestartPolicy::always, std::nullopt);
  auto now = Clock::now();
  t.on_dependencies_met();
  t.on_spawned(now);
  t.on_user_stop();
  EXPECT_EQ(t.on_exit(143, now + 1s, false), std::nullopt);
  EXPECT_EQ(t.state(), ContainerState::stopped);
  t.on_manual_start();
  EXPECT_EQ(t.state(), ContainerState::starting);
  t.on_spawned(now + 2s);
  EXPECT_EQ(t.on_exit(1, now + 3s, false), 100ms);  // policy applies again, backoff reset
}
