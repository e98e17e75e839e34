// Health checks ([health] in a container definition, docs/IMAGES.md): keel-init forks
// a probe that joins the container's network namespace (setns(2)) and connects to
// the port, for HTTP also sending a GET and reading the status line; or, for exec,
// runs a command inside the container through keel-runtime exec. The probe is a
// child of the init, so a hung container can only make its own probe time out.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keel/common/container_def.hpp"
#include "keel/init/supervisor_state.hpp"

namespace keel::init {

// Everything the forked probe needs, built before fork(): the child only makes
// syscalls (signal-safety(7)).
struct HealthProbe {
  sockaddr_in addr{};
  std::string request;  // empty: TCP connect only
  int timeout_ms = 0;
  // exec: `keel-runtime exec NAME CMD...`, which runs CMD inside the container with
  // its confinement; argv points into args.
  std::vector<std::string> args;
  std::vector<char*> argv;
};

// `exec_prefix` is how an exec check's command is run in the container:
// {"/usr/bin/keel-runtime", "exec", NAME}.
HealthProbe plan_probe(const HealthCheck& check, const std::vector<std::string>& exec_prefix);

// How a probe ended (its exit status).
enum ProbeResult : int {
  kProbeHealthy = 0,
  kProbeRefused = 1,  // connect failed
  kProbeTimeout = 2,
  kProbeBadStatus = 3,  // HTTP: not 2xx or 3xx, or not HTTP
  kProbeSetup = 4,      // could not join the namespace or make the socket
  kProbeFailed = 5,     // exec: the command exited non-zero
};
std::string_view probe_result_text(int status);

// Child side: joins netns_fd (if >= 0), probes, and exits with a ProbeResult. An
// exec probe runs the command and waits for it, up to the timeout.
[[noreturn]] void run_probe(int netns_fd, const HealthProbe& probe);

// "HTTP/1.1 204 No Content" -> true; 4xx, 5xx and garbage -> false.
bool http_status_healthy(std::string_view head);

enum class Health { none, starting, healthy, unhealthy };
std::string_view to_string(Health h);

// Docker's semantics: "starting" until the first success; failures inside the
// start period do not count; `retries` failures in a row make it "unhealthy"; one
// success makes it "healthy" again.
class HealthTracker {
 public:
  explicit HealthTracker(const HealthCheck& check) : m_check(check) {}
  void on_start(Clock::time_point now);
  void on_stop() { m_state = Health::none; }
  // True if the state changed.
  bool on_result(bool ok, Clock::time_point now);
  Health state() const { return m_state; }
  // Not yet healthy and within start_period: probes come every start_interval.
  std::chrono::milliseconds next_delay(Clock::time_point now) const;

 private:
  const HealthCheck& m_check;
  Health m_state = Health::none;
  Clock::time_point m_started{};
  uint32_t m_failures = 0;
};

}  // namespace keel::init
