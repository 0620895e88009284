// /api/v1/rollouts: rollouts the tracker follows live and the ones the rollout store
// keeps, one rollout's timeline, and its report (phases, resources, before/after
// profile diff). docs/API.md has the shapes.
#pragma once

#include "api/observe.h"
#include "net/router.h"
#include "resources/store.h"
#include "rollout/rollout_store.h"
#include "rollout/tracker.h"
#include "store/store.h"

namespace kprof::api {

// Any member may be null: without a tracker only stored rollouts are served, without a
// profile or resource store the report leaves that section out.
struct RolloutSources {
  rollout::Tracker* tracker = nullptr;
  rollout::RolloutStore* store = nullptr;
  store::ProfileStore* profiles = nullptr;
  resources::ResourceStore* resources = nullptr;
};

void AddRolloutRoutes(net::Router* router, RolloutSources sources,
                      const RouteContext& context = {});

}  // namespace kprof::api
