#include "rollout/tracker.h"

#include <gtest/gtest.h>

#include "base/metrics.h"

namespace kprof::rollout {
namespace {

constexpr std::int64_t kSec = 1000000000;
constexpr std::int64_t kT0 = 1'800'000'000 * kSec;  // a whole second

struct Clock {
  std::int64_t now = kT0;
};

kube::Deployment MakeDeployment(const std::string& image, std::int64_t revision, int replicas) {
  kube::Deployment d;
  d.meta.name = "web";
  d.meta.namespace_ = "prod";
  d.meta.uid = "dep-uid-1234-5678";
  d.meta.generation = 1;
  d.meta.creation_time = kT0 - 3600 * kSec;
  if (revision > 0) {
    d.meta.annotations = {{"deployment.kubernetes.io/revision", std::to_string(revision)}};
  }
  d.spec_replicas = replicas;
  d.containers = {{"app", image, {}}};
  d.template_labels = {{"app", "web"}};
  d.observed_generation = 1;
  d.replicas = replicas;
  d.updated_replicas = replicas;
  d.ready_replicas = replicas;
  d.available_replicas = replicas;
  return d;
}

kube::ReplicaSet MakeReplicaSet(const std::string& name, std::int64_t revision, int replicas,
                                std::int64_t created) {
  kube::ReplicaSet rs;
  rs.meta.name = name;
  rs.meta.namespace_ = "prod";
  rs.meta.uid = "rs-" + name;
  rs.meta.creation_time = created;
  rs.meta.annotations = {{"deployment.kubernetes.io/revision", std::to_string(revision)}};
  rs.meta.owners = {{"apps/v1", "Deployment", "web", "dep-uid-1234-5678", true}};
  rs.spec_replicas = replicas;
  rs.replicas = replicas;
  return rs;
}

kube::Pod MakePod(const std::string& name, const std::string& rs, std::int64_t created) {
  kube::Pod p;
  p.meta.name = name;
  p.meta.namespace_ = "prod";
  p.meta.uid = "pod-" + name;
  p.meta.creation_time = created;
  p.meta.owners = {{"apps/v1", "ReplicaSet", rs, "rs-" + rs, true}};
  p.phase = "Pending";
  return p;
}

kube::Event PodEvent(const kube::Pod& pod, const std::string& reason, const std::string& message,
                     std::int64_t first, std::int64_t event_time = 0) {
  kube::Event e;
  e.meta.name = pod.meta.name + "." + reason;
  e.meta.uid = "ev-" + pod.meta.name + reason;
  e.regarding_kind = "Pod";
  e.regarding_namespace = pod.meta.namespace_;
  e.regarding_name = pod.meta.name;
  e.regarding_uid = pod.meta.uid;
  e.reason = reason;
  e.message = message;
  e.type = reason == "Failed" || reason == "BackOff" ? "Warning" : "Normal";
  e.first_time = first;
  e.last_time = first;
  e.event_time = event_time;
  return e;
}

class TrackerTest : public ::testing::Test {
 protected:
  TrackerTest() : tracker_(Options(), &registry_) {}
  TrackerOptions Options() {
    TrackerOptions o;
    o.clock = [this] { return clock_.now; };
    return o;
  }
  // A deployment that existed before the tracker, rolled out at revision 1.
  void Baseline() {
    tracker_.OnReplicaSet(MakeReplicaSet("web-old", 1, 2, kT0 - 3600 * kSec));
    tracker_.OnDeployment(MakeDeployment("app:v1", 1, 2));
  }
  // The user changes the image; the controller creates the new ReplicaSet.
  kube::Deployment BeginV2() {
    clock_.now += 10 * kSec;
    kube::Deployment d = MakeDeployment("app:v2", 1, 2);
    d.meta.generation = 2;
    tracker_.OnDeployment(d);
    clock_.now += kSec / 10;
    tracker_.OnReplicaSet(MakeReplicaSet("web-new", 2, 1, clock_.now - clock_.now % kSec));
    d.meta.annotations = {{"deployment.kubernetes.io/revision", "2"}};
    d.observed_generation = 2;
    d.updated_replicas = 1;
    d.replicas = 3;
    d.conditions = {{"Progressing", "True", "ReplicaSetUpdated", "", 0, 0}};
    tracker_.OnDeployment(d);
    return d;
  }

