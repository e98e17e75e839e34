// sd_notify(3)'s sending side (see keel/init/notify_client.hpp).
#include "keel/init/notify_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "keel/common/unique_fd.hpp"

namespace keel::init {

Result<std::string> notify_message(const std::vector<std::string>& assignments) {
  if (assignments.empty()) return fail_msg("nothing to send: give VAR=value, for example READY=1");
  std::string out;
  for (const auto& a : assignments) {
    auto eq = a.find('=');
    if (eq == 0 || eq == std::string::npos)
      return fail_msg("'" + a + "' is not VAR=value (for example READY=1 or STATUS=text)");
    if (a.find('\n') != std::string::npos)
      return fail_msg("'" + a + "' has a newline: one VAR=value per argument");
    out += a;
    out += '\n';
  }
  return out;
}

Result<void> notify_send(std::string_view notify_socket, std::string_view message) {
  if (notify_socket.empty())
    return fail_msg(
        "NOTIFY_SOCKET is not set: the container's definition needs ready = \"notify\"");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (notify_socket.size() >= sizeof addr.sun_path)
    return fail_msg("NOTIFY_SOCKET " + std::string(notify_socket) + ": path too long");
  std::memcpy(addr.sun_path, notify_socket.data(), notify_socket.size());
  socklen_t len = sizeof addr;
  if (notify_socket.front() == '@') {
    // An abstract address: a leading NUL, and the length counts only the name.
    addr.sun_path[0] = '\0';
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + notify_socket.size());
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("socket");
  // The error is made before fd closes, so it carries sendto's errno.
  if (::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&addr), len) < 0)
    return fail_errno("sending to NOTIFY_SOCKET " + std::string(notify_socket));
  return {};
}

}  // namespace keel::init
