// kubeconfig loading: contexts, KUBECONFIG merging as kubectl does it, relative paths,
// *-data fields, exec plugins, in-cluster config and the errors for broken files.
#include "kube/config.h"

#include <gtest/gtest.h>

#include "unit/kube/temp_files.h"

namespace kprof::kube {
namespace {

using testing::ScopedEnv;
using testing::TempDir;

constexpr char kFull[] = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example:6443/
    certificate-authority-data: Y2EtZGF0YQ==
    tls-server-name: kubernetes.default
- name: prod-cluster
  cluster:
    server: https://prod.example
    insecure-skip-tls-verify: true
users:
- name: dev-user
  user:
    token: dev-token
    client-certificate-data: Y2VydC1kYXRh
    client-key-data: a2V5LWRhdGE=
- name: prod-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws
      args: [eks, get-token, --cluster-name, prod]
      env:
      - name: AWS_PROFILE
        value: prod
      - name: EMPTY
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: team-a}
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
)";

// Every test starts from an environment without kubeconfig or in-cluster variables.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.Unset("KUBECONFIG");
    env_.Unset("KUBERNETES_SERVICE_HOST");
    env_.Unset("KUBERNETES_SERVICE_PORT");
    env_.Unset("POD_NAMESPACE");
    env_.Set("HOME", dir_.File("home"));
  }

  ConfigOptions Explicit(const std::string& path) {
    ConfigOptions options;
    options.kubeconfig = path;
    return options;
  }

  TempDir dir_;
  ScopedEnv env_;
};

TEST_F(ConfigTest, CurrentContextSelectsClusterUserAndNamespace) {
  auto config = LoadConfig(Explicit(dir_.Write("config", kFull)));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->context, "dev");
  EXPECT_EQ(config->server, "https://dev.example:6443");  // trailing slash dropped
  EXPECT_EQ(config->ca_pem, "ca-data");
  EXPECT_EQ(config->ca_file, "");
  EXPECT_EQ(config->tls_server_name, "kubernetes.default");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->token, "dev-token");
  EXPECT_EQ(config->client_cert_pem, "cert-data");
  EXPECT_EQ(config->client_key_pem, "key-data");
  EXPECT_FALSE(config->exec.has_value());
  EXPECT_EQ(config->default_namespace, "team-a");
  EXPECT_FALSE(config->in_cluster);
}

TEST_F(ConfigTest, ContextOptionOverridesCurrentContextAndReadsExec) {
  ConfigOptions options = Explicit(dir_.Write("config", kFull));
  options.context = "prod";
  auto config = LoadConfig(options);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://prod.example");
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->default_namespace, "default");
  ASSERT_TRUE(config->exec.has_value());
  EXPECT_EQ(config->exec->api_version, "client.authentication.k8s.io/v1");
  EXPECT_EQ(config->exec->command, "aws");  // a bare name stays a PATH lookup
  EXPECT_EQ(config->exec->args,
            (std::vector<std::string>{"eks", "get-token", "--cluster-name", "prod"}));
  using Env = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(config->exec->env, (Env{{"AWS_PROFILE", "prod"}, {"EMPTY", ""}}));
  EXPECT_EQ(config->token, "");
}

TEST_F(ConfigTest, ClusterAndUserOptionsOverrideTheContext) {
  ConfigOptions options = Explicit(dir_.Write("config", kFull));
  options.cluster = "prod-cluster";
  options.user = "prod-user";
  auto config = LoadConfig(options);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://prod.example");
  EXPECT_TRUE(config->exec.has_value());
  EXPECT_EQ(config->default_namespace, "team-a");  // still the dev context's namespace
}

TEST_F(ConfigTest, KubeconfigListMergesWithTheFirstFileWinning) {
  std::string first = dir_.Write("first", R"(
current-context: a
clusters:
- name: shared
  cluster: {server: https://first}
contexts:
- name: a
  context: {cluster: shared, user: u}
users:
- name: u
  user: {token: first-token}
)");
  std::string second = dir_.Write("second", R"(
current-context: b
clusters:
- name: shared
  cluster: {server: https://second}
- name: only-second
  cluster: {server: https://only-second}
contexts:
- name: a
  context: {cluster: only-second}
- name: b
  context: {cluster: only-second, user: u, namespace: nb}
users:
- name: u
  user: {token: second-token}
)");
  env_.Set("KUBECONFIG", first + "::" + dir_.File("does-not-exist") + ":" + second);
  auto config = LoadConfig({});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->context, "a");
  EXPECT_EQ(config->server, "https://first");
  EXPECT_EQ(config->token, "first-token");

  ConfigOptions options;
  options.context = "b";
  config = LoadConfig(options);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://only-second");
  EXPECT_EQ(config->token, "first-token");  // user u from the first file
  EXPECT_EQ(config->default_namespace, "nb");
}

TEST_F(ConfigTest, CurrentContextComesFromTheFirstFileThatSetsIt) {
  std::string first = dir_.Write("first", R"(
clusters:
- name: c
  cluster: {server: https://c}
)");
  std::string second = dir_.Write("second", R"(
current-context: x
contexts:
- name: x
  context: {cluster: c}
)");
  env_.Set("KUBECONFIG", first + ":" + second);
  auto config = LoadConfig({});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->context, "x");
  EXPECT_EQ(config->server, "https://c");
}

TEST_F(ConfigTest, KubeconfigOptionWinsOverTheEnvironment) {
  env_.Set("KUBECONFIG", dir_.Write("from-env", "current-context: nope\n"));
  auto config = LoadConfig(Explicit(dir_.Write("config", kFull)));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->context, "dev");
}

TEST_F(ConfigTest, DefaultsToKubeConfigInHome) {
  dir_.Write("home/.kube/config", kFull);
  auto config = LoadConfig({});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->context, "dev");
}

