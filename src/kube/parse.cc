// Entry points of parse.h: size limits, the per-thread simdjson parser, watch-event
// framing and metav1.Status errors. Field decoding is in object_decode.cc.
#include "kube/parse.h"

#include <simdjson.h>

#include <memory>
#include <string>
#include <type_traits>

#include "kube/object_decode.h"

namespace kprof::kube {
namespace {

namespace dom = simdjson::dom;
using Element = dom::element;

// Each thread keeps one parser. A DOM parser needs about 14 bytes per byte of the largest
// document it has seen (tape, structural index, strings), so one that grew for list pages
// (500 pods: ~3 MB of JSON, ~45 MB of parser) is kept only while large documents keep
// coming: the next small one (an informer's first watch event after its list) gets a
// fresh small parser, and no parser past kMaxRetainedCapacity outlives its document.
constexpr std::size_t kSmallDocument = std::size_t{64} << 10;
constexpr std::size_t kLargeParserCapacity = std::size_t{1} << 20;
constexpr std::size_t kMaxRetainedCapacity = std::size_t{16} << 20;

template <typename T>
constexpr std::string_view KindName() {
  if constexpr (std::is_same_v<T, Pod>) return "pod";
  if constexpr (std::is_same_v<T, ReplicaSet>) return "replicaset";
  if constexpr (std::is_same_v<T, Deployment>) return "deployment";
  if constexpr (std::is_same_v<T, Node>) return "node";
  if constexpr (std::is_same_v<T, Namespace>) return "namespace";
  if constexpr (std::is_same_v<T, Event>) return "event";
}

// The thread's parser for one document of `document_size` bytes (see above).
class ParserLease {
 public:
  explicit ParserLease(std::size_t document_size) {
    std::unique_ptr<dom::parser>& slot = Slot();
    if (slot != nullptr && slot->capacity() > kLargeParserCapacity &&
        document_size <= kSmallDocument) {
      slot.reset();
    }
    if (slot == nullptr) slot = std::make_unique<dom::parser>();
    parser_ = slot.get();
  }
  ~ParserLease() {
    if (parser_->capacity() > kMaxRetainedCapacity) Slot().reset();
  }
  ParserLease(const ParserLease&) = delete;
  ParserLease& operator=(const ParserLease&) = delete;

  // Parses `json` (copied into a padded buffer by simdjson).
  Result<Element> Parse(std::string_view json, std::string_view what) {
    Element root;
    simdjson::error_code err = parser_->parse(json.data(), json.size()).get(root);
    if (err == simdjson::CAPACITY || err == simdjson::MEMALLOC) {
      return ResourceExhausted(std::string(what) + ": JSON too large to parse");
    }
    if (err != simdjson::SUCCESS) {
      return InvalidArgument(std::string(what) +
                             ": malformed JSON: " + simdjson::error_message(err));
    }
    return root;
  }

