// Privileged tests of the OCI lifecycle CLI: they drive the keel-runtime binary as a
// runc user would (create, start, state, kill, delete, run, hooks, fds, console).
// Fails when not root, unless KEEL_ALLOW_SKIP_ROOT=1, so CI never skips silently.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "lifecycle_fixture.hpp"
#include "test_util.hpp"

namespace keel::runtime {
namespace {

TEST_F(Lifecycle, CreateStartStateKillDelete) {
  set_script("echo started > /out; exec sleep 100");
  auto c = create("life", {"--pid-file", m_dir / "pidfile"});
  ASSERT_EQ(c.status, 0) << c.err;
  json s = state("life");
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["status"], "created");
  EXPECT_EQ(s["id"], "life");
  EXPECT_EQ(s["bundle"], fs::canonical(m_bundle).string());
  EXPECT_EQ(s["ociVersion"], m_config["ociVersion"]);
  int pid = s["pid"];
  ASSERT_GT(pid, 0);
  EXPECT_EQ(read_text(m_dir / "pidfile"), std::to_string(pid));
  // Not exec'd yet: its command line is still the runtime's, and /out is absent.
  EXPECT_EQ(read_text("/proc/" + std::to_string(pid) + "/cmdline").find("sleep"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(rootfs("out")));

  ASSERT_EQ(runtime({"start", "life"}).status, 0);
  ASSERT_TRUE(wait_file(rootfs("out")));
  EXPECT_EQ(state("life")["status"], "running");
  EXPECT_NE(runtime({"start", "life"}).status, 0);  // only from "created"
  auto ps = runtime({"ps", "--format", "json", "life"});
  ASSERT_EQ(ps.status, 0) << ps.err;
  EXPECT_EQ(json::parse(ps.out, nullptr, false), json::array({pid})) << ps.out;
  auto list = json::parse(runtime({"list", "--format=json"}).out, nullptr, false);
  ASSERT_TRUE(list.is_array() && list.size() == 1) << list;
  EXPECT_EQ(list[0]["id"], "life");
  EXPECT_EQ(list[0]["status"], "running");
  EXPECT_EQ(runtime({"list", "-q"}).out, "life\n");

  auto k = runtime({"kill", "life", "KILL"});
  ASSERT_EQ(k.status, 0) << k.err;
  EXPECT_TRUE(wait_status("life", "stopped"));
  auto d = runtime({"delete", "life"});
  ASSERT_EQ(d.status, 0) << d.err;
  auto gone = runtime({"state", "life"});
  EXPECT_EQ(gone.status, 125);
  EXPECT_NE(gone.err.find("life"), std::string::npos) << gone.err;
  EXPECT_FALSE(fs::exists(m_root + "/life"));
  // No cgroup is left behind, v2 or (on a hybrid host) any v1 hierarchy.
  for (const auto& h : fs::directory_iterator("/sys/fs/cgroup")) {
    std::error_code ec;
    if (fs::is_directory(h.path(), ec)) {
      EXPECT_FALSE(fs::exists(h.path() / "keel/life")) << h.path();
    }
  }
  EXPECT_FALSE(fs::exists("/sys/fs/cgroup/keel/life"));
}

TEST_F(Lifecycle, KillTakesSignalNamesAndDefaultsToTerm) {
  // The init is PID 1 of its namespace: signals without a handler do not reach it.
  set_script(
      "trap 'echo usr1 > /sig' USR1; trap 'exit 0' TERM; echo ready > /out; while true; do sleep "
      "0.05; done");
  ASSERT_EQ(create("sigs").status, 0);
  ASSERT_EQ(runtime({"start", "sigs"}).status, 0);
  ASSERT_TRUE(wait_file(rootfs("out")));
  ASSERT_EQ(runtime({"kill", "sigs", "USR1"}).status, 0);
  ASSERT_TRUE(wait_file(rootfs("sig")));
  EXPECT_EQ(read_text(rootfs("sig")), "usr1\n");
  EXPECT_NE(runtime({"kill", "sigs", "SIGNOPE"}).status, 0);
  ASSERT_EQ(runtime({"kill", "--all", "sigs"}).status, 0);  // SIGTERM
  EXPECT_TRUE(wait_status("sigs", "stopped"));
}

TEST_F(Lifecycle, DuplicateAndInvalidIdsAreRefused) {
  set_script("exec sleep 100");
  ASSERT_EQ(create("dup").status, 0);
  auto again = create("dup");
  EXPECT_EQ(again.status, 125);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(state("dup")["status"], "created");  // the first one is untouched
  auto bad = create("../escape");
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("invalid container ID"), std::string::npos) << bad.err;
}

TEST_F(Lifecycle, DeleteRefusesARunningContainerWithoutForce) {
  set_script("exec sleep 100");
  ASSERT_EQ(create("busy").status, 0);
  ASSERT_EQ(runtime({"start", "busy"}).status, 0);
  auto d = runtime({"delete", "busy"});
  EXPECT_EQ(d.status, 125);
  EXPECT_NE(d.err.find("running"), std::string::npos) << d.err;
  EXPECT_EQ(state("busy")["status"], "running");
  int pid = state("busy")["pid"];
  ASSERT_EQ(runtime({"delete", "--force", "busy"}).status, 0);
  EXPECT_FALSE(fs::exists(m_root + "/busy"));
  // The process is gone (or a zombie waiting for its reaper).
  std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  EXPECT_TRUE(stat.empty() || stat.find(") Z") != std::string::npos) << stat;
  auto missing = runtime({"delete", "nosuch"});
  EXPECT_EQ(missing.status, 125);
  EXPECT_NE(missing.err.find("nosuch"), std::string::npos);
}

// Each hook appends "<kind> <status it read on stdin>" to /hooks/log (bind-mounted
// from the test's directory, so the startContainer hook in the container can too).
json hook(const std::string& kind, const std::string& sh, const std::string& log) {
  std::string script = "s=$(cat); echo " + kind +
                       " $(echo \"$s\" | grep -o '\"status\": \"[a-z]*\"' | grep -o '[a-z]*\"$')"
                       " >> " +
                       log;
  return json::array({{{"path", sh}, {"args", {"sh", "-c", script}}}});
}

TEST_F(Lifecycle, HooksRunAtTheirPointsWithTheState) {
  std::string dir = m_dir / "hooks";
  fs::create_directories(dir);
  std::string log = dir + "/log";
  m_config["mounts"].push_back(
      {{"destination", "/hooks"}, {"type", "bind"}, {"source", dir}, {"options", {"rbind"}}});
  for (const char* k : {"prestart", "createRuntime", "createContainer", "poststart", "poststop"})
    m_config["hooks"][k] = hook(k, "/bin/sh", log);
  m_config["hooks"]["startContainer"] = hook("startContainer", "/bin/sh", "/hooks/log");
  set_script("echo process >> /hooks/log; exec sleep 100");
  auto c = create("hooked");
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(read_text(log),
            "prestart creating\"\ncreateRuntime creating\"\n"
            "createContainer creating\"\n");
  ASSERT_EQ(runtime({"start", "hooked"}).status, 0);
  ASSERT_TRUE(wait_status("hooked", "running"));
  for (int i = 0; i < 250 && read_text(log).find("process") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(runtime({"delete", "--force", "hooked"}).status, 0);
  std::string text = read_text(log);
  // startContainer runs in the container before the process; poststart after start.
  EXPECT_LT(text.find("startContainer created"), text.find("process")) << text;
  EXPECT_LT(text.find("createContainer"), text.find("startContainer")) << text;
  EXPECT_NE(text.find("poststart running"), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.size() - std::string("poststop stopped\"\n").size()),
            "poststop stopped\"\n")
      << text;
}

TEST_F(Lifecycle, StateSaysCreatingWhileCreateRuns) {
  m_config["hooks"]["createRuntime"] = {
      {{"path", KEEL_RUNTIME_BINARY},
       {"args", {"keel-runtime", "--root", m_root, "state", "mid"}}}};
  // The hook's stdout is create's stdout: the test's file.
  set_script("true");
  auto c = create("mid");
  ASSERT_EQ(c.status, 0) << c.err;
  auto during = json::parse(c.out, nullptr, false);
  ASSERT_TRUE(during.is_object()) << c.out;
  EXPECT_EQ(during["status"], "creating");
  EXPECT_EQ(state("mid")["status"], "created");
}

TEST_F(Lifecycle, FailingCreateRuntimeHookFailsCreateAndLeavesNothing) {
  m_config["hooks"]["createRuntime"] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "exit 3"}}}};
  set_script("echo ran > /out");
  auto c = create("badhook");
  EXPECT_EQ(c.status, 125);
  EXPECT_NE(c.err.find("createRuntime hook /bin/sh"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("exit status 3"), std::string::npos) << c.err;
  EXPECT_FALSE(fs::exists(m_root + "/badhook"));
  EXPECT_NE(runtime({"state", "badhook"}).status, 0);
  EXPECT_FALSE(fs::exists(rootfs("out")));
}

