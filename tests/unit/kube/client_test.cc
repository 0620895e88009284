// The Kubernetes client against scripted local HTTP servers: authentication, API errors,
// paging, and watch streams cut at awkward places.
#include "kube/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "unit/net/scripted_server.h"

namespace kprof::kube {
namespace {

using namespace std::chrono_literals;
using net::testing::Chunk;
using net::testing::PlainResponse;
using net::testing::ScriptedConnection;
using net::testing::ScriptedServer;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The request target ("/api/v1/pods?limit=2") of a raw request.
std::string Target(const std::string& request) {
  std::size_t a = request.find(' ');
  std::size_t b = request.find(' ', a + 1);
  return request.substr(a + 1, b - a - 1);
}

std::string HeaderValue(const std::string& request, std::string_view name) {
  std::string lower = request;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::size_t at = lower.find("\r\n" + std::string(name) + ":");
  if (at == std::string::npos) return "";
  at += name.size() + 3;
  std::size_t end = request.find("\r\n", at);
  std::string v = request.substr(at, end - at);
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  return v;
}

const char* kChunkedHead =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";

std::string PodEvent(std::string_view type, std::string_view name, std::string_view rv) {
  return R"({"type":")" + std::string(type) + R"(","object":{"kind":"Pod","apiVersion":"v1",)" +
         R"("metadata":{"name":")" + std::string(name) + R"(","namespace":"shop","uid":"u-)" +
         std::string(name) + R"(","resourceVersion":")" + std::string(rv) +
         R"("},"spec":{"nodeName":"n1"},"status":{"phase":"Running"}}})" + "\n";
}

std::string StatusBody(int code, std::string_view reason, std::string_view message) {
  return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":")" +
         std::string(message) + R"(","reason":")" + std::string(reason) + R"(","code":)" +
         std::to_string(code) + "}";
}

class ClientTest : public ::testing::Test {
 protected:
  // A client for `server` with a static bearer token.
  std::unique_ptr<Client> ClientFor(const ScriptedServer& server, std::string token = "t0k3n") {
    RestConfig config;
    config.server = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
    config.token = std::move(token);
    auto http = net::HttpClient::Create();
    EXPECT_TRUE(http.ok());
    auto client = Client::Create(std::move(config), std::move(*http));
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // Records every request a handler sees.
  void Record(const ScriptedConnection& c) {
    std::lock_guard lock(mu_);
    requests_.push_back(c.request());
  }
  std::vector<std::string> Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

  std::mutex mu_;
  std::vector<std::string> requests_;
};

TEST(ResourceName, NamesResourcesAsKubectlDoes) {
  EXPECT_EQ(ResourceName(Resource::kPods), "pods");
  EXPECT_EQ(ResourceName(Resource::kNodes), "nodes");
  EXPECT_EQ(ResourceName(Resource::kNamespaces), "namespaces");
  EXPECT_EQ(ResourceName(Resource::kDeployments), "deployments");
  EXPECT_EQ(ResourceName(Resource::kReplicaSets), "replicasets");
  EXPECT_EQ(ResourceName(Resource::kEvents), "events");
  EXPECT_EQ(ResourceName(Resource::kEventsV1), "events.events.k8s.io");
}

TEST(ProxyPath, BuildsPodAndNodeProxyPaths) {
  EXPECT_EQ(Client::PodProxyPath("shop", "web-0", 6060, "/debug/pprof/heap"),
            "/api/v1/namespaces/shop/pods/web-0:6060/proxy/debug/pprof/heap");
  EXPECT_EQ(Client::PodProxyPath("shop", "web-0", 0, "debug/pprof/profile?seconds=30"),
            "/api/v1/namespaces/shop/pods/web-0/proxy/debug/pprof/profile?seconds=30");
  EXPECT_EQ(Client::PodProxyPath("shop", "web-0", 8443, "metrics", "https"),
            "/api/v1/namespaces/shop/pods/https:web-0:8443/proxy/metrics");
  EXPECT_EQ(Client::NodeProxyPath("worker-3", "/stats/summary"),
            "/api/v1/nodes/worker-3/proxy/stats/summary");
}

TEST(ProxyPath, PercentEncodesSegments) {
  EXPECT_EQ(Client::PodProxyPath("a b", "x/y", 1, "/p q/r#s?x=1 2"),
            "/api/v1/namespaces/a%20b/pods/x%2Fy:1/proxy/p%20q/r%23s?x=1 2");
  EXPECT_EQ(Client::NodeProxyPath("n?1", "a%b"), "/api/v1/nodes/n%3F1/proxy/a%25b");
}

TEST_F(ClientTest, GetRawSendsTokenAndReturnsTheBody) {
  ScriptedServer server([&](ScriptedConnection& c) {
    Record(c);
    c.Send(PlainResponse(200, R"({"kind":"PodList"})"));
  });
  auto client = ClientFor(server);
  ASSERT_NE(client, nullptr);
  EXPECT_NE(client->config().server.back(), '/');
  Result<std::string> body = client->GetRaw("/api/v1/pods?limit=1", 5s);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, R"({"kind":"PodList"})");
  std::vector<std::string> seen = Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(Target(seen[0]), "/api/v1/pods?limit=1");
  EXPECT_EQ(HeaderValue(seen[0], "authorization"), "Bearer t0k3n");
  EXPECT_EQ(HeaderValue(seen[0], "accept"), "application/json");
}

