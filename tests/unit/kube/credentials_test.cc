// Credential sources: static tokens, rotating token files and exec plugins (shell
// scripts written by the test that count their runs).
#include "kube/credentials.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "unit/kube/temp_files.h"

namespace kprof::kube {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

constexpr char kApiVersion[] = "client.authentication.k8s.io/v1";

std::unique_ptr<CredentialSource> MustCreate(const RestConfig& config,
                                             const CredentialOptions& options = {}) {
  auto source = CredentialSource::Create(config, options);
  EXPECT_TRUE(source.ok()) << source.status().ToString();
  return source.ok() ? std::move(source).value() : nullptr;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Credentials, StaticTokenAndConfigCertificate) {
  RestConfig config;
  config.token = "static";
  config.client_cert_pem = "cert";
  config.client_key_pem = "key";
  auto source = MustCreate(config);
  auto creds = source->Get();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->bearer_token, "static");
  EXPECT_EQ(creds->cert_pem, "cert");
  EXPECT_EQ(creds->key_pem, "key");
}

TEST(Credentials, NoCredentialsIsNotAnError) {
  auto source = MustCreate(RestConfig{});
  auto creds = source->Get();
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->bearer_token, "");
}

TEST(Credentials, TokenFileIsReadAgainAfterItRotates) {
  TempDir dir;
  RestConfig config;
  config.token_file = dir.Write("token", "first\n");
  CredentialOptions options;
  options.token_file_check_interval = 1h;  // only Invalidate makes it look again
  auto source = MustCreate(config, options);
  EXPECT_EQ(source->Get()->bearer_token, "first");

  // As kubelet does: a new file moved into place.
  dir.Write("token.new", "second");
  ASSERT_EQ(std::rename(dir.File("token.new").c_str(), config.token_file.c_str()), 0);
  EXPECT_EQ(source->Get()->bearer_token, "first");  // not checked again yet
  source->Invalidate();
  EXPECT_EQ(source->Get()->bearer_token, "second");
}

TEST(Credentials, TokenFileIsCheckedAgainAfterTheInterval) {
  TempDir dir;
  RestConfig config;
  config.token_file = dir.Write("token", "first");
  CredentialOptions options;
  options.token_file_check_interval = 50ms;
  auto source = MustCreate(config, options);
  EXPECT_EQ(source->Get()->bearer_token, "first");
  dir.Write("token", "second-and-longer");  // rewritten in place: the size changes
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(source->Get()->bearer_token, "second-and-longer");
}

TEST(Credentials, TokenFileThatVanishesKeepsTheLastToken) {
  TempDir dir;
  RestConfig config;
  config.token_file = dir.Write("token", "kept");
  CredentialOptions options;
  options.token_file_check_interval = 1ms;
  auto source = MustCreate(config, options);
  EXPECT_EQ(source->Get()->bearer_token, "kept");
  std::remove(config.token_file.c_str());
  source->Invalidate();
  EXPECT_EQ(source->Get()->bearer_token, "kept");
}

TEST(Credentials, MissingTokenFileIsAnErrorNamingIt) {
  RestConfig config;
  config.token_file = "/nonexistent/kprof/token";
  auto source = MustCreate(config);
  auto creds = source->Get();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(creds.status().message().find("/nonexistent/kprof/token"), std::string::npos);
}

// A plugin that appends a line to `runs` each time, then prints an ExecCredential with
// token "tok-<run>" that expires `lifetime` (a GNU date offset) from now.
class ExecPluginTest : public ::testing::Test {
 protected:
  std::string WritePlugin(const std::string& body) {
    return dir_.Write("plugin.sh", "#!/bin/sh\nRUNS=" + dir_.File("runs") + "\n" + body,
                      /*executable=*/true);
  }

  std::string CountingPlugin(const std::string& lifetime, const std::string& delay = "0") {
    return WritePlugin(
        "echo run >> \"$RUNS\"\n"
        "n=$(wc -l < \"$RUNS\" | tr -d ' ')\n"
        "sleep " +
        delay +
        "\n"
        "exp=$(date -u -d '" +
        lifetime +
        "' +%Y-%m-%dT%H:%M:%SZ)\n"
        "printf '{\"apiVersion\":\"" +
        std::string(kApiVersion) +
        "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-%s\","
        "\"expirationTimestamp\":\"%s\"}}' \"$n\" \"$exp\"\n");
  }

