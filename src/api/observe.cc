#include "api/observe.h"

#include <algorithm>
#include <chrono>

#include "base/strings.h"
#include "net/http.h"
#include "pprof/gzip.h"

namespace kprof::api {

bool AcceptsGzip(const net::Request& request) {
  auto header = request.Header("accept-encoding");
  if (!header) return false;
  std::string_view rest = *header;
  bool any = false;  // "*" allows every coding not named
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t semicolon = item.find(';');
    std::string_view coding = TrimSpace(item.substr(0, semicolon));
    const bool gzip = EqualsIgnoreCase(coding, "gzip");
    if (!gzip && coding != "*") continue;
    std::string q(semicolon == std::string_view::npos ? "" : item.substr(semicolon + 1));
    q.erase(std::remove(q.begin(), q.end(), ' '), q.end());
    // "q=0", "q=0.0", "q=0.000" refuse it.
    const bool refused =
        q.rfind("q=0", 0) == 0 && q.find_first_not_of("0.", 2) == std::string::npos;
    if (gzip) return !refused;  // named explicitly: that answer wins over "*"
    any = !refused;
  }
  return any;
}

void GzipIfAccepted(const net::Request& request, net::Response* response) {
  constexpr size_t kMinBytes = 1024;
  const std::string& type = response->content_type;
  bool text = type.rfind("application/json", 0) == 0 || type.rfind("text/", 0) == 0;
  if (!text || response->body.size() < kMinBytes || response->status == 304) return;
  for (const auto& [name, value] : response->headers) {
    if (EqualsIgnoreCase(name, "content-encoding")) return;
  }
  response->headers.emplace_back("Vary", "Accept-Encoding");
  if (!AcceptsGzip(request)) return;
  response->body = pprof::Gzip(response->body);
  response->headers.emplace_back("Content-Encoding", "gzip");
}

void AddObserved(net::Router* router, const RouteContext& context, const std::string& method,
                 const std::string& pattern, net::Handler handler, std::string help) {
  handler = [inner = std::move(handler)](net::Request& req) {
    net::Response r = inner(req);
    GzipIfAccepted(req, &r);
    return r;
  };
  if (context.auth != nullptr) {
    Scope needed = method == "POST" ? Scope::kWrite : Scope::kRead;
    handler = [auth = context.auth, needed, inner = std::move(handler)](net::Request& req) {
      if (auto denied = auth->Deny(req, needed)) return *denied;
      return inner(req);
    };
  }
  metrics::Registry* registry = context.registry;
  if (registry == nullptr) {
    router->Add(method, pattern, std::move(handler), std::move(help));
    return;
  }
  std::string route = method + " " + pattern;
  metrics::Histogram* latency =
      registry->GetHistogram("kprof_http_request_duration_seconds",
                             "Time to handle an API request, by route", {{"route", route}});
  router->Add(
      method, pattern,
      [registry, route, latency, handler = std::move(handler)](net::Request& req) {
        auto start = std::chrono::steady_clock::now();
        net::Response r = handler(req);
        latency->Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        registry
            ->GetCounter("kprof_http_requests_total", "API requests by route and status code",
                         {{"route", route}, {"code", std::to_string(r.status)}})
            ->Add();
        return r;
      },
      std::move(help));
}

void AddOperationalRoutes(net::Router* router, const RouteContext& context) {
  metrics::Registry* registry = context.registry;
  AddObserved(
      router, context, "GET", "/metrics",
      [registry](net::Request&) {
        net::Response r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = registry->Render();
        return r;
      },
      "Prometheus metrics");
  // Probes need no token.
  router->Add(
      "GET", "/healthz", [](net::Request&) { return net::JsonOk(R"({"status":"ok"})"); },
      "Liveness: the process serves requests");
  router->Add(
      "GET", "/readyz", [](net::Request&) { return net::JsonOk(R"({"status":"ready"})"); },
      "Readiness: the store is open and accepting profiles");
}

}  // namespace kprof::api
