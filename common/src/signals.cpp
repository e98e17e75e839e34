// signal(7) names, with or without the SIG prefix, and numbers up to SIGRTMAX.
#include "keel/common/signals.hpp"

#include <charconv>
#include <csignal>
#include <string>
#include <tuple>

namespace keel {
namespace {

struct Named {
  std::string_view name;
  int number;
};

constexpr Named kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

}  // namespace

Result<int> parse_signal(std::string_view s) {
  int n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (!s.empty() && ec == std::errc() && p == s.data() + s.size()) {
    if (n < 1 || n > SIGRTMAX) return fail_msg("signal " + std::string(s) + " is out of range");
    return n;
  }
  std::string_view bare = s.starts_with("SIG") ? s.substr(3) : s;
  for (const auto& sig : kSignals)
    if (sig.name == bare) return sig.number;
  // RTMIN+N / RTMAX-N (signal(7) "Real-time signals").
  for (auto [base, sign, prefix] : {std::tuple{SIGRTMIN, 1, "RTMIN+"}, {SIGRTMAX, -1, "RTMAX-"}})
    if (bare.starts_with(prefix)) {
      std::string_view off = bare.substr(6);
      int k = 0;
      auto [q, e] = std::from_chars(off.data(), off.data() + off.size(), k);
      int v = base + sign * k;
      if (e == std::errc() && q == off.data() + off.size() && v >= SIGRTMIN && v <= SIGRTMAX)
        return v;
    }
  if (bare == "RTMIN") return SIGRTMIN;
  if (bare == "RTMAX") return SIGRTMAX;
  return fail_msg("unknown signal '" + std::string(s) + "'");
}

}  // namespace keel