TEST_F(ClientTest, AuthorizeMakesTheUrlAbsolute) {
  ScriptedServer server([](ScriptedConnection&) {});
  auto client = ClientFor(server);
  net::ClientRequest request;
  request.url = "/api/v1/namespaces/a/pods/b/proxy/debug/pprof/heap";
  Result<net::ClientRequest> authorized = client->Authorize(std::move(request));
  ASSERT_TRUE(authorized.ok()) << authorized.status().ToString();
  EXPECT_EQ(authorized->url, "http://127.0.0.1:" + std::to_string(server.port()) +
                                 "/api/v1/namespaces/a/pods/b/proxy/debug/pprof/heap");
  ASSERT_EQ(authorized->headers.size(), 1u);
  EXPECT_EQ(authorized->headers[0].second, "Bearer t0k3n");
}

TEST_F(ClientTest, RetriesOnceAfter401) {
  std::atomic<int> calls{0};
  ScriptedServer server([&](ScriptedConnection& c) {
    Record(c);
    if (calls++ == 0) {
      c.Send(PlainResponse(401, StatusBody(401, "Unauthorized", "Unauthorized")));
    } else {
      c.Send(PlainResponse(200, "{}"));
    }
  });
  auto client = ClientFor(server);
  Result<std::string> body = client->GetRaw("/api/v1/nodes", 5s);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(ClientTest, A401ThatPersistsIsAnError) {
  ScriptedServer server([&](ScriptedConnection& c) {
    Record(c);
    c.Send(PlainResponse(401, StatusBody(401, "Unauthorized", "Unauthorized")));
  });
  auto client = ClientFor(server);
  Result<std::string> body = client->GetRaw("/api/v1/nodes", 5s);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(body.status().message(), "GET /api/v1/nodes: 401 Unauthorized: Unauthorized");
  EXPECT_EQ(Requests().size(), 2u);
}

TEST_F(ClientTest, MapsApiErrors) {
  ScriptedServer server([&](ScriptedConnection& c) {
    std::string target = Target(c.request());
    if (target.find("/missing") != std::string::npos) {
      c.Send(PlainResponse(404, StatusBody(404, "NotFound", R"(pods \"missing\" not found)")));
    } else if (target.find("continue=") != std::string::npos) {
      c.Send(PlainResponse(
          410, StatusBody(410, "Expired", "The provided continue parameter is too old")));
    } else if (target.find("/apis/apps") != std::string::npos) {
      c.Send(PlainResponse(403, StatusBody(403, "Forbidden", "deployments.apps is forbidden")));
    } else if (target.find("/proxy/") != std::string::npos) {
      c.Send(PlainResponse(403, StatusBody(403, "Forbidden", "pods \\\"web-0\\\" is forbidden")));
    } else {
      c.Send(PlainResponse(503, "<html>upstream down</html>"));
    }
  });
  auto client = ClientFor(server);

  Status s = client->GetRaw("/api/v1/namespaces/shop/pods/missing", 5s).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            R"(GET /api/v1/namespaces/shop/pods/missing: 404 Not Found: pods "missing" not found)");

  s = client->GetRaw("/api/v1/pods?limit=5&continue=abc", 5s).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("expired"));
  EXPECT_TRUE(IsExpired(s));

  s = client->GetRaw("/apis/apps/v1/namespaces/shop/deployments?limit=500", 5s).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "GET /apis/apps/v1/namespaces/shop/deployments: 403 Forbidden: deployments.apps is "
            "forbidden (needs RBAC permission to list \"deployments.apps\" in namespace \"shop\")");

  s = client->GetRaw(Client::PodProxyPath("shop", "web-0", 6060, "debug/pprof/heap"), 5s).status();
  EXPECT_THAT(s.message(),
              HasSubstr("needs RBAC permission to get \"pods/proxy\" in namespace \"shop\""));

  s = client->GetRaw("/api/v1/nodes", 5s).status();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "GET /api/v1/nodes: 503 Service Unavailable: <html>upstream down</html>");
}