  int Runs() {
    std::string runs = ReadAll(dir_.File("runs"));
    return static_cast<int>(std::count(runs.begin(), runs.end(), '\n'));
  }

  RestConfig Config(const std::string& command, std::vector<std::string> args = {}) {
    RestConfig config;
    config.exec = ExecConfig{kApiVersion, command, std::move(args), {}};
    return config;
  }

  TempDir dir_;
};

TEST_F(ExecPluginTest, CachesTheCredentialUntilShortlyBeforeItExpires) {
  auto source = MustCreate(Config(CountingPlugin("+4 seconds")));
  auto started = std::chrono::steady_clock::now();
  auto creds = source->Get();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->bearer_token, "tok-1");
  EXPECT_EQ(source->Get()->bearer_token, "tok-1");
  EXPECT_EQ(Runs(), 1);
  // It expires 3-4 s from the start (the plugin prints whole seconds); with so short a
  // lifetime it is renewed after three quarters of it, so by 3.5 s at the latest.
  std::this_thread::sleep_until(started + 3500ms);
  EXPECT_EQ(source->Get()->bearer_token, "tok-2");
  EXPECT_EQ(source->Get()->bearer_token, "tok-2");
  EXPECT_EQ(Runs(), 2);
}

TEST_F(ExecPluginTest, InvalidateRunsThePluginAgain) {
  auto source = MustCreate(Config(CountingPlugin("+1 hour")));
  EXPECT_EQ(source->Get()->bearer_token, "tok-1");
  EXPECT_EQ(source->Get()->bearer_token, "tok-1");
  source->Invalidate();
  EXPECT_EQ(source->Get()->bearer_token, "tok-2");
  EXPECT_EQ(Runs(), 2);
}

TEST_F(ExecPluginTest, ManyThreadsAskingAtOnceRunItOnce) {
  auto source = MustCreate(Config(CountingPlugin("+1 hour", "0.3")));
  std::vector<std::thread> threads;
  std::atomic<int> got{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      auto creds = source->Get();
      got += creds.ok() && creds->bearer_token == "tok-1";
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(got.load(), 16);
  EXPECT_EQ(Runs(), 1);
}

TEST_F(ExecPluginTest, AlreadyExpiredCredentialIsUsedOnceAndRenewedNextTime) {
  std::string plugin = WritePlugin(
      "echo run >> \"$RUNS\"\n"
      "printf '{\"apiVersion\":\"" +
      std::string(kApiVersion) +
      "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"old\","
      "\"expirationTimestamp\":\"2001-02-03T04:05:06.789+02:00\"}}'\n");
  auto source = MustCreate(Config(plugin));
  EXPECT_EQ(source->Get()->bearer_token, "old");
  EXPECT_EQ(source->Get()->bearer_token, "old");
  EXPECT_EQ(Runs(), 2);
}

TEST_F(ExecPluginTest, GetsArgumentsEnvironmentAndExecInfo) {
  std::string plugin =
      WritePlugin("printf '%s' \"$KUBERNETES_EXEC_INFO\" > " + dir_.File("info") +
                  "\n"
                  "printf '{\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\",\"status\":"
                  "{\"token\":\"%s-%s-%s\"}}' \"" +
                  std::string(kApiVersion) + "\" \"$1\" \"$2\" \"$PLUGIN_MODE\"\n");
  RestConfig config = Config(plugin, {"first arg", "second"});
  config.exec->env = {{"PLUGIN_MODE", "test"}};
  auto source = MustCreate(config);
  auto creds = source->Get();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->bearer_token, "first arg-second-test");
  auto info = nlohmann::json::parse(ReadAll(dir_.File("info")), nullptr, false);
  ASSERT_FALSE(info.is_discarded()) << ReadAll(dir_.File("info"));
  EXPECT_EQ(info["apiVersion"], kApiVersion);
  EXPECT_EQ(info["kind"], "ExecCredential");
  EXPECT_EQ(info["spec"]["interactive"], false);
}

TEST_F(ExecPluginTest, ClientCertificateFromThePluginReplacesTheConfigOne) {
  std::string plugin = WritePlugin(
      "printf '{\"apiVersion\":\"" + std::string(kApiVersion) +
      "\",\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"PLUGIN CERT\","
      "\"clientKeyData\":\"PLUGIN KEY\"}}'\n");
  RestConfig config = Config(plugin);
  config.client_cert_pem = "config cert";
  config.client_key_pem = "config key";
  auto source = MustCreate(config);
  auto creds = source->Get();
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->bearer_token, "");
  EXPECT_EQ(creds->cert_pem, "PLUGIN CERT");
  EXPECT_EQ(creds->key_pem, "PLUGIN KEY");
}

