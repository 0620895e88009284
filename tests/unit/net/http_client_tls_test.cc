// The HTTP client over TLS: a test CA made with the openssl CLI, kprof's HTTPS server,
// and `openssl s_server` where a client certificate is required.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "integration/process.h"
#include "net/http_client.h"
#include "net/server.h"
#include "unit/net/net_test_util.h"
#include "unit/net/scripted_server.h"

namespace kprof::net {
namespace {

using namespace std::chrono_literals;
using kprof::testing::RunCommand;
using kprof::testing::ShellQuote;
using testing::ChildProcess;
using testing::StartServer;
using testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class HttpClientTlsTest : public ::testing::Test {
 protected:
  // A CA; "server" for 127.0.0.1, "named" only for DNS name kube.test, "client" for
  // client authentication; all signed by the CA.
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto made = RunCommand(
        "cd " + ShellQuote(dir_->path()) +
        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
        " -subj /CN=kprof-test-ca -keyout ca.key -out ca.pem"
        " && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext"
        " && printf 'subjectAltName=DNS:kube.test\\n' > named.ext"
        " && printf 'extendedKeyUsage=clientAuth\\n' > client.ext"
        " && for n in server named client; do"
        "   openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=$n"
        "     -keyout $n.key -out $n.csr &&"
        "   openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2"
        "     -extfile $n.ext -out $n.pem || exit 1;"
        " done");
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    auto client = HttpClient::Create();
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  static std::string File(const std::string& name) { return dir_->File(name); }

  // kprof's HTTPS server with certificate `name`; GET /host answers with the Host header.
  std::unique_ptr<HttpServer> StartHttps(const std::string& name) {
    auto router = std::make_shared<Router>();
    router->Add(
        "GET", "/host",
        [](Request& request) {
          Response response;
          response.content_type = "text/plain";
          response.body = std::string(request.Header("host").value_or("-"));
          return response;
        },
        "host");
    ServerOptions options;
    options.tls_cert_file = File(name + ".pem");
    options.tls_key_file = File(name + ".key");
    return StartServer(options, router);
  }

  static ClientRequest Get(std::string url) {
    ClientRequest request;
    request.url = std::move(url);
    request.timeout = 10s;
    return request;
  }

  static TempDir* dir_;
  std::unique_ptr<HttpClient> client_;
};

TempDir* HttpClientTlsTest::dir_ = nullptr;

TEST_F(HttpClientTlsTest, VerifiesTheServerWithACaFileOrCaPem) {
  auto server = StartHttps("server");
  ASSERT_NE(server, nullptr);
  std::string url = "https://127.0.0.1:" + std::to_string(server->port()) + "/host";

  ClientRequest with_file = Get(url);
  with_file.tls.ca_file = File("ca.pem");
  Transfer t = client_->Do(with_file);
  ASSERT_TRUE(t.ok()) << t.status.ToString();
  EXPECT_EQ(t.response.status, 200);
  EXPECT_EQ(t.response.body, "127.0.0.1:" + std::to_string(server->port()));

  ClientRequest with_pem = Get(url);
  with_pem.tls.ca_pem = ReadFile(File("ca.pem"));
  t = client_->Do(with_pem);
  ASSERT_TRUE(t.ok()) << t.status.ToString();
  EXPECT_EQ(t.response.status, 200);
}

TEST_F(HttpClientTlsTest, UntrustedServerIsATlsFailure) {
  auto server = StartHttps("server");
  ASSERT_NE(server, nullptr);
  std::string url = "https://127.0.0.1:" + std::to_string(server->port()) + "/host";
  Transfer t = client_->Do(Get(url));  // system CAs only
  EXPECT_EQ(t.failure, FailureKind::kTls) << t.status.ToString();
  EXPECT_EQ(t.status.code(), StatusCode::kUnavailable);

  ClientRequest wrong_ca = Get(url);
  wrong_ca.tls.ca_pem = ReadFile(File("named.pem"));  // another leaf of the same CA
  t = client_->Do(wrong_ca);
  EXPECT_EQ(t.failure, FailureKind::kTls) << t.status.ToString();
}

TEST_F(HttpClientTlsTest, InsecureSkipVerifyAcceptsAnyCertificate) {
  auto server = StartHttps("named");
  ASSERT_NE(server, nullptr);
  ClientRequest request = Get("https://127.0.0.1:" + std::to_string(server->port()) + "/host");
  request.tls.insecure_skip_verify = true;
  Transfer t = client_->Do(request);
  ASSERT_TRUE(t.ok()) << t.status.ToString();
  EXPECT_EQ(t.response.status, 200);
}

TEST_F(HttpClientTlsTest, ServerNameVerifiesAgainstANameOtherThanTheUrlHost) {
  auto server = StartHttps("named");  // valid for kube.test only
  ASSERT_NE(server, nullptr);
  std::string authority = "127.0.0.1:" + std::to_string(server->port());
  ClientRequest request = Get("https://" + authority + "/host");
  request.tls.ca_file = File("ca.pem");
  Transfer t = client_->Do(request);
  EXPECT_EQ(t.failure, FailureKind::kTls) << t.status.ToString();

  request.tls.server_name = "kube.test";
  t = client_->Do(request);
  ASSERT_TRUE(t.ok()) << t.status.ToString();
  EXPECT_EQ(t.response.status, 200);
  // The request still names the host it was sent to.
  EXPECT_EQ(t.response.body, authority);

  request.tls.server_name = "other.test";
  t = client_->Do(request);
  EXPECT_EQ(t.failure, FailureKind::kTls) << t.status.ToString();
}

TEST_F(HttpClientTlsTest, ClientCertificateFromFilesOrPem) {
  ChildProcess server({"openssl", "s_server", "-accept", "127.0.0.1:0", "-www", "-Verify", "1",
                       "-CAfile", File("ca.pem"), "-cert", File("server.pem"), "-key",
                       File("server.key")});
  ASSERT_TRUE(server.started());
  std::string accept = server.WaitForLine("ACCEPT");
  ASSERT_FALSE(accept.empty()) << "openssl s_server did not start";
  std::string url = "https://127.0.0.1:" + accept.substr(accept.rfind(':') + 1) + "/";

  ClientRequest files = Get(url);
  files.tls.ca_file = File("ca.pem");
  files.tls.cert_file = File("client.pem");
  files.tls.key_file = File("client.key");
  Transfer t = client_->Do(files);
  ASSERT_TRUE(t.ok()) << t.status.ToString();
  EXPECT_EQ(t.response.status, 200);

  ClientRequest pems = Get(url);
  pems.tls.ca_pem = ReadFile(File("ca.pem"));
  pems.tls.cert_pem = ReadFile(File("client.pem"));
  pems.tls.key_pem = ReadFile(File("client.key"));
  t = client_->Do(pems);
  ASSERT_TRUE(t.ok()) << t.status.ToString();
  EXPECT_EQ(t.response.status, 200);

  ClientRequest none = Get(url);
  none.tls.ca_file = File("ca.pem");
  t = client_->Do(none);
  EXPECT_EQ(t.failure, FailureKind::kTls) << t.status.ToString();
}

TEST_F(HttpClientTlsTest, UnreadableClientKeyIsATlsFailure) {
  auto server = StartHttps("server");
  ASSERT_NE(server, nullptr);
  ClientRequest request = Get("https://127.0.0.1:" + std::to_string(server->port()) + "/host");
  request.tls.ca_file = File("ca.pem");
  request.tls.cert_pem = ReadFile(File("client.pem"));
  request.tls.key_pem = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
  Transfer t = client_->Do(request);
  EXPECT_EQ(t.failure, FailureKind::kTls) << t.status.ToString();
}

}  // namespace
}  // namespace kprof::net
