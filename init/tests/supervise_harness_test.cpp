// Runs the real keel-init binary in `supervise` mode against a fake runtime script,
// as an unprivileged child subreaper. Bounded by timeout(1) so a hang fails the test.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "temp_dir.hpp"

using keel::init::test::TempDir;
using keel::init::test::write_text;

namespace {

// `keel-runtime up DEF`: behaviour picked by the definition's image name.
constexpr const char* kFakeRuntime = R"SH(#!/bin/sh
[ "$1" = up ] || { echo "fake runtime: bad verb $1" >&2; exit 99; }
name=$(basename "$2" .toml)
image=$(sed -n 's/^image *= *"\(.*\)"/\1/p' "$2")
count="$(dirname "$0")/$name.count"
n=$(( $(cat "$count" 2>/dev/null || echo 0) + 1 )); echo $n > "$count"
[ "$image" = fails-setup ] && { echo "cannot set up" >&2; exit 125; }
# As keel-runtime does once the container's process runs (--ready-fd 3).
case " $* " in *" --ready-fd 3 "*) echo started >&3; exec 3>&- ;; *) echo "no --ready-fd" >&2; exit 97 ;; esac
echo "$name" >> "$(dirname "$0")/order"
case "$image" in
  ok) echo "hello from $name"; printf "no newline"; exit 0 ;;
  fail-twice) echo "attempt $n" >&2; [ $n -ge 3 ] && exit 0; exit 1 ;;
  exit-5) echo "bye"; exit 5 ;;
  sleeper) echo "sleeping"; exec sleep 30 ;;
  chatty) i=0; while [ $i -lt 20000 ]; do i=$((i+1)); echo "line $i of a chatty container"; done
          exec sleep 30 ;;
  stubborn) trap '' TERM; echo "ignoring SIGTERM"; sleep 3; exit 0 ;;
  notifier) [ "$3" = --notify-socket ] || { echo "no --notify-socket" >&2; exit 98; }
            echo "notifying $4"; sleep 0.3
            python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"STATUS=warming up", sys.argv[1])
s.sendto(b"READY=1\nSTATUS=serving", sys.argv[1])' "$4"
            exec sleep 30 ;;
  int-only) trap '' TERM; trap 'echo "got SIGINT"; exit 0' INT; echo "waiting for SIGINT"
            sleep 10 & wait ;;
esac
)SH";

struct RunResult {
  int status = -1;
  std::string output;
};

RunResult run(const std::string& cmd) {
  RunResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

bool has(const std::string& out, const std::string& needle) {
  return out.find(needle) != std::string::npos;
}

class SuperviseHarness : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(m_dir / "bin/keel-runtime", kFakeRuntime);
    ::chmod((m_dir / "bin/keel-runtime").c_str(), 0755);
  }
  std::string supervise(const std::string& extra) {
    return std::string(KEEL_INIT_BINARY) + " supervise --containers " + (m_dir / "usr") +
           " --containers " + (m_dir / "etc") + " --runtime " + (m_dir / "bin/keel-runtime") + " " +
           extra;
  }
  TempDir m_dir;
};

}  // namespace

TEST_F(SuperviseHarness, RunsRestartsAndShutsDownWhenDone) {
  write_text(m_dir / "usr/hello.toml", "image = \"ok\"\n");
  write_text(m_dir / "usr/flaky.toml", "image = \"fail-twice\"\nrestart = \"on-failure\"\n");
  write_text(m_dir / "usr/once.toml", "image = \"exit-5\"\nrestart = \"never\"\n");
  write_text(m_dir / "usr/bad.toml", "image = 42\n");
  write_text(m_dir / "etc/hello.toml", "image = \"ok\"\nrestart = \"never\"\n");
  RunResult r = run("timeout -s KILL 20 " + supervise("--shutdown-when-done"));
  const auto& out = r.output;
  EXPECT_EQ(r.status, 0) << out;
  EXPECT_TRUE(has(out, "info hello: hello from hello")) << out;
  EXPECT_TRUE(has(out, "info hello: no newline")) << out;  // partial line flushed at exit
  EXPECT_TRUE(has(out, "/etc/hello.toml")) << out;         // the /etc override was used
  EXPECT_TRUE(has(out, "info flaky: attempt 1")) << out;
  EXPECT_TRUE(has(out, "info keel-init: container flaky exited with status 1")) << out;
  EXPECT_TRUE(has(out, "info keel-init: container flaky restarting in 100 ms")) << out;
  EXPECT_TRUE(has(out, "info keel-init: container flaky restarting in 200 ms")) << out;
  EXPECT_TRUE(has(out, "info flaky: attempt 3")) << out;
  EXPECT_FALSE(has(out, "attempt 4")) << out;
  EXPECT_TRUE(has(out, "info once: bye")) << out;
  EXPECT_TRUE(has(out, "info keel-init: container once exited with status 5")) << out;
  EXPECT_FALSE(has(out, "container once restarting")) << out;
  EXPECT_TRUE(has(out, "error keel-init: skipping a container definition")) << out;
  EXPECT_TRUE(has(out, "bad.toml")) << out;
  EXPECT_TRUE(has(out, "info keel-init: shutting down (poweroff)")) << out;
}