 private:
  static std::unique_ptr<dom::parser>& Slot() {
    thread_local std::unique_ptr<dom::parser> parser;
    return parser;
  }
  dom::parser* parser_;
};

Status CheckSize(std::string_view json, std::size_t limit, std::string_view what) {
  if (json.size() <= limit) return Status::Ok();
  return ResourceExhausted(std::string(what) + ": " + std::to_string(json.size()) +
                           " bytes of JSON, more than the limit of " + std::to_string(limit));
}

std::string_view GetStringOr(Element obj, std::string_view key, std::string_view fallback) {
  std::string_view s;
  if (obj[key].get_string().get(s) != simdjson::SUCCESS) return fallback;
  return s;
}

std::string_view HttpReason(int code) {
  switch (code) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Request Entity Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

StatusCode CodeForHttp(int code) {
  switch (code) {
    case 400:
    case 422:
      return StatusCode::kInvalidArgument;
    case 404:
      return StatusCode::kNotFound;
    case 401:
    case 403:
    case 409:
    case 410:
      return StatusCode::kFailedPrecondition;
    case 413:
      return StatusCode::kResourceExhausted;
    default:
      return StatusCode::kUnavailable;
  }
}

// At most `limit` bytes of `text`, control characters replaced, for quoting in a message.
std::string Printable(std::string_view text, std::size_t limit) {
  std::string out;
  for (char c : text.substr(0, limit)) {
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  }
  if (text.size() > limit) out += "…";
  return out;
}

Status StatusForApi(int code, std::string_view message) {
  std::string text = std::to_string(code) + " " + std::string(HttpReason(code)) + ": ";
  if (code == 410) text += "expired: ";
  text += message.empty() ? "(no message)" : Printable(message, 1024);
  return Status(CodeForHttp(code), std::move(text));
}

// A metav1.Status object (the object of an ERROR watch event, or an error body).
Status StatusFromApiObject(Element obj, int http_status) {
  std::int64_t code = http_status;
  if (code == 0 && obj["code"].get_int64().get(code) != simdjson::SUCCESS) code = 500;
  if (code < 100 || code > 999) code = 500;
  std::string_view message = GetStringOr(obj, "message", "");
  if (message.empty()) message = GetStringOr(obj, "reason", "");
  return StatusForApi(static_cast<int>(code), message);
}

bool IsStatusObject(Element obj) { return GetStringOr(obj, "kind", "") == "Status"; }

Result<WatchEventType> EventType(std::string_view type) {
  if (type == "ADDED") return WatchEventType::kAdded;
  if (type == "MODIFIED") return WatchEventType::kModified;
  if (type == "DELETED") return WatchEventType::kDeleted;
  if (type == "BOOKMARK") return WatchEventType::kBookmark;
  return InvalidArgument("watch event: unknown type \"" + Printable(type, 32) + "\"");
}

}  // namespace

template <typename T>
Result<T> ParseObject(std::string_view json) {
  constexpr std::string_view kWhat = KindName<T>();
  KPROF_RETURN_IF_ERROR(CheckSize(json, kMaxObjectJsonBytes, kWhat));
  ParserLease parser(json.size());
  KPROF_ASSIGN_OR_RETURN(Element root, parser.Parse(json, kWhat));
  if (root.type() != dom::element_type::OBJECT) {
    return InvalidArgument(std::string(kWhat) + ": not an object");
  }
  T object;
  Status st = internal::DecodeObject(root, "", &object);
  if (!st.ok()) return st.WithContext(kWhat);
  return object;
}

template <typename T>
Result<ListPage<T>> ParseList(std::string_view json) {
  const std::string what = std::string(KindName<T>()) + " list";
  KPROF_RETURN_IF_ERROR(CheckSize(json, kMaxListJsonBytes, what));
  ParserLease parser(json.size());
  KPROF_ASSIGN_OR_RETURN(Element root, parser.Parse(json, what));
  if (root.type() != dom::element_type::OBJECT) return InvalidArgument(what + ": not an object");
  if (IsStatusObject(root)) return StatusFromApiObject(root, 0);
  ListPage<T> page;
  Status st = internal::DecodeListPage(root, &page);
  if (!st.ok()) return st.WithContext(what);
  return page;
}

template <typename T>
Result<WatchEvent<T>> ParseWatchEvent(std::string_view line) {
  constexpr std::string_view kWhat = "watch event";
  KPROF_RETURN_IF_ERROR(CheckSize(line, kMaxObjectJsonBytes, kWhat));
  ParserLease parser(line.size());
  KPROF_ASSIGN_OR_RETURN(Element root, parser.Parse(line, kWhat));
  if (root.type() != dom::element_type::OBJECT) {
    return InvalidArgument("watch event: not an object");
  }
  if (IsStatusObject(root)) return StatusFromApiObject(root, 0);
  std::string_view type;
  if (root["type"].get_string().get(type) != simdjson::SUCCESS) {
    return InvalidArgument("watch event: no type");
  }
  Element object;
  if (root["object"].get(object) != simdjson::SUCCESS ||
      object.type() != dom::element_type::OBJECT) {
    return InvalidArgument("watch event " + Printable(type, 32) + ": no object");
  }
  if (type == "ERROR") return StatusFromApiObject(object, 0);
  KPROF_ASSIGN_OR_RETURN(WatchEventType event_type, EventType(type));
  WatchEvent<T> event{event_type, T{}};
  Status st;
  if (event_type == WatchEventType::kBookmark) {
    // Bookmarks carry only metadata (a resourceVersion and an annotation or two).
    st = internal::DecodeMetadataOf(object, &event.object.meta);
  } else {
    st = internal::DecodeObject(object, GetStringOr(object, "apiVersion", ""), &event.object);
  }
  if (!st.ok())
    return st.WithContext(std::string(kWhat) + " " + std::string(type) + " " +
                          std::string(KindName<T>()));
  return event;
}

Status ApiError(int http_status, std::string_view body) {
  if (body.size() <= kMaxObjectJsonBytes && !body.empty() && body.front() == '{') {
    ParserLease parser(body.size());
    Result<Element> root = parser.Parse(body, "error body");
    if (root.ok() && root->type() == dom::element_type::OBJECT) {
      return StatusFromApiObject(*root, http_status);
    }
  }
  int code = http_status >= 100 && http_status <= 999 ? http_status : 500;
  return StatusForApi(code, Printable(body, 256));
}

bool IsExpired(const Status& status) {
  return status.code() == StatusCode::kFailedPrecondition &&
         status.message().find("410 Gone") != std::string::npos;
}

#define KPROF_KUBE_PARSE_INSTANTIATE_(T)                       \
  template Result<T> ParseObject<T>(std::string_view);         \
  template Result<ListPage<T>> ParseList<T>(std::string_view); \
  template Result<WatchEvent<T>> ParseWatchEvent<T>(std::string_view)
KPROF_KUBE_PARSE_INSTANTIATE_(Pod);
KPROF_KUBE_PARSE_INSTANTIATE_(ReplicaSet);
KPROF_KUBE_PARSE_INSTANTIATE_(Deployment);
KPROF_KUBE_PARSE_INSTANTIATE_(Node);
KPROF_KUBE_PARSE_INSTANTIATE_(Namespace);
KPROF_KUBE_PARSE_INSTANTIATE_(Event);
#undef KPROF_KUBE_PARSE_INSTANTIATE_

}  // namespace kprof::kube