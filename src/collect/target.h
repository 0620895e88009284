// Scrape targets: what to scrape (profile types, intervals), where (a pod's IP, the API
// server's pod proxy, or a static URL) and the labels each profile gets. Targets come
// from annotated pods (kprof.io/*, and kube-profefe's profefe.com/*) and from a static
// config file.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kube/objects.h"
#include "store/labels.h"

namespace kprof::collect {

enum class ProfileKind { kCpu, kHeap, kAllocs, kGoroutine, kBlock, kMutex, kThreadcreate };
inline constexpr std::array<ProfileKind, 7> kAllKinds = {
    ProfileKind::kCpu,   ProfileKind::kHeap,  ProfileKind::kAllocs,      ProfileKind::kGoroutine,
    ProfileKind::kBlock, ProfileKind::kMutex, ProfileKind::kThreadcreate};

std::string_view KindName(ProfileKind kind);  // "cpu", "heap", … (kprof's type names)
std::optional<ProfileKind> ParseKind(std::string_view name);
// Cumulative over the process's life: stored as deltas between scrapes (heap only for
// its alloc_* values, which Delta handles by sample type).
bool IsCumulative(ProfileKind kind);
// "cpu,heap", "all", with spaces allowed. Errors name the unknown type.
Result<std::vector<ProfileKind>> ParseKinds(std::string_view list);
// The pprof handler path of a kind under the target's base path: "profile?seconds=N",
// "heap", …
std::string KindPath(ProfileKind kind, std::chrono::seconds cpu_seconds);

// Go duration syntax ("10s", "1m30s", "500ms"); bare integers are seconds.
Result<std::chrono::milliseconds> ParseDurationFlag(std::string_view text);

struct ScrapeDefaults {
  std::vector<ProfileKind> kinds = {ProfileKind::kCpu,    ProfileKind::kHeap,
                                    ProfileKind::kAllocs, ProfileKind::kGoroutine,
                                    ProfileKind::kBlock,  ProfileKind::kMutex};
  std::chrono::milliseconds interval{60000};
  std::map<ProfileKind, std::chrono::milliseconds> kind_intervals;  // overrides per type
  std::chrono::seconds cpu_seconds{10};
  std::string path = "/debug/pprof";
};

struct Target {
  enum class Via { kDirect, kPodProxy };

  std::string key;  // stable identity: "pod/NS/NAME:PORT" or "static/NAME"
  std::string service;
  store::Labels labels;
  Via via = Via::kDirect;
  std::string scheme = "http";
  std::string host;  // direct: pod IP or host name
  int port = 0;
  std::string pod_namespace;  // pod proxy
  std::string pod_name;
  std::string path = "/debug/pprof";
  std::vector<ProfileKind> kinds;
  std::map<ProfileKind, std::chrono::milliseconds> intervals;  // every kind has one
  std::chrono::seconds cpu_seconds{10};
  // The process behind the target (pod uid, container, restart count): when it changes,
  // cumulative profiles start a new baseline.
  std::string instance;

  std::chrono::milliseconds IntervalOf(ProfileKind kind) const;
  // The URL path (with query) of a kind's profile, e.g. "/debug/pprof/profile?seconds=10".
  std::string ProfilePath(ProfileKind kind) const;
  bool operator==(const Target&) const = default;
};

// What the owner chain adds to a pod's labels.
struct OwnerInfo {
  std::string replicaset;
  std::string deployment;
  std::string revision;
};

struct PodDiscoveryOptions {
  ScrapeDefaults defaults;
  Target::Via via = Target::Via::kDirect;
};

// The pprof port of a pod and the container that declares it: `port` if non-zero, else
// the kprof.io/port (profefe.com/port) annotation, else the first declared container port.
struct PodPort {
  int port = 0;
  const kube::Container* container = nullptr;  // into the pod; null if it has none
};
Result<PodPort> ChoosePodPort(const kube::Pod& pod, int port);

// What a pod's profiles are stored under, by the agent and by captures alike: the service
// (kprof.io/service, profefe.com/service, app labels, the deployment, the pod), the labels
// (namespace, pod, node, container, image, owners, pod_template_hash, version) and the
// process identity (uid, container, restart count, container id).
struct PodIdentity {
  std::string service;
  store::Labels labels;
  std::string instance;
};
PodIdentity IdentifyPod(const kube::Pod& pod, const OwnerInfo& owner,
                        const kube::Container* container);

// The pod's target, or nullopt when the pod does not opt in (no kprof.io/scrape or
// profefe.com/enable "true") or cannot be scraped yet (not running, no IP, being
// deleted). An opted-in pod with bad annotations is an error naming the annotation.
Result<std::optional<Target>> TargetFromPod(const kube::Pod& pod, const OwnerInfo& owner,
                                            const PodDiscoveryOptions& options);

// Static targets from a YAML file:
//   targets:
//     - service: checkout            # required
//       url: http://127.0.0.1:6060   # required; path defaults to /debug/pprof
//       labels: {env: dev}
//       types: [cpu, heap]           # or "all"; default: the defaults' kinds
//       interval: 30s
//       cpu_seconds: 10
Result<std::vector<Target>> ParseStaticTargets(std::string_view yaml,
                                               const ScrapeDefaults& defaults);
Result<std::vector<Target>> LoadStaticTargets(const std::string& path,
                                              const ScrapeDefaults& defaults);

}  // namespace kprof::collect
