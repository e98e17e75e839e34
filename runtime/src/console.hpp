// process.terminal with --console-socket: the runtime opens a pty and hands its
// master to whoever listens on the socket (runc's recvtty protocol: one SCM_RIGHTS
// message, its data the terminal's name). The slave becomes the container's stdio.
#pragma once

#include <string>

#include "keel/common/error.hpp"
#include "keel/common/unique_fd.hpp"

namespace keel::runtime {

struct Pty {
  UniqueFd master, slave;
  std::string slave_name;
};

Result<Pty> open_pty();
Result<void> send_console_fd(const std::string& socket_path, const Pty& pty);

}  // namespace keel::runtime
