// HTTPS with a self-signed certificate made by the openssl CLI, checked with curl.
#include <gtest/gtest.h>

#include "integration/process.h"
#include "net/server.h"
#include "unit/net/net_test_util.h"

namespace kprof::net {
namespace {

using kprof::testing::RunCommand;
using kprof::testing::ShellQuote;
using testing::Curl;
using testing::RawClient;
using testing::StartServer;
using testing::TempDir;

class ServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = RunCommand(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
        ShellQuote(dir_.File("key.pem")) + " -out " + ShellQuote(dir_.File("cert.pem")));
    ASSERT_EQ(made.exit_code, 0) << made.err;
    auto router = std::make_shared<Router>();
    router->Add(
        "GET", "/hello/{name}",
        [](Request& request) { return JsonOk("{\"hello\":\"" + request.params["name"] + "\"}"); },
        "greeting");
    ServerOptions options;
    options.tls_cert_file = dir_.File("cert.pem");
    options.tls_key_file = dir_.File("key.pem");
    server_ = StartServer(options, router);
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(server_->tls());
  }

  std::string HttpsUrl(const std::string& path) const {
    return ShellQuote("https://127.0.0.1:" + std::to_string(server_->port()) + path);
  }

  TempDir dir_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ServerTlsTest, CurlVerifiesTheCertificateAndGetsTheResponse) {
  auto response =
      Curl("--cacert " + ShellQuote(dir_.File("cert.pem")) + " " + HttpsUrl("/hello/tls"));
  EXPECT_EQ(response.status, 200) << response.err;
  EXPECT_EQ(response.body, R"({"hello":"tls"})");
}

TEST_F(ServerTlsTest, KeepAliveReusesTheTlsConnection) {
  auto result = RunCommand("curl -sS --max-time 30 --cacert " + ShellQuote(dir_.File("cert.pem")) +
                           " -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\\n' " +
                           HttpsUrl("/hello/a") + " " + HttpsUrl("/hello/b"));
  EXPECT_EQ(result.out, "200 1\n200 0\n") << result.err;
}

TEST_F(ServerTlsTest, PlainHttpOnTheTlsPortIsClosedAndServingContinues) {
  RawClient client(server_->port());
  ASSERT_TRUE(client.Send("GET /hello/x HTTP/1.1\r\nHost: x\r\n\r\n"));
  bool closed = false;
  client.ReadUntilClosed(&closed);
  EXPECT_TRUE(closed);
  auto response =
      Curl("--cacert " + ShellQuote(dir_.File("cert.pem")) + " " + HttpsUrl("/hello/again"));
  EXPECT_EQ(response.status, 200) << response.err;
}

TEST_F(ServerTlsTest, UntrustedCertificateFailsInTheClient) {
  auto response = Curl(HttpsUrl("/hello/x"));
  EXPECT_NE(response.exit_code, 0);
  EXPECT_EQ(response.status, 0);
}

}  // namespace
}  // namespace kprof::net
