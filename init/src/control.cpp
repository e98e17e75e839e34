#include "keel/init/control.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace keel::init {
namespace {

Json error_reply(std::string message) {
  return Json{{"ok", false}, {"error", std::move(message)}};
}

// Root only: the socket file is 0600 already; the uid check also covers a socket
// reached some other way (a bind mount, a passed fd).
bool peer_allowed(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return false;
  return cred.uid == 0 || cred.uid == ::geteuid();
}

}  // namespace

std::string json_line(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

void ControlClient::send(const Json& j) {
  if (m_dead) return;
  m_out += json_line(j);
  // A client that stopped reading is dropped rather than buffered forever.
  if (m_out.size() > ControlServer::kMaxBacklog) return kill();
  flush();
}

void ControlClient::kill() {
  if (m_dead) return;
  m_dead = true;
  m_server->schedule_reap();
}

void ControlClient::flush() {
  while (!m_out.empty() && !m_dead) {
    ssize_t n = ::send(m_fd.get(), m_out.data(), m_out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) return kill();
    m_out.erase(0, static_cast<size_t>(n));
  }
  // Wake for writability only while something waits to be sent.
  uint32_t events = EPOLLIN | EPOLLRDHUP | (m_out.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT));
  if (m_source && !m_dead) sd_event_source_set_io_events(m_source, events);
}

Result<std::unique_ptr<ControlServer>> ControlServer::listen(sd_event* event,
                                                             const std::string& path,
                                                             ControlHandler handler) {
  std::unique_ptr<ControlServer> s(new ControlServer());
  s->m_event = event;
  s->m_handler = std::move(handler);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail_msg("control socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail_errno("socket");
  s->m_fd.reset(fd);
  ::unlink(path.c_str());  // a previous boot's or harness run's socket
  // The socket file is created 0600, never briefly wider.
  mode_t old = ::umask(0177);
  int r = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (r < 0) return fail_errno("bind " + path);
  s->m_path = path;
  if (::listen(fd, 16) < 0) return fail_errno("listen " + path);
  int e = sd_event_add_io(event, &s->m_source, fd, EPOLLIN, &ControlServer::on_accept, s.get());
  if (e < 0) return fail(Error::from_errno("sd_event_add_io", -e));
  e = sd_event_add_defer(event, &s->m_reap, &ControlServer::on_reap, s.get());
  if (e < 0) return fail(Error::from_errno("sd_event_add_defer", -e));
  sd_event_source_set_enabled(s->m_reap, SD_EVENT_OFF);
  return s;
}

ControlServer::~ControlServer() {
  while (!m_clients.empty()) close(m_clients.front());
  if (m_reap) sd_event_source_disable_unref(m_reap);
  if (m_source) sd_event_source_disable_unref(m_source);
  if (!m_path.empty()) ::unlink(m_path.c_str());
}

void ControlServer::schedule_reap() {
  if (m_reap) sd_event_source_set_enabled(m_reap, SD_EVENT_ONESHOT);
}

int ControlServer::on_reap(sd_event_source*, void* ud) {
  auto* s = static_cast<ControlServer*>(ud);
  for (auto it = s->m_clients.begin(); it != s->m_clients.end();) {
    auto next = std::next(it);
    if (it->m_dead) s->close(*it);
    it = next;
  }
  return 0;
}

void ControlServer::close(ControlClient& c) {
  auto callbacks = std::move(c.m_on_close);
  for (auto& f : callbacks) f();
  if (c.m_source) sd_event_source_disable_unref(c.m_source);
  m_clients.remove_if([&](const ControlClient& x) { return &x == &c; });
}

int ControlServer::on_accept(sd_event_source*, int, uint32_t, void* ud) {
  static_cast<ControlServer*>(ud)->accept_one();
  return 0;
}

void ControlServer::accept_one() {
  int fd = ::accept4(m_fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return;  // EAGAIN, or the peer gave up: nothing to do
  UniqueFd client_fd(fd);
  if (!peer_allowed(fd)) {
    std::string line = json_line(error_reply("permission denied: keelctl needs root"));
    (void)!::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return;
  }
  auto& c = m_clients.emplace_back();
  c.m_server = this;
  c.m_fd = std::move(client_fd);
  if (sd_event_add_io(m_event, &c.m_source, fd, EPOLLIN | EPOLLRDHUP, &ControlServer::on_client,
                      &c) < 0)
    m_clients.pop_back();
}

int ControlServer::on_client(sd_event_source*, int, uint32_t revents, void* ud) {
  auto* c = static_cast<ControlClient*>(ud);
  ControlServer* server = c->m_server;
  if (revents & EPOLLOUT) c->flush();
  if (!c->m_dead && (revents & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR))) server->receive(*c);
  if (c->m_dead) server->close(*c);
  return 0;
}

void ControlServer::receive(ControlClient& c) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(c.m_fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) return c.kill();  // EOF or error: clients never half-close
    c.m_in.append(buf, static_cast<size_t>(n));
    if (c.m_in.size() > kMaxRequest && c.m_in.find('\n') == std::string::npos) {
      c.send(error_reply("request line longer than 64 KiB"));
      return c.kill();
    }
  }
  handle_lines(c);
}

void ControlServer::handle_lines(ControlClient& c) {
  for (auto nl = c.m_in.find('\n'); nl != std::string::npos && !c.m_dead; nl = c.m_in.find('\n')) {
    std::string line = c.m_in.substr(0, nl);
    c.m_in.erase(0, nl + 1);
    if (line.empty()) continue;
    Json req = Json::parse(line, nullptr, false);  // no exceptions in PID 1
    if (req.is_discarded() || !req.is_object()) {
      c.send(error_reply("not a JSON object: see docs/KEELCTL.md for the protocol"));
      continue;
    }
    c.send(m_handler(req, c));
  }
}

}  // namespace keel::init
