// libFuzzer target for the rollout tracker's untrusted inputs: stored rollout records (a
// file anyone with access to the data directory can change), kubelet event messages, and
// the stream of Kubernetes objects the tracker is fed (watch lines from the API server).
//
// The first byte picks the mode:
//   0  a rollout record: RolloutFromJson; what it accepts must survive
//      RolloutToJson → RolloutFromJson unchanged
//   1  a Pulled / Pulling event message
//   2+ newline-separated watch lines, each prefixed by a kind letter (d, r, p, e) and fed
//      to one Tracker, whose snapshots and JSON are then built: no crash, no sanitizer trip.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kube/parse.h"
#include "rollout/events.h"
#include "rollout/rollout_json.h"
#include "rollout/tracker.h"

namespace {

using namespace kprof;  // NOLINT: a fuzz target

[[noreturn]] void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "rollout_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

template <typename T>
void Feed(rollout::Tracker* tracker, std::string_view line) {
  auto event = kube::ParseWatchEvent<T>(line);
  if (!event.ok() || event->type == kube::WatchEventType::kBookmark) return;
  const bool gone = event->type == kube::WatchEventType::kDeleted;
  if constexpr (std::is_same_v<T, kube::Deployment>) {
    gone ? tracker->OnDeploymentDeleted(event->object) : tracker->OnDeployment(event->object);
  } else if constexpr (std::is_same_v<T, kube::ReplicaSet>) {
    gone ? tracker->OnReplicaSetDeleted(event->object) : tracker->OnReplicaSet(event->object);
  } else if constexpr (std::is_same_v<T, kube::Pod>) {
    gone ? tracker->OnPodDeleted(event->object) : tracker->OnPod(event->object);
  } else {
    tracker->OnEvent(event->object);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > (1u << 20)) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0]) {
    case 0: {
      auto r = rollout::RolloutFromJson(input);
      if (!r.ok()) return 0;
      std::string once = rollout::RolloutToJson(*r, true).dump();
      auto again = rollout::RolloutFromJson(once);
      if (!again.ok()) Die("re-read of a written record failed", again.status().message());
      if (rollout::RolloutToJson(*again, true).dump() != once) Die("round trip changed", once);
      return 0;
    }
    case 1:
      (void)rollout::ParsePulledMessage(input);
      (void)rollout::ParsePullingImage(input);
      return 0;
    default: {
      std::int64_t now = 1'800'000'000'000'000'000;
      rollout::TrackerOptions options;
      options.clock = [&now] { return now += 250'000'000; };
      options.max_pending_events = 64;
      rollout::Tracker tracker(options, nullptr);
      while (!input.empty()) {
        std::size_t nl = input.find('\n');
        std::string_view line = input.substr(0, nl);
        input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
        if (line.size() < 2) continue;
        std::string_view json = line.substr(1);
        switch (line[0]) {
          case 'd':
            Feed<kube::Deployment>(&tracker, json);
            break;
          case 'r':
            Feed<kube::ReplicaSet>(&tracker, json);
            break;
          case 'p':
            Feed<kube::Pod>(&tracker, json);
            break;
          case 'e':
            Feed<kube::Event>(&tracker, json);
            break;
          default:
            break;
        }
      }
      for (const rollout::Rollout& r : tracker.List({})) {
        (void)rollout::RolloutToJson(r, true).dump();
      }
      (void)tracker.TakeChanged();
      return 0;
    }
  }
}
