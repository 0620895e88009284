// Helpers for the HTTP transport tests: a real client (curl), a raw TCP client for
// protocol abuse, temporary directories and a polling wait.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "net/router.h"
#include "net/server.h"

namespace kprof::net::testing {

struct CurlResponse {
  int exit_code = -1;
  int status = 0;       // %{http_code}; 0 when no response arrived
  std::string headers;  // as received, all header blocks (100 Continue included)
  std::string body;
  std::string err;  // curl's stderr
};

// Runs `curl -sS <args>` with the response headers and body captured separately.
// `args` is shell text: quote URLs with special characters.
CurlResponse Curl(const std::string& args);

// "http://127.0.0.1:<port><path>", quoted for the shell.
std::string Url(uint16_t port, const std::string& path);

// The value of header `name` in a raw header block (case-insensitive name), or "".
std::string HeaderValue(const std::string& headers, const std::string& name);

// Holds handlers or jobs until opened; opens itself after 20 s so that a failing test
// cannot hang.
class Gate {
 public:
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [this] { return open_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `size` bytes of 'x' to `path`.
void WriteFile(const std::string& path, size_t size);

// A blocking TCP client with timeouts on every read.
class RawClient {
 public:
  explicit RawClient(uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool Send(const std::string& bytes);
  // Reads one response framed by Content-Length; "" on timeout or close before a full
  // response.
  std::string ReadResponse(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads until the server closes; returns what arrived. `closed` reports whether the
  // close happened within the timeout.
  std::string ReadUntilClosed(bool* closed,
                              std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  // Appends what arrives to pending_; false on timeout or close.
  bool Fill(std::chrono::steady_clock::time_point deadline, bool* closed);

  int fd_ = -1;
  std::string pending_;
};

// Polls `condition` until it holds or `timeout` passes; returns its last value.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Starts a server on 127.0.0.1 and an ephemeral port; fails the test on error.
std::unique_ptr<HttpServer> StartServer(ServerOptions options, std::shared_ptr<Router> router);

}  // namespace kprof::net::testing