TEST_F(ConfigTest, RelativePathsResolveAgainstTheirOwnFile) {
  std::string clusters = dir_.Write("a/clusters.yaml", R"(
clusters:
- name: c
  cluster:
    server: https://c
    certificate-authority: pki/ca.crt
)");
  std::string users_yaml = R"(
current-context: x
contexts:
- name: x
  context: {cluster: c, user: u}
users:
- name: u
  user:
    tokenFile: ../token
    client-certificate: certs/client.crt
    client-key: KEY
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ./bin/plugin
)";
  std::string users =
      dir_.Write("b/nested/users.yaml",
                 users_yaml.replace(users_yaml.find("KEY"), 3, dir_.File("b/nested/client.key")));
  dir_.Write("a/pki/ca.crt", "ca");
  dir_.Write("b/nested/certs/client.crt", "cert");
  dir_.Write("b/nested/client.key", "key");
  env_.Set("KUBECONFIG", clusters + ":" + users);
  auto config = LoadConfig({});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->ca_file, dir_.File("a/pki/ca.crt"));
  EXPECT_EQ(config->token_file, dir_.File("b/token"));
  EXPECT_EQ(config->client_cert_file, dir_.File("b/nested/certs/client.crt"));
  EXPECT_EQ(config->client_key_file, dir_.File("b/nested/client.key"));  // absolute
  ASSERT_TRUE(config->exec.has_value());
  EXPECT_EQ(config->exec->command, dir_.File("b/nested/bin/plugin"));
}

TEST_F(ConfigTest, MissingPiecesAreNamedWithTheirFile) {
  std::string path = dir_.Write("config", R"(
current-context: ghost
clusters:
- name: no-server
  cluster: {certificate-authority: ca.crt}
contexts:
- name: missing-cluster
  context: {cluster: nowhere}
- name: missing-user
  context: {cluster: no-server, user: nobody}
- name: bad-cluster
  context: {cluster: no-server}
)");
  struct Case {
    std::string context;
    StatusCode code;
    std::string words;
  };
  for (const Case& c : {Case{"", StatusCode::kNotFound, "context \"ghost\" not found in " + path},
                        Case{"missing-cluster", StatusCode::kNotFound, "cluster \"nowhere\""},
                        Case{"missing-user", StatusCode::kNotFound, "user \"nobody\""},
                        Case{"bad-cluster", StatusCode::kInvalidArgument, "has no server"}}) {
    ConfigOptions options = Explicit(path);
    options.context = c.context;
    auto config = LoadConfig(options);
    ASSERT_FALSE(config.ok()) << c.context;
    EXPECT_EQ(config.status().code(), c.code) << config.status().ToString();
    EXPECT_NE(config.status().message().find(c.words), std::string::npos)
        << config.status().message();
    EXPECT_NE(config.status().message().find(path), std::string::npos) << config.status().message();
  }
}

TEST_F(ConfigTest, MissingCertificateFilesAreNamed) {
  std::string path = dir_.Write("config", R"(
current-context: x
clusters:
- name: c
  cluster: {server: https://c, certificate-authority: missing-ca.crt}
contexts:
- name: x
  context: {cluster: c}
)");
  auto config = LoadConfig(Explicit(path));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
  EXPECT_NE(config.status().message().find("certificate-authority " + dir_.File("missing-ca.crt") +
                                           " does not exist"),
            std::string::npos)
      << config.status().message();
  EXPECT_NE(config.status().message().find(path), std::string::npos);
}

TEST_F(ConfigTest, NoCurrentContextIsAnError) {
  std::string path = dir_.Write("config", "clusters: []\n");
  auto config = LoadConfig(Explicit(path));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("no current-context in " + path), std::string::npos)
      << config.status().message();
}