  Clock clock_;
  metrics::Registry registry_;
  Tracker tracker_;
};

TEST(EvaluateStatus, FollowsKubectlOrder) {
  kube::Deployment d = MakeDeployment("app:v1", 1, 3);
  d.meta.generation = 2;
  EXPECT_EQ(EvaluateStatus(d).message, "Waiting for deployment spec update to be observed...");
  d.observed_generation = 2;
  d.updated_replicas = 1;
  EXPECT_EQ(EvaluateStatus(d).message,
            "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been "
            "updated...");
  d.conditions = {{"Progressing", "False", "ProgressDeadlineExceeded", "", 0, 0}};
  EXPECT_TRUE(EvaluateStatus(d).failed);
  EXPECT_EQ(EvaluateStatus(d).message, "deployment \"web\" exceeded its progress deadline");
  d.conditions.clear();
  d.updated_replicas = 3;
  d.replicas = 4;
  EXPECT_EQ(EvaluateStatus(d).message,
            "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending "
            "termination...");
  d.replicas = 3;
  d.available_replicas = 2;
  EXPECT_EQ(EvaluateStatus(d).message,
            "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are "
            "available...");
  d.available_replicas = 3;
  EXPECT_TRUE(EvaluateStatus(d).done);
  EXPECT_FALSE(EvaluateStatus(d).failed);
}

TEST_F(TrackerTest, ExistingCompleteDeploymentIsNotARollout) {
  Baseline();
  EXPECT_TRUE(tracker_.List({}).empty());
  EXPECT_NE(
      registry_.Render().find("kprof_rollout_in_progress{deployment=\"web\",namespace=\"prod\"} 0"),
      std::string::npos);
}

TEST_F(TrackerTest, TemplateChangeStartsARolloutThatCompletes) {
  Baseline();
  const std::int64_t change = clock_.now + 10 * kSec;
  kube::Deployment d = BeginV2();
  auto current = tracker_.Current("prod", "web");
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->revision, 2);
  EXPECT_EQ(current->id, "prod:web:2:depuid12");
  EXPECT_EQ(current->start, change);
  EXPECT_EQ(current->new_replicaset, "web-new");
  EXPECT_EQ(current->old_replicasets, std::vector<std::string>{"web-old"});
  EXPECT_EQ(current->images_before, (kube::StringPairs{{"app", "app:v1"}}));
  EXPECT_EQ(current->images_after, (kube::StringPairs{{"app", "app:v2"}}));
  EXPECT_EQ(current->outcome, Outcome::kInProgress);
  EXPECT_DOUBLE_EQ(current->ProgressRatio(), 0.5);
  std::string metrics = registry_.Render();
  EXPECT_NE(metrics.find("kprof_rollout_in_progress{deployment=\"web\",namespace=\"prod\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("kprof_rollout_progress_ratio{deployment=\"web\",namespace=\"prod\"} 0.5"),
            std::string::npos);

  clock_.now += 5 * kSec;
  d.updated_replicas = 2;
  d.replicas = 2;
  d.conditions = {{"Progressing", "True", "NewReplicaSetAvailable", "", 0, 0}};
  tracker_.OnDeployment(d);
  current = tracker_.Current("prod", "web");
  EXPECT_EQ(current->outcome, Outcome::kComplete);
  EXPECT_EQ(current->end, clock_.now);
  EXPECT_EQ(current->reason, "NewReplicaSetAvailable");
  EXPECT_EQ(current->message, "deployment \"web\" successfully rolled out");
  metrics = registry_.Render();
  EXPECT_NE(metrics.find("kprof_rollout_in_progress{deployment=\"web\",namespace=\"prod\"} 0"),
            std::string::npos);
  EXPECT_NE(metrics.find("kprof_rollout_duration_seconds_count{outcome=\"complete\"} 1"),
            std::string::npos);
  auto changed = tracker_.TakeChanged();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].outcome, Outcome::kComplete);
  EXPECT_TRUE(tracker_.TakeChanged().empty());
}

