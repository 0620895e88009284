// Request metrics for API handlers: wraps a handler so each call is counted by route
// and status code and timed, as kprof_http_requests_total and
// kprof_http_request_duration_seconds.
#pragma once

#include <string>

#include "api/auth.h"
#include "base/metrics.h"
#include "net/router.h"

namespace kprof::api {

// What every API route is wrapped with. Both members may be null.
struct RouteContext {
  metrics::Registry* registry = nullptr;  // request counts and latencies
  const TokenAuth* auth = nullptr;        // bearer tokens; null = no authentication
};

// Registers `handler` on `router` under `method pattern`, behind authentication
// (POST needs the write scope, everything else read) and request metrics. Text and
// JSON answers are gzipped for clients that accept it (see GzipIfAccepted).
void AddObserved(net::Router* router, const RouteContext& context, const std::string& method,
                 const std::string& pattern, net::Handler handler, std::string help);

// True when the request's Accept-Encoding allows gzip ("gzip" listed without q=0, or "*").
bool AcceptsGzip(const net::Request& request);

// Compresses a JSON or text body of 1 KiB or more with gzip when the client accepts it,
// setting Content-Encoding and Vary. Flame graph JSON shrinks about tenfold; pprof
// bodies are gzip already and are left alone.
void GzipIfAccepted(const net::Request& request, net::Response* response);

// Adds /metrics (Prometheus text format; needs the read scope when tokens are set),
// /healthz and /readyz (never authenticated).
void AddOperationalRoutes(net::Router* router, const RouteContext& context);

}  // namespace kprof::api
