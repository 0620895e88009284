// Private to src/net: one accepted HTTP connection (plain or TLS) and the server state it
// shares. See server.h for the thread model; everything here runs on the connection's
// strand except where a comment says otherwise.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "net/router.h"
#include "net/server.h"
#include "net/worker_pool.h"

namespace kprof::net::internal {

struct Counters {
  std::atomic<uint64_t> connections_open{0};
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_rejected{0};
  std::atomic<uint64_t> requests_total{0};
  std::atomic<uint64_t> rejected_overload{0};
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
  // Bytes of request bodies being read, queued or handled (see max_inflight_body_bytes).
  std::atomic<uint64_t> inflight_body_bytes{0};
};

// A share of the in-flight body budget, returned when destroyed.
class BodyReservation {
 public:
  BodyReservation(std::atomic<uint64_t>* counter, uint64_t bytes)
      : counter_(counter), bytes_(bytes) {}
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;
  ~BodyReservation() { counter_->fetch_sub(bytes_); }

 private:
  std::atomic<uint64_t>* counter_;
  uint64_t bytes_;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the socket. Only while no IO thread runs (HttpServer::Stop).
  virtual void CloseNow() = 0;
};

// The open connections, so that Stop() can close them. Holds weak references: a
// connection is kept alive only by its pending operations and queued requests.
class ConnectionTable {
 public:
  void Add(const std::shared_ptr<Connection>& connection);
  void Remove(Connection* connection);
  size_t size() const;
  void CloseAll();

 private:
  mutable std::mutex mu_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;  // guarded by mu_
};

// What connections share with the server. Outlives every connection: the server declares
// these before its io_context, whose destruction destroys the last connections.
struct ServerContext {
  ServerOptions options;
  std::shared_ptr<const Router> router;
  WorkerPool* pool = nullptr;
  Counters* counters = nullptr;
  ConnectionTable* connections = nullptr;
};

// Takes over `socket` (whose executor is a strand of its own) and serves HTTP on it, over
// TLS when `tls` is not null. Called on an IO thread.
void StartConnection(ServerContext* context, boost::asio::ip::tcp::socket socket,
                     boost::asio::ssl::context* tls);

// Runs `request` through the router on a worker thread: the deadline check, and the
// boundary where handler exceptions become 500s.
Response RunHandler(const Router& router, Request& request);

}  // namespace kprof::net::internal