TEST_F(ClientTest, UnreachableServerIsUnavailable) {
  std::uint16_t port;
  {
    ScriptedServer gone([](ScriptedConnection&) {});
    port = gone.port();
  }
  RestConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(port);
  auto client = Client::Create(config, nullptr);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  Status s = (*client)->GetRaw("/api/v1/pods", 5s).status();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
}

TEST(ClientCreate, RejectsAServerThatIsNotAUrl) {
  RestConfig config;
  config.server = "127.0.0.1:6443";
  auto client = Client::Create(config, nullptr);
  ASSERT_FALSE(client.ok());
  EXPECT_THAT(client.status().message(), HasSubstr("not an http:// or https:// URL"));
}

// Pages of two pods: p0 p1 | p2 p3 | p4.
std::string PodPage(int first, int count, std::string_view continue_token) {
  std::string items;
  for (int i = first; i < first + count; ++i) {
    if (!items.empty()) items += ",";
    items += R"({"metadata":{"name":"p)" + std::to_string(i) + R"(","namespace":"shop","uid":"u)" +
             std::to_string(i) + R"(","resourceVersion":")" + std::to_string(100 + i) + R"("}})";
  }
  return R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"500","continue":")" +
         std::string(continue_token) + R"("},"items":[)" + items + "]}";
}

void ServePages(ScriptedConnection& c) {
  std::string target = Target(c.request());
  if (target.find("continue=t2") != std::string::npos) {
    c.Send(PlainResponse(200, PodPage(4, 1, "")));
  } else if (target.find("continue=t1") != std::string::npos) {
    c.Send(PlainResponse(200, PodPage(2, 2, "t2")));
  } else {
    c.Send(PlainResponse(200, PodPage(0, 2, "t1")));
  }
}

TEST_F(ClientTest, ListAllFollowsContinueTokens) {
  ScriptedServer server([&](ScriptedConnection& c) {
    Record(c);
    ServePages(c);
  });
  auto client = ClientFor(server);
  ListOptions options;
  options.namespace_ = "shop";
  options.limit = 2;
  options.label_selector = "app in (web,api),tier!=db";
  options.field_selector = "status.phase=Running";
  Result<ListPage<Pod>> all = ListAll<Pod>(*client, Resource::kPods, options);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->items.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(all->items[i].meta.name, "p" + std::to_string(i));
  EXPECT_EQ(all->resource_version, "500");
  EXPECT_EQ(all->continue_token, "");
  std::vector<std::string> seen = Requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(
      Target(seen[0]),
      "/api/v1/namespaces/shop/pods?limit=2&labelSelector=app%20in%20%28web%2Capi%29%2Ctier%21%3Ddb"
      "&fieldSelector=status.phase%3DRunning");
  EXPECT_THAT(Target(seen[1]), StartsWith("/api/v1/namespaces/shop/pods?limit=2&continue=t1&"));
  EXPECT_THAT(Target(seen[2]), HasSubstr("continue=t2"));
}

