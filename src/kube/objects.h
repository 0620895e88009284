// The Kubernetes objects kprof reads, reduced to the fields it uses. Parsed from API JSON
// (single objects, lists and watch events) with simdjson; unknown fields are skipped, so
// a 10,000-pod cache costs a few hundred bytes a pod instead of the JSON's kilobytes.
//
// Times are Unix nanoseconds (0 = unset). Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kprof::kube {

using StringPairs = std::vector<std::pair<std::string, std::string>>;  // sorted by key

// The value for `key` in sorted pairs, or nullptr.
const std::string* FindPair(const StringPairs& pairs, std::string_view key);

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
};

struct ObjectMeta {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::string resource_version;
  std::int64_t generation = 0;
  std::int64_t creation_time = 0;
  std::int64_t deletion_time = 0;
  StringPairs labels;
  StringPairs annotations;  // without kubectl's last-applied-configuration copy
  std::vector<OwnerReference> owners;
  // The controller owner, if any.
  const OwnerReference* Controller() const;
};

struct Condition {
  std::string type;
  std::string status;  // "True" / "False" / "Unknown"
  std::string reason;
  std::string message;
  std::int64_t last_transition_time = 0;
  std::int64_t last_update_time = 0;  // Deployments only
};

struct ContainerPort {
  std::string name;
  int container_port = 0;
  std::string protocol = "TCP";
};

struct Container {
  std::string name;
  std::string image;
  std::vector<ContainerPort> ports;
};

struct ContainerStatus {
  std::string name;
  std::string image;
  std::string image_id;
  std::string container_id;
  bool ready = false;
  bool started = false;
  int restart_count = 0;
  std::string state;            // "waiting" | "running" | "terminated"
  std::string state_reason;     // waiting/terminated reason (ErrImagePull, CrashLoopBackOff, …)
  std::int64_t started_at = 0;  // state.running.startedAt
};

struct Pod {
  ObjectMeta meta;
  std::string node_name;
  std::vector<Container> containers;
  std::string phase;
  std::string pod_ip;
  std::string host_ip;
  std::int64_t start_time = 0;
  std::vector<Condition> conditions;
  std::vector<ContainerStatus> container_statuses;
};

struct ReplicaSet {
  ObjectMeta meta;
  int spec_replicas = 0;
  std::vector<Container> containers;  // spec.template.spec.containers
  int replicas = 0;
  int ready_replicas = 0;
  int available_replicas = 0;
  std::int64_t observed_generation = 0;
};

struct Deployment {
  ObjectMeta meta;
  int spec_replicas = 1;
  bool paused = false;
  int progress_deadline_seconds = 600;
  std::string strategy = "RollingUpdate";
  std::string max_surge = "25%";  // int or percent, as written
  std::string max_unavailable = "25%";
  StringPairs selector;               // matchLabels
  std::vector<Container> containers;  // spec.template.spec.containers
  StringPairs template_labels;
  StringPairs template_annotations;
  std::int64_t observed_generation = 0;
  int replicas = 0;
  int updated_replicas = 0;
  int ready_replicas = 0;
  int available_replicas = 0;
  int unavailable_replicas = 0;
  std::vector<Condition> conditions;
};

struct Node {
  ObjectMeta meta;
  std::string internal_ip;
  bool ready = false;
};

struct Namespace {
  ObjectMeta meta;
  std::string phase;
};

// Core v1 and events.k8s.io/v1 events in one shape.
struct Event {
  ObjectMeta meta;
  std::string api;  // "v1" or "events.k8s.io/v1"
  std::string regarding_kind;
  std::string regarding_namespace;
  std::string regarding_name;
  std::string regarding_uid;
  std::string reason;
  std::string message;               // v1 message / events.k8s.io note
  std::string type;                  // Normal / Warning
  std::string reporting_controller;  // source.component / reportingController
  std::int64_t event_time = 0;       // eventTime (microsecond precision) when set
  std::int64_t first_time = 0;       // firstTimestamp / deprecatedFirstTimestamp
  std::int64_t last_time = 0;        // lastTimestamp / series.lastObservedTime
  int count = 1;
  // The best time for the event: event_time, else last_time, else first_time, else creation.
  std::int64_t Time() const;
};

// RFC 3339 ("2024-05-01T10:00:00Z", "…T10:00:00.123456Z", offsets) to Unix nanoseconds.
Result<std::int64_t> ParseTime(std::string_view rfc3339);
std::string FormatTime(std::int64_t unix_nanos);  // RFC 3339 UTC, fractional when needed

}  // namespace kprof::kube
