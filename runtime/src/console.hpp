// process.terminal with --console-socket (runc's recvtty protocol): the runtime
// connects to the socket; the container's init opens a pty on the container's own
// devpts instance (/dev/ptmx), sends the master over the socket in one SCM_RIGHTS
// message whose data is the terminal's name, and makes the slave its stdio and
// controlling terminal.
#pragma once

#include <string>

#include "child.hpp"
#include "keel/common/error.hpp"
#include "keel/common/unique_fd.hpp"

namespace keel::runtime {

Result<UniqueFd> connect_console_socket(const std::string& path);

// Child side, after the mounts and before the process settings (the slave is then
// chowned to the process's user): no allocation, only syscalls.
ChildErr child_setup_console(const ChildPlan& plan);

}  // namespace keel::runtime