TEST_F(ClientTest, ListAllUsesClusterPathsAndGroupPaths) {
  ScriptedServer server([&](ScriptedConnection& c) {
    Record(c);
    c.Send(PlainResponse(200, R"({"metadata":{"resourceVersion":"1"},"items":[]})"));
  });
  auto client = ClientFor(server);
  ListOptions ns;
  ns.namespace_ = "shop";
  ListOptions unpaged;
  unpaged.limit = 0;
  ASSERT_TRUE(ListAll<Node>(*client, Resource::kNodes, ns).ok());  // cluster-scoped
  ASSERT_TRUE(ListAll<Namespace>(*client, Resource::kNamespaces, unpaged).ok());
  ASSERT_TRUE(ListAll<Deployment>(*client, Resource::kDeployments, ns).ok());
  ASSERT_TRUE(ListAll<ReplicaSet>(*client, Resource::kReplicaSets, {}).ok());
  ASSERT_TRUE(ListAll<Event>(*client, Resource::kEvents, ns).ok());
  ASSERT_TRUE(ListAll<Event>(*client, Resource::kEventsV1, ns).ok());
  ASSERT_TRUE(ListAll<Event>(*client, Resource::kEventsV1, {}).ok());
  std::vector<std::string> targets;
  for (const std::string& r : Requests()) targets.push_back(Target(r));
  EXPECT_THAT(targets,
              ::testing::ElementsAre("/api/v1/nodes?limit=500", "/api/v1/namespaces",
                                     "/apis/apps/v1/namespaces/shop/deployments?limit=500",
                                     "/apis/apps/v1/replicasets?limit=500",
                                     "/api/v1/namespaces/shop/events?limit=500",
                                     "/apis/events.k8s.io/v1/namespaces/shop/events?limit=500",
                                     "/apis/events.k8s.io/v1/events?limit=500"));
}

TEST_F(ClientTest, ListAllStartsOverOnceWhenAContinueTokenExpires) {
  std::atomic<int> expired{0};
  ScriptedServer server([&](ScriptedConnection& c) {
    Record(c);
    if (Target(c.request()).find("continue=t2") != std::string::npos && expired++ == 0) {
      c.Send(PlainResponse(410, StatusBody(410, "Expired", "continue token too old")));
      return;
    }
    ServePages(c);
  });
  auto client = ClientFor(server);
  ListOptions options;
  options.limit = 2;
  Result<ListPage<Pod>> all = ListAll<Pod>(*client, Resource::kPods, options);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->items.size(), 5u);  // no page twice
  EXPECT_EQ(Requests().size(), 6u);  // 3 pages, the third failing, then 3 again
}

TEST_F(ClientTest, ListAllGivesUpWhenContinueTokensKeepExpiring) {
  ScriptedServer server([&](ScriptedConnection& c) {
    if (Target(c.request()).find("continue=") != std::string::npos) {
      c.Send(PlainResponse(410, StatusBody(410, "Expired", "continue token too old")));
      return;
    }
    ServePages(c);
  });
  auto client = ClientFor(server);
  ListOptions options;
  options.limit = 2;
  Result<ListPage<Pod>> all = ListAll<Pod>(*client, Resource::kPods, options);
  ASSERT_FALSE(all.ok());
  EXPECT_TRUE(IsExpired(all.status()));
  EXPECT_THAT(all.status().message(), StartsWith("list pods: GET /api/v1/pods: 410 Gone"));
}

TEST_F(ClientTest, ListAllReportsMalformedPages) {
  ScriptedServer server(
      [](ScriptedConnection& c) { c.Send(PlainResponse(200, R"({"items":[{)")); });
  auto client = ClientFor(server);
  Result<ListPage<Pod>> all = ListAll<Pod>(*client, Resource::kPods, {});
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(all.status().message(), StartsWith("list pods: pod list: malformed JSON"));
}

// Runs Watch<Pod> and collects what it delivers.
struct WatchRun {
  Status status;
  std::vector<WatchEvent<Pod>> events;
};

