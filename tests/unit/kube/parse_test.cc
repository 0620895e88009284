#include "kube/parse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace kprof::kube {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr std::int64_t kSecond = 1'000'000'000;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(KPROF_KUBE_TESTDATA_DIR) + "/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::int64_t T(std::string_view rfc3339) { return *ParseTime(rfc3339); }

template <typename R>
std::string ErrorOf(const R& result, StatusCode code = StatusCode::kInvalidArgument) {
  EXPECT_FALSE(result.ok());
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), code) << result.status().ToString();
  return result.status().message();
}

TEST(ParseObject, DecodesAPodsFields) {
  Result<Pod> pod = ParseObject<Pod>(Fixture("pod.json"));
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  EXPECT_EQ(pod->meta.name, "checkout-6f9c7d5b8-x2vzq");
  EXPECT_EQ(pod->meta.namespace_, "shop");
  EXPECT_EQ(pod->meta.uid, "6b1f0a52-8d0e-4f39-9a43-0c6a7f1e2d11");
  EXPECT_EQ(pod->meta.resource_version, "48213907");
  EXPECT_EQ(pod->meta.creation_time, T("2024-05-01T10:00:00Z"));
  EXPECT_EQ(pod->meta.deletion_time, 0);
  EXPECT_THAT(pod->meta.labels,
              ElementsAre(Pair("app", "checkout"), Pair("app.kubernetes.io/name", "checkout"),
                          Pair("pod-template-hash", "6f9c7d5b8")));
  // last-applied-configuration is dropped.
  EXPECT_THAT(pod->meta.annotations,
              ElementsAre(Pair("profefe.com/enable", "true"), Pair("profefe.com/port", "6060")));
  ASSERT_NE(pod->meta.Controller(), nullptr);
  EXPECT_EQ(pod->meta.Controller()->kind, "ReplicaSet");
  EXPECT_EQ(pod->meta.Controller()->name, "checkout-6f9c7d5b8");
  EXPECT_EQ(pod->meta.Controller()->api_version, "apps/v1");
  EXPECT_EQ(pod->meta.Controller()->uid, "0c9a0c5e-3f83-4c7d-8d7c-6c3f4b2a1e00");

  EXPECT_EQ(pod->node_name, "worker-3");
  ASSERT_EQ(pod->containers.size(), 2u);
  EXPECT_EQ(pod->containers[0].name, "app");
  EXPECT_EQ(pod->containers[0].image, "registry.example.com/shop/checkout:2.3.1");
  ASSERT_EQ(pod->containers[0].ports.size(), 2u);
  EXPECT_EQ(pod->containers[0].ports[0].name, "http");
  EXPECT_EQ(pod->containers[0].ports[0].container_port, 8080);
  EXPECT_EQ(pod->containers[0].ports[1].name, "pprof");
  EXPECT_EQ(pod->containers[0].ports[1].container_port, 6060);
  EXPECT_EQ(pod->containers[0].ports[1].protocol, "TCP");  // the API's default
  EXPECT_TRUE(pod->containers[1].ports.empty());

  EXPECT_EQ(pod->phase, "Running");
  EXPECT_EQ(pod->pod_ip, "10.244.3.41");
  EXPECT_EQ(pod->host_ip, "10.0.3.17");
  EXPECT_EQ(pod->start_time, T("2024-05-01T10:00:00Z"));
  ASSERT_EQ(pod->conditions.size(), 5u);
  EXPECT_EQ(pod->conditions[2].type, "Ready");
  EXPECT_EQ(pod->conditions[2].status, "True");
  EXPECT_EQ(pod->conditions[2].last_transition_time, T("2024-05-01T10:00:05Z"));

  ASSERT_EQ(pod->container_statuses.size(), 2u);
  const ContainerStatus& app = pod->container_statuses[0];
  EXPECT_EQ(app.name, "app");
  EXPECT_TRUE(app.ready);
  EXPECT_TRUE(app.started);
  EXPECT_EQ(app.restart_count, 1);
  EXPECT_EQ(app.state, "running");
  EXPECT_EQ(app.state_reason, "");  // lastState's OOMKilled is not the current state
  EXPECT_EQ(app.started_at, T("2024-05-01T10:00:04Z"));
  EXPECT_THAT(app.image_id, HasSubstr("@sha256:4d2f"));
  EXPECT_THAT(app.container_id, HasSubstr("containerd://"));
  const ContainerStatus& envoy = pod->container_statuses[1];
  EXPECT_EQ(envoy.state, "waiting");
  EXPECT_EQ(envoy.state_reason, "ImagePullBackOff");
  EXPECT_EQ(envoy.started_at, 0);
  EXPECT_FALSE(envoy.ready);
}