TEST_F(Lifecycle, FailingStartContainerHookFailsStart) {
  m_config["hooks"]["startContainer"] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "exit 4"}}}};
  set_script("echo ran > /out");
  ASSERT_EQ(create("badstart").status, 0);
  auto s = runtime({"start", "badstart"});
  EXPECT_EQ(s.status, 125);
  EXPECT_NE(s.err.find("startContainer hook"), std::string::npos) << s.err;
  EXPECT_TRUE(wait_status("badstart", "stopped"));
  EXPECT_FALSE(fs::exists(rootfs("out")));  // the process never ran
}

TEST_F(Lifecycle, HookTimeoutFailsCreate) {
  m_config["hooks"]["prestart"] = {
      {{"path", "/bin/sh"}, {"args", {"sh", "-c", "sleep 10"}}, {"timeout", 1}}};
  set_script("true");
  auto c = create("slowhook");
  EXPECT_EQ(c.status, 125);
  EXPECT_NE(c.err.find("timed out"), std::string::npos) << c.err;
  EXPECT_FALSE(fs::exists(m_root + "/slowhook"));
}

TEST_F(Lifecycle, RunInTheForegroundReturnsTheExitStatusAndCleansUp) {
  set_script("echo hi > /out; exit 7");
  m_ids.push_back("fg");
  auto r = runtime({"run", "-b", m_bundle, "fg"});
  EXPECT_EQ(r.status, 7) << r.err;
  EXPECT_EQ(read_text(rootfs("out")), "hi\n");
  EXPECT_FALSE(fs::exists(m_root + "/fg"));
}

