#include "api/observe.h"

#include <chrono>

#include "net/http.h"

namespace kprof::api {

void AddObserved(net::Router* router, const RouteContext& context, const std::string& method,
                 const std::string& pattern, net::Handler handler, std::string help) {
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
