// Size, time and concurrency limits of the server.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "net/server.h"
#include "unit/net/net_test_util.h"

namespace kprof::net {
namespace {

using testing::Curl;
using testing::CurlResponse;
using testing::HeaderValue;
using testing::RawClient;
using testing::StartServer;
using testing::TempDir;
using testing::Url;
using testing::WaitFor;

using testing::Gate;

std::shared_ptr<Router> PingRouter() {
  auto router = std::make_shared<Router>();
  router->Add(
      "GET", "/ping", [](Request&) { return JsonOk(R"({"ok":true})"); }, "liveness");
  router->Add(
      "POST", "/upload",
      [](Request& request) { return JsonOk(std::to_string(request.body.size())); }, "upload");
  return router;
}

TEST(ServerLimits, OversizedBodyIs413AndServerKeepsServing) {
  ServerOptions options;
  options.max_body_bytes = 1 << 20;
  auto server = StartServer(options, PingRouter());
  ASSERT_NE(server, nullptr);
  TempDir dir;
  testing::WriteFile(dir.File("big"), 3 << 20);
  testing::WriteFile(dir.File("small"), 1 << 20);

  // curl asks "Expect: 100-continue" first, then without it uploads the body regardless.
  for (std::string expect : {"", "-H 'Expect:' "}) {
    CurlResponse response =
        Curl(expect + "--data-binary @" + dir.File("big") + " " + Url(server->port(), "/upload"));
    EXPECT_EQ(response.status, 413) << expect << response.err;
    EXPECT_EQ(response.body, R"({"code":413,"error":"request body is larger than the limit of )"
                             R"(1048576 bytes"})");
    EXPECT_EQ(HeaderValue(response.headers, "Connection"), "close");
  }
  CurlResponse response =
      Curl("--data-binary @" + dir.File("small") + " " + Url(server->port(), "/upload"));
  EXPECT_EQ(response.status, 200) << response.err;
  EXPECT_EQ(response.body, std::to_string(1 << 20));
  EXPECT_EQ(Curl(Url(server->port(), "/ping")).status, 200);
}