// Without hooks, console or pid file, `run` takes the direct path: no exec fifo, yet
// state, kill, ps and a duplicate ID behave as for a created-and-started one.
TEST_F(Lifecycle, DirectRunIsVisibleToStateKillAndDuplicateIds) {
  set_script("exec sleep 100");
  m_ids.push_back("direct");
  pid_t pid = -1;
  runtime({"run", "-b", m_bundle, "direct"}, -1, false, &pid);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_status("direct", "running"));
  EXPECT_FALSE(fs::exists(m_root + "/direct/exec.fifo"));
  auto dup = runtime({"run", "-b", m_bundle, "direct"});
  EXPECT_EQ(dup.status, 125);
  EXPECT_NE(dup.err.find("already exists"), std::string::npos) << dup.err;
  EXPECT_EQ(runtime({"kill", "direct", "KILL"}).status, 0);
  int st = 0;
  ASSERT_EQ(::waitpid(pid, &st, 0), pid);
  EXPECT_EQ(WEXITSTATUS(st), 137);
  EXPECT_FALSE(fs::exists(m_root + "/direct"));
}

TEST_F(Lifecycle, ListenFdsPassThroughWithTheirEnvironment) {
  std::string secret = m_dir / "listen";
  write_text(secret, "socket-activated\n");
  int fd = ::open(secret.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ::setenv("LISTEN_FDS", "1", 1);
  set_script("echo $LISTEN_FDS $LISTEN_PID > /out; cat <&3 >> /out");
  m_ids.push_back("listen");
  auto r = runtime({"run", "--bundle", m_bundle, "listen"}, fd);
  ::unsetenv("LISTEN_FDS");
  ::close(fd);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(rootfs("out")), "1 1\nsocket-activated\n");
}

TEST_F(Lifecycle, RunForwardsSigtermToTheContainer) {
  int st = run_and_signal("fwd", "TERM", SIGTERM, 42);
  ASSERT_TRUE(st != -1 && WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 42);
  EXPECT_FALSE(fs::exists(m_root + "/fwd"));
}

// keel-init's stop_signal may be SIGUSR1/SIGUSR2/SIGWINCH too: those must reach the
// container as well, not kill the runtime.
TEST_F(Lifecycle, RunForwardsSigusr1ToTheContainer) {
  int st = run_and_signal("fwd1", "USR1", SIGUSR1, 43);
  ASSERT_TRUE(st != -1 && WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 43);
}