TEST(ParseObject, DecodesADeployment) {
  Result<Deployment> d = ParseObject<Deployment>(Fixture("deployment.json"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->meta.name, "checkout");
  EXPECT_EQ(d->meta.generation, 7);
  EXPECT_EQ(*FindPair(d->meta.annotations, "deployment.kubernetes.io/revision"), "5");
  EXPECT_EQ(d->spec_replicas, 3);
  EXPECT_FALSE(d->paused);
  EXPECT_EQ(d->progress_deadline_seconds, 300);
  EXPECT_EQ(d->strategy, "RollingUpdate");
  EXPECT_EQ(d->max_surge, "50%");
  EXPECT_EQ(d->max_unavailable, "0");
  EXPECT_THAT(d->selector, ElementsAre(Pair("app", "checkout"), Pair("tier", "web")));
  EXPECT_THAT(d->template_labels, ElementsAre(Pair("app", "checkout"), Pair("tier", "web")));
  EXPECT_EQ(d->template_annotations.size(), 2u);
  ASSERT_EQ(d->containers.size(), 1u);
  EXPECT_EQ(d->containers[0].ports[0].container_port, 8080);
  EXPECT_EQ(d->observed_generation, 6);
  EXPECT_EQ(d->replicas, 4);
  EXPECT_EQ(d->updated_replicas, 2);
  EXPECT_EQ(d->ready_replicas, 3);
  EXPECT_EQ(d->available_replicas, 3);
  EXPECT_EQ(d->unavailable_replicas, 1);
  ASSERT_EQ(d->conditions.size(), 2u);
  EXPECT_EQ(d->conditions[1].reason, "ReplicaSetUpdated");
  EXPECT_EQ(d->conditions[1].last_update_time, T("2024-05-01T10:00:05Z"));
  EXPECT_EQ(d->conditions[1].last_transition_time, T("2024-04-20T08:30:00Z"));
}

TEST(ParseObject, DeploymentDefaultsApplyWhenFieldsAreAbsent) {
  Result<Deployment> d = ParseObject<Deployment>(R"({"metadata":{"name":"x"},"spec":{}})");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->spec_replicas, 1);
  EXPECT_EQ(d->progress_deadline_seconds, 600);
  EXPECT_EQ(d->max_surge, "25%");
}

TEST(ParseObject, DecodesAReplicaSet) {
  Result<ReplicaSet> rs = ParseObject<ReplicaSet>(Fixture("replicaset.json"));
  ASSERT_TRUE(rs.ok()) << rs.status().ToString();
  EXPECT_EQ(rs->meta.Controller()->kind, "Deployment");
  EXPECT_EQ(*FindPair(rs->meta.labels, "pod-template-hash"), "6f9c7d5b8");
  EXPECT_EQ(rs->spec_replicas, 2);
  ASSERT_EQ(rs->containers.size(), 1u);
  EXPECT_EQ(rs->containers[0].name, "app");
  EXPECT_EQ(rs->replicas, 2);
  EXPECT_EQ(rs->ready_replicas, 1);
  EXPECT_EQ(rs->available_replicas, 1);
  EXPECT_EQ(rs->observed_generation, 3);
}

