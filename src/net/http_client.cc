// HttpClient over libcurl's multi-socket interface.
//
// Why multi-socket and epoll rather than curl_multi_poll: curl_multi_poll and
// curl_multi_perform walk every transfer on each wakeup, so with thousands of mostly idle
// transfers (30 s CPU captures, watch streams) each event costs O(transfers). With
// curl_multi_socket_action curl only touches the transfers on the socket that is ready,
// and our epoll set holds exactly the sockets curl asked for.
//
// The loop thread owns the multi handle, every easy handle and every TransferState.
// Other threads talk to it through a queue (starts and cancels) and an eventfd.
//
// tls.server_name: the URL's host is replaced by server_name (so curl sends it as SNI and
// verifies the certificate against it) and CURLOPT_CONNECT_TO sends the connection to the
// original host and port. The Host header keeps the original authority, as Go's
// tls.Config.ServerName does for kubectl's tls-server-name.
#include "net/http_client.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/strings.h"

namespace kprof::net {

std::string_view FailureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::kNone:
      return "none";
    case FailureKind::kConnect:
      return "connect";
    case FailureKind::kTimeout:
      return "timeout";
    case FailureKind::kTls:
      return "tls";
    case FailureKind::kTooLarge:
      return "too_large";
    case FailureKind::kCancelled:
      return "cancelled";
    case FailureKind::kProtocol:
      return "protocol";
  }
  return "unknown";
}

namespace {

char LowerChar(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool HasHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return true;
  }
  return false;
}

// CR or LF in a header would let a value start a new header line.
std::string HeaderLine(std::string_view name, std::string_view value) {
  std::string line(name);
  // curl drops "Name:" with nothing after it; "Name;" sends an empty header.
  if (value.empty()) return line + ";";
  line += ": ";
  for (char c : value) line += (c == '\r' || c == '\n') ? ' ' : c;
  return line;
}

struct CurlStringDeleter {
  void operator()(char* p) const { curl_free(p); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// Set only on a client's loop thread, so Do() can refuse to block its own loop.
thread_local const void* t_loop_owner = nullptr;

struct TransferState {
  HttpClient::TransferId id = 0;
  ClientRequest request;
  HttpClient::Done done;
  std::chrono::steady_clock::time_point started;

  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* connect_to = nullptr;
  std::string url;  // what curl is given (differs from request.url with tls.server_name)

  ClientResponse response;
  std::size_t body_bytes = 0;
  bool too_large = false;
  bool stopped_by_on_data = false;
  char error[CURL_ERROR_SIZE] = {};

  ~TransferState() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    curl_slist_free_all(connect_to);
  }
};

bool Append(curl_slist** list, const std::string& line) {
  curl_slist* grown = curl_slist_append(*list, line.c_str());
  if (grown == nullptr) return false;
  *list = grown;
  return true;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<TransferState*>(user);
  std::size_t n = size * count;
  std::string_view line(data, n);
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
    // A new header block: after "100 Continue" only the final one counts.
    t->response.headers.clear();
    std::size_t space = line.find(' ');
    t->response.status = 0;
    if (space != std::string_view::npos) {
      for (std::size_t i = space + 1; i < line.size() && line[i] >= '0' && line[i] <= '9'; ++i) {
        t->response.status = t->response.status * 10 + (line[i] - '0');
      }
    }
    return n;
  }
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    // An obsolete folded continuation of the previous header's value.
    if (!t->response.headers.empty()) {
      t->response.headers.back().second += ' ';
      t->response.headers.back().second += Trim(line);
    }
    return n;
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;  // the blank line ending the block
  std::string name(Trim(line.substr(0, colon)));
  for (char& c : name) c = LowerChar(c);
  std::string_view value = Trim(line.substr(colon + 1));
  if (name == "content-length" && !t->request.on_data) {
    std::size_t length = 0;
    bool digits = !value.empty();
    for (char c : value) {
      if (c < '0' || c > '9' || length > (std::size_t{1} << 40)) {
        digits = false;
        break;
      }
      length = length * 10 + static_cast<std::size_t>(c - '0');
    }
    std::size_t limit = t->request.max_response_bytes;
    if (digits && (limit == 0 || length <= limit)) t->response.body.reserve(length);
  }
  t->response.headers.emplace_back(std::move(name), std::string(value));
  return n;
}

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<TransferState*>(user);
  std::size_t n = size * count;
  std::size_t limit = t->request.max_response_bytes;
  if (limit != 0 && (t->body_bytes + n > limit || t->body_bytes + n < t->body_bytes)) {
    t->too_large = true;
    return 0;  // any count other than n makes curl fail with CURLE_WRITE_ERROR
  }
  t->body_bytes += n;
  int status = t->response.status;
  if (t->request.on_data && status >= 200 && status < 300) {
    if (!t->request.on_data(std::string_view(data, n))) {
      t->stopped_by_on_data = true;
      return 0;
    }
  } else {
    t->response.body.append(data, n);
  }
  return n;
}

