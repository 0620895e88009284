#include "api/ingest.h"

#include <chrono>

namespace kprof::api {

bool IsKnownProfileType(std::string_view type) {
  for (std::string_view t :
       {"cpu", "heap", "allocs", "block", "mutex", "goroutine", "threadcreate", "other", "trace"}) {
    if (type == t) return true;
  }
  return false;
}

Result<store::ProfileMeta> IngestService::Ingest(IngestRequest request) {
  if (registry_ == nullptr) return IngestUnobserved(std::move(request));
  std::string type = IsKnownProfileType(request.type) ? request.type : "unknown";
  size_t bytes = request.body.size();
  auto start = std::chrono::steady_clock::now();
  auto result = IngestUnobserved(std::move(request));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string outcome =
      result.ok() ? "stored" : std::string(StatusCodeName(result.status().code()));
  registry_
      ->GetCounter("kprof_ingest_profiles_total", "Profiles received, by type and outcome",
                   {{"type", type}, {"result", outcome}})
      ->Add();
  registry_->GetCounter("kprof_ingest_bytes_total", "Bytes of profiles received", {{"type", type}})
      ->Add(static_cast<double>(bytes));
  registry_
      ->GetHistogram("kprof_ingest_duration_seconds",
                     "Time from receiving a profile to its durable acknowledgement")
      ->Observe(seconds);
  return result;
}

Result<store::ProfileMeta> IngestService::IngestUnobserved(IngestRequest request) {
  if (request.service.empty()) return InvalidArgument("missing \"service\"");
  if (!IsKnownProfileType(request.type)) {
    return InvalidArgument("unknown profile type \"" + request.type +
                           "\": use cpu, heap, allocs, block, mutex, goroutine, threadcreate, "
                           "other or trace");
  }
  if (request.body.size() > limits_.max_body_bytes) {
    return ResourceExhausted("profile is " + std::to_string(request.body.size()) +
                             " bytes; the limit is " + std::to_string(limits_.max_body_bytes));
  }
  store::IngestInput input;
  input.service = std::move(request.service);
  input.type = request.type;
  input.labels = std::move(request.labels);
  if (request.type != "trace") {
    // Execution traces are stored as uploaded; everything else must be a pprof.
    pprof::Decoder decoder(limits_.decode);
    if (request.body.empty()) return InvalidArgument("malformed profile: empty body");
    Status s = decoder.Decode(request.body, &input.profile);
    if (!s.ok()) {
      if (s.code() == StatusCode::kResourceExhausted) return s;
      return InvalidArgument(s.message());
    }
    if (request.reject_empty && input.profile.samples.empty()) {
      return InvalidArgument("profile is empty: no samples");
    }
  }
  input.time_nanos = input.profile.time_nanos > 0 && !request.time_given ? input.profile.time_nanos
                                                                         : request.created_at_nanos;
  input.raw = std::move(request.body);
  return store_->Ingest(std::move(input));
}

}  // namespace kprof::api