TEST_F(Lifecycle, RunDetachedLeavesItRunning) {
  set_script("exec sleep 100");
  m_ids.push_back("bg");
  auto r = runtime({"run", "--detach", "--bundle=" + m_bundle, "bg"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(state("bg")["status"], "running");
}

TEST_F(Lifecycle, PreserveFdsPassesTheCallersFds) {
  std::string secret = m_dir / "secret";
  write_text(secret, "from-the-caller\n");
  int fd = ::open(secret.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  // fd 4 is open in the caller too, but not preserved: it must not reach the container.
  set_script("cat <&3 > /out; [ -e /proc/self/fd/4 ] && echo leaked >> /out; true");
  m_ids.push_back("fds");
  auto r =
      runtime({"run", "--bundle", m_bundle, "--preserve-fds", "1", "fds"}, fd, true, nullptr, fd);
  ::close(fd);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(rootfs("out")), "from-the-caller\n");
}

TEST_F(Lifecycle, NoPivotRunsInTheRootfs) {
  write_text(rootfs("marker-in-rootfs"), "");
  set_script("ls / > /out");
  m_ids.push_back("nopivot");
  auto r = runtime({"run", "--bundle", m_bundle, "--no-pivot", "nopivot"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(read_text(rootfs("out")).find("marker-in-rootfs"), std::string::npos);
}

// Receives one fd sent with SCM_RIGHTS (runc's recvtty protocol).
int receive_fd(int conn) {
  char name[256];
  iovec iov{name, sizeof name};
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  if (::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) <= 0) return -1;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

TEST_F(Lifecycle, ConsoleSocketReceivesThePtyMaster) {
  std::string sock_path = m_dir / "console.sock";
  int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, sock_path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(sock, 1), 0);
  m_config["process"]["terminal"] = true;
  set_script("[ -t 0 ] && [ -t 1 ] && echo hello-tty $(tty); sleep 1");
  m_ids.push_back("tty");
  pid_t pid;
  runtime({"create", "--bundle", m_bundle, "--console-socket", sock_path, "tty"}, -1, false, &pid);
  int conn = ::accept4(sock, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(conn, 0);
  int master = receive_fd(conn);
  ::close(conn);
  ::close(sock);
  ASSERT_GE(master, 0);
  int st;
  ::waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << read_text(m_dir / "stderr");
  ASSERT_EQ(runtime({"start", "tty"}).status, 0);
  std::string got;
  for (int i = 0; i < 100 && got.find('\n') == std::string::npos; ++i) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[256];
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
  }
  ::close(master);
  // The pty is the container's own (its devpts instance), as with runc.
  EXPECT_NE(got.find("hello-tty /dev/pts/0"), std::string::npos) << got;
}

TEST_F(Lifecycle, ConsoleSocketNeedsTerminal) {
  set_script("true");
  auto c = create("notty", {"--console-socket", m_dir / "nowhere.sock"});
  EXPECT_EQ(c.status, 125);
  EXPECT_NE(c.err.find("terminal"), std::string::npos) << c.err;
  EXPECT_FALSE(fs::exists(m_root + "/notty"));
}

TEST_F(Lifecycle, JsonLogLines) {
  std::string log = m_dir / "log.json";
  auto r = runtime({"--log", log, "--log-format=json", "state", "nosuch"});
  EXPECT_EQ(r.status, 125);
  std::string text = read_text(log);
  ASSERT_FALSE(text.empty());
  auto line = json::parse(text.substr(0, text.find('\n')), nullptr, false);
  ASSERT_TRUE(line.is_object()) << text;
  EXPECT_EQ(line["level"], "error");
  EXPECT_NE(line["msg"].get<std::string>().find("nosuch"), std::string::npos);
  EXPECT_TRUE(line["time"].is_string());
  EXPECT_NE(r.err.find("nosuch"), std::string::npos);  // still told on stderr
}

TEST_F(Lifecycle, SpecWritesIntoTheBundleOnceAndRefusesRootless) {
  // SetUp wrote config.json with `spec --bundle`; a second one must not overwrite it.
  auto again = runtime({"spec", "-b", m_bundle});
  EXPECT_EQ(again.status, 125);
  EXPECT_NE(again.err.find("config.json"), std::string::npos) << again.err;
  auto rootless = runtime({"spec", "--rootless"});
  EXPECT_EQ(rootless.status, 125);
  EXPECT_NE(rootless.err.find("--rootless"), std::string::npos) << rootless.err;
}

TEST_F(Lifecycle, FeaturesIsJson) {
  auto r = runtime({"features"});
  ASSERT_EQ(r.status, 0);
  auto f = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(f.is_object());
  EXPECT_EQ(f["ociVersionMax"], "1.2.0");
}

}  // namespace
}  // namespace keel::runtime
