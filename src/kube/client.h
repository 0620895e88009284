// A Kubernetes API client: REST get and paged list, watch streams, pod and node proxy.
// Authentication comes from the RestConfig: static or rotating bearer tokens, client
// certificates, exec credential plugins (run again when their credential expires or the
// server answers 401).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kube/config.h"
#include "kube/objects.h"
#include "kube/parse.h"
#include "net/http_client.h"

namespace kprof::kube {

// The resources kprof lists and watches.
enum class Resource {
  kNamespaces,
  kNodes,
  kPods,
  kReplicaSets,
  kDeployments,
  kEvents,    // core/v1
  kEventsV1,  // events.k8s.io/v1
};
std::string_view ResourceName(Resource r);  // "pods", "replicasets", "events.events.k8s.io", …

struct ListOptions {
  std::string namespace_;  // "" = all namespaces
  std::string label_selector;
  std::string field_selector;
  int limit = 500;  // page size; 0 = no paging
};

class Client {
 public:
  static Result<std::unique_ptr<Client>> Create(RestConfig config,
                                                std::shared_ptr<net::HttpClient> http);
  virtual ~Client() = default;

  virtual const RestConfig& config() const = 0;

  // GET `path_and_query` (starting with "/") with credentials. Non-2xx answers become a
  // Status that carries the API's Status message; 410 becomes kFailedPrecondition with
  // "expired" in the message, 404 kNotFound.
  virtual Result<std::string> GetRaw(std::string_view path_and_query,
                                     std::chrono::milliseconds timeout) = 0;

  // Adds authentication and TLS to `request` (whose url is a path from the API root,
  // "/api/v1/…", made absolute here). For callers that run many requests asynchronously
  // through the shared HttpClient, e.g. scrapes through the pod proxy.
  virtual Result<net::ClientRequest> Authorize(net::ClientRequest request) = 0;
  // Forget cached exec/token-file credentials (after a 401).
  virtual void InvalidateCredentials() = 0;

  virtual std::shared_ptr<net::HttpClient> http() const = 0;

  // Path of the pod proxy: /api/v1/namespaces/NS/pods/[SCHEME:]NAME[:PORT]/proxy/PATH.
  static std::string PodProxyPath(std::string_view ns, std::string_view pod, int port,
                                  std::string_view path, std::string_view scheme = "");
  static std::string NodeProxyPath(std::string_view node, std::string_view path);
};

// Typed list (all pages) and watch over a Client.
template <typename T>
Result<ListPage<T>> ListAll(Client& client, Resource resource, const ListOptions& options);

// Runs one watch from `resource_version` until the stream ends (server timeout or a clean
// close: OK is returned; a broken connection is kUnavailable), an ERROR event arrives
// (410 → kFailedPrecondition "expired", see IsExpired), `on_event` returns false, or
// `stop` is set (checked every 50 ms; the transfer is cancelled). Bookmarks are requested.
// `on_event` runs on the calling thread.
template <typename T>
Status Watch(Client& client, Resource resource, const ListOptions& options,
             const std::string& resource_version,
             const std::function<bool(WatchEvent<T>&&)>& on_event, const std::atomic<bool>* stop,
             std::chrono::seconds timeout = std::chrono::seconds(300));

}  // namespace kprof::kube