TEST(ServerLimits, OversizedChunkedBodyIs413) {
  ServerOptions options;
  options.max_body_bytes = 1000;
  auto server = StartServer(options, PingRouter());
  ASSERT_NE(server, nullptr);
  RawClient client(server->port());
  std::string chunk(600, 'y');
  ASSERT_TRUE(
      client.Send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" +
                  chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n"));
  bool closed = false;
  std::string response = client.ReadUntilClosed(&closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(response.rfind("HTTP/1.1 413 ", 0), 0u) << response;
}

TEST(ServerLimits, OversizedHeaderIs431AndCloses) {
  ServerOptions options;
  options.max_header_bytes = 4096;
  auto server = StartServer(options, PingRouter());
  ASSERT_NE(server, nullptr);
  RawClient client(server->port());
  ASSERT_TRUE(client.Send("GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'z') +
                          "\r\n\r\n"));
  bool closed = false;
  std::string response = client.ReadUntilClosed(&closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(response.rfind("HTTP/1.1 431 ", 0), 0u) << response;
  EXPECT_NE(response.find(R"("code":431)"), std::string::npos);
  EXPECT_EQ(Curl(Url(server->port(), "/ping")).status, 200);
}

TEST(ServerLimits, SlowHeaderOrBodyIsClosed) {
  ServerOptions options;
  options.request_timeout = std::chrono::milliseconds(300);
  auto server = StartServer(options, PingRouter());
  ASSERT_NE(server, nullptr);

  RawClient slow_header(server->port());
  ASSERT_TRUE(slow_header.Send("GET /ping HTTP/1.1\r\nHost:"));
  RawClient slow_body(server->port());
  ASSERT_TRUE(slow_body.Send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12"));
  bool closed = false;
  EXPECT_EQ(slow_header.ReadUntilClosed(&closed), "");
  EXPECT_TRUE(closed);
  closed = false;
  EXPECT_EQ(slow_body.ReadUntilClosed(&closed), "");
  EXPECT_TRUE(closed);
}

TEST(ServerLimits, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  ServerOptions options;
  options.idle_timeout = std::chrono::milliseconds(300);
  auto server = StartServer(options, PingRouter());
  ASSERT_NE(server, nullptr);
  RawClient client(server->port());
  ASSERT_TRUE(client.Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(client.ReadResponse().find(R"({"ok":true})"), std::string::npos);
  bool closed = false;
  EXPECT_EQ(client.ReadUntilClosed(&closed), "");
  EXPECT_TRUE(closed);
  EXPECT_TRUE(WaitFor([&] { return server->stats().connections_open == 0; }));
}

TEST(ServerLimits, BodiesInFlightShareABudgetAndItIsReturned) {
  Gate gate;
  std::atomic<int> entered{0};
  auto router = PingRouter();
  router->Add(
      "POST", "/held",
      [&](Request& req) {
        entered++;
        gate.Wait();
        return JsonOk("{\"bytes\":" + std::to_string(req.body.size()) + "}");
      },
      "holds the upload until the test opens the gate");
  ServerOptions options;
  options.worker_threads = 4;
  options.max_inflight_body_bytes = 1 << 20;
  auto server = StartServer(options, router);
  ASSERT_NE(server, nullptr);
  TempDir dir;
  std::string body = dir.path() + "/body";
  {
    std::ofstream out(body, std::ios::binary);
    out << std::string(700 << 10, 'x');
  }
  std::string upload = "--data-binary @" + body + " " + Url(server->port(), "/held");

  // The first 700 KiB upload is held by the handler; a second would pass the 1 MiB budget.
  CurlResponse first;
  std::thread holder([&] { first = Curl(upload); });
  ASSERT_TRUE(WaitFor([&] { return entered >= 1; }));
  CurlResponse second = Curl(upload);
  EXPECT_EQ(second.status, 503) << second.err;
  EXPECT_NE(second.body.find("too many uploads in progress"), std::string::npos) << second.body;
  gate.Open();
  holder.join();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "{\"bytes\":716800}");
  // The budget came back: uploads succeed one after another again.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Curl(upload).status, 200);
}

TEST(ServerLimits, OverloadAnswers503WithRetryAfterThenRecovers) {
  Gate gate;
  std::atomic<int> entered{0};
  auto router = PingRouter();
  router->Add(
      "GET", "/block",
      [&](Request&) {
        entered++;
        gate.Wait();
        return JsonOk(R"({"blocked":false})");
      },
      "blocks until the test opens the gate");
  ServerOptions options;
  options.worker_threads = 1;
  options.max_queued_requests = 1;
  auto server = StartServer(options, router);
  ASSERT_NE(server, nullptr);

  // One request runs, at most one waits: of four, at least two are turned away.
  constexpr int kRequests = 4;
  std::vector<CurlResponse> responses(kRequests);
  std::vector<std::thread> clients;
  for (int i = 0; i < kRequests; ++i) {
    clients.emplace_back([&, i] { responses[i] = Curl(Url(server->port(), "/block")); });
  }
  EXPECT_TRUE(WaitFor([&] { return server->stats().rejected_overload >= 2; }));
  EXPECT_TRUE(WaitFor([&] { return entered >= 1; }));
  gate.Open();
  for (auto& t : clients) t.join();

  int ok = 0;
  int overloaded = 0;
  for (const auto& response : responses) {
    if (response.status == 200) {
      ok++;
      EXPECT_EQ(response.body, R"({"blocked":false})");
    } else {
      overloaded++;
      EXPECT_EQ(response.status, 503) << response.err;
      EXPECT_EQ(response.body, R"({"code":503,"error":"server overloaded; retry later"})");
      EXPECT_EQ(HeaderValue(response.headers, "Retry-After"), "1");
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(overloaded, 2);
  EXPECT_EQ(server->stats().rejected_overload, static_cast<uint64_t>(overloaded));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Curl(Url(server->port(), "/block")).status, 200);
}

TEST(ServerLimits, ManyIdleKeepAliveConnectionsDoNotDelayNewRequests) {
  ServerOptions options;
  options.io_threads = 1;
  auto server = StartServer(options, PingRouter());
  ASSERT_NE(server, nullptr);
  constexpr int kIdle = 300;
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < kIdle; ++i) {
    auto client = std::make_unique<RawClient>(server->port());
    ASSERT_TRUE(client->connected()) << i;
    // Half have served a request and wait for the next; half have sent nothing yet.
    if (i % 2 == 0) {
      ASSERT_TRUE(client->Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
      ASSERT_NE(client->ReadResponse().find(R"({"ok":true})"), std::string::npos) << i;
    }
    idle.push_back(std::move(client));
  }
  ASSERT_TRUE(WaitFor([&] { return server->stats().connections_open >= kIdle; }));

  auto start = std::chrono::steady_clock::now();
  CurlResponse response = Curl(Url(server->port(), "/ping"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(response.status, 200) << response.err;
  EXPECT_LT(elapsed, std::chrono::seconds(2));

  // The idle ones are still usable.
  ASSERT_TRUE(idle[1]->Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(idle[1]->ReadResponse().find(R"({"ok":true})"), std::string::npos);
  ASSERT_TRUE(idle[kIdle - 2]->Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(idle[kIdle - 2]->ReadResponse().find(R"({"ok":true})"), std::string::npos);
}

TEST(ServerLimits, ConnectionsBeyondTheLimitAreClosed) {
  ServerOptions options;
  options.max_connections = 2;
  auto server = StartServer(options, PingRouter());
  ASSERT_NE(server, nullptr);
  RawClient a(server->port());
  RawClient b(server->port());
  ASSERT_TRUE(WaitFor([&] { return server->stats().connections_open == 2; }));
  RawClient c(server->port());
  c.Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  bool closed = false;
  EXPECT_EQ(c.ReadUntilClosed(&closed), "");
  EXPECT_TRUE(closed);
  EXPECT_EQ(server->stats().connections_rejected, 1u);

  ASSERT_TRUE(a.Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(a.ReadResponse().find(R"({"ok":true})"), std::string::npos);
}

}  // namespace
}  // namespace kprof::net
