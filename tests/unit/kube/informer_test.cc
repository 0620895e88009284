// Informers against a scripted API server: which requests they make (resume from the
// last version, relist on 410 or an empty close) and which handler calls they make.
#include "kube/informer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "support/wait.h"
#include "unit/net/scripted_server.h"

namespace kprof::kube {
namespace {

using namespace std::chrono_literals;
using net::testing::Chunk;
using net::testing::PlainResponse;
using net::testing::ScriptedConnection;
using net::testing::ScriptedServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::string Target(const std::string& request) {
  std::size_t a = request.find(' ');
  std::size_t b = request.find(' ', a + 1);
  return request.substr(a + 1, b - a - 1);
}

std::string Param(const std::string& target, const std::string& name) {
  std::size_t at = target.find(name + "=");
  if (at == std::string::npos) return "";
  at += name.size() + 1;
  return target.substr(at, target.find('&', at) - at);
}

struct P {
  std::string name, uid, rv;
};

std::string PodJson(const P& p) {
  return R"({"metadata":{"name":")" + p.name + R"(","namespace":"ns","uid":")" + p.uid +
         R"(","resourceVersion":")" + p.rv + R"("},"status":{"phase":"Running"}})";
}

std::string ListBody(const std::vector<P>& pods, std::string_view rv) {
  std::string items;
  for (const P& p : pods) items += (items.empty() ? "" : ",") + PodJson(p);
  return R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":")" +
         std::string(rv) + R"("},"items":[)" + items + "]}";
}

std::string Event(std::string_view type, const P& p) {
  return R"({"type":")" + std::string(type) + R"(","object":)" + PodJson(p) + "}\n";
}

std::string Bookmark(std::string_view rv) {
  return R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":")" +
         std::string(rv) + R"("}}})" + "\n";
}

const char* kStreamHead =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

// A scripted API server for pods: list and watch responses chosen by the test per call.
class FakeApi {
 public:
  using Script = std::function<void(ScriptedConnection&, int call, const std::string& target)>;

  FakeApi(Script list, Script watch)
      : list_(std::move(list)),
        watch_(std::move(watch)),
        server_([this](ScriptedConnection& c) { Serve(c); }) {}

  std::unique_ptr<Client> NewClient() {
    RestConfig config;
    config.server = "http://127.0.0.1:" + std::to_string(server_.port());
    auto client = Client::Create(config, nullptr);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }

  std::vector<std::string> Watches() {
    std::lock_guard lock(mu_);
    return watch_targets_;
  }
  int lists() const { return lists_.load(); }

 private:
  void Serve(ScriptedConnection& c) {
    std::string target = Target(c.request());
    if (target.find("watch=1") != std::string::npos) {
      int call;
      {
        std::lock_guard lock(mu_);
        call = static_cast<int>(watch_targets_.size());
        watch_targets_.push_back(target);
      }
      watch_(c, call, target);
    } else {
      list_(c, lists_++, target);
    }
  }

  Script list_, watch_;
  std::mutex mu_;
  std::vector<std::string> watch_targets_;
  std::atomic<int> lists_{0};
  ScriptedServer server_;  // last: destroyed (joined) first
};

