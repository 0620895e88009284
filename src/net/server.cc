#include "net/server.h"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "net/connection.h"

namespace kprof::net {

namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;

namespace {

// After an accept error such as EMFILE, wait before accepting again instead of spinning.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

Status ValidateOptions(const ServerOptions& options) {
  if (options.io_threads < 1) return InvalidArgument("io_threads must be at least 1");
  if (options.worker_threads < 1) return InvalidArgument("worker_threads must be at least 1");
  if (options.max_queued_requests < 1) {
    return InvalidArgument("max_queued_requests must be at least 1");
  }
  if (options.max_connections < 1) return InvalidArgument("max_connections must be at least 1");
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return InvalidArgument("TLS needs both a certificate file and a key file");
  }
  return Status::Ok();
}

Result<std::unique_ptr<asio::ssl::context>> LoadTls(const ServerOptions& options) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  boost::system::error_code ec;
  context->use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec) {
    return InvalidArgument("TLS certificate " + options.tls_cert_file + ": " + ec.message());
  }
  context->use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) return InvalidArgument("TLS key " + options.tls_key_file + ": " + ec.message());
  return context;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(ServerOptions options, std::shared_ptr<const Router> router,
       std::unique_ptr<asio::ssl::context> tls)
      : tls_(std::move(tls)),
        ioc_(options.io_threads),
        acceptor_(ioc_),
        accept_retry_(ioc_),
        pool_(options.worker_threads, options.max_queued_requests) {
    context_.options = std::move(options);
    context_.router = std::move(router);
    context_.pool = &pool_;
    context_.counters = &counters_;
    context_.connections = &connections_;
  }

  ~Impl() { Stop(); }

  Status Listen() {
    const ServerOptions& options = context_.options;
    std::string where = options.address + ":" + std::to_string(options.port);
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(options.address, ec);
    if (ec) return InvalidArgument("listen address \"" + options.address + "\" is not an IP");
    tcp::endpoint endpoint(address, options.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Unavailable("listen on " + where + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    return Status::Ok();
  }

  void Run() {
    Accept();
    int threads = context_.options.io_threads;
    io_threads_.reserve(threads);
    for (int i = 0; i < threads; ++i) {
      io_threads_.emplace_back([this] {
        // Handlers do not throw by design; if one does anyway, keep the thread serving.
        while (true) {
          try {
            ioc_.run();
            return;
          } catch (...) {
          }
        }
      });
    }
  }

  void Stop() {
    std::lock_guard lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    // Queued requests are dropped before they can start; IO threads answer new ones 503
    // until they stop.
    pool_.Close();
    ioc_.stop();
    for (std::thread& t : io_threads_) t.join();
    // No IO thread runs from here on, so this thread may touch the acceptor and sockets.
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
    connections_.CloseAll();
    // Running handlers finish; their responses go to the stopped io_context and are
    // destroyed with it, together with the connections they keep alive.
    pool_.Shutdown();
  }

  uint16_t port() const { return port_; }
  bool tls() const { return tls_ != nullptr; }

  ServerStats stats() const {
    ServerStats s;
    s.connections_open = counters_.connections_open.load();
    s.connections_accepted = counters_.connections_accepted.load();
    s.connections_rejected = counters_.connections_rejected.load();
    s.requests_total = counters_.requests_total.load();
    s.rejected_overload = counters_.rejected_overload.load();
    s.bytes_in = counters_.bytes_in.load();
    s.bytes_out = counters_.bytes_out.load();
    return s;
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_),
                           [this](boost::system::error_code ec, tcp::socket socket) {
                             OnAccept(ec, std::move(socket));
                           });
  }

  void OnAccept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      accept_retry_.expires_after(kAcceptRetryDelay);
      accept_retry_.async_wait([this](boost::system::error_code ec) {
        if (!ec) Accept();
      });
      return;
    }
    if (counters_.connections_open.load() >= context_.options.max_connections) {
      counters_.connections_rejected++;
      boost::system::error_code ignored;
      socket.close(ignored);
    } else {
      counters_.connections_accepted++;
      internal::StartConnection(&context_, std::move(socket), tls_.get());
    }
    Accept();
  }

  // Connections refer to the members up to context_; they are declared before ioc_ so
  // that they outlive the connections ioc_ destroys.
  internal::Counters counters_;
  internal::ConnectionTable connections_;
  std::unique_ptr<asio::ssl::context> tls_;
  internal::ServerContext context_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  WorkerPool pool_;
  std::vector<std::thread> io_threads_;
  uint16_t port_ = 0;
  std::mutex stop_mu_;
  bool stopped_ = false;  // guarded by stop_mu_
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(ServerOptions options,
                                                      std::shared_ptr<const Router> router) {
  KPROF_RETURN_IF_ERROR(ValidateOptions(options));
  if (router == nullptr) return InvalidArgument("HttpServer needs a router");
  std::unique_ptr<asio::ssl::context> tls;
  if (!options.tls_cert_file.empty()) {
    KPROF_ASSIGN_OR_RETURN(tls, LoadTls(options));
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(router), std::move(tls));
  KPROF_RETURN_IF_ERROR(impl->Listen());
  impl->Run();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;

uint16_t HttpServer::port() const { return impl_->port(); }
bool HttpServer::tls() const { return impl_->tls(); }
void HttpServer::Stop() { impl_->Stop(); }
ServerStats HttpServer::stats() const { return impl_->stats(); }

}  // namespace kprof::net
