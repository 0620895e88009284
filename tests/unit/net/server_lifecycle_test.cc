// Starting and stopping the server, with and without work in flight.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "net/server.h"
#include "unit/net/net_test_util.h"

namespace kprof::net {
namespace {

using testing::Curl;
using testing::CurlResponse;
using testing::RawClient;
using testing::StartServer;
using testing::Url;
using testing::WaitFor;

// Runs `stop` on another thread and fails the test if it does not return within 10 s.
void StopsPromptly(const std::function<void()>& stop) {
  auto done = std::async(std::launch::async, stop);
  if (done.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "Stop() hung";
    std::_Exit(1);  // a hung server thread cannot be recovered from
  }
}

TEST(ServerLifecycle, StopWithRequestsInFlightNeitherCrashesNorHangs) {
  std::atomic<bool> release{false};
  std::atomic<int> entered{0};
  auto router = std::make_shared<Router>();
  router->Add(
      "GET", "/slow",
      [&](Request&) {
        entered++;
        // A long computation, still running when Stop() closes the connections.
        WaitFor([&] { return release.load(); }, std::chrono::seconds(20));
        return JsonOk(R"({"done":true})");
      },
      "slow");
  ServerOptions options;
  options.worker_threads = 2;
  options.max_queued_requests = 8;
  auto server = StartServer(options, router);
  ASSERT_NE(server, nullptr);

  std::vector<std::thread> clients;
  std::vector<CurlResponse> responses(5);
  for (int i = 0; i < 5; ++i) {
    clients.emplace_back([&, i] { responses[i] = Curl(Url(server->port(), "/slow")); });
  }
  RawClient idle(server->port());
  // Two handlers running, three requests queued, one idle connection.
  ASSERT_TRUE(WaitFor([&] { return entered == 2 && server->stats().connections_open == 6; }));

  auto start = std::chrono::steady_clock::now();
  StopsPromptly([&] {
    auto stopped = std::async(std::launch::async, [&] { server->Stop(); });
    // Stop() closes every connection before it waits for the running handlers.
    bool closed = false;
    idle.ReadUntilClosed(&closed);
    EXPECT_TRUE(closed);
    release = true;
    stopped.get();
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  for (auto& t : clients) t.join();
  for (const auto& response : responses) {
    EXPECT_EQ(response.status, 0) << "a connection closed by Stop() got a response";
    EXPECT_NE(response.exit_code, 0);
  }
  EXPECT_EQ(entered, 2) << "queued requests are dropped, not run";

  // Stop is idempotent and the destructor after Stop is fine.
  server->Stop();
  server.reset();
}

TEST(ServerLifecycle, DestructorClosesOpenConnections) {
  auto router = std::make_shared<Router>();
  router->Add(
      "GET", "/ping", [](Request&) { return JsonOk("{}"); }, "ping");
  auto server = StartServer(ServerOptions(), router);
  ASSERT_NE(server, nullptr);
  RawClient served(server->port());
  ASSERT_TRUE(served.Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_NE(served.ReadResponse(), "");
  RawClient half(server->port());
  ASSERT_TRUE(half.Send("GET /ping HTTP/1.1\r\n"));
  ASSERT_TRUE(WaitFor([&] { return server->stats().connections_open == 2; }));

  StopsPromptly([&] { server.reset(); });
  bool closed = false;
  served.ReadUntilClosed(&closed);
  EXPECT_TRUE(closed);
  closed = false;
  half.ReadUntilClosed(&closed);
  EXPECT_TRUE(closed);
}

TEST(ServerLifecycle, ConcurrentStopsAreSafe) {
  auto server = StartServer(ServerOptions(), std::make_shared<Router>());
  ASSERT_NE(server, nullptr);
  StopsPromptly([&] {
    std::thread a([&] { server->Stop(); });
    std::thread b([&] { server->Stop(); });
    a.join();
    b.join();
  });
  RawClient refused(server->port());
  EXPECT_FALSE(refused.connected());
}

TEST(ServerLifecycle, SeveralIoThreadsServeConcurrentClients) {
  auto router = std::make_shared<Router>();
  router->Add(
      "GET", "/item/{n}", [](Request& request) { return JsonOk(request.params["n"]); }, "item");
  ServerOptions options;
  options.io_threads = 2;
  options.worker_threads = 2;
  auto server = StartServer(options, router);
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 8;
  constexpr int kRequestsEach = 25;
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      RawClient client(server->port());
      for (int i = 0; i < kRequestsEach; ++i) {
        std::string n = std::to_string(c * 1000 + i);
        if (!client.Send("GET /item/" + n + " HTTP/1.1\r\nHost: x\r\n\r\n")) return;
        std::string response = client.ReadResponse();
        if (response.size() > n.size() && response.substr(response.size() - n.size()) == n) good++;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(good, kClients * kRequestsEach);
}

}  // namespace
}  // namespace kprof::net
