#include "keel/init/health.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

using namespace keel::init;
using keel::HealthCheck;
using namespace std::chrono_literals;

TEST(Health, HttpStatusLine) {
  EXPECT_TRUE(http_status_healthy("HTTP/1.1 200 OK"));
  EXPECT_TRUE(http_status_healthy("HTTP/1.0 302 Found"));
  EXPECT_FALSE(http_status_healthy("HTTP/1.1 404 Not Found"));
  EXPECT_FALSE(http_status_healthy("HTTP/1.1 500 Oops"));
  EXPECT_FALSE(http_status_healthy("SSH-2.0-OpenSSH"));
  EXPECT_FALSE(http_status_healthy("HTTP/1.1 2"));
}

TEST(Health, TrackerFollowsDockersRules) {
  HealthCheck check;
  check.kind = HealthCheck::Kind::tcp;
  check.retries = 2;
  check.start_period = 10s;
  HealthTracker t(check);
  auto now = Clock::now();
  t.on_start(now);
  EXPECT_EQ(t.state(), Health::starting);
  EXPECT_FALSE(t.on_result(false, now + 1s));  // inside the start period: not counted
  EXPECT_FALSE(t.on_result(false, now + 2s));
  EXPECT_TRUE(t.on_result(true, now + 3s));
  EXPECT_EQ(t.state(), Health::healthy);
  EXPECT_FALSE(t.on_result(false, now + 4s));  // one failure is not enough
  EXPECT_TRUE(t.on_result(false, now + 5s));
  EXPECT_EQ(t.state(), Health::unhealthy);
  EXPECT_TRUE(t.on_result(true, now + 6s));
  EXPECT_EQ(t.state(), Health::healthy);
  t.on_stop();
  EXPECT_EQ(t.state(), Health::none);
  t.on_start(now + 20s);
  EXPECT_FALSE(t.on_result(false, now + 31s));  // past the start period: counts
  EXPECT_TRUE(t.on_result(false, now + 32s));
}

TEST(Health, StartIntervalWhileStarting) {
  HealthCheck check;
  check.kind = HealthCheck::Kind::exec;
  check.interval = 5s;
  check.start_period = 10s;
  HealthTracker t(check);
  auto now = Clock::now();
  t.on_start(now);
  EXPECT_EQ(t.next_delay(now), 5s);  // no start_interval: always interval
  check.start_interval = 100ms;
  EXPECT_EQ(t.next_delay(now + 1s), 100ms);
  EXPECT_EQ(t.next_delay(now + 11s), 5s);  // the start period is over
  t.on_result(true, now + 2s);
  EXPECT_EQ(t.next_delay(now + 2s), 5s);  // healthy: the start is over
}

namespace {

// A loopback listener on a free port; `reply` is what each connection gets.
struct Listener {
  int fd = -1;
  uint16_t port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
};

int probe_exit(const HealthCheck& check, const std::vector<std::string>& exec_prefix = {}) {
  HealthProbe p = plan_probe(check, exec_prefix);
  pid_t pid = ::fork();
  if (pid == 0) run_probe(-1, p);
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

HealthCheck check_for(HealthCheck::Kind kind, uint16_t port) {
  HealthCheck c;
  c.kind = kind;
  c.port = port;
  c.path = "/healthz";
  c.timeout = 500ms;
  return c;
}

void serve_once(int fd, const std::string& reply, std::string* request) {
  int c = ::accept(fd, nullptr, nullptr);
  char buf[512];
  ssize_t n = ::recv(c, buf, sizeof buf, 0);
  if (request && n > 0) request->assign(buf, static_cast<size_t>(n));
  (void)!::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
  ::close(c);
}

// An exec check's command runs through the prefix (keel-runtime exec NAME in the
// init; env here): exit 0 is healthy, anything else failed, too slow is a timeout.
TEST(HealthProbeExec, ExitStatusAndTimeout) {
  HealthCheck c;
  c.kind = HealthCheck::Kind::exec;
  c.timeout = 300ms;
  c.command = {"true"};
  EXPECT_EQ(probe_exit(c, {"/usr/bin/env"}), kProbeHealthy);
  c.command = {"sh", "-c", "echo noise; echo more >&2; exit 3"};
  EXPECT_EQ(probe_exit(c, {"/usr/bin/env"}), kProbeFailed);
  c.command = {"sleep", "10"};
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(probe_exit(c, {"/usr/bin/env"}), kProbeTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(probe_exit(c, {"/nonexistent/runtime"}), kProbeFailed);
}

TEST(HealthProbeExec, ArgvIsThePrefixThenTheCommand) {
  HealthCheck c;
  c.kind = HealthCheck::Kind::exec;
  c.command = {"pg_isready", "-q"};
  auto p = plan_probe(c, {"/usr/bin/keel-runtime", "exec", "db"});
  ASSERT_EQ(p.argv.size(), 6u);
  EXPECT_STREQ(p.argv[0], "/usr/bin/keel-runtime");
  EXPECT_STREQ(p.argv[3], "pg_isready");
  EXPECT_EQ(p.argv[5], nullptr);
  c.kind = HealthCheck::Kind::tcp;
  EXPECT_TRUE(plan_probe(c, {"/usr/bin/keel-runtime"}).argv.empty());
}

}  // namespace

TEST(HealthProbe, TcpConnects) {
  Listener l;
  EXPECT_EQ(probe_exit(check_for(HealthCheck::Kind::tcp, l.port)), kProbeHealthy);
}

TEST(HealthProbe, NothingListeningIsRefused) {
  uint16_t port;
  {
    Listener l;
    port = l.port;
  }
  EXPECT_EQ(probe_exit(check_for(HealthCheck::Kind::tcp, port)), kProbeRefused);
}

TEST(HealthProbe, HttpStatusDecides) {
  Listener l;
  std::string request;
  std::thread ok([&] { serve_once(l.fd, "HTTP/1.1 200 OK\r\n\r\n", &request); });
  EXPECT_EQ(probe_exit(check_for(HealthCheck::Kind::http, l.port)), kProbeHealthy);
  ok.join();
  EXPECT_TRUE(request.starts_with("GET /healthz HTTP/1.0\r\n")) << request;
  std::thread bad([&] { serve_once(l.fd, "HTTP/1.1 503 Busy\r\n\r\n", nullptr); });
  EXPECT_EQ(probe_exit(check_for(HealthCheck::Kind::http, l.port)), kProbeBadStatus);
  bad.join();
}

TEST(HealthProbe, ASilentServerTimesOut) {
  Listener l;  // accepts (backlog) but never answers
  EXPECT_EQ(probe_exit(check_for(HealthCheck::Kind::http, l.port)), kProbeTimeout);
}
