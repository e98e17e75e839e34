#include "keel/init/health.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace keel::init {
namespace {

// Milliseconds left until `deadline` (CLOCK_MONOTONIC), never negative.
int left_ms(const timespec& deadline) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  long ms = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1'000'000;
  return ms < 0 ? 0 : static_cast<int>(ms);
}

bool wait_for(int fd, short events, const timespec& deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    int r = ::poll(&p, 1, left_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

timespec deadline_in(int ms) {
  timespec d{};
  ::clock_gettime(CLOCK_MONOTONIC, &d);
  d.tv_sec += ms / 1000;
  d.tv_nsec += (ms % 1000) * 1'000'000L;
  if (d.tv_nsec >= 1'000'000'000L) {
    d.tv_sec += 1;
    d.tv_nsec -= 1'000'000'000L;
  }
  return d;
}

// The command runs with the init's signal state undone and no stdio of the init's;
// a command still running at the timeout is killed (keel-runtime exec's child dies
// with it: PR_SET_PDEATHSIG).
[[noreturn]] void run_exec_probe(const HealthProbe& probe) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGCHLD, SIG_DFL);
  int null = ::open("/dev/null", O_RDWR);
  if (null < 0) ::_exit(kProbeSetup);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
  pid_t pid = ::fork();
  if (pid < 0) ::_exit(kProbeSetup);
  if (pid == 0) {
    ::execv(probe.argv[0], probe.argv.data());
    ::_exit(127);
  }
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0 || !wait_for(pidfd, POLLIN, deadline_in(probe.timeout_ms))) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ::_exit(kProbeTimeout);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0) ::_exit(kProbeSetup);
  ::_exit(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? kProbeHealthy : kProbeFailed);
}

}  // namespace

HealthProbe plan_probe(const HealthCheck& check, const std::vector<std::string>& exec_prefix) {
  HealthProbe p;
  if (check.kind == HealthCheck::Kind::exec) {
    p.args = exec_prefix;
    p.args.insert(p.args.end(), check.command.begin(), check.command.end());
    for (auto& a : p.args) p.argv.push_back(a.data());
    p.argv.push_back(nullptr);
  }
  p.addr.sin_family = AF_INET;
  p.addr.sin_port = htons(check.port);
  ::inet_pton(AF_INET, check.host.c_str(), &p.addr.sin_addr);  // validated when parsed
  p.timeout_ms = static_cast<int>(check.timeout.count());
  if (check.kind == HealthCheck::Kind::http)
    p.request = "GET " + check.path + " HTTP/1.0\r\nHost: " + check.host + ":" +
                std::to_string(check.port) + "\r\nUser-Agent: keel-init\r\n\r\n";
  return p;
}

std::string_view probe_result_text(int status) {
  switch (status) {
    case kProbeHealthy:
      return "healthy";
    case kProbeRefused:
      return "connection failed";
    case kProbeTimeout:
      return "timed out";
    case kProbeBadStatus:
      return "bad HTTP status";
    case kProbeSetup:
      return "could not enter the container's network namespace";
    case kProbeFailed:
      return "the check command failed";
  }
  return "probe failed";
}

bool http_status_healthy(std::string_view head) {
  // "HTTP/1.x NNN": Docker and Kubernetes count 200-399 as healthy.
  if (!head.starts_with("HTTP/1.") || head.size() < 12 || head[8] != ' ') return false;
  char c = head[9];
  return (c == '2' || c == '3') && head[10] >= '0' && head[10] <= '9' && head[11] >= '0' &&
         head[11] <= '9';
}

void run_probe(int netns_fd, const HealthProbe& probe) {
  if (!probe.argv.empty()) run_exec_probe(probe);
  if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) < 0) ::_exit(kProbeSetup);
  timespec deadline = deadline_in(probe.timeout_ms);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) ::_exit(kProbeSetup);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&probe.addr), sizeof probe.addr) < 0) {
    if (errno != EINPROGRESS) ::_exit(kProbeRefused);
    if (!wait_for(fd, POLLOUT, deadline)) ::_exit(kProbeTimeout);
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) ::_exit(kProbeRefused);
  }
  if (probe.request.empty()) ::_exit(kProbeHealthy);
  size_t sent = 0;
  while (sent < probe.request.size()) {
    if (!wait_for(fd, POLLOUT, deadline)) ::_exit(kProbeTimeout);
    ssize_t n = ::send(fd, probe.request.data() + sent, probe.request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) ::_exit(kProbeRefused);
    sent += static_cast<size_t>(n);
  }
  char head[16];
  size_t got = 0;
  while (got < sizeof head) {
    if (!wait_for(fd, POLLIN, deadline)) ::_exit(kProbeTimeout);
    ssize_t n = ::recv(fd, head + got, sizeof head - got, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::_exit(http_status_healthy({head, got}) ? kProbeHealthy : kProbeBadStatus);
}

std::string_view to_string(Health h) {
  switch (h) {
    case Health::none:
      return "none";
    case Health::starting:
      return "starting";
    case Health::healthy:
      return "healthy";
    case Health::unhealthy:
      return "unhealthy";
  }
  return "?";
}

void HealthTracker::on_start(Clock::time_point now) {
  m_state = m_check.kind == HealthCheck::Kind::none ? Health::none : Health::starting;
  m_started = now;
  m_failures = 0;
}

std::chrono::milliseconds HealthTracker::next_delay(Clock::time_point now) const {
  bool starting = m_state == Health::starting && now - m_started < m_check.start_period;
  return starting && m_check.start_interval ? *m_check.start_interval : m_check.interval;
}

bool HealthTracker::on_result(bool ok, Clock::time_point now) {
  Health before = m_state;
  if (ok) {
    m_failures = 0;
    m_state = Health::healthy;
  } else if (m_state == Health::starting && now - m_started < m_check.start_period) {
    // Still starting up: failures do not count yet.
  } else if (++m_failures >= m_check.retries) {
    m_state = Health::unhealthy;
  }
  return m_state != before;
}

}  // namespace keel::init
