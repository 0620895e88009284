// HttpServer: the HTTP/1.1 transport (plain or TLS) in front of a Router. It parses
// requests, enforces size, time and concurrency limits, runs handlers on a worker pool and
// writes their responses; it knows nothing about the API behind the router.
//
// Thread model
//   * IO threads (ServerOptions::io_threads) run one boost::asio::io_context: accepting,
//     TLS handshakes, reading and parsing requests, writing responses, timers. Each
//     connection is a small object driven by callbacks on its own strand; an idle
//     keep-alive connection costs a socket and a few hundred bytes, never a thread.
//   * Worker threads (ServerOptions::worker_threads) run the handlers, one request per
//     thread at a time, from a queue of at most max_queued_requests. When the queue is
//     full the IO thread answers 503 with "Retry-After: 1" at once, without queueing.
//     A handler's Response is handed back to the connection's strand for writing.
//   * Handlers may be called concurrently from several worker threads; they own the
//     Request they are given for the duration of the call. An exception escaping a
//     handler becomes a 500 JSON response.
//
// Ownership: the HttpServer owns the IO context, acceptor, connections and both thread
// sets; it shares ownership of the Router, which must not change after Start(). Stop()
// (also run by the destructor) stops accepting, closes every connection (requests in
// flight get no response), discards queued requests, waits for running handlers to
// return and joins all threads. Call Stop() and the destructor from a thread the server
// does not own (never from a handler).
//
// Limits and errors the transport answers itself (always JSON {"code":N,"error":"…"}):
//   400  malformed HTTP, or a target that is not "/path?query" with valid % escapes
//        (malformed HTTP also closes the connection)
//   413  body larger than max_body_bytes (then the connection is closed)
//   431  header larger than max_header_bytes (then the connection is closed)
//   503  worker queue full, or the request's deadline passed while it was queued
//   500  the handler threw
// A connection is closed without an answer when the header or body does not arrive
// within its timeout, or when max_connections connections are already open (the new one
// is accepted and closed at once).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "net/router.h"

namespace kprof::net {

struct ServerOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal to bind
  uint16_t port = 7070;               // 0 picks a free port; see HttpServer::port()
  int io_threads = 1;
  int worker_threads = 2;
  // Requests waiting for a worker beyond the ones running; more are answered 503.
  size_t max_queued_requests = 256;
  size_t max_connections = 2048;
  size_t max_header_bytes = 16 << 10;  // request line and header fields together
  size_t max_body_bytes = 32 << 20;
  // Bodies being read, queued or handled may take at most this much memory together
  // (0 = no limit). A request that would exceed it gets 503 before its body is read,
  // so memory stays bounded however many uploads arrive at once.
  size_t max_inflight_body_bytes = 512u << 20;
  // Time allowed to read a request's body (on a new connection also its header, and for
  // TLS the handshake) and to write its response; it also sets Request::deadline, counted
  // from when the header has arrived.
  std::chrono::milliseconds request_timeout{30000};
  // Time a keep-alive connection may wait for (the header of) its next request.
  std::chrono::milliseconds idle_timeout{60000};
  // Both set: serve HTTPS with this PEM certificate chain and private key.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// Counters since Start(); a snapshot of independent atomics, not one consistent instant.
struct ServerStats {
  uint64_t connections_open = 0;
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected = 0;  // closed at once because max_connections were open
  uint64_t requests_total = 0;        // responses written, including transport errors
  uint64_t rejected_overload = 0;     // 503s because the worker queue was full
  uint64_t bytes_in = 0;              // HTTP bytes read (after TLS decryption)
  uint64_t bytes_out = 0;             // HTTP bytes written (before TLS encryption)
};

class HttpServer {
 public:
  // Binds, listens and starts the threads. Fails with kInvalidArgument for bad options
  // (unparsable address, only one TLS file, unreadable certificate or key) and with
  // kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(ServerOptions options,
                                                   std::shared_ptr<const Router> router);

  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the chosen one when options.port was 0).
  uint16_t port() const;
  bool tls() const;

  // Idempotent and safe to call from several threads; returns when all threads are joined.
  void Stop();

  ServerStats stats() const;

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kprof::net
