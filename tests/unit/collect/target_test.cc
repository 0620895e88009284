#include "collect/target.h"

#include <gtest/gtest.h>

namespace kprof::collect {
namespace {

kube::Pod AnnotatedPod() {
  kube::Pod p;
  p.meta.name = "checkout-7d9f-abcde";
  p.meta.namespace_ = "shop";
  p.meta.uid = "uid-1";
  p.meta.labels = {
      {"app", "checkout"}, {"app.kubernetes.io/version", "1.4.2"}, {"pod-template-hash", "7d9f"}};
  p.meta.annotations = {{"kprof.io/port", "6060"}, {"kprof.io/scrape", "true"}};
  p.node_name = "node-a";
  p.phase = "Running";
  p.pod_ip = "10.0.0.7";
  kube::Container sidecar{"proxy", "envoy:1.2", {{"admin", 9901, "TCP"}}};
  kube::Container app{
      "app", "shop/checkout:1.4.2", {{"http", 8080, "TCP"}, {"pprof", 6060, "TCP"}}};
  p.containers = {sidecar, app};
  kube::ContainerStatus cs;
  cs.name = "app";
  cs.restart_count = 2;
  cs.container_id = "containerd://abc";
  p.container_statuses = {cs};
  return p;
}

TEST(TargetFromPod, KprofAnnotationsAndOwnerLabels) {
  OwnerInfo owner{"checkout-7d9f", "checkout", "3"};
  auto t = TargetFromPod(AnnotatedPod(), owner, PodDiscoveryOptions{});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE(t->has_value());
  const Target& target = **t;
  EXPECT_EQ(target.service, "checkout");
  EXPECT_EQ(target.host, "10.0.0.7");
  EXPECT_EQ(target.port, 6060);
  EXPECT_EQ(target.key, "pod/shop/checkout-7d9f-abcde:6060");
  EXPECT_EQ(target.labels.ToString(),
            "{container=\"app\", deployment=\"checkout\", image=\"shop/checkout:1.4.2\", "
            "namespace=\"shop\", node=\"node-a\", pod=\"checkout-7d9f-abcde\", "
            "pod_template_hash=\"7d9f\", replicaset=\"checkout-7d9f\", revision=\"3\", "
            "version=\"1.4.2\"}");
  EXPECT_EQ(target.kinds.size(), 6u);
  EXPECT_NE(target.instance.find("/2/"), std::string::npos) << target.instance;
  EXPECT_EQ(target.ProfilePath(ProfileKind::kCpu), "/debug/pprof/profile?seconds=10");
  EXPECT_EQ(target.ProfilePath(ProfileKind::kHeap), "/debug/pprof/heap");
}

TEST(TargetFromPod, ProfefeAnnotationsWork) {
  kube::Pod p = AnnotatedPod();
  p.meta.annotations = {{"profefe.com/enable", "true"},
                        {"profefe.com/port", "8080"},
                        {"profefe.com/service", "checkout-api"}};
  auto t = TargetFromPod(p, {}, PodDiscoveryOptions{});
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->service, "checkout-api");
  EXPECT_EQ((*t)->port, 8080);
  EXPECT_EQ((*t)->labels.Get("container"), "app");
}

TEST(TargetFromPod, TypesIntervalPathSchemeAnnotations) {
  kube::Pod p = AnnotatedPod();
  p.meta.annotations.push_back({"kprof.io/types", "heap, goroutine"});
  p.meta.annotations.push_back({"kprof.io/interval", "30s"});
  p.meta.annotations.push_back({"kprof.io/path", "/internal/pprof"});
  p.meta.annotations.push_back({"kprof.io/scheme", "https"});
  std::sort(p.meta.annotations.begin(), p.meta.annotations.end());
  auto t = TargetFromPod(p, {}, PodDiscoveryOptions{});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const Target& target = **t;
  EXPECT_EQ(target.kinds, (std::vector<ProfileKind>{ProfileKind::kHeap, ProfileKind::kGoroutine}));
  EXPECT_EQ(target.IntervalOf(ProfileKind::kHeap), std::chrono::seconds(30));
  EXPECT_EQ(target.scheme, "https");
  EXPECT_EQ(target.ProfilePath(ProfileKind::kGoroutine), "/internal/pprof/goroutine");
}

TEST(TargetFromPod, NotOptedInOrNotRunningIsNoTarget) {
  kube::Pod p = AnnotatedPod();
  p.meta.annotations = {};
  auto t = TargetFromPod(p, {}, PodDiscoveryOptions{});
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_value());
  p = AnnotatedPod();
  p.phase = "Pending";
  t = TargetFromPod(p, {}, PodDiscoveryOptions{});
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_value());
  p = AnnotatedPod();
  p.pod_ip.clear();
  EXPECT_FALSE(TargetFromPod(p, {}, PodDiscoveryOptions{})->has_value());
}