// Handler calls as text ("add a 1", "update a 1->2", "delete a 2"), in order.
class Recorder {
 public:
  InformerHandlers<Pod> Handlers() {
    return {
        [this](const Pod& p) { Note("add " + p.meta.name + " " + p.meta.resource_version); },
        [this](const Pod& a, const Pod& b) {
          Note("update " + a.meta.name + " " + a.meta.resource_version + "->" +
               b.meta.resource_version);
        },
        [this](const Pod& p) { Note("delete " + p.meta.name + " " + p.meta.resource_version); }};
  }
  std::vector<std::string> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  bool WaitForCalls(std::size_t n, std::chrono::milliseconds limit = 5s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (calls().size() >= n) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  void Clear() {
    std::lock_guard lock(mu_);
    calls_.clear();
  }

 private:
  void Note(std::string s) {
    std::lock_guard lock(mu_);
    calls_.push_back(std::move(s));
  }
  std::mutex mu_;
  std::vector<std::string> calls_;
};

template <typename F>
bool WaitUntil(F f, std::chrono::milliseconds limit = 5s) {
  return testing_support::WaitUntil(f, limit, 10ms);
}

void Hang(ScriptedConnection& c) {
  c.Send(kStreamHead);
  c.Sleep(60s);
}

TEST(Informer, ListsThenResumesWatchesFromTheLastVersion) {
  FakeApi api(
      [](ScriptedConnection& c, int, const std::string&) {
        c.Send(PlainResponse(200, ListBody({{"a", "ua", "1"}, {"b", "ub", "2"}}, "100")));
      },
      [](ScriptedConnection& c, int call, const std::string&) {
        if (call == 0) {
          c.Send(kStreamHead);
          c.Send(Chunk(Event("ADDED", {"c", "uc", "101"}) + Bookmark("150")));
          c.Send(Chunk(""));
        } else if (call == 1) {
          c.Send(kStreamHead);
          c.Send(Chunk(Event("MODIFIED", {"a", "ua", "151"})));
          c.Sleep(2s);  // then the server closes the stream
          c.Send(Chunk(""));
        } else {
          Hang(c);
        }
      });
  auto client = api.NewClient();
  Recorder rec;
  Informer<Pod> informer(*client, Resource::kPods, {}, rec.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(5s));
  ASSERT_TRUE(WaitUntil([&] { return api.Watches().size() >= 3; }));
  EXPECT_THAT(rec.calls(), ElementsAre("add a 1", "add b 2", "add c 101", "update a 1->151"));
  std::vector<std::string> watches = api.Watches();
  EXPECT_EQ(Param(watches[0], "resourceVersion"), "100");
  EXPECT_EQ(Param(watches[1], "resourceVersion"), "150");  // the bookmark's
  EXPECT_EQ(Param(watches[2], "resourceVersion"), "151");
  EXPECT_EQ(Param(watches[0], "allowWatchBookmarks"), "true");
  EXPECT_EQ(api.lists(), 1);
  EXPECT_EQ(informer.size(), 3u);
  EXPECT_EQ(informer.last_resource_version(), "151");
  std::optional<Pod> a = informer.Get("ns", "a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->meta.resource_version, "151");
  EXPECT_FALSE(informer.Get("ns", "zzz").has_value());
  InformerStats stats = informer.stats();
  EXPECT_EQ(stats.lists, 1u);
  EXPECT_EQ(stats.events, 2u);
  EXPECT_EQ(stats.expired, 0u);
  informer.Stop();
}

TEST(Informer, RelistAfterExpiryEmitsOnlyTheDifferences) {
  FakeApi api(
      [](ScriptedConnection& c, int call, const std::string&) {
        if (call == 0) {
          c.Send(PlainResponse(
              200,
              ListBody({{"a", "ua", "1"}, {"b", "ub", "2"}, {"c", "uc", "3"}, {"e", "ue1", "4"}},
                       "10")));
        } else {
          // a unchanged, b changed, c gone, d new, e deleted and created again.
          c.Send(PlainResponse(
              200,
              ListBody({{"a", "ua", "1"}, {"b", "ub", "25"}, {"d", "ud", "26"}, {"e", "ue2", "27"}},
                       "30")));
        }
      },
      [](ScriptedConnection& c, int call, const std::string&) {
        if (call > 0) return Hang(c);
        c.Send(kStreamHead);
        c.Send(Chunk(R"json({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1",)json"
                     R"json("status":"Failure","message":"too old resource version: 10 (20)",)json"
                     R"json("reason":"Expired","code":410}})json"
                     "\n"));
        c.Send(Chunk(""));
      });
  auto client = api.NewClient();
  Recorder rec;
  Informer<Pod> informer(*client, Resource::kPods, {}, rec.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(5s));
  ASSERT_TRUE(WaitUntil([&] { return api.Watches().size() >= 2; }));
  std::vector<std::string> calls = rec.calls();
  ASSERT_GE(calls.size(), 4u);
  EXPECT_THAT(std::vector<std::string>(calls.begin(), calls.begin() + 4),
              UnorderedElementsAre("add a 1", "add b 2", "add c 3", "add e 4"));
  std::vector<std::string> relist(calls.begin() + 4, calls.end());
  EXPECT_THAT(relist, UnorderedElementsAre("update b 2->25", "add d 26", "delete c 3", "delete e 4",
                                           "add e 27"));
  // The replaced object's delete comes before its add.
  auto del = std::find(relist.begin(), relist.end(), "delete e 4");
  auto add = std::find(relist.begin(), relist.end(), "add e 27");
  EXPECT_LT(del, add);
  EXPECT_EQ(Param(api.Watches()[1], "resourceVersion"), "30");
  InformerStats stats = informer.stats();
  EXPECT_EQ(stats.lists, 2u);
  EXPECT_EQ(stats.expired, 1u);
  EXPECT_EQ(informer.size(), 4u);
}

TEST(Informer, AnImmediateEmptyCloseLeadsToARelist) {
  FakeApi api(
      [](ScriptedConnection& c, int, const std::string&) {
        c.Send(PlainResponse(200, ListBody({{"a", "ua", "1"}}, "10")));
      },
      [](ScriptedConnection& c, int call, const std::string&) {
        if (call == 0) {
          c.Send(kStreamHead);
          c.Send(Chunk(""));
        } else {
          Hang(c);
        }
      });
  auto client = api.NewClient();
  Recorder rec;
  Informer<Pod> informer(*client, Resource::kPods, {}, rec.Handlers());
  informer.Start();
  ASSERT_TRUE(WaitUntil([&] { return api.Watches().size() >= 2; }));
  EXPECT_EQ(api.lists(), 2);
  EXPECT_THAT(rec.calls(), ElementsAre("add a 1"));  // the relist found nothing new
}

TEST(Informer, WatchEventsApplyToTheCache) {
  FakeApi api(
      [](ScriptedConnection& c, int, const std::string&) {
        c.Send(PlainResponse(200, ListBody({{"a", "ua", "1"}, {"b", "ub", "2"}}, "10")));
      },
      [](ScriptedConnection& c, int call, const std::string&) {
        if (call > 0) return Hang(c);
        c.Send(kStreamHead);
        c.Send(Chunk(Event("DELETED", {"zzz", "uz", "11"}) +  // unknown: ignored
                     Event("MODIFIED", {"n", "un", "12"}) +   // unknown: an add
                     Event("MODIFIED", {"a", "ua", "1"}) +    // same version: no call
                     Event("ADDED", {"b", "ub2", "13"}) +     // another uid: delete + add
                     Event("DELETED", {"a", "ua", "14"})));   // the final state is reported
        c.Sleep(60s);
      });
  auto client = api.NewClient();
  Recorder rec;
  Informer<Pod> informer(*client, Resource::kPods, {}, rec.Handlers());
  informer.Start();
  ASSERT_TRUE(rec.WaitForCalls(6));
  std::this_thread::sleep_for(100ms);
  EXPECT_THAT(rec.calls(), ElementsAre("add a 1", "add b 2", "add n 12", "delete b 2", "add b 13",
                                       "delete a 14"));
  std::vector<Pod> pods = informer.List();
  std::vector<std::string> names;
  for (const Pod& p : pods) names.push_back(p.meta.name + "/" + p.meta.uid);
  EXPECT_THAT(names, UnorderedElementsAre("n/un", "b/ub2"));
  EXPECT_EQ(informer.last_resource_version(), "14");
}

TEST(Informer, RetriesFailedListsWithBackoff) {
  FakeApi api(
      [](ScriptedConnection& c, int call, const std::string&) {
        if (call < 2) {
          c.Send(PlainResponse(500, R"({"kind":"Status","code":500,"message":"etcd down"})"));
        } else {
          c.Send(PlainResponse(200, ListBody({{"a", "ua", "1"}}, "10")));
        }
      },
      [](ScriptedConnection& c, int, const std::string&) { Hang(c); });
  auto client = api.NewClient();
  Recorder rec;
  Informer<Pod> informer(*client, Resource::kPods, {}, rec.Handlers());
  auto start = std::chrono::steady_clock::now();
  informer.Start();
  EXPECT_FALSE(informer.synced());
  ASSERT_TRUE(informer.WaitForSync(10s));
  auto took = std::chrono::steady_clock::now() - start;
  // Two pauses: 100–200 ms, then 200–400 ms.
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(informer.stats().errors, 2u);
  EXPECT_EQ(api.lists(), 3);
}

TEST(Informer, StopInterruptsAWatchPromptly) {
  FakeApi api(
      [](ScriptedConnection& c, int, const std::string&) {
        c.Send(PlainResponse(200, ListBody({{"a", "ua", "1"}}, "10")));
      },
      [](ScriptedConnection& c, int, const std::string&) { Hang(c); });
  auto client = api.NewClient();
  Recorder rec;
  Informer<Pod> informer(*client, Resource::kPods, {}, rec.Handlers());
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(5s));
  ASSERT_TRUE(WaitUntil([&] { return api.Watches().size() == 1; }));
  auto start = std::chrono::steady_clock::now();
  informer.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  EXPECT_EQ(client->http()->active(), 0u);
  informer.Stop();  // twice is fine
}

