// What the kubelet and scheduler say in their events, parsed: image pulls with the
// durations the kubelet reports, and which events are problems worth showing.
//
// Messages are untrusted text from the API server: anything that does not match the
// known shapes is "not a pull message", never an error that stops tracking.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kprof::rollout {

struct PullMessage {
  std::string image;
  bool already_present = false;
  std::int64_t pull_nanos = -1;          // "in 796ms"
  std::int64_t with_waiting_nanos = -1;  // "(1.594s including waiting)"
  std::int64_t size_bytes = 0;           // "Image size: N bytes."
};

// A `Pulled` event's message:
//   Successfully pulled image "IMG" in 796ms (1.594s including waiting). Image size: N bytes.
//   Successfully pulled image "IMG" in 1.2s          (older kubelets)
//   Container image "IMG" already present on machine
std::optional<PullMessage> ParsePulledMessage(std::string_view message);

// The image named by `Pulling image "IMG"`, or "".
std::string ParsePullingImage(std::string_view message);

// True for the event reasons that mean a pod is in trouble: Failed, BackOff,
// FailedScheduling, FailedCreatePodSandBox, FailedMount, Unhealthy, ErrImagePull, …
bool IsProblemReason(std::string_view reason);

}  // namespace kprof::rollout
