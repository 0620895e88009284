// The server with --tokens-file, and its refusal to listen openly without one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "integration/kprof_test.h"
#include "integration/server_process.h"

namespace kprof::testing {
namespace {

namespace fs = std::filesystem;

class ServerAuth : public KprofTest {
 protected:
  void SetUp() override {
    KprofTest::SetUp();
    dir_ = fs::temp_directory_path() /
           ("kprof-auth-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // HTTP status of curl with an optional bearer token.
  int Status(const std::string& args, const std::string& token) {
    std::string auth = token.empty() ? "" : " -H " + ShellQuote("Authorization: Bearer " + token);
    CommandResult r = RunCommand("curl -sS -o /dev/null -w '%{http_code}'" + auth + " " + args);
    return std::atoi(r.out.c_str());
  }

  fs::path dir_;
};

TEST_F(ServerAuth, TokensGateReadsAndWrites) {
  std::string tokens = (dir_ / "tokens").string();
  std::ofstream(tokens) << "read  reader-0123456789abcdef\nwrite writer-0123456789abcdef\n";
  ServerProcess server(kprof_, (dir_ / "data").string(), {"--tokens-file", tokens});
  ASSERT_TRUE(server.Start()) << server.log();
  std::string upload = "-X POST --data-binary @" + File("cpu-a.pb.gz") + " " +
                       ShellQuote(server.url("/api/0/profiles?service=s&type=cpu"));
  std::string list = ShellQuote(server.url("/api/v1/profiles?from=2000-01-01T00:00:00Z"));
  EXPECT_EQ(Status(upload, ""), 401);
  EXPECT_EQ(Status(upload, "reader-0123456789abcdef"), 403);
  EXPECT_EQ(Status(upload, "writer-0123456789abcdef"), 200);
  EXPECT_EQ(Status(list, ""), 401);
  EXPECT_EQ(Status(list, "writer-0123456789abcdef"), 403);
  EXPECT_EQ(Status(list, "reader-0123456789abcdef"), 200);
  EXPECT_EQ(Status(ShellQuote(server.url("/metrics")), ""), 401);
  EXPECT_EQ(Status(ShellQuote(server.url("/healthz")), ""), 200);
  CommandResult challenge = RunCommand("curl -sS -D - -o /dev/null " + list);
  EXPECT_NE(challenge.out.find("WWW-Authenticate: Bearer"), std::string::npos) << challenge.out;
}

TEST_F(ServerAuth, ServesHttpsWithTheGivenCertificate) {
  std::string cert = (dir_ / "cert.pem").string(), key = (dir_ / "key.pem").string();
  CommandResult gen = RunCommand(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      ShellQuote(key) + " -out " + ShellQuote(cert));
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  ServerProcess server(kprof_, (dir_ / "data").string(), {"--tls-cert", cert, "--tls-key", key});
  ASSERT_TRUE(server.StartTls()) << server.log();
  std::string base = "https://127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(
      Status("--cacert " + ShellQuote(cert) + " -X POST --data-binary @" + File("heap-a.pb.gz") +
                 " " + ShellQuote(base + "/api/0/profiles?service=s&type=heap"),
             ""),
      200);
  EXPECT_EQ(Status("--cacert " + ShellQuote(cert) + " " + ShellQuote(base + "/api/0/services"), ""),
            200);
  // Without trusting the certificate, curl refuses: the server really speaks TLS.
  EXPECT_EQ(Status(ShellQuote(base + "/api/0/services"), ""), 0);
}

TEST_F(ServerAuth, RefusesAnOpenAddressWithoutTokensUnlessInsecure) {
  CommandResult r =
      Kprof("server --listen 0.0.0.0:0 --data-dir " + ShellQuote((dir_ / "data").string()));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--tokens-file"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "data")) << "it must refuse before touching the store";
}

}  // namespace
}  // namespace kprof::testing
