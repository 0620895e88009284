// IngestService: the one path by which uploaded profiles enter the store, shared by
// the profefe API (/api/0) and the native API (/api/v1).
//
// It validates the profile type, bounds the body and the decoded profile, decodes
// the pprof (strictly; gzip or plain), and hands it to the store, which makes it
// durable before this returns. Knows nothing about HTTP.
//
// Thread-safety: Ingest() may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/metrics.h"
#include "base/status.h"
#include "pprof/decode.h"
#include "store/store.h"

namespace kprof::api {

struct IngestLimits {
  size_t max_body_bytes = 32u << 20;
  pprof::DecodeLimits decode = [] {
    pprof::DecodeLimits l;
    l.max_decompressed_bytes = 128u << 20;
    l.max_decoded_bytes = 512u << 20;
    return l;
  }();
};

// The profile types kprof stores: profefe's (cpu, heap, block, mutex, goroutine,
// threadcreate, other, trace) plus allocs.
bool IsKnownProfileType(std::string_view type);

struct IngestRequest {
  std::string service;
  std::string type;
  store::Labels labels;
  std::string body;
  int64_t created_at_nanos = 0;  // used when the profile carries no time
  bool time_given = false;       // created_at_nanos was asked for: it wins over the profile's
  bool reject_empty = true;      // profefe refuses profiles without samples
};

class IngestService {
 public:
  IngestService(store::ProfileStore* store, IngestLimits limits,
                metrics::Registry* registry = nullptr)
      : store_(store), limits_(limits), registry_(registry) {}

  // kInvalidArgument for a bad type or a malformed profile, kResourceExhausted for
  // an oversized one; the store's status otherwise.
  Result<store::ProfileMeta> Ingest(IngestRequest request);

 private:
  Result<store::ProfileMeta> IngestUnobserved(IngestRequest request);

  store::ProfileStore* store_;
  IngestLimits limits_;
  metrics::Registry* registry_;
};

}  // namespace kprof::api