TEST_F(TrackerTest, PodTimelineFromConditionsAndEvents) {
  Baseline();
  kube::Deployment d = BeginV2();
  const std::int64_t created = clock_.now - clock_.now % kSec;
  kube::Pod pod = MakePod("web-new-abcde", "web-new", created);
  clock_.now = created + kSec / 4;  // seen 250 ms into its creation second
  tracker_.OnPod(pod);
  tracker_.OnEvent(PodEvent(pod, "Scheduled", "Successfully assigned prod/web-new-abcde to n1", 0,
                            created + 300 * kSec / 1000));
  clock_.now = created + 2 * kSec + kSec / 2;
  tracker_.OnEvent(PodEvent(pod, "Pulling", "Pulling image \"app:v2\"", created + kSec));
  tracker_.OnEvent(PodEvent(pod, "Pulled",
                            "Successfully pulled image \"app:v2\" in 1.2s (1.5s including "
                            "waiting). Image size: 1000 bytes.",
                            created + 2 * kSec));
  clock_.now = created + 3 * kSec + kSec / 10;
  pod.phase = "Running";
  pod.container_statuses = {
      {"app", "app:v2", "", "", false, true, 0, "running", "", created + 3 * kSec}};
  pod.conditions = {{"PodScheduled", "True", "", "", created, 0}};
  tracker_.OnPod(pod);
  clock_.now = created + 4 * kSec + kSec / 5;
  pod.conditions.push_back({"Ready", "True", "", "", created + 4 * kSec, 0});
  tracker_.OnPod(pod);

  auto r = tracker_.Current("prod", "web");
  ASSERT_EQ(r->pods.size(), 1u);
  const PodTimeline& t = r->pods[0];
  EXPECT_EQ(t.created, created + kSec / 4);             // refined by observation
  EXPECT_EQ(t.scheduled, created + 300 * kSec / 1000);  // the event's microsecond time
  EXPECT_EQ(t.pull_started, created + kSec);
  EXPECT_EQ(t.pull_finished, created + 2 * kSec + kSec / 2);  // refined: seen at 2.5 s
  EXPECT_EQ(t.pull_reported_nanos, 1200 * kSec / 1000);
  EXPECT_EQ(t.pull_waiting_nanos, 1500 * kSec / 1000);
  EXPECT_EQ(t.image_size_bytes, 1000);
  EXPECT_EQ(t.started, created + 3 * kSec + kSec / 10);
  EXPECT_EQ(t.ready, created + 4 * kSec + kSec / 5);
  EXPECT_EQ(t.state, "Ready");
  EXPECT_EQ(t.PhaseNanos(Phase::kSchedule), 50 * kSec / 1000);
  EXPECT_EQ(t.PhaseNanos(Phase::kImagePull), 1500 * kSec / 1000);
  EXPECT_EQ(t.PhaseNanos(Phase::kTotal), 4 * kSec - kSec / 20);
  EXPECT_NE(
      registry_.Render().find("kprof_pod_phase_duration_seconds_count{phase=\"image_pull\"} 1"),
      std::string::npos);
  (void)d;
}

TEST_F(TrackerTest, CompleteRolloutWaitsForThePodWatchToCatchUp) {
  Baseline();
  kube::Deployment d = BeginV2();
  kube::Pod a = MakePod("web-new-aaaaa", "web-new", kT0);
  kube::Pod b = MakePod("web-new-bbbbb", "web-new", kT0);
  a.phase = b.phase = "Running";
  a.conditions = {{"Ready", "True", "", "", kT0 + 5 * kSec, 0}};
  tracker_.OnPod(a);
  tracker_.OnPod(b);
  // The Deployment's status says done before b's Ready arrived on the pod watch.
  d.updated_replicas = d.replicas = d.available_replicas = 2;
  tracker_.OnDeployment(d);
  EXPECT_EQ(tracker_.Current("prod", "web")->outcome, Outcome::kComplete);
  b.conditions = {{"Ready", "True", "", "", kT0 + 6 * kSec, 0}};
  tracker_.OnPod(b);
  auto r = tracker_.Current("prod", "web");
  ASSERT_EQ(r->pods.size(), 2u);
  EXPECT_NE(r->pods[0].ready, 0);
  EXPECT_NE(r->pods[1].ready, 0);
  // Settled: later changes to the pods do not rewrite the finished rollout.
  b.meta.deletion_time = kT0 + 100 * kSec;
  tracker_.OnPod(b);
  EXPECT_EQ(tracker_.Current("prod", "web")->pods[1].deleted, 0);
}

