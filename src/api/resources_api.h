// GET /api/v1/resources: pod resource samples (CPU, memory, network) from a
// ResourceStore as JSON series per pod and container, optionally averaged into time
// buckets, with a usage summary per ReplicaSet for rollout before/after comparisons.
//
// Query parameters (all optional): namespace, pod, deployment, replicaset (a comma list:
// any of them), container, from and to (as in the other /api/v1 routes; default the last
// hour; `to` is exclusive), step (a Go duration: averages per series and bucket), limit
// (samples read, at most 100000), format (json only). docs/API.md has the response.
//
// Thread-safety: the handler may run on any number of threads at once; `store` must
// outlive the router.
#pragma once

#include "api/observe.h"
#include "net/router.h"
#include "resources/store.h"

namespace kprof::api {

void AddResourceRoutes(net::Router* router, resources::ResourceStore* store,
                       const RouteContext& context = {});

}  // namespace kprof::api
