#include "net/connection.h"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

namespace kprof::net::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// How long a closing connection waits for the peer to finish sending (so that the kernel
// does not reset the connection and destroy our last response) or for TLS close_notify.
constexpr std::chrono::seconds kLingerTimeout{2};
// A read buffer that grew beyond this for a large request is released when idle.
constexpr size_t kIdleBufferBytes = 64 << 10;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= ' ' || c >= 127 ||
        std::string_view("\"(),/:;<=>?@[\\]{}").find(static_cast<char>(c)) !=
            std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string WithoutLineBreaks(std::string_view s) {
  std::string out(s);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return out;
}

Response Overloaded(std::string_view message) {
  Response response = JsonError(503, message);
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

std::string FormatEndpoint(const tcp::socket& socket) {
  beast::error_code ec;
  tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) return "";
  std::string address = endpoint.address().to_string();
  if (endpoint.address().is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(endpoint.port());
}

template <class Stream>
class HttpConnection : public Connection,
                       public std::enable_shared_from_this<HttpConnection<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <class... StreamArgs>
  HttpConnection(ServerContext* context, std::string remote_address, StreamArgs&&... stream_args)
      : context_(context),
        stream_(std::forward<StreamArgs>(stream_args)...),
        remote_address_(std::move(remote_address)) {
    context_->counters->connections_open++;
  }

  ~HttpConnection() override {
    context_->connections->Remove(this);
    context_->counters->connections_open--;
  }

  void Start() {
    // The accept handler runs on the acceptor's executor; move onto our strand.
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Tcp().expires_after(self->options().request_timeout);
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->Tcp().close();
          self->ReadHeader();
        });
      } else {
        self->ReadHeader();
      }
    });
  }

  void CloseNow() override {
    beast::error_code ec;
    Tcp().socket().close(ec);
  }

 private:
  const ServerOptions& options() const { return context_->options; }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(
        std::min<size_t>(options().max_header_bytes, std::numeric_limits<uint32_t>::max())));
    parser_->body_limit(options().max_body_bytes);
    // A new connection should send its request promptly; a kept-alive one may idle.
    Tcp().expires_after(first_request_ ? options().request_timeout : options().idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpConnection::OnHeader, this->shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t bytes) {
    context_->counters->bytes_in += bytes;
    if (ec) return OnReadError(ec);
    first_request_ = false;
    deadline_ = std::chrono::steady_clock::now() + options().request_timeout;
    if (parser_->is_done()) return Dispatch();

    // Reserve the announced body (or the most a chunked one may be) before reading it.
    if (options().max_inflight_body_bytes > 0) {
      auto length = parser_->content_length();
      uint64_t expect = length ? *length : options().max_body_bytes;
      std::atomic<uint64_t>& inflight = context_->counters->inflight_body_bytes;
      if (inflight.fetch_add(expect) + expect > options().max_inflight_body_bytes) {
        inflight.fetch_sub(expect);
        keep_alive_ = false;
        context_->counters->rejected_overload++;
        return Write(Overloaded("too many uploads in progress; retry later"));
      }
      reservation_ = std::make_shared<BodyReservation>(&inflight, expect);
    }

    Tcp().expires_after(options().request_timeout);
    const auto& header = parser_->get();
    if (header.version() >= 11 && beast::iequals(header[http::field::expect], "100-continue")) {
      context_->counters->bytes_out += kContinue.size();
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->Tcp().close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpConnection::OnBody, this->shared_from_this()));
  }

  void OnBody(beast::error_code ec, size_t bytes) {
    context_->counters->bytes_in += bytes;
    if (ec) return OnReadError(ec);
    Dispatch();
  }

  void OnReadError(beast::error_code ec) {
    keep_alive_ = false;
    reservation_.reset();
    if (ec == http::error::body_limit) {
      return Write(JsonError(413, "request body is larger than the limit of " +
                                      std::to_string(options().max_body_bytes) + " bytes"));
    }
    if (ec == http::error::header_limit) {
      return Write(JsonError(431, "request header is larger than the limit of " +
                                      std::to_string(options().max_header_bytes) + " bytes"));
    }
    // The peer went away (end_of_stream, partial_message, resets), the read timed out
    // (beast has closed the socket) or Stop() closed it: nobody to answer.
    bool malformed = ec.category() == http::make_error_code(http::error::bad_target).category() &&
                     ec != http::error::end_of_stream && ec != http::error::partial_message &&
                     ec != http::error::need_more;
    if (malformed) return Write(JsonError(400, "malformed HTTP request: " + ec.message()));
    beast::error_code ignored;
    Tcp().socket().close(ignored);
  }

  void Dispatch() {
    // Released on every early return; otherwise handed to the worker with the request.
    std::shared_ptr<BodyReservation> reservation = std::move(reservation_);
    http::request<http::string_body> message = parser_->release();
    parser_.reset();
    keep_alive_ = message.keep_alive();
    version_ = message.version() == 10 ? 10 : 11;

    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.headers.reserve(std::distance(message.begin(), message.end()));
    for (const auto& field : message) {
      request.headers.emplace_back(ToLower(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.remote_address = remote_address_;
    request.deadline = deadline_;
    if (Status status = ParseTarget(&request); !status.ok()) {
      return Write(ErrorFromStatus(status));
    }

    auto self = this->shared_from_this();
    // The reservation travels with the request and is returned when the handler is done.
    bool queued = context_->pool->TryPost([self, request = std::move(request),
                                           reservation = std::move(reservation)]() mutable {
      Response response = RunHandler(*self->context_->router, request);
      request.body.clear();
      request.body.shrink_to_fit();
      reservation.reset();
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Write(std::move(response));
      });
    });
    if (!queued) {
      context_->counters->rejected_overload++;
      Write(Overloaded("server overloaded; retry later"));
    }
  }

  void Write(Response response) {
    response_ = {};
    response_.version(version_);
    // 1xx cannot end an exchange; beast refuses bodies on 204 and 304.
    if (response.status < 200 || response.status > 999) {
      response =
          JsonError(500, "handler returned invalid HTTP status " + std::to_string(response.status));
    }
    if (response.status == 204 || response.status == 304) response.body.clear();
    response_.result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers) {
      if (IsToken(name)) response_.insert(name, WithoutLineBreaks(value));
    }
    response_.erase(http::field::transfer_encoding);
    response_.set(http::field::server, "kprof");
    response_.set(http::field::content_type, WithoutLineBreaks(response.content_type));
    response_.body() = std::move(response.body);
    response_.keep_alive(keep_alive_);
    response_.set(http::field::connection, keep_alive_ ? "keep-alive" : "close");
    response_.prepare_payload();

    Tcp().expires_after(options().request_timeout);
    http::async_write(
        stream_, response_,
        beast::bind_front_handler(&HttpConnection::OnWritten, this->shared_from_this()));
  }

  void OnWritten(beast::error_code ec, size_t bytes) {
    context_->counters->bytes_out += bytes;
    if (ec) {
      beast::error_code ignored;
      return Tcp().socket().close(ignored);
    }
    context_->counters->requests_total++;
    response_ = {};
    if (!keep_alive_) return CloseGracefully();
    if (buffer_.size() == 0 && buffer_.capacity() > kIdleBufferBytes) buffer_.shrink_to_fit();
    ReadHeader();
  }

  // Half-closes, then reads and discards what the peer still sends until it closes or the
  // linger time passes. Closing with unread input would make the kernel send a reset,
  // which can make the peer lose the response just written (a 413 it is still uploading
  // to, for one).
  void CloseGracefully() {
    Tcp().expires_after(kLingerTimeout);
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        self->Tcp().socket().close(ignored);
      });
    } else {
      beast::error_code ec;
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return Tcp().socket().close(ec);
      Drain();
    }
  }

  void Drain() {
    buffer_.consume(buffer_.size());
    Tcp().async_read_some(buffer_.prepare(16 << 10),
                          [self = this->shared_from_this()](beast::error_code ec, size_t) {
                            if (ec) {
                              beast::error_code ignored;
                              return self->Tcp().socket().close(ignored);
                            }
                            self->Drain();
                          });
  }

  ServerContext* const context_;
  Stream stream_;
  const std::string remote_address_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<BodyReservation> reservation_;  // the body budget of the request being read
  http::response<http::string_body> response_;
  std::chrono::steady_clock::time_point deadline_;
  bool first_request_ = true;
  bool keep_alive_ = true;
  unsigned version_ = 11;
};

}  // namespace