TEST_F(TrackerTest, EventsBeforeThePodAreKeptAndAppliedOnce) {
  Baseline();
  BeginV2();
  kube::Pod pod = MakePod("web-new-zzzzz", "web-new", kT0);
  kube::Event failed = PodEvent(pod, "Failed", "Failed to pull image \"app:v2\": not found", kT0);
  failed.count = 3;
  tracker_.OnEvent(failed);
  tracker_.OnEvent(failed);  // the same event through the other events API
  EXPECT_EQ(tracker_.counts().pending_events, 2u);
  tracker_.OnPod(pod);
  EXPECT_EQ(tracker_.counts().pending_events, 0u);
  tracker_.OnEvent(failed);
  auto r = tracker_.Current("prod", "web");
  ASSERT_EQ(r->pods.size(), 1u);
  ASSERT_EQ(r->pods[0].problems.size(), 1u);
  EXPECT_EQ(r->pods[0].problems[0].reason, "Failed");
  EXPECT_EQ(r->pods[0].problems[0].count, 3);
}

TEST(TrackerPending, HeldEventsAreBoundedOldestFirstAndExpire) {
  std::int64_t now = kT0;
  TrackerOptions options;
  options.clock = [&now] { return now; };
  options.max_pending_events = 3;
  options.pending_event_ttl_nanos = 60 * kSec;
  Tracker tracker(options, nullptr);
  std::vector<kube::Pod> pods;
  for (int i = 0; i < 5; ++i) {
    pods.push_back(MakePod("p" + std::to_string(i), "rs", kT0));
    now += kSec;
    tracker.OnEvent(PodEvent(pods.back(), "Failed", "boom " + std::to_string(i), now));
  }
  EXPECT_EQ(tracker.counts().pending_events, 3u);
  // p0 and p1's events were the oldest: dropped. p4's is still held.
  tracker.OnPod(pods[0]);
  tracker.OnPod(pods[4]);
  EXPECT_EQ(tracker.counts().pending_events, 2u);
  // Past the TTL the rest go as soon as another event arrives.
  now += 120 * kSec;
  tracker.OnEvent(PodEvent(MakePod("late", "rs", now), "Failed", "late", now));
  EXPECT_EQ(tracker.counts().pending_events, 1u);
}

TEST_F(TrackerTest, PodsDeletedDuringARolloutStayInItsRecordOnly) {
  Baseline();
  kube::Deployment d = BeginV2();
  kube::Pod gone = MakePod("web-new-gone1", "web-new", kT0);
  tracker_.OnPod(gone);
  tracker_.OnPodDeleted(gone);
  auto live = tracker_.Current("prod", "web");
  ASSERT_EQ(live->pods.size(), 1u);
  EXPECT_EQ(live->pods[0].state, "Deleted");
  d.updated_replicas = d.replicas = d.available_replicas = 2;
  tracker_.OnDeployment(d);  // complete; nothing left to wait for: frozen
  auto done = tracker_.Current("prod", "web");
  EXPECT_EQ(done->outcome, Outcome::kComplete);
  ASSERT_EQ(done->pods.size(), 1u);
  // The tracker itself forgot the pod: its late events are dropped, not held.
  tracker_.OnEvent(PodEvent(gone, "Killing", "Stopping container app", kT0));
  EXPECT_EQ(tracker_.counts().pending_events, 0u);
  EXPECT_TRUE(tracker_.OwnerOf("prod", "web-new-gone1").replicaset.empty());
}

TEST_F(TrackerTest, EventsForDeletedPodsAreNotHeld) {
  kube::Pod pod = MakePod("web-old-gone1", "web-old", kT0);
  tracker_.OnPod(pod);
  tracker_.OnPodDeleted(pod);
  tracker_.OnEvent(PodEvent(pod, "Killing", "Stopping container app", kT0));
  EXPECT_EQ(tracker_.counts().pending_events, 0u);
}

TEST_F(TrackerTest, ProgressDeadlineExceededFailsTheRollout) {
  Baseline();
  kube::Deployment d = BeginV2();
  clock_.now += 600 * kSec;
  d.conditions = {{"Progressing", "False", "ProgressDeadlineExceeded", "", 0, 0}};
  tracker_.OnDeployment(d);
  auto r = tracker_.Current("prod", "web");
  EXPECT_EQ(r->outcome, Outcome::kFailed);
  EXPECT_EQ(r->end, clock_.now);
  EXPECT_EQ(r->message, "deployment \"web\" exceeded its progress deadline");
  EXPECT_NE(registry_.Render().find("kprof_rollout_duration_seconds_count{outcome=\"failed\"} 1"),
            std::string::npos);
}

