// Delivery of spooled profiles: a Sink takes one profile (to a kprof server over HTTP,
// or straight into the local store when the collector runs inside `kprof server`), and
// the Pusher drains the spool into it oldest-first with retries.
//
// Sink results: OK = delivered (removed from the spool); kInvalidArgument or
// kResourceExhausted = the server refuses this profile for good (removed and counted as
// rejected); anything else = try again later (the profile stays, the pusher backs off).
//
// Thread-safety: Sinks must be callable from several pusher threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/metrics.h"
#include "base/status.h"
#include "base/token_file.h"
#include "collect/spool.h"
#include "net/http_client.h"

namespace kprof::collect {

class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status Deliver(const Envelope& envelope) = 0;
};

struct HttpSinkOptions {
  std::string server;      // http(s)://host:port of a kprof server
  std::string token_file;  // bearer token with write scope, re-read as it rotates
  net::TlsOptions tls;
  std::chrono::milliseconds timeout{30000};
};

// POST /api/v1/profiles?service=…&type=…&labels=…&time=… with the gzipped profile.
class HttpSink : public Sink {
 public:
  HttpSink(HttpSinkOptions options, std::shared_ptr<net::HttpClient> http);
  Status Deliver(const Envelope& envelope) override;

 private:
  HttpSinkOptions options_;
  std::shared_ptr<net::HttpClient> http_;
  std::unique_ptr<TokenFile> token_;  // null without a token file
};

struct PusherOptions {
  int threads = 4;
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{30000};
};

struct PusherStats {
  uint64_t delivered = 0;
  uint64_t rejected = 0;
  uint64_t retries = 0;
};

class Pusher {
 public:
  Pusher(PusherOptions options, Spool* spool, Sink* sink, metrics::Registry* registry);
  ~Pusher();  // stops
  void Start();
  // Stops the threads; undelivered profiles stay in the spool for the next run.
  void Stop();
  PusherStats stats() const;

 private:
  void Loop();

  PusherOptions options_;
  Spool* spool_;
  Sink* sink_;
  metrics::Counter* delivered_;
  metrics::Counter* rejected_;
  metrics::Counter* retries_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point paused_until_{};
  std::vector<std::thread> threads_;
};

}  // namespace kprof::collect