// A system container (the network) serves the host and never finishes: once the
// application containers are done, it is stopped with the rest.
TEST_F(SuperviseHarness, ShutdownWhenDoneWaitsOnlyForApplicationContainers) {
  write_text(m_dir / "usr/net.toml", "image = \"sleeper\"\nsystem = true\nrestart = \"always\"\n");
  write_text(m_dir / "usr/app.toml", "image = \"ok\"\nrestart = \"never\"\n");
  RunResult r = run("timeout -s KILL 20 " + supervise("--shutdown-when-done --grace-ms 2000"));
  const auto& out = r.output;
  EXPECT_EQ(r.status, 0) << out;
  EXPECT_TRUE(has(out, "info app: hello from app")) << out;
  EXPECT_TRUE(has(out, "every application container has exited")) << out;
  EXPECT_TRUE(has(out, "container net exited with status 143")) << out;
  EXPECT_FALSE(has(out, "container net restarting")) << out;
}

// "started" means the runtime reported the container's process running, not that the
// runtime was forked; a runtime that failed first never makes its container ready.
TEST_F(SuperviseHarness, ReadinessIsLoggedAndAllReadyOnce) {
  write_text(m_dir / "usr/first.toml", "image = \"sleeper\"\nrestart = \"always\"\n");
  write_text(m_dir / "usr/second.toml",
             "image = \"sleeper\"\nrestart = \"always\"\nafter = [\"first\"]\n");
  write_text(m_dir / "usr/broken.toml", "image = \"fails-setup\"\nrestart = \"never\"\n");
  RunResult r =
      run("timeout -s KILL 20 timeout --preserve-status -s TERM 2 " + supervise("--grace-ms 300"));
  const auto& out = r.output;
  EXPECT_EQ(r.status, 0) << out;
  auto at = [&](const std::string& s) { return out.find(s); };
  ASSERT_NE(at("container first is ready (started)"), std::string::npos) << out;
  EXPECT_LT(at("container first is running"), at("container first is ready (started)")) << out;
  EXPECT_LT(at("container first is ready (started)"), at("starting container second")) << out;
  EXPECT_FALSE(has(out, "container broken is running")) << out;
  EXPECT_FALSE(has(out, "container broken is ready")) << out;
  ASSERT_NE(at("all 2 containers are ready (1 ended without becoming ready)"), std::string::npos)
      << out;
  EXPECT_LT(at("container second is ready (started)"),
            at("all 2 containers are ready (1 ended without becoming ready)"))
      << out;
  EXPECT_EQ(out.find("containers are ready"), out.rfind("containers are ready")) << out;
}

// Nothing blocks the init on a slow reader: its output goes to a pipe that nobody
// reads for 8 s, a container floods it (more than the 256 KiB the init keeps waiting
// for the console), and SIGTERM at 2 s still shuts it down at once. The log file has
// every line.
TEST_F(SuperviseHarness, ASlowConsoleNeverStallsTheInit) {
  write_text(m_dir / "usr/chatty.toml", "image = \"chatty\"\nrestart = \"always\"\n");
  std::string result = m_dir / "result";
  std::string cmd = "start=$(date +%s%N); timeout -s KILL 20 timeout --preserve-status -s TERM 2 " +
                    supervise("--grace-ms 300 --log-dir " + (m_dir / "logs")) +
                    "; echo \"status=$? ms=$(( ($(date +%s%N) - start) / 1000000 ))\" > " + result;
  RunResult r = run("sh -c '" + cmd + "' 2>&1 | (sleep 8; cat >/dev/null)");
  std::string out = keel::init::test::read_text(result);
  ASSERT_NE(out.find("status=0 "), std::string::npos) << out << r.output;
  int ms = std::stoi(out.substr(out.find("ms=") + 3));
  EXPECT_LT(ms, 6000) << out;  // blocked writes would last until the reader wakes at 8 s
  std::string log = keel::init::test::read_text(m_dir / "logs/chatty.log");
  EXPECT_NE(log.find("line 20000 of a chatty container"), std::string::npos);
}