TEST_F(TrackerTest, NewTemplateSupersedesARunningRollout) {
  Baseline();
  kube::Deployment d = BeginV2();
  clock_.now += 3 * kSec;
  d.containers = {{"app", "app:v3", {}}};
  d.meta.generation = 3;
  tracker_.OnDeployment(d);
  d.meta.annotations = {{"deployment.kubernetes.io/revision", "3"}};
  tracker_.OnDeployment(d);
  auto list = tracker_.List({});
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].revision, 3);
  EXPECT_EQ(list[0].outcome, Outcome::kInProgress);
  EXPECT_EQ(list[1].revision, 2);
  EXPECT_EQ(list[1].outcome, Outcome::kSuperseded);
  EXPECT_EQ(list[1].end, list[0].start);
}

TEST_F(TrackerTest, PausedRolloutIsPausedUntilResumed) {
  Baseline();
  kube::Deployment d = BeginV2();
  d.paused = true;
  tracker_.OnDeployment(d);
  EXPECT_EQ(tracker_.Current("prod", "web")->outcome, Outcome::kPaused);
  EXPECT_NE(
      registry_.Render().find("kprof_rollout_in_progress{deployment=\"web\",namespace=\"prod\"} 1"),
      std::string::npos);
  d.paused = false;
  tracker_.OnDeployment(d);
  EXPECT_EQ(tracker_.Current("prod", "web")->outcome, Outcome::kInProgress);
}

TEST_F(TrackerTest, ScalingIsNotARollout) {
  Baseline();
  kube::Deployment d = MakeDeployment("app:v1", 1, 5);
  d.meta.generation = 2;
  d.observed_generation = 2;
  tracker_.OnDeployment(d);
  EXPECT_TRUE(tracker_.List({}).empty());
}

TEST_F(TrackerTest, DeploymentCreatedWhileRunningIsRevisionOne) {
  kube::Deployment d = MakeDeployment("app:v1", 0, 2);
  d.meta.creation_time = kT0;
  d.observed_generation = 0;
  d.updated_replicas = d.replicas = d.ready_replicas = d.available_replicas = 0;
  clock_.now = kT0 + kSec / 2;
  tracker_.OnDeployment(d);
  EXPECT_TRUE(tracker_.List({}).empty());  // no revision yet
  tracker_.OnReplicaSet(MakeReplicaSet("web-first", 1, 2, kT0));
  d.meta.annotations = {{"deployment.kubernetes.io/revision", "1"}};
  tracker_.OnDeployment(d);
  auto r = tracker_.Current("prod", "web");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->revision, 1);
  EXPECT_EQ(r->start, kT0 + kSec / 2);
  EXPECT_EQ(r->new_replicaset, "web-first");
  EXPECT_TRUE(r->old_replicasets.empty());
}

TEST_F(TrackerTest, RestoredRolloutContinues) {
  Rollout saved;
  saved.id = RolloutId("prod", "web", 2, "dep-uid-1234-5678");
  saved.namespace_ = "prod";
  saved.deployment = "web";
  saved.deployment_uid = "dep-uid-1234-5678";
  saved.revision = 2;
  saved.start = kT0 - 100 * kSec;
  tracker_.Restore({saved});
  tracker_.OnReplicaSet(MakeReplicaSet("web-new", 2, 2, kT0 - 100 * kSec));
  kube::Deployment d = MakeDeployment("app:v2", 2, 2);
  d.updated_replicas = 1;
  tracker_.OnDeployment(d);
  auto r = tracker_.Current("prod", "web");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->start, kT0 - 100 * kSec);
  EXPECT_EQ(r->outcome, Outcome::kInProgress);
  EXPECT_EQ(r->new_replicaset, "web-new");
}

TEST_F(TrackerTest, DeletedDeploymentDropsItsGauges) {
  Baseline();
  BeginV2();
  tracker_.OnDeploymentDeleted(MakeDeployment("app:v2", 2, 2));
  EXPECT_EQ(registry_.Render().find("kprof_rollout_in_progress{"), std::string::npos);
  auto changed = tracker_.TakeChanged();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].outcome, Outcome::kSuperseded);
  EXPECT_EQ(changed[0].reason, "DeploymentDeleted");
}

}  // namespace
}  // namespace kprof::rollout
