// The HTTP client against real local servers: kprof's own server for ordinary exchanges
// and a scripted socket server for streams, slow, truncated and oversized bodies.
#include "net/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "net/server.h"
#include "unit/net/net_test_util.h"
#include "unit/net/scripted_server.h"

namespace kprof::net {
namespace {

using namespace std::chrono_literals;
using testing::Chunk;
using testing::Gate;
using testing::PlainResponse;
using testing::ScriptedConnection;
using testing::ScriptedServer;
using testing::StartServer;
using testing::WaitFor;

std::unique_ptr<HttpClient> NewClient(HttpClientOptions options = {}) {
  auto client = HttpClient::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(client).value() : nullptr;
}

ClientRequest Get(std::string url) {
  ClientRequest request;
  request.url = std::move(url);
  request.timeout = 10s;
  return request;
}

// A handler that never answers (until the server is destroyed).
void Hang(ScriptedConnection& c) { c.Sleep(60s); }

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto router = std::make_shared<Router>();
    router->Add(
        "GET", "/hello",
        [](Request&) {
          Response response = JsonOk(R"({"hello":"world"})");
          response.headers.emplace_back("X-Kprof-Test", "Yes");
          return response;
        },
        "greeting");
    auto echo = [](Request& request) {
      Response response;
      response.content_type = "text/plain";
      response.body = request.method + " " +
                      std::string(request.Header("content-type").value_or("-")) + " " +
                      std::string(request.Header("x-token").value_or("-")) + " " + request.body;
      return response;
    };
    router->Add("POST", "/echo", echo, "echo");
    router->Add("PUT", "/echo", echo, "echo");
    router->Add("DELETE", "/echo", echo, "echo");
    router->Add(
        "GET", "/missing", [](Request&) { return JsonError(404, "no such thing"); }, "404");
    server_ = StartServer(ServerOptions{}, router);
    ASSERT_NE(server_, nullptr);
    client_ = NewClient();
    ASSERT_NE(client_, nullptr);
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(HttpClientTest, GetReturnsStatusLowerCasedHeadersAndBody) {
  Transfer t = client_->Do(Get(Url("/hello")));
  ASSERT_TRUE(t.ok()) << t.status.ToString();
  EXPECT_EQ(t.failure, FailureKind::kNone);
  EXPECT_EQ(t.response.status, 200);
  EXPECT_EQ(t.response.body, R"({"hello":"world"})");
  EXPECT_EQ(t.response.Header("X-KPROF-TEST").value_or(""), "Yes");
  bool found = false;
  for (const auto& [name, value] : t.response.headers) {
    for (char c : name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << name;
    found = found || name == "x-kprof-test";
  }
  EXPECT_TRUE(found);
  EXPECT_GT(t.elapsed.count(), 0);
}

TEST_F(HttpClientTest, SendsMethodBodyAndHeaders) {
  for (std::string method : {"POST", "PUT", "DELETE"}) {
    ClientRequest request = Get(Url("/echo"));
    request.method = method;
    request.body = "payload";
    request.headers = {{"Content-Type", "application/octet-stream"}, {"X-Token", "abc"}};
    Transfer t = client_->Do(request);
    ASSERT_TRUE(t.ok()) << t.status.ToString();
    EXPECT_EQ(t.response.body, method + " application/octet-stream abc payload");
  }
}

TEST_F(HttpClientTest, HttpErrorStatusIsAResponseNotATransportFailure) {
  Transfer t = client_->Do(Get(Url("/missing")));
  ASSERT_TRUE(t.ok()) << t.status.ToString();
  EXPECT_EQ(t.response.status, 404);
  EXPECT_NE(t.response.body.find("no such thing"), std::string::npos);
}

TEST_F(HttpClientTest, SequentialRequestsReuseOneConnection) {
  for (int i = 0; i < 20; ++i) {
    Transfer t = client_->Do(Get(Url("/hello")));
    ASSERT_TRUE(t.ok()) << t.status.ToString();
  }
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
}

TEST_F(HttpClientTest, DoneMayStartTheNextTransfer) {
  std::promise<Transfer> second;
  client_->Start(Get(Url("/hello")), [&](Transfer first) {
    EXPECT_TRUE(first.ok());
    client_->Start(Get(Url("/missing")), [&](Transfer t) { second.set_value(std::move(t)); });
  });
  Transfer t = second.get_future().get();
  EXPECT_EQ(t.response.status, 404);
}

TEST_F(HttpClientTest, DoInsideACallbackIsRefusedInsteadOfDeadlocking) {
  std::promise<Transfer> inner;
  client_->Start(Get(Url("/hello")),
                 [&](Transfer) { inner.set_value(client_->Do(Get(Url("/hello")))); });
  auto future = inner.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  Transfer t = future.get();
  EXPECT_FALSE(t.ok());
  EXPECT_EQ(t.status.code(), StatusCode::kInternal);
}

TEST_F(HttpClientTest, ManyThreadsStartingAtOnceNeverLoseAWakeup) {
  // Bursts of Start from several threads while the loop is busy: a wakeup lost between
  // the loop draining its eventfd and taking the queue would strand the rest for good.
  constexpr int kThreads = 4, kEach = 1500;
  std::atomic<int> ok{0}, done{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < kEach; ++j) {
        client_->Start(Get(Url("/hello")), [&](Transfer t) {
          ok += t.ok();
          ++done;
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(WaitFor([&] { return done.load() == kThreads * kEach; }, 30s))
      << done.load() << " of " << kThreads * kEach << " transfers ended";
  EXPECT_EQ(ok.load(), kThreads * kEach);
}

TEST(HttpClient, RejectsUrlsThatAreNotHttp) {
  auto client = NewClient();
  for (std::string url : {"file:///etc/passwd", "ftp://127.0.0.1/", "127.0.0.1:80/x"}) {
    Transfer t = client->Do(Get(url));
    EXPECT_EQ(t.status.code(), StatusCode::kInvalidArgument) << url;
  }
  EXPECT_EQ(client->active(), 0u);
}

TEST(HttpClient, ConnectionRefusedIsAConnectFailure) {
  std::uint16_t port;
  {
    ScriptedServer closed(Hang, /*accept_connections=*/false);
    port = closed.port();
  }
  auto client = NewClient();
  Transfer t = client->Do(Get("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_FALSE(t.ok());
  EXPECT_EQ(t.failure, FailureKind::kConnect) << t.status.ToString();
  EXPECT_EQ(t.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(t.status.message().find("127.0.0.1"), std::string::npos) << t.status.message();
}

TEST(HttpClient, ConnectDeadlineIsATimeout) {
  // A listener with a full accept queue drops SYNs, so connecting hangs.
  ScriptedServer full(Hang, /*accept_connections=*/false);
  auto client = NewClient();
  std::vector<HttpClient::TransferId> fillers;
  for (int i = 0; i < 4; ++i) {
    ClientRequest filler = Get(full.Url("/"));
    filler.connect_timeout = 0ms;
    filler.timeout = 0ms;
    fillers.push_back(client->Start(filler, nullptr));
  }
  std::this_thread::sleep_for(200ms);
  ClientRequest request = Get(full.Url("/"));
  request.connect_timeout = 300ms;
  Transfer t = client->Do(request);
  EXPECT_EQ(t.failure, FailureKind::kTimeout) << t.status.ToString();
  EXPECT_LT(t.elapsed, 5s);
}

TEST(HttpClient, SlowBodyHitsTheTotalTimeout) {
  ScriptedServer slow([](ScriptedConnection& c) {
    c.Send("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    for (int i = 0; i < 1000 && c.Sleep(20ms); ++i) c.Send("x");
  });
  auto client = NewClient();
  ClientRequest request = Get(slow.Url("/"));
  request.timeout = 300ms;
  Transfer t = client->Do(request);
  EXPECT_EQ(t.failure, FailureKind::kTimeout) << t.status.ToString();
  EXPECT_EQ(t.status.code(), StatusCode::kUnavailable);
  EXPECT_LT(t.elapsed, 3s);
}

TEST(HttpClient, TruncatedBodyIsAProtocolFailure) {
  ScriptedServer truncating(
      [](ScriptedConnection& c) { c.Send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"); });
  auto client = NewClient();
  Transfer t = client->Do(Get(truncating.Url("/")));
  EXPECT_EQ(t.failure, FailureKind::kProtocol) << t.status.ToString();
}

TEST(HttpClient, ChunkedStreamCutOffIsAProtocolFailure) {
  ScriptedServer truncating([](ScriptedConnection& c) {
    c.Send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + Chunk("one"));
  });
  auto client = NewClient();
  Transfer t = client->Do(Get(truncating.Url("/")));
  EXPECT_EQ(t.failure, FailureKind::kProtocol) << t.status.ToString();
}

TEST(HttpClient, GarbageInsteadOfHttpIsAProtocolFailure) {
  ScriptedServer garbage([](ScriptedConnection& c) { c.Send("SSH-2.0-OpenSSH\r\n\r\n"); });
  auto client = NewClient();
  Transfer t = client->Do(Get(garbage.Url("/")));
  EXPECT_EQ(t.failure, FailureKind::kProtocol) << t.status.ToString();
}

TEST(HttpClient, LargeBodyArrivesWhole) {
  std::string body(32 << 20, 'b');
  for (std::size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>('a' + i % 26);
  ScriptedServer big([&](ScriptedConnection& c) { c.Send(PlainResponse(200, body)); });
  auto client = NewClient();
  Transfer t = client->Do(Get(big.Url("/")));
  ASSERT_TRUE(t.ok()) << t.status.ToString();
  EXPECT_TRUE(t.response.body == body);
}

TEST(HttpClient, BodyOverTheLimitIsTooLarge) {
  std::string body(1 << 20, 'x');
  ScriptedServer sized([&](ScriptedConnection& c) { c.Send(PlainResponse(200, body)); });
  ScriptedServer chunked([&](ScriptedConnection& c) {
    c.Send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 64; ++i) c.Send(Chunk(std::string(16 << 10, 'x')));
    c.Send(Chunk(""));
  });
  auto client = NewClient();
  for (const std::string& url : {sized.Url("/"), chunked.Url("/")}) {
    ClientRequest request = Get(url);
    request.max_response_bytes = 100000;
    Transfer t = client->Do(request);
    EXPECT_EQ(t.failure, FailureKind::kTooLarge) << url << " " << t.status.ToString();
    EXPECT_EQ(t.status.code(), StatusCode::kResourceExhausted);
    // Exactly the limit is fine.
    request.max_response_bytes = body.size();
    t = client->Do(request);
    EXPECT_TRUE(t.ok()) << url << " " << t.status.ToString();
    EXPECT_EQ(t.response.body.size(), body.size());
  }
}

TEST(HttpClient, StreamHandsOverChunksAsTheyArrive) {
  Gate first_chunk_seen;
  ScriptedServer stream([&](ScriptedConnection& c) {
    c.Send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
           Chunk("{\"type\":\"ADDED\"}\n"));
    first_chunk_seen.Wait();  // the client must see it before the stream goes on
    c.Send(Chunk("{\"type\":\"DELETED\"}\n") + Chunk(""));
  });
  auto client = NewClient();
  std::string streamed;
  ClientRequest request = Get(stream.Url("/watch"));
  request.timeout = 0ms;
  request.max_response_bytes = 0;
  request.on_data = [&](std::string_view chunk) {
    streamed += chunk;
    if (streamed.find("ADDED") != std::string::npos) first_chunk_seen.Open();
    return true;
  };
  auto started = std::chrono::steady_clock::now();
  Transfer t = client->Do(request);
  ASSERT_TRUE(t.ok()) << t.status.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s) << "the first chunk was held back";
  EXPECT_EQ(streamed, "{\"type\":\"ADDED\"}\n{\"type\":\"DELETED\"}\n");
  EXPECT_TRUE(t.response.body.empty());
}

TEST(HttpClient, StreamErrorStatusKeepsItsBodyInTheResponse) {
  ScriptedServer gone(
      [](ScriptedConnection& c) { c.Send(PlainResponse(410, R"({"kind":"Status","code":410})")); });
  auto client = NewClient();
  ClientRequest request = Get(gone.Url("/watch"));
  bool called = false;
  request.on_data = [&](std::string_view) { return called = true; };
  Transfer t = client->Do(request);
  ASSERT_TRUE(t.ok()) << t.status.ToString();
  EXPECT_EQ(t.response.status, 410);
  EXPECT_EQ(t.response.body, R"({"kind":"Status","code":410})");
  EXPECT_FALSE(called);
}

TEST(HttpClient, OnDataReturningFalseCancels) {
  ScriptedServer endless([](ScriptedConnection& c) {
    c.Send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    while (c.Send(Chunk("tick\n")) && c.Sleep(5ms)) {
    }
  });
  auto client = NewClient();
  ClientRequest request = Get(endless.Url("/"));
  int calls = 0;
  request.on_data = [&](std::string_view) { return ++calls < 3; };
  Transfer t = client->Do(request);
  EXPECT_EQ(t.failure, FailureKind::kCancelled) << t.status.ToString();
  EXPECT_EQ(calls, 3);
}

TEST(HttpClient, CancelEndsARunningTransferOnce) {
  ScriptedServer hanging(Hang);
  auto client = NewClient();
  std::atomic<int> done_calls{0};
  std::promise<Transfer> result;
  auto id = client->Start(Get(hanging.Url("/")), [&](Transfer t) {
    if (done_calls++ == 0) result.set_value(std::move(t));
  });
  ASSERT_TRUE(WaitFor([&] { return hanging.connections_accepted() == 1; }));
  client->Cancel(id);
  client->Cancel(id);
  client->Cancel(id + 1000);  // unknown: ignored
  auto future = result.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  Transfer t = future.get();
  EXPECT_EQ(t.failure, FailureKind::kCancelled);
  EXPECT_EQ(t.status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(WaitFor([&] { return client->active() == 0; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(done_calls.load(), 1);
}

TEST(HttpClient, DestroyingTheClientEndsEveryTransferOnce) {
  ScriptedServer hanging(Hang);
  std::atomic<int> cancelled{0}, other{0};
  {
    auto client = NewClient();
    for (int i = 0; i < 10; ++i) {
      client->Start(Get(hanging.Url("/")), [&](Transfer t) {
        (t.failure == FailureKind::kCancelled ? cancelled : other)++;
      });
    }
    ASSERT_TRUE(WaitFor([&] { return hanging.connections_accepted() >= 8; }));
    EXPECT_EQ(client->active(), 10u);
  }
  EXPECT_EQ(cancelled.load(), 10);
  EXPECT_EQ(other.load(), 0);
}

TEST(HttpClient, DestroyingTheClientEndsTransfersWaitingForAConnection) {
  // Over the total connection limit, transfers wait inside curl without a socket. The
  // destructor must end those too, once each, and callers blocked in Do() must get
  // kCancelled instead of waiting forever (the agent's exit on SIGTERM).
  ScriptedServer hanging(Hang);
  std::atomic<int> cancelled{0}, other{0};
  auto count = [&](const Transfer& t) {
    (t.failure == FailureKind::kCancelled ? cancelled : other)++;
  };
  std::vector<std::thread> callers;
  auto started = std::chrono::steady_clock::now();
  {
    HttpClientOptions options;
    options.max_total_connections = 2;
    auto client = NewClient(options);
    for (int i = 0; i < 6; ++i) client->Start(Get(hanging.Url("/")), count);
    for (int i = 0; i < 2; ++i) {
      callers.emplace_back([&, raw = client.get()] { count(raw->Do(Get(hanging.Url("/")))); });
    }
    EXPECT_TRUE(WaitFor([&] { return client->active() == 8u; }));
    EXPECT_TRUE(WaitFor([&] { return hanging.connections_accepted() == 2; }));
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(cancelled.load(), 8);
  EXPECT_EQ(other.load(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(HttpClient, PerHostConnectionLimitQueuesTransfers) {
  std::atomic<int> waiting{0}, most_waiting{0};
  ScriptedServer slow([&](ScriptedConnection& c) {
    int now = ++waiting;
    int seen = most_waiting.load();
    while (now > seen && !most_waiting.compare_exchange_weak(seen, now)) {
    }
    c.Sleep(100ms);
    --waiting;  // before the answer, which lets the client open the next connection
    c.Send(PlainResponse(200, "ok", "Connection: close\r\n"));
  });
  HttpClientOptions options;
  options.max_connections_per_host = 2;
  auto client = NewClient(options);
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    client->Start(Get(slow.Url("/")),
                  [&](Transfer t) { ok += t.ok() && std::string_view(t.response.body) == "ok"; });
  }
  ASSERT_TRUE(WaitFor([&] { return ok.load() == 8; }));
  EXPECT_EQ(most_waiting.load(), 2);
}

TEST(HttpClient, FiveHundredConcurrentTransfersComplete) {
  constexpr int kTransfers = 500;
  ScriptedServer slow([](ScriptedConnection& c) {
    c.Sleep(300ms);
    c.Send(PlainResponse(200, c.request().substr(4, c.request().find(' ', 4) - 4)));
  });
  HttpClientOptions options;
  options.max_connections_per_host = kTransfers;
  auto client = NewClient(options);
  std::atomic<int> matched{0}, failed{0};
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kTransfers; ++i) {
    std::string path = "/target/" + std::to_string(i);
    client->Start(Get(slow.Url(path)), [&, path](Transfer t) {
      (t.ok() && t.response.body == path ? matched : failed)++;
    });
  }
  ASSERT_TRUE(WaitFor([&] { return matched + failed == kTransfers; }, 60s));
  auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(matched.load(), kTransfers);
  // One at a time would take 150 s; side by side it is about one handler's 300 ms.
  EXPECT_LT(elapsed, 15s);
  EXPECT_GT(slow.max_concurrent(), kTransfers / 2);
  EXPECT_EQ(client->active(), 0u);
}

TEST(HttpClient, TransfersBeyondTheTotalConnectionLimitAllComplete) {
  // The agent's load in miniature: more hosts than connections allowed (in use and idle
  // together), a long and two short scrapes of each per round, and every result posted to
  // one sink by other threads with Do(). Transfers over the limit wait inside curl for a
  // connection; none may be stranded, and Starts from several threads must all be taken.
  // Ports stand for hosts: curl keeps connections per host and port.
  constexpr int kHosts = 64, kRounds = 3, kPushers = 4;
  auto serve = [](ScriptedConnection& c) {
    if (c.request().find(" /long ") != std::string::npos) c.Sleep(500ms);
    c.Send(PlainResponse(200, "ok"));
  };
  std::vector<std::unique_ptr<ScriptedServer>> hosts;
  for (int i = 0; i < kHosts; ++i) {
    hosts.push_back(std::make_unique<ScriptedServer>(serve, /*accept_connections=*/true,
                                                     /*keep_alive=*/true));
  }
  ScriptedServer sink(serve, /*accept_connections=*/true, /*keep_alive=*/true);
  HttpClientOptions options;
  options.max_total_connections = 16;
  auto client = NewClient(options);

  std::mutex mu;
  std::condition_variable cv;
  int results_waiting = 0;  // guarded by mu
  bool stopping = false;    // guarded by mu
  std::atomic<int> scraped{0}, posted{0}, failed{0};
  std::vector<std::thread> pushers;
  for (int i = 0; i < kPushers; ++i) {
    pushers.emplace_back([&] {
      for (;;) {
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return stopping || results_waiting > 0; });
          if (stopping) return;
          --results_waiting;
        }
        ClientRequest push = Get(sink.Url("/push"));
        push.method = "POST";
        push.body = "profile";
        Transfer t = client->Do(push);
        (t.ok() ? posted : failed)++;
      }
    });
  }
  int started = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (auto& host : hosts) {
      for (const char* path : {"/long", "/short", "/short"}) {
        ++started;
        client->Start(Get(host->Url(path)), [&](Transfer t) {
          (t.ok() ? scraped : failed)++;
          {
            std::lock_guard lock(mu);
            ++results_waiting;
          }
          cv.notify_one();
        });
      }
    }
    bool finished = WaitFor([&] { return scraped + failed == started && posted == started; }, 30s);
    EXPECT_TRUE(finished) << "round " << round << ": " << scraped.load() << " of " << started
                          << " scrapes and " << posted.load() << " pushes ended, "
                          << client->active() << " transfers still active";
    if (!finished) break;
  }
  EXPECT_EQ(scraped.load(), started);
  EXPECT_EQ(failed.load(), 0);
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  cv.notify_all();
  // Destroying the client ends what is still waiting (after a failure above), so the
  // pushers' Do() calls return and the threads can be joined.
  client.reset();
  for (auto& t : pushers) t.join();
}

TEST(HttpClient, FailureKindNames) {
  EXPECT_EQ(FailureKindName(FailureKind::kConnect), "connect");
  EXPECT_EQ(FailureKindName(FailureKind::kTimeout), "timeout");
  EXPECT_EQ(FailureKindName(FailureKind::kTls), "tls");
  EXPECT_EQ(FailureKindName(FailureKind::kTooLarge), "too_large");
  EXPECT_EQ(FailureKindName(FailureKind::kCancelled), "cancelled");
  EXPECT_EQ(FailureKindName(FailureKind::kProtocol), "protocol");
}

}  // namespace
}  // namespace kprof::net
