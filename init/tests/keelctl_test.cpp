// keelctl's argument parsing and formatting, and keelctl driving a real keel-init
// (supervise mode, fake runtime) over its control socket.
#include "keel/init/keelctl.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "temp_dir.hpp"

using namespace keel::init;
using keel::init::test::read_text;
using keel::init::test::TempDir;
using keel::init::test::write_text;

TEST(KeelctlArgs, BuildsRequests) {
  auto s = parse_keelctl_args({"--json", "status"});
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(s->json);
  EXPECT_EQ(s->request, (Json{{"method", "status"}}));
  EXPECT_EQ(s->socket, kDefaultControlSocket);
  auto l = parse_keelctl_args({"logs", "-f", "-n", "5", "web", "--socket", "/tmp/s"});
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->request,
            (Json{{"method", "logs"}, {"name", "web"}, {"lines", 5}, {"follow", true}}));
  EXPECT_EQ(l->socket, "/tmp/s");
  auto r = parse_keelctl_args({"restart", "db"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->request, (Json{{"method", "restart"}, {"name", "db"}}));
}

// Everything after the name is the command's, its own options included.
TEST(KeelctlArgs, ExecHandsTheCommandToTheRuntime) {
  auto e = parse_keelctl_args({"exec", "web", "--", "ls", "-l", "--json", "/"});
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->exec_argv,
            (std::vector<std::string>{"keel-runtime", "exec", "web", "ls", "-l", "--json", "/"}));
  EXPECT_EQ(e->runtime, kDefaultRuntime);
  auto n = parse_keelctl_args({"--runtime", "/opt/rt", "exec", "db", "sh", "-c", "id"});
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(n->exec_argv,
            (std::vector<std::string>{"keel-runtime", "exec", "db", "sh", "-c", "id"}));
  EXPECT_EQ(n->runtime, "/opt/rt");
  EXPECT_FALSE(parse_keelctl_args({"exec", "web"}));
  EXPECT_FALSE(parse_keelctl_args({"exec", "web", "--"}));
  EXPECT_TRUE(parse_keelctl_args({"status"})->exec_argv.empty());
}

// keelctl becomes the runtime: its output and exit status are the command's.
TEST(KeelctlExec, RunsTheRuntimeWithTheCommand) {
  TempDir dir;
  std::string fake = dir.path() + "/fake-runtime";
  write_text(fake, "#!/bin/sh\necho \"$0 $*\" > \"$(dirname \"$0\")/args\"; exit 7\n");
  ASSERT_EQ(::chmod(fake.c_str(), 0755), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    auto cmd = parse_keelctl_args({"--runtime", fake, "exec", "web", "--", "cat", "/etc/x"});
    ::_exit(cmd ? run_keelctl(*cmd, stdout, stderr) : 99);
  }
  int st = 0;
  ASSERT_EQ(::waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 7);
  EXPECT_EQ(read_text(dir.path() + "/args"), fake + " exec web cat /etc/x\n");
}

TEST(KeelctlExec, MissingRuntimeIs127) {
  auto cmd = parse_keelctl_args({"--runtime", "/nonexistent/rt", "exec", "web", "true"});
  ASSERT_TRUE(cmd);
  std::FILE* err = std::tmpfile();
  EXPECT_EQ(run_keelctl(*cmd, stdout, err), 127);
  std::fclose(err);
}

TEST(KeelctlArgs, RejectsNonsense) {
  EXPECT_FALSE(parse_keelctl_args({}));
  EXPECT_FALSE(parse_keelctl_args({"stop"}));
  EXPECT_FALSE(parse_keelctl_args({"stop", "a", "b"}));
  EXPECT_FALSE(parse_keelctl_args({"status", "extra"}));
  EXPECT_FALSE(parse_keelctl_args({"frobnicate"}));
  EXPECT_FALSE(parse_keelctl_args({"--bogus", "status"}));
  EXPECT_FALSE(parse_keelctl_args({"logs", "-n", "x", "web"}));
}