TEST(ParseObject, DecodesANodeAndANamespace) {
  Result<Node> node = ParseObject<Node>(Fixture("node.json"));
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(node->meta.name, "worker-3");
  EXPECT_EQ(node->meta.namespace_, "");
  EXPECT_EQ(node->internal_ip, "10.0.3.17");
  EXPECT_TRUE(node->ready);

  Result<Namespace> ns = ParseObject<Namespace>(Fixture("namespace.json"));
  ASSERT_TRUE(ns.ok()) << ns.status().ToString();
  EXPECT_EQ(ns->meta.name, "shop");
  EXPECT_EQ(ns->phase, "Active");
}

TEST(ParseObject, NodeNotReadyWhenReadyConditionIsFalseOrMissing) {
  Result<Node> node = ParseObject<Node>(
      R"({"metadata":{"name":"n"},"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}})");
  ASSERT_TRUE(node.ok());
  EXPECT_FALSE(node->ready);
  node = ParseObject<Node>(R"({"metadata":{"name":"n"}})");
  ASSERT_TRUE(node.ok());
  EXPECT_FALSE(node->ready);
}

TEST(ParseObject, DecodesACoreV1Event) {
  Result<Event> e = ParseObject<Event>(Fixture("event_core.json"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->api, "v1");
  EXPECT_EQ(e->regarding_kind, "Pod");
  EXPECT_EQ(e->regarding_namespace, "shop");
  EXPECT_EQ(e->regarding_name, "checkout-6f9c7d5b8-x2vzq");
  EXPECT_EQ(e->regarding_uid, "6b1f0a52-8d0e-4f39-9a43-0c6a7f1e2d11");
  EXPECT_EQ(e->reason, "Pulled");
  EXPECT_THAT(e->message, HasSubstr("in 796ms (1.594s including waiting)"));
  EXPECT_EQ(e->type, "Normal");
  EXPECT_EQ(e->reporting_controller, "kubelet");
  EXPECT_EQ(e->event_time, 0);
  EXPECT_EQ(e->first_time, T("2024-05-01T10:00:03Z"));
  EXPECT_EQ(e->last_time, T("2024-05-01T10:00:04Z"));
  EXPECT_EQ(e->count, 2);
  EXPECT_EQ(e->Time(), T("2024-05-01T10:00:04Z"));
}

TEST(ParseObject, DecodesAnEventsV1Event) {
  Result<Event> e = ParseObject<Event>(Fixture("event_v1.json"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->api, "events.k8s.io/v1");
  EXPECT_EQ(e->regarding_kind, "Deployment");
  EXPECT_EQ(e->regarding_name, "checkout");
  EXPECT_EQ(e->message, "Scaled up replica set checkout-6f9c7d5b8 to 2 from 1");
  EXPECT_EQ(e->reporting_controller, "deployment-controller");
  EXPECT_EQ(e->event_time, T("2024-05-01T10:00:00.123456Z"));
  EXPECT_EQ(e->first_time, T("2024-05-01T10:00:00Z"));
  EXPECT_EQ(e->last_time, T("2024-05-01T10:05:00.654321Z"));  // the series, finer than deprecated*
  EXPECT_EQ(e->count, 4);
  EXPECT_EQ(e->Time(), T("2024-05-01T10:00:00.123456Z"));
}

TEST(ParseObject, EventWithoutSeriesOrCountCountsOnce) {
  Result<Event> e = ParseObject<Event>(
      R"({"metadata":{"name":"e","creationTimestamp":"2024-05-01T10:00:00Z"},
          "regarding":{"kind":"Pod","name":"p"},"note":"n","reportingController":"c"})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->api, "events.k8s.io/v1");
  EXPECT_EQ(e->count, 1);
  EXPECT_EQ(e->reporting_controller, "c");
  EXPECT_EQ(e->Time(), T("2024-05-01T10:00:00Z"));
}

TEST(ParseObject, SortsLabelsAndKeepsTheLastDuplicate) {
  Result<Namespace> ns =
      ParseObject<Namespace>(R"({"metadata":{"labels":{"z":"1","a":"2","m":"3","a":"4"}}})");
  ASSERT_TRUE(ns.ok()) << ns.status().ToString();
  EXPECT_THAT(ns->meta.labels, ElementsAre(Pair("a", "4"), Pair("m", "3"), Pair("z", "1")));
}

