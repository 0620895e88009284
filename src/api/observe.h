// Request metrics for API handlers: wraps a handler so each call is counted by route
// and status code and timed, as kprof_http_requests_total and
// kprof_http_request_duration_seconds.
#pragma once

#include <string>

#include "base/metrics.h"
#include "net/router.h"

namespace kprof::api {

// Registers `handler` on `router` under `method pattern`, observed in `registry`
// (which may be null: then the handler is registered as is).
void AddObserved(net::Router* router, metrics::Registry* registry, const std::string& method,
                 const std::string& pattern, net::Handler handler, std::string help);

// Adds /metrics (Prometheus text format), /healthz and /readyz.
void AddOperationalRoutes(net::Router* router, metrics::Registry* registry);

}  // namespace kprof::api