TEST(KeelctlFormat, StatusTable) {
  Json res = {{"containers",
               {{{"name", "web"},
                 {"state", "running"},
                 {"restarts", 2},
                 {"pid", 42},
                 {"uptime_s", 61.4},
                 {"last_exit", 1},
                 {"crash_looping", false},
                 {"health", "none"}},
                {{"name", "bad"}, {"state", "backing-off"}, {"crash_looping", true}}}}};
  std::string t = format_status(res);
  EXPECT_NE(t.find("NAME"), std::string::npos) << t;
  EXPECT_NE(t.find("web                  running             2      42      61s         1  none"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("backing-off (crash-looping)"), std::string::npos) << t;
  EXPECT_EQ(format_status(Json::array()).find("web"), std::string::npos);  // no crash on junk
  EXPECT_EQ(t.find("first boot"), std::string::npos);                      // none reported: no line
  res["firstboot"] = {{"state", "invalid"}, {"message", "user-data:2:1: unknown key 'x'"}};
  EXPECT_NE(format_status(res).find("\nfirst boot: invalid: user-data:2:1: unknown key 'x'\n"),
            std::string::npos)
      << format_status(res);
  res["firstboot"] = "junk";
  EXPECT_NE(format_status(res).find("first boot: : "), std::string::npos);  // no crash
}

TEST(Keelctl, StatusShowsTheBoot) {
  std::string id = std::string(64, 'a') + ".0", bad = std::string(64, 'b') + ".0";
  Json res = {{"boot",
               {{"deployment", id},
                {"version", "0.1.0"},
                {"kind", "rollback"},
                {"state", "good"},
                {"description", "rollback: deployment " + bad + " used up its boot attempts"},
                {"pending", bad},
                {"tries_left", 0},
                {"last_failed", bad}}},
              {"containers", Json::array()}};
  std::string t = format_status(res);
  EXPECT_TRUE(t.starts_with("deployment " + id + " (version 0.1.0)\nboot: rollback: deployment " +
                            bad + " used up its boot attempts; good\non trial: deployment " + bad +
                            "\nlast rollback: deployment " + bad +
                            " used up its boot attempts\nNAME"))
      << t;
  res["boot"] = nullptr;  // the test harness: no boot to show
  EXPECT_TRUE(format_status(res).starts_with("NAME")) << format_status(res);
}

namespace {

constexpr const char* kFakeRuntime = R"SH(#!/bin/sh
name=$(basename "$2" .toml)
case "$name" in
  web) echo "web serving"; trap 'echo "web got TERM"; exit 0' TERM; while :; do sleep 1 & wait; done ;;
  worker) echo "worker run"; trap 'exit 0' TERM; sleep 30 & wait ;;
esac
)SH";

struct Out {
  int status = -1;
  std::string text;
};

Out run(const std::string& cmd) {
  Out o;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) o.text.append(buf, n);
  int st = ::pclose(p);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}

// Sends `request` as is and reads until `replies` lines came back (5 s at most).
std::string raw_exchange(const std::string& path, const std::string& request, int replies) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) return "";
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)!::write(fd, request.data(), request.size());
  std::string got;
  char buf[4096];
  while (std::count(got.begin(), got.end(), '\n') < replies) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return got;
}

class KeelctlLive : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(m_dir / "bin/keel-runtime", kFakeRuntime, 0755);
    write_text(m_dir / "defs/web.toml", "image = \"x\"\nrestart = \"always\"\n");
    write_text(m_dir / "defs/worker.toml", "image = \"x\"\nrestart = \"always\"\n");
    std::string log = m_dir / "init.out";
    std::string cmd = "exec " + std::string(KEEL_INIT_BINARY) + " supervise --containers " +
                      (m_dir / "defs") + " --runtime " + (m_dir / "bin/keel-runtime") +
                      " --control " + socket() + " --log-dir " + (m_dir / "logs") +
                      " --firstboot-status " + (m_dir / "firstboot.json") + " --grace-ms 2000 >" +
                      log + " 2>&1";
    const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
    ASSERT_EQ(::posix_spawn(&m_pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ),
              0);
    // Up to 10 s for the socket and the first output (a loaded CI machine).
    for (int i = 0; i < 200 && !ready(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(ready()) << read_text(log);
  }
  void TearDown() override {
    if (m_pid <= 0) return;
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
  bool ready() {
    return std::filesystem::exists(socket()) &&
           read_text(m_dir / "logs/web.log").find("web serving") != std::string::npos;
  }
  std::string socket() { return m_dir / "control.sock"; }
  Out keelctl(const std::string& args) {
    return run("timeout -s KILL 20 " + std::string(KEELCTL_BINARY) + " --socket " + socket() + " " +
               args);
  }
  // Waits (bounded) for keel-init to exit; returns its exit status or -1.
  int wait_init() {
    for (int i = 0; i < 200; ++i) {
      int st = 0;
      if (::waitpid(m_pid, &st, WNOHANG) == m_pid) {
        m_pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  TempDir m_dir;
  pid_t m_pid = -1;
};

}  // namespace

// keel-firstboot's outcome file, read at each status request (docs/FIRSTBOOT.md).
TEST_F(KeelctlLive, StatusShowsTheFirstBootOutcome) {
  auto none = keelctl("status");
  EXPECT_EQ(none.text.find("first boot"), std::string::npos) << none.text;
  write_text(m_dir / "firstboot.json",
             R"({"state":"invalid","message":"invalid user-data from the config drive: )"
             R"(user-data:2:1: unknown key 'hostnme'"})"
             "\n");
  auto st = keelctl("status");
  EXPECT_EQ(st.status, 0) << st.text;
  EXPECT_NE(st.text.find("first boot: invalid: invalid user-data from the config drive: "
                         "user-data:2:1: unknown key 'hostnme'"),
            std::string::npos)
      << st.text;
  Json j = Json::parse(keelctl("--json status").text, nullptr, false);
  EXPECT_EQ(j["result"]["firstboot"]["state"], "invalid");
  write_text(m_dir / "firstboot.json", "not json");
  EXPECT_NE(keelctl("status").text.find("first boot: unreadable: not json"), std::string::npos);
}