TEST(ParseObject, SkipsNullsAndUnknownFields) {
  Result<Pod> pod = ParseObject<Pod>(
      R"({"metadata":{"name":"p","labels":null,"annotations":null,"ownerReferences":null,
          "creationTimestamp":null,"futureField":{"deep":[1,2,{"x":null}]}},
          "spec":{"containers":null,"nodeName":null},"status":null,"extra":[]})");
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  EXPECT_EQ(pod->meta.name, "p");
  EXPECT_TRUE(pod->meta.labels.empty());
  EXPECT_EQ(pod->meta.creation_time, 0);
  EXPECT_TRUE(pod->containers.empty());
}

TEST(ParseObject, NamesTheFieldWithTheWrongType) {
  EXPECT_THAT(ErrorOf(ParseObject<Pod>(R"({"metadata":{"name":5}})")),
              HasSubstr("pod: metadata.name: expected a string"));
  EXPECT_THAT(ErrorOf(ParseObject<Pod>(R"({"spec":{"containers":{}}})")),
              HasSubstr("spec.containers: expected an array"));
  EXPECT_THAT(
      ErrorOf(ParseObject<Pod>(R"({"spec":{"containers":[{"ports":[{"containerPort":"80"}]}]}})")),
      HasSubstr("containerPort: expected an integer"));
  EXPECT_THAT(ErrorOf(ParseObject<Pod>(
                  R"({"status":{"containerStatuses":[{"restartCount":3000000000}]}})")),
              HasSubstr("restartCount: integer out of range"));
  EXPECT_THAT(ErrorOf(ParseObject<Pod>(R"({"status":{"containerStatuses":[{"ready":"yes"}]}})")),
              HasSubstr("ready: expected true or false"));
  EXPECT_THAT(ErrorOf(ParseObject<Pod>(R"({"metadata":{"labels":{"a":1}}})")),
              HasSubstr("metadata.labels: expected a string"));
  EXPECT_THAT(ErrorOf(ParseObject<Pod>(R"({"status":{"startTime":"yesterday"}})")),
              HasSubstr("status.startTime: time \"yesterday\""));
  EXPECT_THAT(ErrorOf(ParseObject<Deployment>(R"({"spec":{"replicas":1.5}})")),
              HasSubstr("spec.replicas: expected an integer"));
  EXPECT_THAT(ErrorOf(ParseObject<Pod>(R"({"metadata":[]})")),
              HasSubstr("metadata: expected an object"));
}