TEST_F(SuperviseHarness, SigtermStopsContainersAndKillsStubbornOnes) {
  write_text(m_dir / "usr/sleeper.toml", "image = \"sleeper\"\nrestart = \"always\"\n");
  write_text(m_dir / "usr/stubborn.toml", "image = \"stubborn\"\nrestart = \"always\"\n");
  // timeout(1) sends SIGTERM after 1 s; --preserve-status passes keel-init's exit code on.
  RunResult r =
      run("timeout -s KILL 20 timeout --preserve-status -s TERM 1 " + supervise("--grace-ms 300"));
  const auto& out = r.output;
  EXPECT_EQ(r.status, 0) << out;
  EXPECT_TRUE(has(out, "info sleeper: sleeping")) << out;
  EXPECT_TRUE(has(out, "info keel-init: shutting down (reboot)")) << out;
  EXPECT_TRUE(has(out, "container sleeper exited with status 143")) << out;
  EXPECT_TRUE(has(out, "container stubborn did not stop within 300 ms")) << out;
  EXPECT_TRUE(has(out, "container stubborn exited with status 137")) << out;
  EXPECT_FALSE(has(out, "restarting in")) << out;
}

TEST_F(SuperviseHarness, StartsInDependencyOrderAndSkipsWhatCannotStart) {
  // Alphabetical order would be app, db, needs-failed, net, setup-fails.
  write_text(m_dir / "usr/app.toml", "image = \"ok\"\nrestart = \"never\"\nrequires = [\"db\"]\n");
  write_text(m_dir / "usr/db.toml",
             "image = \"ok\"\nrestart = \"never\"\nafter = [\"net\"]\nready = \"exited\"\n");
  write_text(m_dir / "usr/net.toml", "image = \"ok\"\nrestart = \"never\"\nready = \"exited\"\n");
  write_text(m_dir / "usr/setup-fails.toml",
             "image = \"exit-5\"\nrestart = \"never\"\nready = \"exited\"\n");
  write_text(m_dir / "usr/needs-failed.toml", "image = \"ok\"\nrequires = [\"setup-fails\"]\n");
  write_text(m_dir / "usr/orphan.toml", "image = \"ok\"\nrequires = [\"ghost\"]\n");
  RunResult r = run("timeout -s KILL 20 " + supervise("--shutdown-when-done"));
  const auto& out = r.output;
  EXPECT_EQ(r.status, 0) << out;
  std::string order = keel::init::test::read_text(m_dir / "bin/order");
  // setup-fails waits for nobody, so it may come anywhere; the chain may not.
  auto at = [&](const std::string& name) { return order.find(name + "\n"); };
  ASSERT_NE(at("app"), std::string::npos) << order;
  EXPECT_LT(at("net"), at("db")) << order;
  EXPECT_LT(at("db"), at("app")) << order;
  EXPECT_EQ(order.find("needs-failed"), std::string::npos) << order;
  EXPECT_EQ(order.find("orphan"), std::string::npos) << order;
  EXPECT_TRUE(has(out,
                  "container needs-failed not started: the container it requires, "
                  "setup-fails, failed"))
      << out;
  EXPECT_TRUE(has(out, "container orphan (" + (m_dir / "usr/orphan.toml") +
                           "): not started: it requires 'ghost', which is not defined"))
      << out;
}

TEST_F(SuperviseHarness, CrashLoopIsReportedAndRestartMaxEndsIt) {
  write_text(m_dir / "usr/crasher.toml",
             "image = \"exit-5\"\nrestart = \"on-failure\"\nrestart_max = 5\n");
  write_text(m_dir / "usr/steady.toml", "image = \"ok\"\nrestart = \"never\"\n");
  RunResult r = run("timeout -s KILL 20 " + supervise("--shutdown-when-done"));
  const auto& out = r.output;
  EXPECT_EQ(r.status, 0) << out;
  EXPECT_TRUE(has(out, "container crasher restarting in 1600 ms (restart 5 of at most 5)")) << out;
  EXPECT_FALSE(has(out, "(restart 6")) << out;
  EXPECT_TRUE(has(out,
                  "error keel-init: container crasher is crash-looping: 5 runs in a row "
                  "ended within 10 s"))
      << out;
  EXPECT_TRUE(has(out, "container crasher failed (restart=on-failure)")) << out;
  EXPECT_EQ(keel::init::test::read_text(m_dir / "bin/crasher.count"), "6\n");
  EXPECT_TRUE(has(out, "info steady: hello from steady")) << out;
}