TEST_F(ExecPluginTest, FailureReportsExitStatusAndStderr) {
  std::string plugin = WritePlugin(
      "echo run >> \"$RUNS\"\n"
      "echo 'error: You must be logged in to the server' >&2\nexit 3\n");
  CredentialOptions options;
  options.exec_retry_after = 1h;
  auto source = MustCreate(Config(plugin), options);
  auto creds = source->Get();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().code(), StatusCode::kUnavailable);
  const std::string& message = creds.status().message();
  EXPECT_NE(message.find(plugin), std::string::npos) << message;
  EXPECT_NE(message.find("exit status 3"), std::string::npos) << message;
  EXPECT_NE(message.find("You must be logged in"), std::string::npos) << message;
  // Callers right after a failure get it without another run; Invalidate retries.
  EXPECT_FALSE(source->Get().ok());
  EXPECT_EQ(Runs(), 1);
  source->Invalidate();
  EXPECT_FALSE(source->Get().ok());
  EXPECT_EQ(Runs(), 2);
}

TEST_F(ExecPluginTest, SlowPluginIsKilledAtTheTimeout) {
  std::string plugin = WritePlugin("echo still thinking >&2\nexec sleep 30\n");
  CredentialOptions options;
  options.exec_timeout = 300ms;
  auto source = MustCreate(Config(plugin), options);
  auto started = std::chrono::steady_clock::now();
  auto creds = source->Get();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find("no answer within 300 ms"), std::string::npos)
      << creds.status().message();
  EXPECT_NE(creds.status().message().find("still thinking"), std::string::npos)
      << creds.status().message();
}

TEST_F(ExecPluginTest, EndlessOutputIsCutOff) {
  std::string plugin = WritePlugin("exec yes\n");
  CredentialOptions options;
  options.exec_max_output_bytes = 64 << 10;
  auto source = MustCreate(Config(plugin), options);
  auto creds = source->Get();
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find("printed more than 65536 bytes"), std::string::npos)
      << creds.status().message();
}

TEST_F(ExecPluginTest, MalformedOutputsAreErrors) {
  struct Case {
    std::string output;
    std::string words;
  };
  std::string v = kApiVersion;
  for (const Case& c : {
           Case{"not json", "not an ExecCredential"},
           Case{R"({"apiVersion":")" + v + R"(","kind":"Pod","status":{"token":"t"}})",
                "kind \"Pod\""},
           Case{R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",)"
                R"("status":{"token":"t"}})",
                "apiVersion"},
           Case{R"({"apiVersion":")" + v + R"(","kind":"ExecCredential"})", "no status"},
           Case{R"({"apiVersion":")" + v + R"(","kind":"ExecCredential","status":{}})",
                "neither a token nor a client certificate"},
           Case{R"({"apiVersion":")" + v +
                    R"(","kind":"ExecCredential","status":{"clientCertificateData":"c"}})",
                "only one of"},
           Case{R"({"apiVersion":")" + v +
                    R"(","kind":"ExecCredential","status":)"
                    R"({"token":"t","expirationTimestamp":"tomorrow"}})",
                "not RFC 3339"},
       }) {
    dir_.Write("output", c.output);
    std::string plugin = WritePlugin("cat " + dir_.File("output") + "\n");
    auto source = MustCreate(Config(plugin));
    auto creds = source->Get();
    ASSERT_FALSE(creds.ok()) << c.output;
    EXPECT_NE(creds.status().message().find(c.words), std::string::npos)
        << c.output << " → " << creds.status().message();
  }
}

TEST_F(ExecPluginTest, MissingCommandIsAnError) {
  auto source = MustCreate(Config("kprof-no-such-credential-plugin"));
  auto creds = source->Get();
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find("kprof-no-such-credential-plugin"), std::string::npos);
}

TEST(Credentials, ExecWithoutApiVersionIsRejectedUpFront) {
  RestConfig config;
  config.exec = ExecConfig{"", "plugin", {}, {}};
  auto source = CredentialSource::Create(config);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kprof::kube