bool IsTlsError(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

FailureKind Classify(CURLcode code, const TransferState& t) {
  if (t.too_large || code == CURLE_FILESIZE_EXCEEDED) return FailureKind::kTooLarge;
  if (t.stopped_by_on_data) return FailureKind::kCancelled;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      return FailureKind::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return FailureKind::kTimeout;
    case CURLE_ABORTED_BY_CALLBACK:
      return FailureKind::kCancelled;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      // With TLS 1.3 the server rejects a missing or untrusted client certificate after
      // the client's side of the handshake is done: the alert arrives on the first read.
      if (std::strstr(t.error, "alert") != nullptr) return FailureKind::kTls;
      return FailureKind::kProtocol;
    default:
      return IsTlsError(code) ? FailureKind::kTls : FailureKind::kProtocol;
  }
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(HttpClientOptions options) : options_(std::move(options)) {}

  Status Init() {
    multi_ = curl_multi_init();
    share_ = curl_share_init();
    if (multi_ == nullptr || share_ == nullptr)
      return Internal("http client: curl_multi_init failed");
    // One thread uses the share, so no lock callbacks are needed. Sharing TLS sessions
    // lets repeated scrapes of the same HTTPS target resume instead of full handshakes.
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);

    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlHttpClient::OnSocket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlHttpClient::OnTimer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS,
                      static_cast<long>(options_.max_connections_per_host));
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      static_cast<long>(options_.max_total_connections));
    // Keep idle connections to every target between scrapes (curl's default cache holds
    // only four per transfer added).
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                      static_cast<long>(options_.max_total_connections));

    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || wake_fd_ < 0) {
      return Internal(std::string("http client: epoll/eventfd: ") + std::strerror(errno));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_fd_;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
      return Internal(std::string("http client: epoll_ctl: ") + std::strerror(errno));
    }
    thread_ = std::thread([this] { Run(); });
    return Status::Ok();
  }

  ~CurlHttpClient() override {
    if (thread_.joinable()) {
      {
        std::lock_guard lock(mu_);
        stopping_ = true;
      }
      Wake();
      thread_.join();
    }
    running_.clear();  // easy handles go before the multi and share they were used with
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
    if (share_ != nullptr) curl_share_cleanup(share_);
    if (wake_fd_ >= 0) close(wake_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  TransferId Start(ClientRequest request, Done done) override {
    auto t = std::make_unique<TransferState>();
    t->id = next_id_.fetch_add(1, std::memory_order_relaxed);
    t->request = std::move(request);
    t->done = std::move(done);
    t->started = std::chrono::steady_clock::now();
    TransferId id = t->id;
    active_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(mu_);
      to_start_.push_back(std::move(t));
    }
    Wake();
    return id;
  }

  void Cancel(TransferId id) override {
    {
      std::lock_guard lock(mu_);
      to_cancel_.push_back(id);
    }
    Wake();
  }

  Transfer Do(ClientRequest request) override {
    if (t_loop_owner == this) {
      Transfer refused;
      refused.status = Internal("HttpClient::Do called from one of its own callbacks");
      refused.failure = FailureKind::kCancelled;
      return refused;
    }
    std::promise<Transfer> promise;
    std::future<Transfer> future = promise.get_future();
    Start(std::move(request), [&promise](Transfer t) { promise.set_value(std::move(t)); });
    return future.get();
  }

  std::size_t active() const override { return active_.load(std::memory_order_relaxed); }

 private:
  void Wake() {
    if (wake_pending_.exchange(true, std::memory_order_seq_cst)) return;
    std::uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof(one));
    (void)ignored;
  }

  static int OnSocket(CURL*, curl_socket_t fd, int what, void* user, void* socket_data) {
    auto* self = static_cast<CurlHttpClient*>(user);
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(self->epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
      return 0;
    }
    epoll_event ev{};
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    // `socket_data` says whether curl has seen this socket before, but a socket closed
    // without a REMOVE leaves the epoll set by itself and its number may come back as a
    // new socket: fall back from MOD to ADD and from ADD to MOD.
    int op = socket_data != nullptr ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(self->epoll_fd_, op, fd, &ev) != 0) {
      if (errno == ENOENT) epoll_ctl(self->epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
      if (errno == EEXIST) epoll_ctl(self->epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    }
    if (socket_data == nullptr) curl_multi_assign(self->multi_, fd, self);
    return 0;
  }

  static int OnTimer(CURLM*, long timeout_ms, void* user) {
    auto* self = static_cast<CurlHttpClient*>(user);
    if (timeout_ms < 0) {
      self->timer_armed_ = false;
    } else {
      self->timer_armed_ = true;
      self->timer_deadline_ =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }

  void Run() {
    t_loop_owner = this;
    std::array<epoll_event, 256> events;
    int still_running = 0;
    for (;;) {
      int wait_ms = -1;
      if (timer_armed_) {
        auto left = timer_deadline_ - std::chrono::steady_clock::now();
        // Round up: waking a little early would spin until the deadline.
        auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
        wait_ms = ms <= 0 ? 0 : static_cast<int>(std::min<long long>(ms, 60000));
      }
      int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), wait_ms);
      if (n < 0) n = 0;  // EINTR
      bool woken = false;
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == wake_fd_) {
          woken = true;
          continue;
        }
        std::uint32_t e = events[i].events;
        int flags = 0;
        if (e & (EPOLLIN | EPOLLHUP)) flags |= CURL_CSELECT_IN;
        if (e & EPOLLOUT) flags |= CURL_CSELECT_OUT;
        if (e & EPOLLERR) flags |= CURL_CSELECT_ERR;
        curl_multi_socket_action(multi_, fd, flags, &still_running);
      }
      if (timer_armed_ && std::chrono::steady_clock::now() >= timer_deadline_) {
        timer_armed_ = false;
        curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &still_running);
      }
      ReapCompleted();
      if (woken) {
        // Drain the eventfd before clearing the flag: a Wake() in between then either
        // sees the flag still set (and its command is taken below) or writes again. The
        // other order could swallow a write and leave the flag set for good.
        std::uint64_t count;
        ssize_t ignored = read(wake_fd_, &count, sizeof(count));
        (void)ignored;
        wake_pending_.store(false, std::memory_order_seq_cst);
        if (TakeCommands()) break;
      }
    }
    Shutdown();
    t_loop_owner = nullptr;
  }

  // Returns true when the client is shutting down.
  bool TakeCommands() {
    std::vector<std::unique_ptr<TransferState>> starts;
    std::vector<TransferId> cancels;
    bool stopping;
    {
      std::lock_guard lock(mu_);
      starts.swap(to_start_);
      cancels.swap(to_cancel_);
      stopping = stopping_;
    }
    if (stopping) {
      // Shutdown() ends these with the running ones.
      std::lock_guard lock(mu_);
      for (auto& t : starts) to_start_.push_back(std::move(t));
      return true;
    }
    for (auto& t : starts) Begin(std::move(t));
    for (TransferId id : cancels) {
      auto it = running_.find(id);
      if (it != running_.end()) {
        Fail(it->second.get(), FailureKind::kCancelled,
             Unavailable(Describe(*it->second) + ": cancelled"));
      }
    }
    return false;
  }

  void Shutdown() {
    for (;;) {
      std::vector<std::unique_ptr<TransferState>> starts;
      {
        std::lock_guard lock(mu_);
        starts.swap(to_start_);
        to_cancel_.clear();
      }
      if (starts.empty() && running_.empty()) break;
      // `done` may Start more transfers; the next round ends those too.
      for (auto& t : starts) {
        TransferState* raw = t.get();
        TransferId id = raw->id;
        running_.emplace(id, std::move(t));
        Fail(raw, FailureKind::kCancelled,
             Unavailable(Describe(*raw) + ": cancelled: HTTP client shut down"));
      }
      std::vector<TransferId> ids;
      ids.reserve(running_.size());
      for (const auto& [id, t] : running_) ids.push_back(id);
      for (TransferId id : ids) {
        auto it = running_.find(id);
        if (it == running_.end()) continue;
        Fail(it->second.get(), FailureKind::kCancelled,
             Unavailable(Describe(*it->second) + ": cancelled: HTTP client shut down"));
      }
    }
  }

  static std::string Describe(const TransferState& t) {
    return t.request.method + " " + t.request.url;
  }

  void Begin(std::unique_ptr<TransferState> owned) {
    TransferState* t = owned.get();
    running_.emplace(t->id, std::move(owned));
    t->easy = curl_easy_init();
    if (t->easy == nullptr) {
      Fail(t, FailureKind::kProtocol, Internal(Describe(*t) + ": curl_easy_init failed"));
      return;
    }
    Status configured = Configure(t);
    if (!configured.ok()) {
      Fail(t, FailureKind::kProtocol, configured);
      return;
    }
    CURLMcode added = curl_multi_add_handle(multi_, t->easy);
    if (added != CURLM_OK) {
      curl_easy_cleanup(t->easy);
      t->easy = nullptr;
      Fail(t, FailureKind::kProtocol,
           Internal(Describe(*t) + ": curl_multi_add_handle: " + curl_multi_strerror(added)));
    }
  }

  Status Configure(TransferState* t) {
    CURL* e = t->easy;
    const ClientRequest& r = t->request;
    if (r.url.rfind("http://", 0) != 0 && r.url.rfind("https://", 0) != 0) {
      return InvalidArgument("HTTP client: not an http:// or https:// URL: \"" + r.url + "\"");
    }
    t->url = r.url;
    bool explicit_host_header = HasHeader(r.headers, "host");
    if (!r.tls.server_name.empty() && r.url.rfind("https://", 0) == 0) {
      KPROF_RETURN_IF_ERROR(RouteToServerName(t, explicit_host_header));
    }

    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_SHARE, share_);
    curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
    if (r.max_response_bytes != 0) {
      curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                       static_cast<curl_off_t>(
                           std::min<std::size_t>(r.max_response_bytes, std::size_t{1} << 62)));
    }
    // Notice peers that vanished under a long watch or capture.
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 10L);
    // No CURLOPT_PIPEWAIT: over plain HTTP it holds every transfer to a host until the
    // first one's response has arrived (one hanging scrape would stall the rest). Without
    // it a first burst to an HTTP/2 host opens up to max_connections_per_host
    // connections, and later transfers multiplex on them.

    if (r.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (r.method == "GET" && r.body.empty()) {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      if (r.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }

    bool ok = true;
    for (const auto& [name, value] : r.headers)
      ok = ok && Append(&t->headers, HeaderLine(name, value));
    // No "Expect: 100-continue" round trip before bodies, and no form content type
    // invented for bodies the caller did not label.
    if (!HasHeader(r.headers, "expect")) ok = ok && Append(&t->headers, "Expect:");
    if (!r.body.empty() && !HasHeader(r.headers, "content-type")) {
      ok = ok && Append(&t->headers, "Content-Type:");
    }
    if (!ok) return Internal(Describe(*t) + ": out of memory building headers");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    if (t->connect_to != nullptr) curl_easy_setopt(e, CURLOPT_CONNECT_TO, t->connect_to);

    ConfigureTls(t);
    return Status::Ok();
  }

  // See the file comment: verify as server_name, connect to the URL's host.
  Status RouteToServerName(TransferState* t, bool explicit_host_header) {
    std::unique_ptr<CURLU, CurlUrlDeleter> url(curl_url());
    if (url == nullptr) return Internal("HTTP client: curl_url failed");
    if (curl_url_set(url.get(), CURLUPART_URL, t->request.url.c_str(), 0) != CURLUE_OK) {
      return InvalidArgument("HTTP client: malformed URL \"" + t->request.url + "\"");
    }
    char* raw = nullptr;
    curl_url_get(url.get(), CURLUPART_HOST, &raw, 0);
    CurlString host(raw);
    raw = nullptr;
    curl_url_get(url.get(), CURLUPART_PORT, &raw, CURLU_DEFAULT_PORT);
    CurlString port(raw);
    raw = nullptr;
    curl_url_get(url.get(), CURLUPART_PORT, &raw, 0);
    CurlString explicit_port(raw);
    if (host == nullptr || port == nullptr) {
      return InvalidArgument("HTTP client: URL without a host: \"" + t->request.url + "\"");
    }
    const std::string& name = t->request.tls.server_name;
    if (EqualsIgnoreCase(name, host.get())) return Status::Ok();
    std::string bracketed =
        name.find(':') != std::string::npos && name.front() != '[' ? "[" + name + "]" : name;
    if (curl_url_set(url.get(), CURLUPART_HOST, bracketed.c_str(), 0) != CURLUE_OK) {
      return InvalidArgument("HTTP client: tls server name \"" + name + "\" is not a host name");
    }
    raw = nullptr;
    curl_url_get(url.get(), CURLUPART_URL, &raw, 0);
    CurlString rewritten(raw);
    if (rewritten == nullptr) return Internal("HTTP client: curl_url_get failed");
    t->url = rewritten.get();
    if (!Append(&t->connect_to,
                bracketed + ":" + port.get() + ":" + host.get() + ":" + port.get())) {
      return Internal("HTTP client: out of memory");
    }
    if (!explicit_host_header) {
      std::string authority = host.get();
      if (explicit_port != nullptr) authority += std::string(":") + explicit_port.get();
      if (!Append(&t->headers, "Host: " + authority)) return Internal("HTTP client: out of memory");
    }
    return Status::Ok();
  }

  static void ConfigureTls(TransferState* t) {
    CURL* e = t->easy;
    const TlsOptions& tls = t->request.tls;
    if (tls.insecure_skip_verify) {
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    // A given CA replaces the system store: a cluster CA must not widen to every public CA.
    if (!tls.ca_pem.empty()) {
      curl_blob blob{const_cast<char*>(tls.ca_pem.data()), tls.ca_pem.size(), CURL_BLOB_COPY};
      curl_easy_setopt(e, CURLOPT_CAINFO, static_cast<char*>(nullptr));
      curl_easy_setopt(e, CURLOPT_CAPATH, static_cast<char*>(nullptr));
      curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
    } else if (!tls.ca_file.empty()) {
      curl_easy_setopt(e, CURLOPT_CAPATH, static_cast<char*>(nullptr));
      curl_easy_setopt(e, CURLOPT_CAINFO, tls.ca_file.c_str());
    }
    if (!tls.cert_pem.empty()) {
      curl_blob blob{const_cast<char*>(tls.cert_pem.data()), tls.cert_pem.size(), CURL_BLOB_COPY};
      curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
      curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &blob);
    } else if (!tls.cert_file.empty()) {
      curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
      curl_easy_setopt(e, CURLOPT_SSLCERT, tls.cert_file.c_str());
    }
    if (!tls.key_pem.empty()) {
      curl_blob blob{const_cast<char*>(tls.key_pem.data()), tls.key_pem.size(), CURL_BLOB_COPY};
      curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
      curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &blob);
    } else if (!tls.key_file.empty()) {
      curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
      curl_easy_setopt(e, CURLOPT_SSLKEY, tls.key_file.c_str());
    }
  }

  void ReapCompleted() {
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURLcode code = msg->data.result;
      char* priv = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      auto* t = reinterpret_cast<TransferState*>(priv);
      if (code == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        t->response.status = static_cast<int>(status);
        Transfer out;
        Finish(t, std::move(out));
        continue;
      }
      FailureKind kind = Classify(code, *t);
      std::string detail = t->error[0] != '\0' ? t->error : curl_easy_strerror(code);
      std::string message = Describe(*t) + ": " + std::string(FailureKindName(kind)) + ": ";
      if (kind == FailureKind::kTooLarge) {
        message +=
            "response body larger than " + std::to_string(t->request.max_response_bytes) + " bytes";
      } else if (kind == FailureKind::kCancelled && t->stopped_by_on_data) {
        message += "stopped by the body consumer";
      } else {
        message += detail;
      }
      Fail(t, kind,
           kind == FailureKind::kTooLarge ? ResourceExhausted(message) : Unavailable(message));
    }
  }

  void Fail(TransferState* t, FailureKind kind, Status status) {
    Transfer out;
    out.failure = kind;
    out.status = std::move(status);
    Finish(t, std::move(out));
  }

  // Detaches `t` from curl, forgets it and runs its `done`.
  void Finish(TransferState* t, Transfer out) {
    if (t->easy != nullptr) {
      curl_multi_remove_handle(multi_, t->easy);
      curl_easy_cleanup(t->easy);
      t->easy = nullptr;
    }
    auto it = running_.find(t->id);
    std::unique_ptr<TransferState> owned = std::move(it->second);
    running_.erase(it);
    out.response = std::move(t->response);
    out.elapsed = std::chrono::steady_clock::now() - t->started;
    Done done = std::move(t->done);
    owned.reset();
    active_.fetch_sub(1, std::memory_order_relaxed);
    if (done) done(std::move(out));
  }

  const HttpClientOptions options_;
  CURLM* multi_ = nullptr;
  CURLSH* share_ = nullptr;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<TransferId> next_id_{1};
  std::atomic<std::size_t> active_{0};
  std::atomic<bool> wake_pending_{false};

  std::mutex mu_;
  std::vector<std::unique_ptr<TransferState>> to_start_;  // guarded by mu_
  std::vector<TransferId> to_cancel_;                     // guarded by mu_
  bool stopping_ = false;                                 // guarded by mu_

  // Loop thread only.
  std::unordered_map<TransferId, std::unique_ptr<TransferState>> running_;
  bool timer_armed_ = false;
  std::chrono::steady_clock::time_point timer_deadline_;
};

}  // namespace

std::optional<std::string_view> ClientResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

Result<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options) {
  static std::once_flag curl_initialized;
  static CURLcode init_result = CURLE_OK;
  std::call_once(curl_initialized, [] { init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init_result != CURLE_OK) {
    return Internal(std::string("curl_global_init: ") + curl_easy_strerror(init_result));
  }
  if (options.max_connections_per_host == 0 || options.max_total_connections == 0) {
    return InvalidArgument("HTTP client: connection limits must be at least 1");
  }
  auto client = std::make_unique<CurlHttpClient>(std::move(options));
  KPROF_RETURN_IF_ERROR(client->Init());
  return std::unique_ptr<HttpClient>(std::move(client));
}

}  // namespace kprof::net
