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

struct KeelctlCommand {
  std::string socket = kDefaultControlSocket;
  bool json = false;
  bool follow = false;
  Json request;
};

// argv without the program name. An error carries the usage problem.
Result<KeelctlCommand> parse_keelctl_args(const std::vector<std::string>& args);

// A table of the status result: NAME STATE RESTARTS PID UPTIME LAST-EXIT.
std::string format_status(const Json& result);

// Exit status: 0 ok, 1 the init refused, 3 no connection.
int run_keelctl(const KeelctlCommand& cmd, std::FILE* out, std::FILE* err);

}  // namespace keel::init