TEST_F(ConfigTest, MissingExplicitFileIsNotFound) {
  auto config = LoadConfig(Explicit(dir_.File("nope")));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
  EXPECT_NE(config.status().message().find(dir_.File("nope")), std::string::npos);
}

TEST_F(ConfigTest, BrokenFilesAreInvalidArgument) {
  const char* broken[] = {
      "clusters: [ {name: a\n",                       // unterminated flow
      "clusters:\n  - name: a\n    cluster: x\n",     // cluster is not a map
      "clusters: 5\n",                                // not a list
      "- just\n- a list\n",                           // top level is not a map
      "clusters:\n- cluster: {server: https://x}\n",  // no name
      "current-context: [a, b]\n",                    // not a string
      "\t\"unbalanced: '\n",                          // tab and open quote
  };
  for (const char* text : broken) {
    auto config = LoadConfig(Explicit(dir_.Write("config", text)));
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument)
        << text << ": " << config.status().ToString();
    EXPECT_NE(config.status().message().find(dir_.File("config")), std::string::npos)
        << config.status().message();
  }
}

TEST_F(ConfigTest, BadFieldValuesAreInvalidArgument) {
  const char* head = "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n";
  const char* bad[] = {
      "clusters:\n- name: c\n  cluster: {server: https://c, insecure-skip-tls-verify: maybe}\n"
      "users:\n- name: u\n  user: {}\n",
      "clusters:\n- name: c\n  cluster: {server: https://c, certificate-authority-data: '%%%'}\n"
      "users:\n- name: u\n  user: {}\n",
      "clusters:\n- name: c\n  cluster: {server: https://c}\n"
      "users:\n- name: u\n  user: {exec: {command: x}}\n",  // no apiVersion
      "clusters:\n- name: c\n  cluster: {server: https://c}\n"
      "users:\n- name: u\n  user: {exec: {apiVersion: v1, command: x, args: {a: b}}}\n",
      "clusters:\n- name: c\n  cluster: {server: https://c}\n"
      "users:\n- name: u\n  user: {client-certificate-data: Y2VydC1kYXRh}\n",  // no key
      "clusters:\n- name: c\n  cluster: {server: https://c}\n"
      "users:\n- name: u\n  user: {auth-provider: {name: gcp}}\n",
  };
  for (const char* tail : bad) {
    auto config = LoadConfig(Explicit(dir_.Write("config", std::string(head) + tail)));
    ASSERT_FALSE(config.ok()) << tail;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument)
        << tail << ": " << config.status().ToString();
    EXPECT_NE(config.status().message().find(dir_.File("config")), std::string::npos)
        << config.status().message();
  }
}

class InClusterTest : public ConfigTest {
 protected:
  void SetUp() override {
    ConfigTest::SetUp();
    dir_.Write("sa/token", "sa-token\n");
    dir_.Write("sa/ca.crt", "ca\n");
    dir_.Write("sa/namespace", "monitoring\n");
    options_.service_account_dir = dir_.File("sa");
  }
  ConfigOptions options_;
};

TEST_F(InClusterTest, ReadsServiceAccountAndEnvironment) {
  env_.Set("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  env_.Set("KUBERNETES_SERVICE_PORT", "443");
  auto config = InClusterConfig(options_);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->in_cluster);
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->token_file, dir_.File("sa/token"));
  EXPECT_EQ(config->token, "");
  EXPECT_EQ(config->ca_file, dir_.File("sa/ca.crt"));
  EXPECT_EQ(config->default_namespace, "monitoring");
}

TEST_F(InClusterTest, BracketsAnIpv6Host) {
  env_.Set("KUBERNETES_SERVICE_HOST", "fd00::1");
  env_.Set("KUBERNETES_SERVICE_PORT", "443");
  auto config = InClusterConfig(options_);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server, "https://[fd00::1]:443");
}

TEST_F(InClusterTest, IsTheFallbackWhenThereIsNoKubeconfig) {
  env_.Set("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  env_.Set("KUBERNETES_SERVICE_PORT", "443");
  env_.Set("KUBECONFIG", dir_.File("missing-a") + ":" + dir_.File("missing-b"));
  auto config = LoadConfig(options_);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->in_cluster);
}

TEST_F(InClusterTest, WithoutEnvironmentOrTokenItFails) {
  auto config = LoadConfig(options_);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
  EXPECT_NE(config.status().message().find("KUBERNETES_SERVICE_HOST"), std::string::npos);

  env_.Set("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  env_.Set("KUBERNETES_SERVICE_PORT", "443");
  options_.service_account_dir = dir_.File("elsewhere");
  config = InClusterConfig(options_);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(dir_.File("elsewhere/token")), std::string::npos)
      << config.status().message();
}

}  // namespace
}  // namespace kprof::kube