TEST_F(SuperviseHarness, EachContainerGetsItsStopSignalAndGrace) {
  write_text(m_dir / "usr/polite.toml",
             "image = \"int-only\"\nstop_signal = \"SIGINT\"\nstop_grace = \"5s\"\n");
  write_text(m_dir / "usr/stubborn.toml", "image = \"stubborn\"\nstop_grace = \"200ms\"\n");
  RunResult r = run("timeout -s KILL 20 timeout --preserve-status -s TERM 1 " + supervise(""));
  const auto& out = r.output;
  EXPECT_EQ(r.status, 0) << out;
  EXPECT_TRUE(has(out, "info polite: got SIGINT")) << out;
  EXPECT_TRUE(has(out, "container polite exited with status 0")) << out;
  EXPECT_FALSE(has(out, "container polite did not stop")) << out;
  EXPECT_TRUE(has(out, "container stubborn did not stop within 200 ms")) << out;
}

TEST_F(SuperviseHarness, MissingRuntimeIsReported) {
  write_text(m_dir / "usr/ghost.toml", "image = \"ok\"\nrestart = \"never\"\n");
  RunResult r =
      run("timeout -s KILL 20 " + std::string(KEEL_INIT_BINARY) + " supervise --containers " +
          (m_dir / "usr") + " --runtime /nonexistent/keel-runtime --shutdown-when-done");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(has(r.output, "container ghost exited with status 127")) << r.output;
}

TEST(SuperviseArgs, RejectsMissingRuntime) {
  RunResult r = run(std::string(KEEL_INIT_BINARY) + " supervise --containers /tmp");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r.output, "--runtime")) << r.output;
}

// ready = "notify": the runtime gets --notify-socket; the waiter starts only after
// READY=1 arrives on it, and STATUS= lines are logged.
TEST_F(SuperviseHarness, NotifyReadinessReleasesWaiters) {
  write_text(m_dir / "usr/svc.toml", "image = \"notifier\"\nready = \"notify\"\n");
  write_text(m_dir / "usr/after.toml", "image = \"ok\"\nafter = [\"svc\"]\nrestart = \"never\"\n");
  RunResult r = run("timeout -s KILL 20 timeout --preserve-status -s TERM 3 " +
                    supervise("--grace-ms 300 --notify-dir " + (m_dir / "notify")));
  const auto& out = r.output;
  EXPECT_TRUE(has(out, "info svc: notifying " + (m_dir / "notify/svc/notify.sock"))) << out;
  EXPECT_TRUE(has(out, "info keel-init: container svc: warming up")) << out;
  EXPECT_TRUE(has(out, "info keel-init: container svc is ready (sd_notify)")) << out;
  EXPECT_TRUE(has(out, "info keel-init: container svc: serving")) << out;
  auto ready = out.find("container svc is ready");
  auto started = out.find("starting container after");
  ASSERT_NE(started, std::string::npos) << out;
  EXPECT_LT(ready, started) << out;
  EXPECT_TRUE(has(out, "info after: hello from after")) << out;
}

// Health probes begin once the runtime reports the process running, as Docker's do:
// this runtime's start takes a second, and with start_interval 50 ms, probes from
// the fork on would have run about 20 times against a start still under way.
TEST(SuperviseHealth, ProbesBeginWhenTheProcessRuns) {
  TempDir d;
  std::string events = d / "events";
  // $E is the events file; `up` takes a second before the process "runs".
  write_text(d / "bin/keel-runtime", "#!/bin/sh\nE=" + events + R"SH(
case $1 in
  up) echo up >>"$E"; sleep 1; echo running >>"$E"; echo started >&3; exec 3>&-; exec sleep 2 ;;
  exec) echo probe >>"$E"; exit 0 ;;
esac
)SH");
  ::chmod((d / "bin/keel-runtime").c_str(), 0755);
  write_text(
      d / "usr/web.toml",
      "image = \"x\"\nready = \"healthy\"\nrestart = \"never\"\n[health]\n"
      "exec = [\"true\"]\ninterval = \"1s\"\nstart_period = \"10s\"\nstart_interval = \"50ms\"\n");
  RunResult r =
      run("timeout -s KILL 20 " + std::string(KEEL_INIT_BINARY) + " supervise --containers " +
          (d / "usr") + " --runtime " + (d / "bin/keel-runtime") + " --shutdown-when-done");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(has(r.output, "container web is ready (healthy)")) << r.output;
  std::string seen = run("cat " + events).output;
  EXPECT_TRUE(seen.starts_with("up\nrunning\nprobe\n")) << seen;
}
