// Test peers for the HTTP client: a TCP server whose replies are written byte by byte by
// the test (chunked streams, slow, truncated and oversized bodies), and a child process
// whose stdout can be read while it runs (openssl s_server).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kprof::net::testing {

// One accepted connection as a ScriptedServer handler sees it.
class ScriptedConnection {
 public:
  ScriptedConnection(int fd, std::string request, const std::atomic<bool>* stopping)
      : fd_(fd), request_(std::move(request)), stopping_(stopping) {}

  // The request line, header and body (when Content-Length said there is one).
  const std::string& request() const { return request_; }
  // False once the peer is gone.
  bool Send(std::string_view bytes);
  // Sleeps up to `duration`; returns false early when the server is being destroyed.
  bool Sleep(std::chrono::milliseconds duration);

 private:
  int fd_;
  std::string request_;
  const std::atomic<bool>* stopping_;
};

// Listens on 127.0.0.1 and an ephemeral port; every connection gets its own thread,
// which reads one request and runs the handler. The connection is closed when the
// handler returns (with `keep_alive`, when the peer closes it: the handler runs again for
// each further request). The destructor wakes sleeping handlers and joins every thread.
class ScriptedServer {
 public:
  using Handler = std::function<void(ScriptedConnection&)>;

  // `accept_connections` false: listen with a backlog of zero and never accept, so once
  // the queue is full new connections hang in SYN-SENT (for connect timeouts).
  explicit ScriptedServer(Handler handler, bool accept_connections = true, bool keep_alive = false);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string Url(std::string_view path) const;
  int connections_accepted() const { return accepted_.load(); }
  // The most connections that were open at once.
  int max_concurrent() const { return max_open_.load(); }

 private:
  void AcceptLoop();

  Handler handler_;
  bool keep_alive_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};
  std::atomic<int> max_open_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> connections_;  // guarded by mu_
};

// A child process started without a shell, stdout piped back; killed on destruction.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  // Reads stdout until a line starting with `prefix` arrives; returns the line, or ""
  // on timeout or end of output.
  std::string WaitForLine(std::string_view prefix,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  int pid_ = -1;
  int stdout_fd_ = -1;
  std::string pending_;
};

// "HTTP/1.1 <status> X\r\nContent-Length: N\r\n<extra>\r\n<body>".
std::string PlainResponse(int status, std::string_view body, std::string_view extra_headers = "");
// One chunk of a chunked body ("" is the last chunk).
std::string Chunk(std::string_view data);

}  // namespace kprof::net::testing
