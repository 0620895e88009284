#include "rollout/events.h"

#include <charconv>

#include "store/timeparse.h"

namespace kprof::rollout {

namespace {

// The text between the first pair of double quotes after `prefix`, and what follows it.
bool QuotedAfter(std::string_view message, std::string_view prefix, std::string* quoted,
                 std::string_view* rest) {
  if (message.substr(0, prefix.size()) != prefix) return false;
  std::string_view tail = message.substr(prefix.size());
  if (tail.empty() || tail.front() != '"') return false;
  std::size_t close = tail.find('"', 1);
  if (close == std::string_view::npos) return false;
  *quoted = std::string(tail.substr(1, close - 1));
  *rest = tail.substr(close + 1);
  return true;
}

std::int64_t GoDuration(std::string_view text) {
  auto d = store::ParseDuration(text);
  return d.ok() ? *d : -1;
}

}  // namespace

std::optional<PullMessage> ParsePulledMessage(std::string_view message) {
  PullMessage out;
  std::string_view rest;
  if (QuotedAfter(message, "Container image ", &out.image, &rest)) {
    if (rest.find("already present") == std::string_view::npos) return std::nullopt;
    out.already_present = true;
    out.pull_nanos = 0;
    return out;
  }
  if (!QuotedAfter(message, "Successfully pulled image ", &out.image, &rest)) return std::nullopt;
  constexpr std::string_view kIn = " in ";
  if (rest.substr(0, kIn.size()) != kIn) return out;
  rest.remove_prefix(kIn.size());
  // A Go duration may contain '.', so cut at the space and trim a final '.'.
  std::size_t end = rest.find(' ');
  std::string_view duration = rest.substr(0, end);
  if (!duration.empty() && duration.back() == '.') duration.remove_suffix(1);
  out.pull_nanos = GoDuration(duration);
  if (end == std::string_view::npos) return out;
  rest.remove_prefix(end + 1);
  if (!rest.empty() && rest.front() == '(') {
    std::size_t space = rest.find(' ');
    if (space != std::string_view::npos && rest.substr(space, 18) == " including waiting") {
      out.with_waiting_nanos = GoDuration(rest.substr(1, space - 1));
    }
  }
  constexpr std::string_view kSize = "Image size: ";
  std::size_t at = rest.find(kSize);
  if (at != std::string_view::npos) {
    std::string_view digits = rest.substr(at + kSize.size());
    std::int64_t size = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
    if (ec == std::errc() && size >= 0) out.size_bytes = size;
  }
  return out;
}

std::string ParsePullingImage(std::string_view message) {
  std::string image;
  std::string_view rest;
  if (!QuotedAfter(message, "Pulling image ", &image, &rest)) return "";
  return image;
}

bool IsProblemReason(std::string_view reason) {
  for (std::string_view r :
       {"Failed", "BackOff", "FailedScheduling", "FailedCreatePodSandBox", "FailedMount",
        "FailedAttachVolume", "Unhealthy", "ErrImagePull", "ImagePullBackOff", "InspectFailed",
        "ErrImageNeverPull", "FailedKillPod", "Evicted", "OOMKilling"}) {
    if (reason == r) return true;
  }
  return false;
}

}  // namespace kprof::rollout
