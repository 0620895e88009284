// HTTP client over libcurl's multi interface: one event-loop thread runs every transfer,
// so thousands of concurrent requests (scrapes, CPU captures that take 30 s, watch
// streams) cost no thread each. Used for the Kubernetes API, scraping pods and pushing
// profiles to a server.
//
// Thread-safety: HttpClient is thread-safe. Callbacks (`on_data`, `done`) run on the
// client's loop thread: they must be quick and must not call HttpClient::Do (they may
// call Start and Cancel). The destructor ends every transfer (their `done` sees
// kCancelled) and joins the loop thread, so it must not run inside a callback.
//
// Connections are kept alive and reused across transfers; HTTPS may negotiate HTTP/2 and
// multiplex. Environment proxies (https_proxy, no_proxy, …) apply as curl reads them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "net/http.h"

namespace kprof::net {

// A CA given here (file or PEM) replaces the system store instead of adding to it.
struct TlsOptions {
  std::string ca_file;    // PEM bundle file to verify the server with
  std::string ca_pem;     // or the bundle's contents
  std::string cert_file;  // client certificate (PEM file) …
  std::string cert_pem;   // … or its contents
  std::string key_file;   // client key (PEM file) …
  std::string key_pem;    // … or its contents
  bool insecure_skip_verify = false;
  // SNI and verification name when it differs from the URL host. The connection still
  // goes to the URL's host and port, and the Host header still names them (as kubectl's
  // tls-server-name); only https:// URLs are affected.
  std::string server_name;
};

// Why a transfer failed, for metrics and retry decisions.
enum class FailureKind {
  kNone = 0,
  kConnect,    // refused, unreachable, DNS
  kTimeout,    // connect or total deadline passed
  kTls,        // handshake or verification failed
  kTooLarge,   // response body exceeded max_response_bytes
  kCancelled,  // Cancel() or on_data returned false
  kProtocol,   // malformed HTTP, connection reset mid-body
};
std::string_view FailureKindName(FailureKind kind);  // "connect", "timeout", …

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL
  HeaderList headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};  // whole transfer; 0 = none (watch streams)
  std::chrono::milliseconds connect_timeout{5000};
  // Body bytes allowed, streamed ones included; more fails with kTooLarge. 0 = no limit
  // (watch streams, which run until their timeout).
  std::size_t max_response_bytes = std::size_t{256} << 20;
  TlsOptions tls;
  // Streaming: when set, body bytes are handed over here as they arrive (and not kept in
  // ClientResponse::body). Returning false aborts the transfer (FailureKind::kCancelled).
  // Only 2xx bodies are streamed: any other status keeps its body (a Kubernetes Status,
  // an error page) in ClientResponse::body for the caller to read in `done`.
  std::function<bool(std::string_view chunk)> on_data;
};

struct ClientResponse {
  int status = 0;
  HeaderList headers;  // names lower-cased
  std::string body;
  std::optional<std::string_view> Header(std::string_view name) const;
};

// The outcome of one transfer: a response (any HTTP status), or a transport failure.
struct Transfer {
  // OK when an HTTP response was received; else kUnavailable, kResourceExhausted
  // (kTooLarge), kInvalidArgument (not an http(s) URL) or kInternal (Do from a callback).
  // On failure `response` holds whatever had arrived.
  Status status;
  FailureKind failure = FailureKind::kNone;
  ClientResponse response;
  std::chrono::steady_clock::duration elapsed{};
  bool ok() const { return status.ok(); }
};

struct HttpClientOptions {
  // Transfers beyond this wait in curl's queue, and their timeout runs while they wait.
  std::size_t max_connections_per_host = 8;
  std::size_t max_total_connections = 4096;
  std::string user_agent = "kprof";
};

class HttpClient {
 public:
  using TransferId = std::uint64_t;
  using Done = std::function<void(Transfer)>;

  static Result<std::unique_ptr<HttpClient>> Create(HttpClientOptions options = {});
  virtual ~HttpClient() = default;

  // Starts a transfer; `done` runs exactly once on the loop thread when it ends, also when
  // it is cancelled or the client is destroyed first.
  virtual TransferId Start(ClientRequest request, Done done) = 0;
  // Ends a running transfer early (its `done` sees kCancelled). Unknown ids are ignored.
  virtual void Cancel(TransferId id) = 0;
  // Blocking convenience: Start and wait. Must not be called from a callback.
  virtual Transfer Do(ClientRequest request) = 0;
  // Transfers running now.
  virtual std::size_t active() const = 0;
};

}  // namespace kprof::net
