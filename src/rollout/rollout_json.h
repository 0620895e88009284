// Rollouts as JSON: the shape of /api/v1/rollouts (docs/API.md) and of stored records.
// Times are RFC 3339 strings, durations seconds as numbers.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/status.h"
#include "rollout/rollout.h"

namespace kprof::rollout {

// `detail` adds progress points and pod timelines; without it, a list entry.
nlohmann::ordered_json RolloutToJson(const Rollout& rollout, bool detail);
// Reads what RolloutToJson(…, true) wrote. Stored records are untrusted bytes too:
// wrong shapes give kInvalidArgument.
Result<Rollout> RolloutFromJson(std::string_view text);

nlohmann::ordered_json PodToJson(const PodTimeline& pod);

}  // namespace kprof::rollout