void ConnectionTable::Add(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(mu_);
  connections_.emplace(connection.get(), connection);
}

void ConnectionTable::Remove(Connection* connection) {
  std::lock_guard lock(mu_);
  connections_.erase(connection);
}

size_t ConnectionTable::size() const {
  std::lock_guard lock(mu_);
  return connections_.size();
}

void ConnectionTable::CloseAll() {
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(mu_);
    for (auto& [raw, weak] : connections_) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
  }
  for (auto& connection : live) connection->CloseNow();
}

void StartConnection(ServerContext* context, tcp::socket socket, asio::ssl::context* tls) {
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::string remote = FormatEndpoint(socket);
  if (tls != nullptr) {
    using Stream = beast::ssl_stream<beast::tcp_stream>;
    auto connection = std::make_shared<HttpConnection<Stream>>(context, std::move(remote),
                                                               std::move(socket), *tls);
    context->connections->Add(connection);
    connection->Start();
  } else {
    auto connection = std::make_shared<HttpConnection<beast::tcp_stream>>(
        context, std::move(remote), std::move(socket));
    context->connections->Add(connection);
    connection->Start();
  }
}

Response RunHandler(const Router& router, Request& request) {
  if (request.Expired()) {
    return Overloaded("request deadline passed while waiting for a worker; retry later");
  }
  try {
    return router.Dispatch(request);
  } catch (const std::exception& e) {
    return JsonError(500, std::string("internal error: ") + e.what());
  } catch (...) {
    return JsonError(500, "internal error: handler threw a non-standard exception");
  }
}

}  // namespace kprof::net::internal
