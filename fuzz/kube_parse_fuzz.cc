// libFuzzer target for the Kubernetes JSON decoders (untrusted input: whatever the API
// server named by a kubeconfig sends): list pages, watch-stream lines, single objects,
// metav1.Status error bodies and RFC 3339 times.
//
// Any input must decode or fail with a Status, never crash, leak or trip a sanitizer.
// Decoded objects must keep their invariants (label and annotation keys sorted and
// unique) and times must survive FormatTime → ParseTime unchanged; a violation aborts,
// so libFuzzer records it as a crash.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kube/objects.h"
#include "kube/parse.h"

namespace {

using namespace kprof::kube;  // NOLINT: a fuzz target

[[noreturn]] void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "kube_parse_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckPairs(const StringPairs& pairs, const char* what) {
  for (std::size_t i = 1; i < pairs.size(); ++i) {
    if (!(pairs[i - 1].first < pairs[i].first)) Die(what, "keys not sorted and unique");
  }
}

void CheckMeta(const ObjectMeta& meta) {
  CheckPairs(meta.labels, "labels");
  CheckPairs(meta.annotations, "annotations");
  for (std::int64_t t : {meta.creation_time, meta.deletion_time}) {
    if (t == 0) continue;
    kprof::Result<std::int64_t> back = ParseTime(FormatTime(t));
    if (!back.ok() || *back != t) Die("time round trip", FormatTime(t));
  }
}

template <typename T>
void Exercise(std::string_view input) {
  if (auto page = ParseList<T>(input); page.ok()) {
    for (const T& item : page->items) CheckMeta(item.meta);
  }
  if (auto event = ParseWatchEvent<T>(input); event.ok()) CheckMeta(event->object.meta);
  if (auto object = ParseObject<T>(input); object.ok()) CheckMeta(object->meta);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Exercise<Pod>(input);
  Exercise<Deployment>(input);
  Exercise<ReplicaSet>(input);
  Exercise<Node>(input);
  Exercise<Namespace>(input);
  Exercise<Event>(input);
  kprof::Status error = ApiError(0, input);
  if (error.ok()) Die("ApiError", "returned OK");
  if (auto t = ParseTime(input); t.ok()) {
    kprof::Result<std::int64_t> back = ParseTime(FormatTime(*t));
    if (!back.ok() || *back != *t) Die("time round trip", std::string(input));
  }
  return 0;
}