WatchRun RunWatch(Client& client, const std::string& rv, const std::atomic<bool>* stop = nullptr,
                  std::function<bool(const WatchEvent<Pod>&)> keep_going = nullptr) {
  WatchRun run;
  ListOptions options;
  options.namespace_ = "shop";
  options.label_selector = "app=web";
  run.status = Watch<Pod>(
      client, Resource::kPods, options, rv,
      [&](WatchEvent<Pod>&& e) {
        run.events.push_back(std::move(e));
        return keep_going ? keep_going(run.events.back()) : true;
      },
      stop, 60s);
  return run;
}

TEST_F(ClientTest, WatchAsksForBookmarksFromTheVersion) {
  ScriptedServer server([&](ScriptedConnection& c) {
    Record(c);
    c.Send(kChunkedHead);
    c.Send(Chunk(""));
  });
  auto client = ClientFor(server);
  WatchRun run = RunWatch(*client, "1234");
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(Requests().size(), 1u);
  EXPECT_EQ(Target(Requests()[0]),
            "/api/v1/namespaces/shop/pods?watch=1&allowWatchBookmarks=true&resourceVersion=1234"
            "&timeoutSeconds=60&labelSelector=app%3Dweb");
  EXPECT_EQ(HeaderValue(Requests()[0], "authorization"), "Bearer t0k3n");
}

TEST_F(ClientTest, WatchReassemblesEventsSplitAnywhere) {
  std::string stream =
      PodEvent("ADDED", "a", "11") + PodEvent("MODIFIED", "a", "12") +
      R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"13"}}})" + "\n" +
      PodEvent("DELETED", "a", "14") + PodEvent("ADDED", "b", "15");
  // Chunks of 1, 2, 3, … bytes: every line boundary lands at some offset in some chunk.
  ScriptedServer server([&](ScriptedConnection& c) {
    c.Send(kChunkedHead);
    std::size_t at = 0;
    for (std::size_t n = 1; at < stream.size(); ++n) {
      std::size_t take = std::min(n, stream.size() - at);
      c.Send(Chunk(std::string_view(stream).substr(at, take)));
      at += take;
    }
    c.Send(Chunk(""));
  });
  auto client = ClientFor(server);
  WatchRun run = RunWatch(*client, "10");
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.events.size(), 5u);
  EXPECT_EQ(run.events[0].type, WatchEventType::kAdded);
  EXPECT_EQ(run.events[0].object.meta.name, "a");
  EXPECT_EQ(run.events[0].object.node_name, "n1");
  EXPECT_EQ(run.events[1].type, WatchEventType::kModified);
  EXPECT_EQ(run.events[2].type, WatchEventType::kBookmark);
  EXPECT_EQ(run.events[2].object.meta.resource_version, "13");
  EXPECT_EQ(run.events[3].type, WatchEventType::kDeleted);
  EXPECT_EQ(run.events[4].object.meta.name, "b");
  EXPECT_EQ(run.events[4].object.meta.resource_version, "15");
}

TEST_F(ClientTest, WatchDeliversALastEventWithoutNewline) {
  ScriptedServer server([&](ScriptedConnection& c) {
    c.Send(kChunkedHead);
    std::string last = PodEvent("ADDED", "a", "11");
    last.pop_back();
    c.Send(Chunk(last));
    c.Send(Chunk(""));
  });
  auto client = ClientFor(server);
  WatchRun run = RunWatch(*client, "10");
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.events.size(), 1u);
}

TEST_F(ClientTest, WatchErrorEventEndsTheWatchAsExpired) {
  ScriptedServer server([&](ScriptedConnection& c) {
    c.Send(kChunkedHead);
    c.Send(Chunk(PodEvent("ADDED", "a", "11")));
    c.Send(Chunk(R"({"type":"ERROR","object":)" +
                 StatusBody(410, "Expired", "too old resource version: 10 (20)") + "}\n"));
    c.Sleep(10s);  // the client must not wait for the server to close
  });
  auto client = ClientFor(server);
  auto start = std::chrono::steady_clock::now();
  WatchRun run = RunWatch(*client, "10");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_FALSE(run.status.ok());
  EXPECT_TRUE(IsExpired(run.status)) << run.status.ToString();
  EXPECT_THAT(run.status.message(),
              StartsWith("watch pods: 410 Gone: expired: too old resource version: 10 (20)"));
  EXPECT_EQ(run.events.size(), 1u);
}