TEST(Informer, StopDuringBackoffAndBeforeStart) {
  FakeApi api(
      [](ScriptedConnection& c, int, const std::string&) { c.Send(PlainResponse(503, "down")); },
      [](ScriptedConnection& c, int, const std::string&) { Hang(c); });
  auto client = api.NewClient();
  {
    Informer<Pod> never_started(*client, Resource::kPods, {}, {});
    never_started.Stop();
    EXPECT_FALSE(never_started.WaitForSync(10ms));
  }
  Informer<Pod> informer(*client, Resource::kPods, {}, {});
  informer.Start();
  ASSERT_TRUE(WaitUntil([&] { return api.lists() >= 3; }, 10s));
  auto start = std::chrono::steady_clock::now();
  informer.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
  EXPECT_FALSE(informer.synced());
}

TEST(Informer, HandlersMayReadTheInformer) {
  FakeApi api(
      [](ScriptedConnection& c, int, const std::string&) {
        c.Send(PlainResponse(200, ListBody({{"a", "ua", "1"}, {"b", "ub", "2"}}, "10")));
      },
      [](ScriptedConnection& c, int, const std::string&) { Hang(c); });
  auto client = api.NewClient();
  std::unique_ptr<Informer<Pod>> informer;
  std::atomic<int> seen{0};
  InformerHandlers<Pod> handlers;
  handlers.on_add = [&](const Pod& p) {
    if (informer->Get("ns", p.meta.name).has_value() && informer->List().size() == 2) ++seen;
  };
  informer = std::make_unique<Informer<Pod>>(*client, Resource::kPods, ListOptions{}, handlers);
  informer->Start();
  ASSERT_TRUE(informer->WaitForSync(5s));
  EXPECT_EQ(seen.load(), 2);  // handlers ran, and before WaitForSync returned
}

}  // namespace
}  // namespace kprof::kube