TEST(ParseObject, RejectsMalformedJson) {
  for (std::string_view bad : {"", "{", "[]", "null", "\"pod\"", "{\"metadata\":}",
                               "{\"metadata\":{\"name\":\"p\"}} trailing", "{'a':1}", "{\"a\":1,}",
                               "{\"a\":\"\xff\xfe\"}", "{\"a\":tru}"}) {
    Result<Pod> pod = ParseObject<Pod>(bad);
    EXPECT_FALSE(pod.ok()) << bad;
    if (!pod.ok()) {
      EXPECT_EQ(pod.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(ParseObject, RejectsEveryTruncationOfAValidPod) {
  std::string json = Fixture("pod.json");
  // Whitespace-only tails still parse; everything shorter than the closing brace must not.
  std::size_t end = json.rfind('}');
  for (std::size_t n = 0; n < end; ++n) {
    Result<Pod> pod = ParseObject<Pod>(std::string_view(json).substr(0, n));
    ASSERT_FALSE(pod.ok()) << "prefix of " << n << " bytes parsed";
    ASSERT_EQ(pod.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ParseObject, SurvivesDeepNesting) {
  std::string deep = R"({"metadata":{"name":"p"},"x":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  EXPECT_EQ(ParseObject<Pod>(deep).status().code(), StatusCode::kInvalidArgument);
}

TEST(ParseObject, BoundsTheInputSize) {
  std::string big = R"({"metadata":{"name":")" + std::string(kMaxObjectJsonBytes, 'a') + R"("}})";
  EXPECT_THAT(ErrorOf(ParseObject<Pod>(big), StatusCode::kResourceExhausted),
              HasSubstr("more than the limit"));
}

TEST(ParseList, DecodesItemsResourceVersionAndContinue) {
  std::string json = R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"901",
    "continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTAxfQ","remainingItemCount":3},
    "items":[)" + Fixture("pod.json") +
                     R"(,{"metadata":{"name":"b","namespace":"shop"}}]})";
  Result<ListPage<Pod>> page = ParseList<Pod>(json);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->resource_version, "901");
  EXPECT_EQ(page->continue_token, "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTAxfQ");
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].meta.name, "checkout-6f9c7d5b8-x2vzq");
  EXPECT_EQ(page->items[1].meta.name, "b");
}

TEST(ParseList, AcceptsEmptyAndNullItems) {
  Result<ListPage<Node>> page =
      ParseList<Node>(R"({"metadata":{"resourceVersion":"5"},"items":null})");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->items.empty());
  EXPECT_EQ(page->resource_version, "5");
  page = ParseList<Node>(R"({"metadata":{"resourceVersion":"6"},"items":[]})");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->items.empty());
  EXPECT_EQ(page->continue_token, "");
}

TEST(ParseList, EventItemsTakeTheListsApiVersion) {
  // List items carry no apiVersion of their own.
  Result<ListPage<Event>> page = ParseList<Event>(
      R"({"apiVersion":"events.k8s.io/v1","kind":"EventList","metadata":{"resourceVersion":"1"},
          "items":[{"metadata":{"name":"e"},"reason":"Started"}]})");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].api, "events.k8s.io/v1");
  page = ParseList<Event>(
      R"({"apiVersion":"v1","kind":"EventList","metadata":{"resourceVersion":"1"},
          "items":[{"metadata":{"name":"e"},"reason":"Started"}]})");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items[0].api, "v1");
}

TEST(ParseList, NamesTheBadItem) {
  EXPECT_THAT(ErrorOf(ParseList<Pod>(R"({"items":[{},{"metadata":{"uid":7}}]})")),
              HasSubstr("pod list: items[1]: metadata.uid: expected a string"));
  EXPECT_THAT(ErrorOf(ParseList<Pod>(R"({"items":{}})")), HasSubstr("items: expected an array"));
  EXPECT_THAT(ErrorOf(ParseList<Pod>(R"([1,2])")), HasSubstr("not an object"));
}

TEST(ParseList, ReturnsAStatusBodyAsItsError) {
  auto page = ParseList<Pod>(
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods is forbidden","reason":"Forbidden","code":403})");
  EXPECT_THAT(ErrorOf(page, StatusCode::kFailedPrecondition),
              HasSubstr("403 Forbidden: pods is forbidden"));
}

TEST(ParseWatchEvent, DecodesEventTypes) {
  std::string pod = Fixture("pod.json");
  struct Case {
    std::string type;
    WatchEventType want;
  };
  for (const Case& c :
       {Case{"ADDED", WatchEventType::kAdded}, Case{"MODIFIED", WatchEventType::kModified},
        Case{"DELETED", WatchEventType::kDeleted}}) {
    std::string line = R"({"type":")" + c.type + R"(","object":)" + pod + "}";
    Result<WatchEvent<Pod>> e = ParseWatchEvent<Pod>(line);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->type, c.want);
    EXPECT_EQ(e->object.meta.name, "checkout-6f9c7d5b8-x2vzq");
    EXPECT_EQ(e->object.container_statuses.size(), 2u);
  }
  // Field order does not matter.
  Result<WatchEvent<Pod>> e =
      ParseWatchEvent<Pod>(R"({"object":{"metadata":{"name":"p"}},"type":"ADDED"})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->object.meta.name, "p");
}

