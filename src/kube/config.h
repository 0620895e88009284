// Where and how to reach a Kubernetes API server: kubeconfig files (contexts,
// current-context, KUBECONFIG with several files merged the way kubectl merges them),
// or the in-cluster service account.
//
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace kprof::kube {

struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
};

struct RestConfig {
  std::string context;  // the kubeconfig context used ("" in cluster)
  std::string server;   // https://host:port, no trailing slash
  // TLS: a CA file or its PEM data (kubeconfig's *-data fields are base64; these are
  // decoded), verification switch and name.
  std::string ca_file;
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  // Credentials: at most one of token / token_file / exec is used, in that order of
  // preference (token_file is re-read as it rotates); client certificates may be combined.
  std::string token;
  std::string token_file;
  std::string client_cert_file;
  std::string client_cert_pem;
  std::string client_key_file;
  std::string client_key_pem;
  std::optional<ExecConfig> exec;
  std::string default_namespace = "default";  // the context's namespace
  bool in_cluster = false;
};

struct ConfigOptions {
  std::string kubeconfig;  // --kubeconfig; overrides KUBECONFIG
  std::string context;     // --context; overrides current-context
  std::string cluster;     // --cluster; overrides the context's cluster (rarely used)
  std::string user;        // --user
  // For tests: the service-account directory and environment used for in-cluster config.
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// --kubeconfig, else $KUBECONFIG (':'-separated; for each map key the first file that
// sets it wins, as kubectl merges), else ~/.kube/config, else the in-cluster config.
// Errors name the file and what is missing ("context \"x\" not found in ~/.kube/config").
Result<RestConfig> LoadConfig(const ConfigOptions& options);

// The in-cluster config: KUBERNETES_SERVICE_HOST/PORT and the service account's token
// (as token_file, so it is re-read), ca.crt and namespace.
Result<RestConfig> InClusterConfig(const ConfigOptions& options);

}  // namespace kprof::kube
