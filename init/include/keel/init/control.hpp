// The control socket keelctl talks to (docs/KEELCTL.md): a Unix stream socket
// speaking JSON lines. Each request line gets one response line; `logs` with
// "follow" keeps streaming. Only root (SO_PEERCRED uid 0, or the init's own uid in
// the test harness) may connect. Every client socket is non-blocking with a capped
// output buffer: a client that does not read is dropped, the init never waits.
#pragma once

#include <systemd/sd-event.h>

#include <functional>
#include <list>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "keel/common/error.hpp"
#include "keel/common/unique_fd.hpp"

namespace keel::init {

using Json = nlohmann::json;

// One line of JSON, never throwing: invalid UTF-8 in a log line is replaced.
std::string json_line(const Json& j);

class ControlServer;

class ControlClient {
 public:
  // Queues one JSON line; drops the client if its backlog passes the cap.
  void send(const Json& j);
  // Runs when the client goes away (used to stop following logs).
  void on_close(std::function<void()> f) { m_on_close.push_back(std::move(f)); }

 private:
  friend class ControlServer;
  ControlServer* m_server = nullptr;
  UniqueFd m_fd;
  sd_event_source* m_source = nullptr;  // owned: unref'd on close
  std::string m_in, m_out;
  bool m_dead = false;
  std::vector<std::function<void()>> m_on_close;
  void flush();
  void kill();  // marks it dead; the server closes it from its own event
};

// Answers one request. The response is sent as is; it must carry "ok".
using ControlHandler = std::function<Json(const Json& request, ControlClient& client)>;

class ControlServer {
 public:
  // Binds `path` (a stale socket file is replaced), mode 0600.
  static Result<std::unique_ptr<ControlServer>> listen(sd_event* event, const std::string& path,
                                                       ControlHandler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  static constexpr size_t kMaxRequest = 64 * 1024;
  static constexpr size_t kMaxBacklog = 1024 * 1024;

 private:
  ControlServer() = default;
  friend class ControlClient;
  static int on_accept(sd_event_source* s, int fd, uint32_t revents, void* ud);
  static int on_client(sd_event_source* s, int fd, uint32_t revents, void* ud);
  static int on_reap(sd_event_source* s, void* ud);
  void accept_one();
  void receive(ControlClient& c);
  void handle_lines(ControlClient& c);
  void close(ControlClient& c);
  // Dead clients are closed from a deferred event, never from inside send(): a
  // send may run while a log store iterates its followers.
  void schedule_reap();

  sd_event* m_event = nullptr;
  std::string m_path;
  UniqueFd m_fd;
  sd_event_source* m_source = nullptr;
  sd_event_source* m_reap = nullptr;
  ControlHandler m_handler;
  std::list<ControlClient> m_clients;
};

}  // namespace keel::init
