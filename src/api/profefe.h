// The profefe-compatible API under /api/0: routes, parameters, time and label
// syntax, JSON envelope and status codes as profefe's collector has them, so
// profefe agents, kube-profefe and `go tool pprof <merge URL>` work unchanged.
// Differences from profefe: ids are kprof's (opaque, time-sortable), and "allocs"
// is accepted as a type.
#pragma once

#include <string>

#include "api/ingest.h"
#include "api/observe.h"
#include "net/router.h"
#include "store/store.h"

namespace kprof::api {

struct ServerInfo {
  std::string version;
  std::string commit;
  std::string build_time;
};

void AddProfefeRoutes(net::Router* router, store::ProfileStore* store, IngestService* ingest,
                      ServerInfo info, const RouteContext& context = {});

}  // namespace kprof::api