TEST(TargetFromPod, BadAnnotationsAreErrorsNamingThem) {
  for (auto [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"kprof.io/port", "http"},
                                                        {"kprof.io/types", "cpu,bogus"},
                                                        {"kprof.io/interval", "soon"},
                                                        {"kprof.io/scheme", "ftp"}}) {
    kube::Pod p = AnnotatedPod();
    for (auto& a : p.meta.annotations) {
      if (a.first == key) a.second = value;
    }
    if (!kube::FindPair(p.meta.annotations, key)) p.meta.annotations.push_back({key, value});
    std::sort(p.meta.annotations.begin(), p.meta.annotations.end());
    auto t = TargetFromPod(p, {}, PodDiscoveryOptions{});
    ASSERT_FALSE(t.ok()) << key;
    EXPECT_NE(t.status().message().find(key), std::string::npos) << t.status().message();
  }
}

TEST(TargetFromPod, CpuProfileFitsInItsInterval) {
  kube::Pod p = AnnotatedPod();
  p.meta.annotations.push_back({"kprof.io/interval", "5s"});
  std::sort(p.meta.annotations.begin(), p.meta.annotations.end());
  auto t = TargetFromPod(p, {}, PodDiscoveryOptions{});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->cpu_seconds, std::chrono::seconds(4));
}

TEST(StaticTargets, ParsesUrlsTypesLabels) {
  auto t = ParseStaticTargets(R"(
targets:
  - service: api
    url: http://127.0.0.1:6060
    labels: {env: dev}
    types: [heap, cpu]
    interval: 15s
  - service: worker
    url: https://worker.local:8443/custom/pprof/
)",
                              ScrapeDefaults{});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].host, "127.0.0.1");
  EXPECT_EQ((*t)[0].port, 6060);
  EXPECT_EQ((*t)[0].path, "/debug/pprof");
  EXPECT_EQ((*t)[0].labels.Get("env"), "dev");
  EXPECT_EQ((*t)[0].IntervalOf(ProfileKind::kCpu), std::chrono::seconds(15));
  EXPECT_EQ((*t)[1].scheme, "https");
  EXPECT_EQ((*t)[1].path, "/custom/pprof");
  EXPECT_EQ((*t)[1].port, 8443);
}

TEST(StaticTargets, ErrorsSayWhere) {
  for (const char* bad :
       {"targets: [{url: http://x:1}]", "targets: [{service: a}]",
        "targets: [{service: a, url: 'x:1'}]", "targets: [{service: a, url: 'http://x:99999'}]",
        "targets: [{service: a, url: 'http://x:1', types: [nope]}]", "targets: {",
        "nothing: here"}) {
    auto t = ParseStaticTargets(bad, ScrapeDefaults{});
    EXPECT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Kinds, ParseAndDurations) {
  EXPECT_EQ(ParseKinds("all")->size(), 7u);
  EXPECT_FALSE(ParseKinds("").ok());
  EXPECT_EQ(*ParseDurationFlag("90"), std::chrono::seconds(90));
  EXPECT_EQ(*ParseDurationFlag("1m30s"), std::chrono::seconds(90));
  EXPECT_EQ(*ParseDurationFlag("250ms"), std::chrono::milliseconds(250));
  EXPECT_FALSE(ParseDurationFlag("ten").ok());
}

}  // namespace
}  // namespace kprof::collect
