// keelctl's logic, apart from its thin main (init/keelctl.cpp): parse the command
// line into one control-socket request, send it, and print the answer for a person
// or, with --json, as the JSON the socket returned.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "keel/common/error.hpp"
#include "keel/init/control.hpp"

namespace keel::init {

inline constexpr const char* kDefaultControlSocket = "/run/keel/control.sock";
inline constexpr const char* kDefaultRuntime = "/usr/bin/keel-runtime";

struct KeelctlCommand {
  std::string socket = kDefaultControlSocket;
  bool json = false;
  bool follow = false;
  Json request;
  // `exec NAME -- CMD...`: not a socket request. keelctl becomes
  // `keel-runtime exec NAME CMD...`, which joins the container the init runs
  // (its namespaces, cgroups and confinement), so stdin/stdout/stderr and the exit
  // status are the command's own.
  std::string runtime = kDefaultRuntime;
  std::vector<std::string> exec_argv;  // the runtime's argv; empty: a socket request
  // `check-kernel [--config PATH]`: no socket; checks the running kernel (check_kernel.hpp).
  bool check_kernel = false;
  std::string kernel_config;  // empty: /usr/lib/modules/$(uname -r)/config
  // `status` on a booted OSTree host: the deployments (keel-update, linked by keelctl's
  // main only, so this library stays free of libostree). Added to the JSON result as "os"
  // and printed after the container table.
  Json status_os;
  std::string status_os_text;
};

// argv without the program name. An error carries the usage problem.
Result<KeelctlCommand> parse_keelctl_args(const std::vector<std::string>& args);

// A table of the status result: NAME STATE RESTARTS PID UPTIME LAST-EXIT.
std::string format_status(const Json& result);

// Exit status: 0 ok, 1 the init refused, 3 no connection; for exec, the command's
// (keel-runtime's 125 when it could not start it, 127 when there is no runtime).
int run_keelctl(const KeelctlCommand& cmd, std::FILE* out, std::FILE* err);

}  // namespace keel::init
