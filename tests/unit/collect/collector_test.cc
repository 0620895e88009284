// The collector against a local HTTP server that serves real Go profiles.
#include "collect/collector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "net/router.h"
#include "net/server.h"
#include "pprof/decode.h"
#include "unit/pprof/testdata.h"

namespace kprof::collect {
namespace {

using namespace std::chrono_literals;
using pprof::testutil::ReadTestdata;

// Serves /debug/pprof/* from the captured profiles; allocs alternates between two
// snapshots of one process so deltas have something to subtract.
class FakeTargets {
 public:
  // With `cert`/`key`: HTTPS; with `token`: every request needs "Authorization: Bearer
  // TOKEN" (as behind kube-rbac-proxy), else 401.
  explicit FakeTargets(std::string cert = "", std::string key = "", std::string token = "")
      : token_(std::move(token)) {
    heap_ = ReadTestdata("heap-a.pb.gz");
    allocs_ = {ReadTestdata("allocs-a.pb.gz"), ReadTestdata("allocs-a2.pb.gz")};
    cpu_ = ReadTestdata("cpu-a.pb.gz");
    goroutine_ = ReadTestdata("goroutine-a.pb.gz");
    auto router = std::make_shared<net::Router>();
    router->Add(
        "GET", "/debug/pprof/{type}", [this](net::Request& r) { return Serve(r); }, "");
    router->Add(
        "GET", "/slow/debug/pprof/{type}", [this](net::Request& r) { return Slow(r); }, "");
    net::ServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.worker_threads = 48;
    o.tls_cert_file = cert;
    o.tls_key_file = key;
    server_ = std::move(net::HttpServer::Start(o, router)).value();
  }
  ~FakeTargets() { server_->Stop(); }
  int port() const { return server_->port(); }
  int Count(const std::string& type) {
    std::lock_guard<std::mutex> l(mu_);
    return counts_[type];
  }
  int peak() const { return peak_.load(); }
  std::atomic<int> slow_ms{300};

 private:
  net::Response Bytes(const std::string& b) {
    net::Response r;
    r.content_type = "application/octet-stream";
    r.body = b;
    return r;
  }
  net::Response Serve(net::Request& r) {
    if (!token_.empty() && r.Header("authorization") != "Bearer " + token_) {
      std::lock_guard<std::mutex> l(mu_);
      ++counts_["unauthorized"];
      return net::JsonError(401, "Unauthorized");
    }
    std::string type = r.params["type"];
    int n;
    {
      std::lock_guard<std::mutex> l(mu_);
      n = counts_[type]++;
    }
    if (type == "heap") return Bytes(heap_);
    if (type == "allocs") return Bytes(allocs_[n % 2]);
    if (type == "profile") return Bytes(cpu_);
    if (type == "goroutine") return Bytes(goroutine_);
    if (type == "block") return Bytes("this is not a profile");
    return net::JsonError(404, "no such profile");
  }
  net::Response Slow(net::Request& r) {
    int now = ++inflight_;
    int p = peak_.load();
    while (now > p && !peak_.compare_exchange_weak(p, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms.load()));
    --inflight_;
    return Serve(r);
  }

