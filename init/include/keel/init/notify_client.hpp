// The sending side of the sd_notify protocol, for keel-notify (init/notify_main.cpp):
// a container whose definition says ready = "notify" gets NOTIFY_SOCKET, and a
// process in it that is not linked with libsystemd (a shell script, udhcpc's event
// script) reports READY=1 through this tool, as systemd-notify does on a systemd host.
// keel-notify is linked fully statically so that it runs in any container image,
// with or without a libc, which is why it does not use libsystemd's sd_notify (Debian
// ships no static libsystemd). The protocol is sd_notify(3)'s: one datagram of
// newline-separated VAR=value lines to the socket NOTIFY_SOCKET names, a path or,
// with a leading '@', an abstract address.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "keel/common/error.hpp"

namespace keel::init {

// The datagram for `assignments` (each VAR=value, one per line); an assignment
// without '=' or with a newline in it is an error naming it.
Result<std::string> notify_message(const std::vector<std::string>& assignments);

// Sends `message` to the socket `notify_socket` names (NOTIFY_SOCKET's value).
Result<void> notify_send(std::string_view notify_socket, std::string_view message);

}  // namespace keel::init