TEST_F(ClientTest, WatchRefusedWithAStatusIsAnError) {
  ScriptedServer server([&](ScriptedConnection& c) {
    c.Send(PlainResponse(403, StatusBody(403, "Forbidden", "pods is forbidden")));
  });
  auto client = ClientFor(server);
  WatchRun run = RunWatch(*client, "10");
  EXPECT_EQ(run.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(run.status.message(),
              HasSubstr("needs RBAC permission to watch \"pods\" in namespace \"shop\""));
}

TEST_F(ClientTest, WatchStopsPromptlyWhenAsked) {
  ScriptedServer server([&](ScriptedConnection& c) {
    c.Send(kChunkedHead);
    c.Send(Chunk(PodEvent("ADDED", "a", "11")));
    c.Sleep(30s);
  });
  auto client = ClientFor(server);
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stop = true;
  });
  auto start = std::chrono::steady_clock::now();
  WatchRun run = RunWatch(*client, "10", &stop);
  auto took = std::chrono::steady_clock::now() - start;
  stopper.join();
  EXPECT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.events.size(), 1u);
  EXPECT_LT(took, 1s);
  EXPECT_EQ(client->http()->active(), 0u);
}

TEST_F(ClientTest, WatchEndsWhenTheHandlerSaysSo) {
  ScriptedServer server([&](ScriptedConnection& c) {
    c.Send(kChunkedHead);
    c.Send(Chunk(PodEvent("ADDED", "a", "11") + PodEvent("ADDED", "b", "12")));
    c.Sleep(30s);
  });
  auto client = ClientFor(server);
  auto start = std::chrono::steady_clock::now();
  WatchRun run = RunWatch(*client, "10", nullptr, [](const WatchEvent<Pod>&) { return false; });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_TRUE(run.status.ok());
  EXPECT_EQ(run.events.size(), 1u);
}

TEST_F(ClientTest, WatchRejectsAnOverlongEvent) {
  ScriptedServer server([&](ScriptedConnection& c) {
    c.Send(kChunkedHead);
    std::string block(1 << 20, ' ');
    for (std::size_t sent = 0; sent <= kMaxObjectJsonBytes; sent += block.size()) {
      if (!c.Send(Chunk(block))) return;
    }
    c.Send(Chunk(""));
  });
  auto client = ClientFor(server);
  WatchRun run = RunWatch(*client, "10");
  EXPECT_EQ(run.status.code(), StatusCode::kResourceExhausted) << run.status.ToString();
  EXPECT_THAT(run.status.message(), HasSubstr("event longer than"));
}

TEST_F(ClientTest, WatchReportsAMalformedEvent) {
  ScriptedServer server([&](ScriptedConnection& c) {
    c.Send(kChunkedHead);
    c.Send(Chunk("{\"type\":\"ADDED\",\"object\":{]}\n"));
    c.Sleep(10s);
  });
  auto client = ClientFor(server);
  WatchRun run = RunWatch(*client, "10");
  EXPECT_EQ(run.status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(run.status.message(), StartsWith("watch pods: watch event: malformed JSON"));
}

TEST_F(ClientTest, WatchBrokenMidStreamIsUnavailable) {
  ScriptedServer server([&](ScriptedConnection& c) {
    c.Send(kChunkedHead);
    c.Send(Chunk(PodEvent("ADDED", "a", "11")));
    c.Send("5\r\n{\"ty");  // a chunk cut short, then the connection closes
  });
  auto client = ClientFor(server);
  WatchRun run = RunWatch(*client, "10");
  EXPECT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.status.code(), StatusCode::kUnavailable) << run.status.ToString();
}

}  // namespace
}  // namespace kprof::kube
