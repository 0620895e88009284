// The server against real clients: routing, request decoding, response framing and
// protocol errors.
#include "net/server.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "integration/process.h"
#include "unit/net/net_test_util.h"

namespace kprof::net {
namespace {

using testing::Curl;
using testing::HeaderValue;
using testing::RawClient;
using testing::StartServer;
using testing::TempDir;
using testing::Url;
using testing::WaitFor;

Response Echo(Request& request) {
  nlohmann::json query = nlohmann::json::array();
  for (const auto& [k, v] : request.query) query.push_back({k, v});
  nlohmann::json body = {
      {"method", request.method},
      {"target", request.target},
      {"path", request.path},
      {"query", query},
      {"first_a", std::string(request.Query("a").value_or("<none>"))},
      {"header", std::string(request.Header("X-Kprof-Test").value_or("<none>"))},
      {"body", request.body},
      {"remote", request.remote_address},
      {"deadline_in_future",
       !request.Expired() && request.deadline != std::chrono::steady_clock::time_point::max()},
  };
  return JsonOk(body.dump());
}

std::shared_ptr<Router> TestRouter() {
  auto router = std::make_shared<Router>();
  router->Add(
      "GET", "/ping", [](Request&) { return JsonOk(R"({"ok":true})"); }, "liveness");
  router->Add(
      "GET", "/api/0/profiles/merge", [](Request&) { return JsonOk(R"({"route":"merge"})"); },
      "merge");
  router->Add(
      "GET", "/api/0/profiles/{id}",
      [](Request& request) {
        return JsonOk(nlohmann::json({{"id", request.params["id"]}}).dump());
      },
      "one profile");
  router->Add("GET", "/echo", Echo, "echo");
  router->Add("POST", "/echo", Echo, "echo");
  router->Add(
      "GET", "/throw", [](Request&) -> Response { throw std::runtime_error("boom"); }, "throws");
  router->Add(
      "GET", "/headers",
      [](Request&) {
        Response response;
        response.content_type = "text/plain; charset=utf-8";
        response.body = "hello";
        response.headers = {{"X-Custom", "a\r\nInjected: b"}, {"Bad Name", "x"}};
        return response;
      },
      "custom headers");
  router->Add(
      "GET", "/status/{code}",
      [](Request& request) {
        Response response;
        response.status = std::stoi(request.params["code"]);
        response.body = "not allowed for 204 and 304";
        return response;
      },
      "any status");
  return router;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartServer(ServerOptions(), TestRouter());
    ASSERT_NE(server_, nullptr);
  }
  uint16_t port() const { return server_->port(); }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(ServerTest, RoutesParamsAndPrefersLiterals) {
  auto response = Curl(Url(port(), "/api/0/profiles/abc+def"));
  EXPECT_EQ(response.status, 200) << response.err;
  EXPECT_EQ(response.body, R"({"id":"abc+def"})");

  response = Curl(Url(port(), "/api/0/profiles/merge"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"route":"merge"})");
}

TEST_F(ServerTest, UnknownPathIs404JsonNamingThePath) {
  auto response = Curl(Url(port(), "/no/such%20thing?x=1"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(HeaderValue(response.headers, "Content-Type"), "application/json");
  EXPECT_EQ(response.body, R"({"code":404,"error":"no route for /no/such thing"})");
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  auto response = Curl("-X DELETE " + Url(port(), "/ping"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(HeaderValue(response.headers, "Allow"), "GET");
  auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["code"], 405);
}

TEST_F(ServerTest, DecodesQueryInOrderLikeGo) {
  auto response = Curl(Url(port(), "/echo?a=1&b=x+y&a=%2F%20&c&&e=caf%C3%A9"));
  ASSERT_EQ(response.status, 200) << response.err;
  auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["path"], "/echo");
  EXPECT_EQ(body["target"], "/echo?a=1&b=x+y&a=%2F%20&c&&e=caf%C3%A9");
  EXPECT_EQ(body["query"],
            nlohmann::json::parse(R"([["a","1"],["b","x y"],["a","/ "],["c",""],["e","café"]])"));
  EXPECT_EQ(body["first_a"], "1");
}

TEST_F(ServerTest, PassesMethodHeadersBodyRemoteAddressAndDeadline) {
  auto response =
      Curl("-H 'X-Kprof-Test: yes please' --data-binary 'line1&x=2' " + Url(port(), "/echo"));
  ASSERT_EQ(response.status, 200) << response.err;
  auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["method"], "POST");
  EXPECT_EQ(body["header"], "yes please");
  EXPECT_EQ(body["body"], "line1&x=2");
  EXPECT_EQ(body["remote"].get<std::string>().rfind("127.0.0.1:", 0), 0u) << body["remote"];
  EXPECT_EQ(body["deadline_in_future"], true);
}

TEST_F(ServerTest, BadPercentEscapeIs400AndKeepsTheConnection) {
  RawClient client(port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send("GET /echo?a=%zz HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string response = client.ReadResponse();
  EXPECT_EQ(response.rfind("HTTP/1.1 400 ", 0), 0u) << response;
  EXPECT_NE(response.find(
                R"({"code":400,"error":"query parameter \"a\": invalid percent escape \"%zz\""})"),
            std::string::npos)
      << response;
  ASSERT_TRUE(client.Send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"));
  response = client.ReadResponse();
  EXPECT_EQ(response.rfind("HTTP/1.1 200 ", 0), 0u) << response;
}

TEST_F(ServerTest, HandlerExceptionIs500AndServerKeepsServing) {
  auto response = Curl(Url(port(), "/throw"));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body, R"({"code":500,"error":"internal error: boom"})");
  EXPECT_EQ(Curl(Url(port(), "/ping")).status, 200);
}

TEST_F(ServerTest, ResponsesCarryFramingAndServerHeaders) {
  auto response = Curl(Url(port(), "/headers"));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
  EXPECT_EQ(HeaderValue(response.headers, "Server"), "kprof");
  EXPECT_EQ(HeaderValue(response.headers, "Content-Length"), "5");
  EXPECT_EQ(HeaderValue(response.headers, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(HeaderValue(response.headers, "Connection"), "keep-alive");
  // Line breaks in handler header values cannot inject headers; invalid names are dropped.
  EXPECT_EQ(HeaderValue(response.headers, "X-Custom"), "a  Injected: b");
  EXPECT_EQ(HeaderValue(response.headers, "Injected"), "");
  EXPECT_EQ(response.headers.find("Bad Name"), std::string::npos);
}

TEST_F(ServerTest, BodylessAndInvalidHandlerStatusesAreSafe) {
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string response = client.ReadResponse();
  EXPECT_EQ(response.rfind("HTTP/1.1 204 No Content\r\n", 0), 0u) << response;
  EXPECT_EQ(response.find("not allowed"), std::string::npos);
  for (const char* code : {"101", "42", "1000"}) {
    ASSERT_TRUE(client.Send(std::string("GET /status/") + code + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    response = client.ReadResponse();
    EXPECT_EQ(response.rfind("HTTP/1.1 500 ", 0), 0u) << code << response;
    EXPECT_NE(response.find("handler returned invalid HTTP status"), std::string::npos);
  }
  EXPECT_EQ(Curl(Url(port(), "/status/304")).status, 304);
}

TEST_F(ServerTest, KeepAliveReusesTheConnection) {
  auto result = kprof::testing::RunCommand(
      "curl -sS --max-time 30 -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\\n' " +
      Url(port(), "/ping") + " " + Url(port(), "/echo"));
  EXPECT_EQ(result.out, "200 1\n200 0\n") << result.err;
}

TEST_F(ServerTest, Http10WithoutKeepAliveIsClosedAfterTheResponse) {
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET /ping HTTP/1.0\r\n\r\n"));
  bool closed = false;
  std::string response = client.ReadUntilClosed(&closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(response.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << response;
  EXPECT_EQ(HeaderValue(response, "Connection"), "close");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  bool closed = false;
  std::string response = client.ReadUntilClosed(&closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(HeaderValue(response, "Connection"), "close");
  EXPECT_NE(response.find(R"({"ok":true})"), std::string::npos);
}

TEST_F(ServerTest, MalformedRequestLineIs400AndCloses) {
  for (const char* garbage :
       {"GARBAGE\r\n\r\n", "GET /ping HTTP/9.x\r\n\r\n",
        "GET /ping HTTP/1.1\r\nBad Header Line\r\n\r\n", "G(T /ping HTTP/1.1\r\n\r\n"}) {
    RawClient client(port());
    ASSERT_TRUE(client.Send(garbage));
    bool closed = false;
    std::string response = client.ReadUntilClosed(&closed);
    EXPECT_TRUE(closed) << garbage;
    EXPECT_EQ(response.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << garbage << response;
    EXPECT_NE(response.find(R"({"code":400,"error":"malformed HTTP request: )"), std::string::npos)
        << response;
  }
  EXPECT_EQ(Curl(Url(port(), "/ping")).status, 200);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  RawClient client(port());
  ASSERT_TRUE(client.Send(
      "GET /api/0/profiles/one HTTP/1.1\r\nHost: x\r\n\r\nGET /api/0/profiles/two HTTP/1.1\r\n"
      "Host: x\r\n\r\n"));
  EXPECT_NE(client.ReadResponse().find(R"({"id":"one"})"), std::string::npos);
  EXPECT_NE(client.ReadResponse().find(R"({"id":"two"})"), std::string::npos);
}

TEST_F(ServerTest, StatsCountRequestsAndBytes) {
  ASSERT_EQ(Curl(Url(port(), "/ping")).status, 200);
  ASSERT_EQ(Curl(Url(port(), "/nope")).status, 404);
  EXPECT_TRUE(WaitFor([&] { return server_->stats().requests_total == 2; }));
  ServerStats stats = server_->stats();
  EXPECT_EQ(stats.connections_accepted, 2u);
  EXPECT_GT(stats.bytes_in, 2 * std::string("GET /ping HTTP/1.1\r\n\r\n").size());
  EXPECT_GT(stats.bytes_out, std::string(R"({"ok":true})").size());
  EXPECT_EQ(stats.rejected_overload, 0u);
}

TEST(ServerStart, RejectsBadOptions) {
  auto router = std::make_shared<Router>();
  ServerOptions options;
  options.port = 0;
  options.address = "not-an-ip";
  auto server = HttpServer::Start(options, router);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);

  options.address = "127.0.0.1";
  options.tls_cert_file = "/nonexistent/cert.pem";
  server = HttpServer::Start(options, router);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("both"), std::string::npos);

  options.tls_key_file = "/nonexistent/key.pem";
  server = HttpServer::Start(options, router);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("/nonexistent/cert.pem"), std::string::npos);
}

TEST(ServerStart, PortInUseIsUnavailable) {
  auto router = std::make_shared<Router>();
  auto first = StartServer(ServerOptions(), router);
  ASSERT_NE(first, nullptr);
  ServerOptions options;
  options.port = first->port();
  auto second = HttpServer::Start(options, router);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(std::to_string(first->port())), std::string::npos);
}

}  // namespace
}  // namespace kprof::net