TEST(ParseWatchEvent, BookmarksCarryOnlyTheResourceVersion) {
  Result<WatchEvent<Pod>> e = ParseWatchEvent<Pod>(
      R"({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12345",
          "creationTimestamp":null,"annotations":{"k8s.io/initial-events-end":"true"}},
          "spec":{"containers":null},"status":{}}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->type, WatchEventType::kBookmark);
  EXPECT_EQ(e->object.meta.resource_version, "12345");
  EXPECT_EQ(e->object.meta.name, "");
}

TEST(ParseWatchEvent, ErrorEventsBecomeStatuses) {
  auto expired = ParseWatchEvent<Pod>(
      R"json({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},
          "status":"Failure","message":"too old resource version: 1 (4211)","reason":"Expired",
          "code":410}})json");
  EXPECT_THAT(ErrorOf(expired, StatusCode::kFailedPrecondition),
              HasSubstr("expired: too old resource version: 1 (4211)"));
  EXPECT_TRUE(IsExpired(expired.status()));
  EXPECT_TRUE(IsExpired(expired.status().WithContext("watch pods")));

  auto internal = ParseWatchEvent<Pod>(
      R"({"type":"ERROR","object":{"kind":"Status","message":"etcd is down","code":500}})");
  EXPECT_THAT(ErrorOf(internal, StatusCode::kUnavailable),
              HasSubstr("500 Internal Server Error: etcd is down"));
  EXPECT_FALSE(IsExpired(internal.status()));

  // A refused watch's body is a bare Status.
  auto gone = ParseWatchEvent<Pod>(
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old","reason":"Gone","code":410})");
  EXPECT_TRUE(IsExpired(gone.status()));
}

TEST(ParseWatchEvent, RejectsBadFraming) {
  EXPECT_THAT(ErrorOf(ParseWatchEvent<Pod>(R"({"object":{}})")), HasSubstr("no type"));
  EXPECT_THAT(ErrorOf(ParseWatchEvent<Pod>(R"({"type":"ADDED"})")), HasSubstr("no object"));
  EXPECT_THAT(ErrorOf(ParseWatchEvent<Pod>(R"({"type":"ADDED","object":[]})")),
              HasSubstr("no object"));
  EXPECT_THAT(ErrorOf(ParseWatchEvent<Pod>(R"({"type":"RENAMED","object":{}})")),
              HasSubstr("unknown type \"RENAMED\""));
  EXPECT_THAT(ErrorOf(ParseWatchEvent<Pod>(R"({"type":"ADDED","object":{"metadata":{"name":1}}})")),
              HasSubstr("watch event ADDED pod: metadata.name"));
  EXPECT_THAT(ErrorOf(ParseWatchEvent<Pod>("not json")), HasSubstr("malformed JSON"));
}

TEST(ApiError, MapsCodesAndUsesTheStatusMessage) {
  Status s = ApiError(
      404, R"({"kind":"Status","message":"pods \"x\" not found","reason":"NotFound","code":404})");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "404 Not Found: pods \"x\" not found");

  s = ApiError(
      410,
      R"({"kind":"Status","message":"The provided continue parameter is too old","code":410})");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("expired"));
  EXPECT_TRUE(IsExpired(s));

  EXPECT_EQ(ApiError(403, "{}").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ApiError(401, "").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ApiError(400, "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ApiError(422, "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ApiError(413, "").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ApiError(429, "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(ApiError(503, "").code(), StatusCode::kUnavailable);
  EXPECT_FALSE(IsExpired(ApiError(403, R"({"message":"token expired"})")));
}

TEST(ApiError, QuotesNonJsonBodiesShortened) {
  Status s = ApiError(502, "<html>\r\n<body>bad gateway</body></html>");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "502 Bad Gateway: <html>  <body>bad gateway</body></html>");
  s = ApiError(500, std::string(100000, 'x'));
  EXPECT_LT(s.message().size(), 400u);
  EXPECT_EQ(ApiError(0, "").message(), "500 Internal Server Error: (no message)");
}

}  // namespace
}  // namespace kprof::kube
