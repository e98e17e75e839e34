// keel-notify VAR=value...: tells keel-init about a container's state over the
// sd_notify protocol (keel/init/notify_client.hpp), as systemd-notify does:
//   keel-notify READY=1 "STATUS=eth0 bound to 10.0.2.15"
// Exits 0 once the datagram is sent, 1 with a message naming the problem otherwise.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "keel/init/notify_client.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    std::puts("usage: keel-notify VAR=value...   (for example READY=1, STATUS=text)");
    return 0;
  }
  auto message = keel::init::notify_message(args);
  if (!message) {
    std::fprintf(stderr, "keel-notify: %s\n", message.error().message().c_str());
    return 1;
  }
  const char* socket = std::getenv("NOTIFY_SOCKET");
  auto sent = keel::init::notify_send(socket ? socket : "", *message);
  if (!sent) {
    std::fprintf(stderr, "keel-notify: %s\n", sent.error().message().c_str());
    return 1;
  }
  return 0;
}
