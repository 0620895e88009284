#include "collect/delivery.h"

#include "base/strings.h"
#include "store/timeparse.h"

namespace kprof::collect {

HttpSink::HttpSink(HttpSinkOptions options, std::shared_ptr<net::HttpClient> http)
    : options_(std::move(options)), http_(std::move(http)) {
  if (!options_.token_file.empty()) {
    token_ = std::make_unique<TokenFile>(options_.token_file, std::chrono::seconds(5));
  }
  while (!options_.server.empty() && options_.server.back() == '/') options_.server.pop_back();
}

Status HttpSink::Deliver(const Envelope& e) {
  net::ClientRequest r;
  r.method = "POST";
  r.url = options_.server + "/api/v1/profiles?service=" + QueryEscape(e.service) +
          "&type=" + QueryEscape(e.type) +
          "&time=" + QueryEscape(store::FormatRfc3339(e.time_nanos));
  if (!e.labels.empty()) r.url += "&labels=" + QueryEscape(store::FormatProfefeLabels(e.labels));
  r.body = e.profile;
  r.timeout = options_.timeout;
  r.tls = options_.tls;
  r.max_response_bytes = 1 << 20;
  r.headers.emplace_back("Content-Type", "application/octet-stream");
  if (token_) {
    auto token = token_->Get();
    if (!token.ok()) return Unavailable("the server token: " + token.status().message());
    r.headers.emplace_back("Authorization", "Bearer " + *token);
  }
  net::Transfer t = http_->Do(std::move(r));
  if (!t.ok()) return Unavailable("push to " + options_.server + ": " + t.status.message());
  int code = t.response.status;
  if (code >= 200 && code <= 299) return Status::Ok();
  std::string detail = t.response.body.substr(0, 300);
  if (code == 401 || code == 403) {
    return Unavailable("push to " + options_.server + ": HTTP " + std::to_string(code) +
                       " (check --server-token-file): " + detail);
  }
  if (code == 408 || code == 429 || code >= 500) {
    return Unavailable("push to " + options_.server + ": HTTP " + std::to_string(code) + ": " +
                       detail);
  }
  if (code == 413) return ResourceExhausted("server refused the profile as too large: " + detail);
  return InvalidArgument("server refused the profile (HTTP " + std::to_string(code) +
                         "): " + detail);
}

Pusher::Pusher(PusherOptions options, Spool* spool, Sink* sink, metrics::Registry* registry)
    : options_(options), spool_(spool), sink_(sink) {
  delivered_ = registry->GetCounter("kprof_agent_pushes_total", "Profiles sent to the server.",
                                    {{"result", "delivered"}});
  rejected_ = registry->GetCounter("kprof_agent_pushes_total", "Profiles sent to the server.",
                                   {{"result", "rejected"}});
  retries_ = registry->GetCounter("kprof_agent_pushes_total", "Profiles sent to the server.",
                                  {{"result", "retry"}});
}

Pusher::~Pusher() { Stop(); }

void Pusher::Start() {
  for (int i = 0; i < std::max(1, options_.threads); ++i) threads_.emplace_back([this] { Loop(); });
}

void Pusher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  spool_->Interrupt();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

PusherStats Pusher::stats() const {
  return PusherStats{static_cast<uint64_t>(delivered_->value()),
                     static_cast<uint64_t>(rejected_->value()),
                     static_cast<uint64_t>(retries_->value())};
}

void Pusher::Loop() {
  while (true) {
    {
      // While the server is failing, every thread waits out the shared backoff.
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, paused_until_, [&] { return stopping_; });
      if (stopping_) return;
    }
    auto entry = spool_->Next(std::chrono::milliseconds(500));
    if (!entry) {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      continue;
    }
    Status s = sink_->Deliver(entry->envelope);
    if (s.ok() || s.code() == StatusCode::kInvalidArgument ||
        s.code() == StatusCode::kResourceExhausted) {
      spool_->Remove(entry->seq);
      (s.ok() ? delivered_ : rejected_)->Add();
      std::lock_guard<std::mutex> lock(mu_);
      backoff_ = std::chrono::milliseconds(0);
      continue;
    }
    spool_->Release(entry->seq);
    retries_->Add();
    std::lock_guard<std::mutex> lock(mu_);
    backoff_ =
        backoff_.count() == 0 ? options_.min_backoff : std::min(options_.max_backoff, backoff_ * 2);
    paused_until_ = std::chrono::steady_clock::now() + backoff_;
  }
}

}  // namespace kprof::collect
