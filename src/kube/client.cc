// Client over net::HttpClient: credentials and TLS from the RestConfig on every request,
// API errors turned into Status values, paged lists and line-framed watch streams.
//
// Watch streams are read on the caller's thread: the HttpClient's loop thread only cuts
// the body into lines and queues them (bounded), so a slow event handler never stalls
// other transfers, and a handler that falls far behind ends the watch (to be resumed from
// its last resource version) instead of growing the queue without limit.
#include "kube/client.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <utility>

#include "kube/credentials.h"

namespace kprof::kube {
namespace {

constexpr std::chrono::milliseconds kListPageTimeout{60000};
// How often a watch waiting for data checks its stop flag.
constexpr std::chrono::milliseconds kStopPollInterval{50};
// A watch stream's safety net past its timeoutSeconds, for servers that never close it.
constexpr std::chrono::seconds kWatchGrace{30};
// Lines read but not yet handled; beyond this the watch ends and is resumed later.
constexpr std::size_t kMaxQueuedWatchBytes = std::size_t{64} << 20;

// ---- paths ----

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Percent-encodes every byte outside `keep` and the unreserved set.
std::string Escape(std::string_view s, std::string_view keep = "") {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (IsUnreserved(c) || keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

// A proxied path: its path part escaped as a path (slashes kept), its query as given.
std::string ProxyTail(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::size_t q = path.find('?');
  std::string out = Escape(path.substr(0, q), "/!$&'()*+,;=:@");
  if (q != std::string_view::npos) out += path.substr(q);
  return out;
}

struct ResourcePath {
  std::string_view prefix;  // "/api/v1", "/apis/apps/v1", …
  std::string_view plural;
  bool namespaced;
};

ResourcePath PathOf(Resource r) {
  switch (r) {
    case Resource::kNamespaces:
      return {"/api/v1", "namespaces", false};
    case Resource::kNodes:
      return {"/api/v1", "nodes", false};
    case Resource::kPods:
      return {"/api/v1", "pods", true};
    case Resource::kReplicaSets:
      return {"/apis/apps/v1", "replicasets", true};
    case Resource::kDeployments:
      return {"/apis/apps/v1", "deployments", true};
    case Resource::kEvents:
      return {"/api/v1", "events", true};
    case Resource::kEventsV1:
      return {"/apis/events.k8s.io/v1", "events", true};
  }
  return {"/api/v1", "unknown", false};
}

// /api/v1/pods or /api/v1/namespaces/NS/pods.
std::string CollectionPath(Resource r, std::string_view ns) {
  ResourcePath p = PathOf(r);
  std::string out(p.prefix);
  if (p.namespaced && !ns.empty()) {
    out += "/namespaces/";
    out += Escape(ns);
  }
  out += '/';
  out += p.plural;
  return out;
}

void AddParam(std::string* query, std::string_view name, std::string_view value) {
  *query += query->empty() ? '?' : '&';
  *query += name;
  *query += '=';
  *query += Escape(value);
}

void AddSelectors(std::string* query, const ListOptions& options) {
  if (!options.label_selector.empty()) AddParam(query, "labelSelector", options.label_selector);
  if (!options.field_selector.empty()) AddParam(query, "fieldSelector", options.field_selector);
}

// ---- errors ----

// "list \"pods\" in namespace \"shop\"" for a request path, as RBAC sees it.
std::string RbacNeed(std::string_view method, std::string_view path_and_query) {
  std::string_view path = path_and_query.substr(0, path_and_query.find('?'));
  std::string_view query = path_and_query.size() > path.size()
                               ? path_and_query.substr(path.size() + 1)
                               : std::string_view();
  std::vector<std::string_view> segs;
  while (!path.empty()) {
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    std::size_t slash = path.find('/');
    if (!path.empty()) segs.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  std::string_view group;
  std::size_t i;
  if (segs.size() >= 2 && segs[0] == "api") {
    i = 2;
  } else if (segs.size() >= 3 && segs[0] == "apis") {
    group = segs[1];
    i = 3;
  } else {
    return "";
  }
  std::string_view ns;
  if (segs.size() >= i + 3 && segs[i] == "namespaces") {
    ns = segs[i + 1];
    i += 2;
  }
  if (i >= segs.size()) return "";
  std::string resource(segs[i]);
  bool named = i + 1 < segs.size();
  if (i + 2 < segs.size()) {
    resource += '/';
    resource += segs[i + 2];  // subresource: pods/proxy, nodes/proxy, pods/log
  }
  if (!group.empty()) {
    // RBAC names resources without the group and puts the group beside; say both.
    resource += '.';
    resource += group;
  }
  std::string verb;
  if (method != "GET") {
    verb = method == "POST" ? "create" : method == "DELETE" ? "delete" : "update";
  } else if (named) {
    verb = "get";
  } else if (query.find("watch=1") != std::string_view::npos ||
             query.find("watch=true") != std::string_view::npos) {
    verb = "watch";
  } else {
    verb = "list";
  }
  std::string out = "needs RBAC permission to " + verb + " \"" + resource + "\"";
  out += ns.empty() ? " cluster-wide" : " in namespace \"" + std::string(ns) + "\"";
  return out;
}

// The Status for a non-2xx answer to `method path`.
Status RequestError(std::string_view method, std::string_view path_and_query, int http_status,
                    std::string_view body) {
  Status s = ApiError(http_status, body);
  if (http_status == 403) {
    std::string need = RbacNeed(method, path_and_query);
    if (!need.empty()) s = Status(s.code(), s.message() + " (" + need + ")");
  }
  std::string_view path = path_and_query.substr(0, path_and_query.find('?'));
  return s.WithContext(std::string(method) + " " + std::string(path));
}

bool IsSuccess(int status) { return status >= 200 && status < 300; }

// ---- the client ----

class HttpApiClient : public Client {
 public:
  HttpApiClient(RestConfig config, std::shared_ptr<net::HttpClient> http,
                std::unique_ptr<CredentialSource> credentials)
      : config_(std::move(config)), http_(std::move(http)), credentials_(std::move(credentials)) {}

  const RestConfig& config() const override { return config_; }
  std::shared_ptr<net::HttpClient> http() const override { return http_; }
  void InvalidateCredentials() override { credentials_->Invalidate(); }

  Result<std::string> GetRaw(std::string_view path_and_query,
                             std::chrono::milliseconds timeout) override {
    for (int attempt = 0;; ++attempt) {
      net::ClientRequest request;
      request.url = std::string(path_and_query);
      request.timeout = timeout;
      request.headers.emplace_back("Accept", "application/json");
      Result<net::ClientRequest> authorized = Authorize(std::move(request));
      if (!authorized.ok()) return authorized.status();
      net::Transfer t = http_->Do(std::move(*authorized));
      if (!t.ok()) return t.status;
      if (IsSuccess(t.response.status)) return std::move(t.response.body);
      if (t.response.status == 401 && attempt == 0) {
        // Exec plugins and rotated token files may have a fresher credential.
        InvalidateCredentials();
        continue;
      }
      return RequestError("GET", path_and_query, t.response.status, t.response.body);
    }
  }

  Result<net::ClientRequest> Authorize(net::ClientRequest request) override {
    Result<Credentials> creds = credentials_->Get();
    if (!creds.ok()) return creds.status().WithContext("kubernetes credentials");
    if (!request.url.empty() && request.url.front() == '/')
      request.url = config_.server + request.url;
    if (!creds->bearer_token.empty()) {
      request.headers.emplace_back("Authorization", "Bearer " + creds->bearer_token);
    }
    net::TlsOptions& tls = request.tls;
    tls.ca_file = config_.ca_file;
    tls.ca_pem = config_.ca_pem;
    tls.insecure_skip_verify = config_.insecure_skip_tls_verify;
    tls.server_name = config_.tls_server_name;
    if (!creds->cert_pem.empty()) {
      tls.cert_pem = creds->cert_pem;
      tls.key_pem = creds->key_pem;
    } else {
      tls.cert_file = config_.client_cert_file;
      tls.cert_pem = config_.client_cert_pem;
      tls.key_file = config_.client_key_file;
      tls.key_pem = config_.client_key_pem;
    }
    return request;
  }

 private:
  const RestConfig config_;
  const std::shared_ptr<net::HttpClient> http_;
  const std::unique_ptr<CredentialSource> credentials_;
};

// ---- watch streams ----

// What the loop thread hands the watching thread: complete lines, then the outcome.
struct WatchStream {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> lines;
  std::size_t queued_bytes = 0;
  std::string partial;  // the line being received
  Status overflow;      // a line or the queue outgrew its bound
  bool done = false;
  net::Transfer transfer;

  // On the loop thread. False stops the transfer.
  bool Append(std::string_view chunk) {
    std::lock_guard lock(mu);
    bool added = false;
    while (!chunk.empty()) {
      std::size_t nl = chunk.find('\n');
      std::string_view piece = chunk.substr(0, nl);
      if (partial.size() + piece.size() > kMaxObjectJsonBytes) {
        overflow = ResourceExhausted("watch: event longer than " +
                                     std::to_string(kMaxObjectJsonBytes) + " bytes");
        return false;
      }
      partial.append(piece);
      if (nl == std::string_view::npos) break;
      chunk.remove_prefix(nl + 1);
      if (partial.empty()) continue;
      queued_bytes += partial.size();
      lines.push_back(std::move(partial));
      partial.clear();
      added = true;
    }
    if (queued_bytes > kMaxQueuedWatchBytes) {
      overflow = ResourceExhausted("watch: the event handler fell behind by more than " +
                                   std::to_string(kMaxQueuedWatchBytes) + " bytes");
      return false;
    }
    if (added) cv.notify_one();
    return true;
  }

  void Finish(net::Transfer t) {
    std::lock_guard lock(mu);
    transfer = std::move(t);
    done = true;
    cv.notify_one();
  }
};

enum class WatchEnd { kStreamClosed, kStopped, kFailed, kUnauthorized };

template <typename T>
WatchEnd RunWatch(Client& client, const std::string& path,
                  const std::function<bool(WatchEvent<T>&&)>& on_event,
                  const std::atomic<bool>* stop, std::chrono::seconds timeout, bool* delivered,
                  Status* error) {
  net::ClientRequest request;
  request.url = path;
  request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout + kWatchGrace);
  request.max_response_bytes = 0;  // a long watch streams without limit; lines are bounded
  request.headers.emplace_back("Accept", "application/json");
  auto stream = std::make_shared<WatchStream>();
  request.on_data = [stream](std::string_view chunk) { return stream->Append(chunk); };
  Result<net::ClientRequest> authorized = client.Authorize(std::move(request));
  if (!authorized.ok()) {
    *error = authorized.status();
    return WatchEnd::kFailed;
  }
  std::shared_ptr<net::HttpClient> http = client.http();
  net::HttpClient::TransferId id = http->Start(
      std::move(*authorized), [stream](net::Transfer t) { stream->Finish(std::move(t)); });

  auto cancel_and_wait = [&] {
    http->Cancel(id);
    std::unique_lock lock(stream->mu);
    stream->cv.wait(lock, [&] { return stream->done; });
  };

  std::deque<std::string> batch;
  for (;;) {
    bool finished;
    {
      std::unique_lock lock(stream->mu);
      stream->cv.wait_for(lock, kStopPollInterval,
                          [&] { return !stream->lines.empty() || stream->done; });
      batch.swap(stream->lines);
      stream->queued_bytes = 0;
      finished = stream->done;
    }
    if (stop != nullptr && stop->load()) {
      cancel_and_wait();
      return WatchEnd::kStopped;
    }
    for (std::string& line : batch) {
      Result<WatchEvent<T>> event = ParseWatchEvent<T>(line);
      if (!event.ok()) {
        cancel_and_wait();
        *error = event.status();
        return WatchEnd::kFailed;
      }
      *delivered = true;
      if (!on_event(std::move(*event))) {
        cancel_and_wait();
        return WatchEnd::kStopped;
      }
      if (stop != nullptr && stop->load()) {
        cancel_and_wait();
        return WatchEnd::kStopped;
      }
    }
    batch.clear();
    if (finished) break;
  }

  // The transfer is over and every complete line handled.
  net::Transfer& t = stream->transfer;
  if (!stream->overflow.ok()) {
    *error = stream->overflow;
    return WatchEnd::kFailed;
  }
  if (!t.ok()) {
    // The safety-net deadline only passes when the server kept the stream open past
    // timeoutSeconds: an ordinary end.
    if (t.failure == net::FailureKind::kTimeout) return WatchEnd::kStreamClosed;
    *error = t.status;
    return WatchEnd::kFailed;
  }
  if (t.response.status == 401) return WatchEnd::kUnauthorized;
  if (!IsSuccess(t.response.status)) {
    *error = RequestError("GET", path, t.response.status, t.response.body);
    return WatchEnd::kFailed;
  }
  if (!stream->partial.empty()) {
    // A last line without its newline. If it is cut short, the event will come again on
    // the next watch, which resumes from the version before it.
    Result<WatchEvent<T>> event = ParseWatchEvent<T>(stream->partial);
    if (event.ok()) {
      *delivered = true;
      on_event(std::move(*event));
    } else if (event.status().code() != StatusCode::kInvalidArgument) {
      *error = event.status();
      return WatchEnd::kFailed;
    }
  }
  return WatchEnd::kStreamClosed;
}

}  // namespace

std::string_view ResourceName(Resource r) {
  switch (r) {
    case Resource::kNamespaces:
      return "namespaces";
    case Resource::kNodes:
      return "nodes";
    case Resource::kPods:
      return "pods";
    case Resource::kReplicaSets:
      return "replicasets";
    case Resource::kDeployments:
      return "deployments";
    case Resource::kEvents:
      return "events";
    case Resource::kEventsV1:
      return "events.events.k8s.io";
  }
  return "unknown";
}

Result<std::unique_ptr<Client>> Client::Create(RestConfig config,
                                               std::shared_ptr<net::HttpClient> http) {
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
    return InvalidArgument("kubernetes server \"" + config.server +
                           "\" is not an http:// or https:// URL");
  }
  if (http == nullptr) {
    Result<std::unique_ptr<net::HttpClient>> created = net::HttpClient::Create();
    if (!created.ok()) return created.status();
    http = std::move(*created);
  }
  Result<std::unique_ptr<CredentialSource>> credentials = CredentialSource::Create(config);
  if (!credentials.ok()) return credentials.status();
  return std::unique_ptr<Client>(
      new HttpApiClient(std::move(config), std::move(http), std::move(*credentials)));
}

std::string Client::PodProxyPath(std::string_view ns, std::string_view pod, int port,
                                 std::string_view path, std::string_view scheme) {
  std::string out = "/api/v1/namespaces/" + Escape(ns) + "/pods/";
  if (!scheme.empty()) out += Escape(scheme) + ":";
  out += Escape(pod);
  if (port > 0) out += ":" + std::to_string(port);
  out += "/proxy/";
  out += ProxyTail(path);
  return out;
}

std::string Client::NodeProxyPath(std::string_view node, std::string_view path) {
  return "/api/v1/nodes/" + Escape(node) + "/proxy/" + ProxyTail(path);
}

template <typename T>
Result<ListPage<T>> ListAll(Client& client, Resource resource, const ListOptions& options) {
  const std::string base = CollectionPath(resource, options.namespace_);
  const std::string what = "list " + std::string(ResourceName(resource));
  ListPage<T> all;
  bool restarted = false;
  for (;;) {
    std::string query;
    if (options.limit > 0) AddParam(&query, "limit", std::to_string(options.limit));
    if (!all.continue_token.empty()) AddParam(&query, "continue", all.continue_token);
    AddSelectors(&query, options);
    Result<std::string> body = client.GetRaw(base + query, kListPageTimeout);
    if (!body.ok()) {
      if (IsExpired(body.status()) && !all.continue_token.empty() && !restarted) {
        // The snapshot behind the continue token is gone (the list took longer than the
        // server keeps it): start again, once, from a fresh snapshot.
        restarted = true;
        all = ListPage<T>();
        continue;
      }
      return body.status().WithContext(what);
    }
    Result<ListPage<T>> page = ParseList<T>(*body);
    if (!page.ok()) return page.status().WithContext(what);
    if (all.items.empty()) {
      all.items = std::move(page->items);
    } else {
      all.items.insert(all.items.end(), std::make_move_iterator(page->items.begin()),
                       std::make_move_iterator(page->items.end()));
    }
    all.resource_version = std::move(page->resource_version);
    all.continue_token = std::move(page->continue_token);
    if (all.continue_token.empty()) break;
  }
  return all;
}

template <typename T>
Status Watch(Client& client, Resource resource, const ListOptions& options,
             const std::string& resource_version,
             const std::function<bool(WatchEvent<T>&&)>& on_event, const std::atomic<bool>* stop,
             std::chrono::seconds timeout) {
  std::string query;
  AddParam(&query, "watch", "1");
  AddParam(&query, "allowWatchBookmarks", "true");
  if (!resource_version.empty()) AddParam(&query, "resourceVersion", resource_version);
  if (timeout.count() > 0) AddParam(&query, "timeoutSeconds", std::to_string(timeout.count()));
  AddSelectors(&query, options);
  const std::string path = CollectionPath(resource, options.namespace_) + query;
  const std::string what = "watch " + std::string(ResourceName(resource));
  bool delivered = false;
  for (int attempt = 0;; ++attempt) {
    Status error;
    switch (RunWatch<T>(client, path, on_event, stop, timeout, &delivered, &error)) {
      case WatchEnd::kStreamClosed:
      case WatchEnd::kStopped:
        return Status::Ok();
      case WatchEnd::kFailed:
        return error.WithContext(what);
      case WatchEnd::kUnauthorized:
        if (attempt == 0 && !delivered) {
          client.InvalidateCredentials();
          continue;
        }
        return RequestError("GET", path, 401, "").WithContext(what);
    }
  }
}

#define KPROF_KUBE_CLIENT_INSTANTIATE_(T)                                                          \
  template Result<ListPage<T>> ListAll<T>(Client&, Resource, const ListOptions&);                  \
  template Status Watch<T>(Client&, Resource, const ListOptions&, const std::string&,              \
                           const std::function<bool(WatchEvent<T> &&)>&, const std::atomic<bool>*, \
                           std::chrono::seconds)
KPROF_KUBE_CLIENT_INSTANTIATE_(Pod);
KPROF_KUBE_CLIENT_INSTANTIATE_(ReplicaSet);
KPROF_KUBE_CLIENT_INSTANTIATE_(Deployment);
KPROF_KUBE_CLIENT_INSTANTIATE_(Node);
KPROF_KUBE_CLIENT_INSTANTIATE_(Namespace);
KPROF_KUBE_CLIENT_INSTANTIATE_(Event);
#undef KPROF_KUBE_CLIENT_INSTANTIATE_

}  // namespace kprof::kube