  std::string token_;
  std::string heap_, cpu_, goroutine_;
  std::vector<std::string> allocs_;
  std::unique_ptr<net::HttpServer> server_;
  std::mutex mu_;
  std::map<std::string, int> counts_;
  std::atomic<int> inflight_{0}, peak_{0};
};

Target MakeTarget(const std::string& name, int port, std::vector<ProfileKind> kinds,
                  std::chrono::milliseconds interval, std::string path = "/debug/pprof") {
  Target t;
  t.key = "static/" + name;
  t.service = "svc-" + name;
  t.labels.Set("instance", name);
  t.host = "127.0.0.1";
  t.port = port;
  t.path = std::move(path);
  t.kinds = std::move(kinds);
  for (ProfileKind k : t.kinds) t.intervals[k] = interval;
  t.cpu_seconds = 1s;
  t.instance = name + "/0";
  return t;
}

template <typename F>
bool WaitFor(F f, std::chrono::milliseconds limit = 15s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return f();
}

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("kprof-collector-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    spool_ = std::move(Spool::Open({dir_})).value();
    http_ = std::move(net::HttpClient::Create()).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<Envelope> Drain() {
    std::vector<Envelope> out;
    while (auto e = spool_->Next(0ms)) {
      out.push_back(e->envelope);
      spool_->Remove(e->seq);
    }
    return out;
  }

  std::string dir_;
  std::unique_ptr<Spool> spool_;
  std::shared_ptr<net::HttpClient> http_;
  metrics::Registry registry_;
};

TEST_F(CollectorTest, ScrapesOnTheIntervalAndSpoolsLabelledProfiles) {
  FakeTargets targets;
  Collector c(CollectorOptions{}, http_, nullptr, spool_.get(), &registry_);
  c.Start();
  c.Upsert(MakeTarget("a", targets.port(), {ProfileKind::kHeap, ProfileKind::kCpu}, 1000ms));
  ASSERT_TRUE(WaitFor([&] { return targets.Count("heap") >= 3 && targets.Count("profile") >= 2; }));
  c.Stop();
  auto got = Drain();
  ASSERT_GE(got.size(), 4u);
  int heap = 0;
  for (const Envelope& e : got) {
    EXPECT_EQ(e.service, "svc-a");
    EXPECT_EQ(e.labels.Get("instance"), "a");
    auto p = pprof::DecodeProfile(e.profile);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    heap += e.type == "heap";
  }
  // heap is cumulative in its alloc_* values: the first scrape is the baseline.
  EXPECT_EQ(heap, targets.Count("heap") - 1);
  CollectorStats s = c.stats();
  EXPECT_GE(s.baselines, 1u);
  EXPECT_EQ(s.failures, 0u);
}

TEST_F(CollectorTest, CumulativeProfilesBecomeDeltas) {
  FakeTargets targets;
  Collector c(CollectorOptions{}, http_, nullptr, spool_.get(), &registry_);
  c.Start();
  c.Upsert(MakeTarget("a", targets.port(), {ProfileKind::kAllocs}, 1000ms));
  ASSERT_TRUE(WaitFor([&] { return c.stats().spooled >= 1; }));
  c.Stop();
  auto got = Drain();
  ASSERT_GE(got.size(), 1u);
  // allocs-a → allocs-a2 of one process: the delta's alloc_space total is the difference
  // of the two snapshots' totals.
  auto a = pprof::DecodeProfile(ReadTestdata("allocs-a.pb.gz"));
  auto a2 = pprof::DecodeProfile(ReadTestdata("allocs-a2.pb.gz"));
  auto d = pprof::DecodeProfile(got.front().profile);
  ASSERT_TRUE(a.ok() && a2.ok() && d.ok());
  auto total = [](const pprof::Profile& p, size_t index) {
    int64_t sum = 0;
    for (size_t i = 0; i < p.samples.size(); ++i) sum += p.ValuesOf(i)[index];
    return sum;
  };
  size_t alloc_space = 1;  // alloc_objects, alloc_space, inuse_objects, inuse_space
  EXPECT_EQ(total(*d, alloc_space), total(*a2, alloc_space) - total(*a, alloc_space));
  EXPECT_LT(total(*d, alloc_space), total(*a2, alloc_space));
}

TEST_F(CollectorTest, NewInstanceStartsANewBaseline) {
  FakeTargets targets;
  Collector c(CollectorOptions{}, http_, nullptr, spool_.get(), &registry_);
  c.Start();
  Target t = MakeTarget("a", targets.port(), {ProfileKind::kAllocs}, 1000ms);
  c.Upsert(t);
  ASSERT_TRUE(WaitFor([&] { return c.stats().baselines >= 1; }));
  t.instance = "a/1";  // the container restarted
  c.Upsert(t);
  ASSERT_TRUE(WaitFor([&] { return c.stats().resets >= 1 && c.stats().baselines >= 2; }));
  c.Stop();
}

TEST_F(CollectorTest, ConcurrencyLimitHoldsAndLagIsMeasured) {
  FakeTargets targets;
  CollectorOptions o;
  o.max_concurrent = 3;
  Collector c(o, http_, nullptr, spool_.get(), &registry_);
  c.Start();
  for (int i = 0; i < 12; ++i) {
    c.Upsert(MakeTarget("t" + std::to_string(i), targets.port(), {ProfileKind::kGoroutine}, 1000ms,
                        "/slow/debug/pprof"));
  }
  ASSERT_TRUE(WaitFor([&] { return targets.Count("goroutine") >= 24; }, 30s));
  c.Stop();
  EXPECT_LE(targets.peak(), 3);
  EXPECT_GE(targets.peak(), 2);
  // 12 scrapes of 300 ms through 3 slots cannot all start on time.
  EXPECT_GT(c.stats().lag.max, 0.2);
  EXPECT_NE(registry_.Render().find("kprof_agent_scrape_lag_seconds_bucket"), std::string::npos);
}

TEST_F(CollectorTest, FailuresAreCountedByReason) {
  FakeTargets targets;
  CollectorOptions o;
  o.timeout = 200ms;
  Collector c(o, http_, nullptr, spool_.get(), &registry_);
  c.Start();
  c.Upsert(MakeTarget("notfound", targets.port(), {ProfileKind::kThreadcreate}, 1000ms));
  c.Upsert(MakeTarget("garbage", targets.port(), {ProfileKind::kBlock}, 1000ms));
  c.Upsert(
      MakeTarget("slow", targets.port(), {ProfileKind::kGoroutine}, 1000ms, "/slow/debug/pprof"));
  // A port nothing listens on: bind one, then close it.
  int dead_port;
  {
    net::ServerOptions so;
    so.port = 0;
    auto s = net::HttpServer::Start(so, std::make_shared<net::Router>());
    dead_port = (*s)->port();
    (*s)->Stop();
  }
  c.Upsert(MakeTarget("dead", dead_port, {ProfileKind::kHeap}, 1000ms));
  auto has = [&](const std::string& reason, const std::string& type) {
    std::string text = registry_.Render();
    return text.find("kprof_agent_scrape_failures_total{reason=\"" + reason + "\",type=\"" + type +
                     "\"}") != std::string::npos;
  };
  ASSERT_TRUE(WaitFor([&] {
    return has("http_4xx", "threadcreate") && has("invalid_profile", "block") &&
           has("timeout", "goroutine") && has("connect", "heap");
  })) << registry_.Render();
  c.Stop();
  EXPECT_EQ(c.stats().spooled, 0u);
}

TEST_F(CollectorTest, RemovedTargetsStopBeingScraped) {
  FakeTargets targets;
  Collector c(CollectorOptions{}, http_, nullptr, spool_.get(), &registry_);
  c.Start();
  c.Upsert(MakeTarget("a", targets.port(), {ProfileKind::kGoroutine}, 1000ms));
  ASSERT_TRUE(WaitFor([&] { return targets.Count("goroutine") >= 1; }));
  c.Remove("static/a");
  EXPECT_EQ(c.Targets().size(), 0u);
  int after = targets.Count("goroutine");
  // Two more intervals pass with the target gone: at most one scrape was already running.
  auto until = std::chrono::steady_clock::now() + 2500ms;
  WaitFor([&] { return std::chrono::steady_clock::now() >= until; }, 3s);
  EXPECT_LE(targets.Count("goroutine"), after + 1);
  c.Stop();
}

TEST_F(CollectorTest, TargetsBehindTlsAndABearerToken) {
  std::string cert = dir_ + "-cert.pem", key = dir_ + "-key.pem", token_file = dir_ + "-token";
  std::string gen =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout '" +
      key + "' -out '" + cert + "' 2>/dev/null";
  ASSERT_EQ(std::system(gen.c_str()), 0);
  std::ofstream(token_file) << "s3cret-token\n";
  FakeTargets targets(cert, key, "s3cret-token");
  CollectorOptions o;
  o.target_tls.ca_file = cert;
  o.target_token_file = token_file;
  Collector c(o, http_, nullptr, spool_.get(), &registry_);
  c.Start();
  Target t = MakeTarget("tls", targets.port(), {ProfileKind::kGoroutine}, 1000ms);
  t.scheme = "https";
  c.Upsert(t);
  ASSERT_TRUE(WaitFor([&] { return c.stats().spooled >= 2; })) << registry_.Render();
  EXPECT_EQ(targets.Count("unauthorized"), 0);
  c.Stop();

  // Without the token the target refuses (and that is counted); without the CA, TLS fails.
  metrics::Registry r2;
  CollectorOptions no_token;
  no_token.target_tls.ca_file = cert;
  Collector c2(no_token, http_, nullptr, spool_.get(), &r2);
  c2.Start();
  c2.Upsert(t);
  ASSERT_TRUE(WaitFor([&] { return targets.Count("unauthorized") >= 1; }));
  c2.Stop();
  EXPECT_NE(r2.Render().find("reason=\"http_4xx\""), std::string::npos);
  metrics::Registry r3;
  CollectorOptions no_ca;
  no_ca.target_token_file = token_file;
  Collector c3(no_ca, http_, nullptr, spool_.get(), &r3);
  c3.Start();
  c3.Upsert(t);
  ASSERT_TRUE(WaitFor([&] { return r3.Render().find("reason=\"tls\"") != std::string::npos; }))
      << r3.Render();
  c3.Stop();
  std::filesystem::remove(cert);
  std::filesystem::remove(key);
  std::filesystem::remove(token_file);
}

}  // namespace
}  // namespace kprof::collect
