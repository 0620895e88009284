// The native API under /api/v1: JSON listings with pagination, merges as pprof,
// flame-graph JSON, folded stacks or a top table, fleet-wide top functions, diffs of
// two selections, timelines and label discovery. Selectors use Prometheus syntax:
// {namespace="prod", deployment=~"api-.*"}. docs/API.md has every route.
#pragma once

#include "api/ingest.h"
#include "api/observe.h"
#include "net/router.h"
#include "store/store.h"

namespace kprof::api {

void AddNativeRoutes(net::Router* router, store::ProfileStore* store, IngestService* ingest,
                     const RouteContext& context = {});

}  // namespace kprof::api