TEST_F(KeelctlLive, StatusLogsStopStartRestartPoweroff) {
  auto st = keelctl("status");
  EXPECT_EQ(st.status, 0) << st.text;
  EXPECT_NE(st.text.find("web "), std::string::npos) << st.text;
  EXPECT_NE(st.text.find("running"), std::string::npos) << st.text;

  auto js = keelctl("--json status");
  ASSERT_EQ(js.status, 0) << js.text;
  Json j = Json::parse(js.text, nullptr, false);
  ASSERT_TRUE(j.is_object()) << js.text;
  EXPECT_EQ(j["ok"], true);
  ASSERT_EQ(j["result"]["containers"].size(), 2u) << js.text;
  EXPECT_EQ(j["result"]["containers"][0]["name"], "web");
  EXPECT_EQ(j["result"]["containers"][0]["state"], "running");
  EXPECT_TRUE(j["result"]["containers"][0]["pid"].is_number());

  auto logs = keelctl("logs web");
  EXPECT_EQ(logs.status, 0) << logs.text;
  EXPECT_NE(logs.text.find("] web serving"), std::string::npos) << logs.text;
  auto own = keelctl("logs keel-init");
  EXPECT_NE(own.text.find("info starting container web"), std::string::npos) << own.text;

  auto stop = keelctl("stop web");
  EXPECT_EQ(stop.status, 0) << stop.text;
  EXPECT_NE(stop.text.find("web: stopping"), std::string::npos) << stop.text;
  bool stopped = false;
  for (int i = 0; i < 100 && !stopped; ++i) {
    stopped = keelctl("status").text.find("stopped") != std::string::npos;
    if (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(stopped) << keelctl("status").text;
  EXPECT_NE(read_text(m_dir / "logs/web.log").find("web got TERM"), std::string::npos);
  // Policy "always", but a user stop keeps it down.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_NE(keelctl("status").text.find("stopped"), std::string::npos);

  auto start = keelctl("start web");
  EXPECT_EQ(start.status, 0) << start.text;
  EXPECT_EQ(keelctl("start web").status, 1);  // already running
  auto restart = keelctl("restart worker");
  EXPECT_EQ(restart.status, 0) << restart.text;
  bool restarted = false;
  for (int i = 0; i < 100 && !restarted; ++i) {
    auto count = read_text(m_dir / "logs/worker.log");
    restarted = count.find("worker run") != count.rfind("worker run");
    if (!restarted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(restarted) << read_text(m_dir / "logs/worker.log");

  auto bad = keelctl("stop nosuch");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.text.find("no container named \"nosuch\""), std::string::npos) << bad.text;

  EXPECT_EQ(keelctl("poweroff").status, 0);
  EXPECT_EQ(wait_init(), 0) << read_text(m_dir / "init.out");
  EXPECT_NE(read_text(m_dir / "logs/keel-init.log").find("shutting down (poweroff)"),
            std::string::npos);
}

TEST_F(KeelctlLive, FollowStreamsNewLinesAndMalformedRequestsAreAnswered) {
  // A raw client: malformed JSON gets an error reply, and the init keeps going.
  std::string raw = raw_exchange(socket(), "not json\n{\"method\":7}\n", 2);
  EXPECT_NE(raw.find("not a JSON object"), std::string::npos) << raw;
  EXPECT_NE(raw.find("has no \\\"method\\\" string"), std::string::npos) << raw;
  // Follow: restart web so it prints again while we follow. The follower is waited
  // for, not timed: it has connected once its -n 1 line is out, and it is stopped
  // once the restart's lines reached it (bounded at 20 s each on a loaded machine).
  std::string out = m_dir / "follow.out";
  std::string cmd = "exec " + std::string(KEELCTL_BINARY) + " --socket " + socket() +
                    " logs -f -n 1 web >" + out + " 2>&1";
  const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
  pid_t follower = -1;
  ASSERT_EQ(
      ::posix_spawn(&follower, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  auto wait_for = [&](auto done) {
    for (int i = 0; i < 400 && !done(read_text(out)); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return read_text(out);
  };
  std::string followed =
      wait_for([](const std::string& t) { return t.find("web serving") != std::string::npos; });
  ASSERT_NE(followed.find("web serving"), std::string::npos) << followed;
  EXPECT_EQ(keelctl("restart web").status, 0);
  followed = wait_for([](const std::string& t) {
    return t.find("web got TERM") != std::string::npos &&
           t.find("web serving") != t.rfind("web serving");
  });
  ::kill(follower, SIGINT);
  ::waitpid(follower, nullptr, 0);
  EXPECT_NE(followed.find("web got TERM"), std::string::npos) << followed;
  // The new process's line, after the one -n 1 printed.
  EXPECT_NE(followed.find("web serving"), followed.rfind("web serving")) << followed;
  EXPECT_EQ(keelctl("status").status, 0);  // still answering after the follower left
}

// A health-checked service through the real supervisor: its dependent waits for it
// to be healthy; when its check starts failing, keelctl shows it unhealthy.
TEST(HealthLive, ReadyWhenHealthyThenUnhealthy) {
  TempDir d;
  uint16_t port = static_cast<uint16_t>(20000 + ::getpid() % 20000);
  write_text(d / "www/ok", "fine\n");
  write_text(d / "bin/keel-runtime",
             "#!/bin/sh\nname=$(basename \"$2\" .toml)\necho \"$name\" >> " + (d / "order") +
                 "\necho started >&3; exec 3>&-\ncase \"$name\" in\n  web) exec /bin/busybox httpd "
                 "-f -p 127.0.0.1:" +
                 std::to_string(port) + " -h " + (d / "www") +
                 " ;;\n  app) echo app up; exec sleep 30 ;;\nesac\n",
             0755);
  write_text(d / "defs/web.toml",
             "image = \"x\"\nready = \"healthy\"\n[health]\nhttp = "
             "\"http://127.0.0.1:" +
                 std::to_string(port) +
                 "/ok\"\ninterval = \"200ms\"\ntimeout = \"150ms\"\n"
                 "retries = 2\n");
  write_text(d / "defs/app.toml", "image = \"x\"\nrequires = [\"web\"]\n");
  std::string sock = d / "control.sock";
  std::string cmd = "timeout -s KILL 30 " + std::string(KEEL_INIT_BINARY) +
                    " supervise --containers " + (d / "defs") + " --runtime " +
                    (d / "bin/keel-runtime") + " --control " + sock + " --grace-ms 500 > " +
                    (d / "init.out") + " 2>&1 &";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto status_of = [&]() {
    return run("timeout 5 " + std::string(KEELCTL_BINARY) + " --socket " + sock + " --json status")
        .text;
  };
  bool healthy = false;
  for (int i = 0; i < 200 && !healthy; ++i) {
    healthy = status_of().find("\"health\":\"healthy\"") != std::string::npos;
    if (!healthy) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(healthy) << read_text(d / "init.out");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // app waited for web to be healthy, not only started.
  std::string out = read_text(d / "init.out");
  auto healthy_at = out.find("container web is healthy");
  auto app_at = out.find("starting container app");
  EXPECT_NE(healthy_at, std::string::npos) << out;
  EXPECT_LT(healthy_at, app_at) << out;
  std::filesystem::remove(d / "www/ok");  // now GET /ok is a 404
  bool unhealthy = false;
  for (int i = 0; i < 200 && !unhealthy; ++i) {
    unhealthy = status_of().find("\"health\":\"unhealthy\"") != std::string::npos;
    if (!unhealthy) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(unhealthy) << read_text(d / "init.out");
  EXPECT_NE(read_text(d / "init.out").find("container web is unhealthy: bad HTTP status"),
            std::string::npos)
      << read_text(d / "init.out");
  run("timeout 5 " + std::string(KEELCTL_BINARY) + " --socket " + sock + " poweroff");
  for (int i = 0; i < 100 && std::filesystem::exists(sock); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(std::filesystem::exists(sock)) << "keel-init did not exit";
}
