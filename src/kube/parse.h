// Decoding of Kubernetes API JSON into the compact structs of objects.h: single objects,
// list pages, watch-stream lines, and metav1.Status error bodies.
//
// Input is untrusted (it may come from any server a kubeconfig names): malformed JSON,
// wrong field types and out-of-range numbers or times give kInvalidArgument naming the
// field ("pod: status.startTime: …"), inputs over the size limits below give
// kResourceExhausted; nothing here crashes or allocates more than a small multiple of the
// input. Unknown fields and JSON nulls are skipped. Label and annotation pairs come out
// sorted by key (the last of duplicate keys wins). The annotation
// kubectl.kubernetes.io/last-applied-configuration (a full copy of the object) is dropped.
//
// Thread-safety: pure functions; each thread reuses its own simdjson parser.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kube/objects.h"

namespace kprof::kube {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark };

// One decoded list page (items of one object type) or watch event.
template <typename T>
struct ListPage {
  std::vector<T> items;
  std::string resource_version;
  std::string continue_token;
};

template <typename T>
struct WatchEvent {
  WatchEventType type;
  T object;  // for bookmarks only object.meta.resource_version is set
};

inline constexpr std::size_t kMaxObjectJsonBytes = std::size_t{16} << 20;  // object or line
inline constexpr std::size_t kMaxListJsonBytes = std::size_t{512} << 20;   // one list page

// T is one of Pod, ReplicaSet, Deployment, Node, Namespace, Event.
template <typename T>
Result<T> ParseObject(std::string_view json);

// A list response ({"metadata":{"resourceVersion","continue"},"items":[…]}).
template <typename T>
Result<ListPage<T>> ParseList(std::string_view json);

// One line of a watch stream ({"type":"ADDED","object":{…}}). An ERROR event, or a bare
// metav1.Status (the body of a watch request the server refused), is returned as its
// Status (see ApiError), so 410 Expired is kFailedPrecondition and IsExpired.
template <typename T>
Result<WatchEvent<T>> ParseWatchEvent(std::string_view line);

// The kprof Status for an API error: `http_status` (or, when 0, the body's code) and the
// body, a metav1.Status whose message is used, or other text, quoted shortened. Mapping:
// 400/422 kInvalidArgument, 404 kNotFound, 410 kFailedPrecondition "… expired …",
// 401/403/409 kFailedPrecondition, 413 kResourceExhausted, 429/5xx and others
// kUnavailable. The message starts with the code and its name ("404 Not Found: …").
Status ApiError(int http_status, std::string_view body);

// True for the Status of a 410 Gone: a resource version or continue token that expired.
bool IsExpired(const Status& status);

#define KPROF_KUBE_PARSE_EXTERN_(T)                                   \
  extern template Result<T> ParseObject<T>(std::string_view);         \
  extern template Result<ListPage<T>> ParseList<T>(std::string_view); \
  extern template Result<WatchEvent<T>> ParseWatchEvent<T>(std::string_view)
KPROF_KUBE_PARSE_EXTERN_(Pod);
KPROF_KUBE_PARSE_EXTERN_(ReplicaSet);
KPROF_KUBE_PARSE_EXTERN_(Deployment);
KPROF_KUBE_PARSE_EXTERN_(Node);
KPROF_KUBE_PARSE_EXTERN_(Namespace);
KPROF_KUBE_PARSE_EXTERN_(Event);
#undef KPROF_KUBE_PARSE_EXTERN_

}  // namespace kprof::kube
