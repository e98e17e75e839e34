// A loopback HTTP server for tests, in a thread: answers each GET with the next canned
// response and every PUT (an IMDSv2 token request) with `put_response`. Tests only;
// traffic stays on 127.0.0.1.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace keel::firstboot::test {

class HttpStub {
 public:
  explicit HttpStub(std::vector<std::string> responses,
                    std::string put_response = response(405, ""))
      : m_responses(std::move(responses)), m_put(std::move(put_response)) {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len);
    m_port = ntohs(a.sin_port);
    ::listen(m_fd, 8);
    m_thread = std::thread([this] { serve(); });
  }
  ~HttpStub() {
    ::shutdown(m_fd, SHUT_RDWR);
    m_thread.join();
    ::close(m_fd);
  }
  std::string url(const std::string& path = "/latest/user-data") const {
    return "http://127.0.0.1:" + std::to_string(m_port) + path;
  }
  // The GET requests so far (request line and headers).
  std::vector<std::string> gets() const {
    std::lock_guard lock(m_mutex);
    return m_gets;
  }
  int requests() const { return static_cast<int>(gets().size()); }

  static std::string response(int status, const std::string& body) {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  }

 private:
  void serve() {
    for (size_t next = 0; next < m_responses.size();) {
      int c = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      char buf[4096];
      std::string req;
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      bool put = req.starts_with("PUT ");
      if (!put) {
        std::lock_guard lock(m_mutex);
        m_gets.push_back(req);
      }
      const std::string& r = put ? m_put : m_responses[next++];
      size_t off = 0;
      while (off < r.size()) {
        ssize_t n = ::write(c, r.data() + off, r.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      ::close(c);
    }
  }

  std::vector<std::string> m_responses;
  std::string m_put;
  mutable std::mutex m_mutex;
  std::vector<std::string> m_gets;
  int m_fd = -1;
  int m_port = 0;
  std::thread m_thread;
};

// A loopback port nobody listens on.
inline int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace keel::firstboot::test
