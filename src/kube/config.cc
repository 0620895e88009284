// kubeconfig loading with yaml-cpp, merged across files the way kubectl merges
// KUBECONFIG: for clusters, users and contexts the first file that names an entry wins,
// and current-context comes from the first file that sets it. Every entry remembers the
// file it came from, so its relative paths resolve against that file's directory and
// errors can name the file.
#include "kube/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "base/strings.h"

namespace kprof::kube {

namespace {

namespace fs = std::filesystem;

// One clusters[]/users[]/contexts[] entry's body and where it was read.
struct Entry {
  YAML::Node body;
  std::string file;
};

struct Kubeconfig {
  std::vector<std::string> files;  // the files read, in order
  std::map<std::string, Entry> clusters;
  std::map<std::string, Entry> users;
  std::map<std::string, Entry> contexts;
  std::string current_context;
  bool empty() const { return clusters.empty() && users.empty() && contexts.empty(); }
};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Standard base64, padding optional, whitespace ignored (kubeconfig *-data fields).
bool Base64Decode(std::string_view in, std::string* out) {
  out->clear();
  std::uint32_t buffer = 0;
  int bits = 0;
  bool padding = false;
  for (char c : in) {
    int value;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      value = c - '0' + 52;
    } else if (c == '+') {
      value = 62;
    } else if (c == '/') {
      value = 63;
    } else if (c == '=') {
      padding = true;
      continue;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    } else {
      return false;
    }
    if (padding) return false;  // data after '='
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return bits < 6;  // a lone trailing character carries no whole byte
}

// Reads the kubeconfig fields of one entry. yaml-cpp throws on type mismatches; the
// caller turns that into an error naming the file.
class Fields {
 public:
  Fields(const YAML::Node& node, std::string what) : node_(node), what_(std::move(what)) {}

  std::string String(const char* key) const {
    YAML::Node value = node_[key];
    if (!value.IsDefined() || value.IsNull()) return "";
    if (!value.IsScalar())
      throw YAML::Exception(value.Mark(), what_ + ": " + key + " is not a string");
    return value.Scalar();
  }
  bool Bool(const char* key) const {
    YAML::Node value = node_[key];
    if (!value.IsDefined() || value.IsNull()) return false;
    return value.as<bool>();
  }
  const YAML::Node Node(const char* key) const { return node_[key]; }

 private:
  const YAML::Node node_;
  std::string what_;
};

// Reads one kubeconfig file into `config`, keeping entries already there.
Status MergeFile(const std::string& path, Kubeconfig* config) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return NotFound("kubeconfig " + path + ": cannot be read");
  } catch (const YAML::Exception& e) {
    return InvalidArgument("kubeconfig " + path + ": malformed YAML: " + e.what());
  }
  config->files.push_back(path);
  if (root.IsNull()) return Status::Ok();  // an empty file adds nothing
  if (!root.IsMap()) return InvalidArgument("kubeconfig " + path + ": the top level is not a map");
  const YAML::Node& top = root;  // const: lookups must not add keys
  try {
    struct List {
      const char* key;
      const char* body;
      std::map<std::string, Entry>* into;
    };
    for (const List& list :
         {List{"clusters", "cluster", &config->clusters}, List{"users", "user", &config->users},
          List{"contexts", "context", &config->contexts}}) {
      YAML::Node items = top[list.key];
      if (!items.IsDefined() || items.IsNull()) continue;
      if (!items.IsSequence()) {
        return InvalidArgument("kubeconfig " + path + ": " + list.key + " is not a list");
      }
      for (std::size_t i = 0; i < items.size(); ++i) {
        const YAML::Node item = items[i];
        std::string where = std::string(list.key) + "[" + std::to_string(i) + "]";
        if (!item.IsMap())
          return InvalidArgument("kubeconfig " + path + ": " + where + " is not a map");
        std::string name = Fields(item, where).String("name");
        if (name.empty())
          return InvalidArgument("kubeconfig " + path + ": " + where + " has no name");
        YAML::Node body = item[list.body];
        if (body.IsDefined() && !body.IsNull() && !body.IsMap()) {
          return InvalidArgument("kubeconfig " + path + ": " + list.key + " " + Quote(name) + ": " +
                                 list.body + " is not a map");
        }
        list.into->emplace(name, Entry{body, path});  // keeps an earlier file's entry
      }
    }
    if (config->current_context.empty()) {
      config->current_context = Fields(top, "top level").String("current-context");
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument("kubeconfig " + path + ": " + e.what());
  }
  return Status::Ok();
}

// `path` relative to the directory of the kubeconfig file that named it.
std::string ResolvePath(const std::string& path, const std::string& kubeconfig) {
  if (path.empty() || path.front() == '/') return path;
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(kubeconfig), ec).parent_path();
  return (dir / path).lexically_normal().string();
}

// A named certificate or key must exist now: the TLS error it would cause later names
// neither the kubeconfig nor the field.
Status MustExist(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (path.empty() || fs::is_regular_file(path, ec)) return Status::Ok();
  return NotFound(what + " " + path + " does not exist");
}

Status DecodeData(const std::string& data, const std::string& what, std::string* out) {
  if (!Base64Decode(data, out)) return InvalidArgument(what + " is not valid base64");
  return Status::Ok();
}

Status ReadCluster(const Entry& entry, const std::string& name, RestConfig* config) {
  std::string what = "kubeconfig " + entry.file + ": cluster " + Quote(name);
  Fields f(entry.body, what);
  config->server = f.String("server");
  while (!config->server.empty() && config->server.back() == '/') config->server.pop_back();
  if (config->server.empty()) return InvalidArgument(what + " has no server");
  std::string ca_data = f.String("certificate-authority-data");
  if (!ca_data.empty()) {
    KPROF_RETURN_IF_ERROR(
        DecodeData(ca_data, what + ": certificate-authority-data", &config->ca_pem));
  } else {
    config->ca_file = ResolvePath(f.String("certificate-authority"), entry.file);
    KPROF_RETURN_IF_ERROR(MustExist(config->ca_file, what + ": certificate-authority"));
  }
  config->insecure_skip_tls_verify = f.Bool("insecure-skip-tls-verify");
  config->tls_server_name = f.String("tls-server-name");
  return Status::Ok();
}

Status ReadExec(const YAML::Node& node, const std::string& what, const std::string& file,
                RestConfig* config) {
  Fields f(node, what + ": exec");
  ExecConfig exec;
  exec.api_version = f.String("apiVersion");
  exec.command = f.String("command");
  if (exec.command.empty()) return InvalidArgument(what + ": exec has no command");
  if (exec.api_version.empty()) return InvalidArgument(what + ": exec has no apiVersion");
  // As kubectl: a command with a slash is a path (relative to the kubeconfig), a bare
  // name is looked up on PATH.
  if (exec.command.find('/') != std::string::npos) exec.command = ResolvePath(exec.command, file);
  YAML::Node args = f.Node("args");
  if (args.IsDefined() && !args.IsNull()) {
    if (!args.IsSequence()) return InvalidArgument(what + ": exec args is not a list");
    for (const auto& arg : args) exec.args.push_back(arg.as<std::string>());
  }
  YAML::Node env = f.Node("env");
  if (env.IsDefined() && !env.IsNull()) {
    if (!env.IsSequence()) return InvalidArgument(what + ": exec env is not a list");
    for (std::size_t i = 0; i < env.size(); ++i) {
      Fields var(env[i], what + ": exec env[" + std::to_string(i) + "]");
      std::string name = var.String("name");
      if (name.empty()) {
        return InvalidArgument(what + ": exec env[" + std::to_string(i) + "] has no name");
      }
      exec.env.emplace_back(name, var.String("value"));
    }
  }
  config->exec = std::move(exec);
  return Status::Ok();
}

Status ReadUser(const Entry& entry, const std::string& name, RestConfig* config) {
  std::string what = "kubeconfig " + entry.file + ": user " + Quote(name);
  Fields f(entry.body, what);
  config->token = f.String("token");
  config->token_file = ResolvePath(f.String("tokenFile"), entry.file);
  std::string cert_data = f.String("client-certificate-data");
  if (!cert_data.empty()) {
    KPROF_RETURN_IF_ERROR(
        DecodeData(cert_data, what + ": client-certificate-data", &config->client_cert_pem));
  } else {
    config->client_cert_file = ResolvePath(f.String("client-certificate"), entry.file);
    KPROF_RETURN_IF_ERROR(MustExist(config->client_cert_file, what + ": client-certificate"));
  }
  std::string key_data = f.String("client-key-data");
  if (!key_data.empty()) {
    KPROF_RETURN_IF_ERROR(
        DecodeData(key_data, what + ": client-key-data", &config->client_key_pem));
  } else {
    config->client_key_file = ResolvePath(f.String("client-key"), entry.file);
    KPROF_RETURN_IF_ERROR(MustExist(config->client_key_file, what + ": client-key"));
  }
  bool has_cert = !config->client_cert_pem.empty() || !config->client_cert_file.empty();
  bool has_key = !config->client_key_pem.empty() || !config->client_key_file.empty();
  if (has_cert != has_key) {
    return InvalidArgument(what +
                           ": a client certificate needs a client key and the other way round");
  }
  YAML::Node exec = f.Node("exec");
  if (exec.IsDefined() && !exec.IsNull()) {
    if (!exec.IsMap()) return InvalidArgument(what + ": exec is not a map");
    KPROF_RETURN_IF_ERROR(ReadExec(exec, what, entry.file, config));
  }
  YAML::Node provider = f.Node("auth-provider");
  if (provider.IsDefined() && !provider.IsNull() && config->token.empty() &&
      config->token_file.empty() && !config->exec) {
    return InvalidArgument(what + ": auth-provider " +
                           Quote(Fields(provider, what).String("name")) +
                           " is not supported; use an exec credential plugin");
  }
  return Status::Ok();
}

Result<RestConfig> Select(const Kubeconfig& kubeconfig, const ConfigOptions& options) {
  std::string files = Join(kubeconfig.files);
  std::string context_name = options.context.empty() ? kubeconfig.current_context : options.context;
  RestConfig config;
  std::string cluster_name = options.cluster, user_name = options.user;
  if (context_name.empty()) {
    if (cluster_name.empty()) {
      return NotFound("no current-context in " + files + " and no --context given");
    }
  } else {
    auto context = kubeconfig.contexts.find(context_name);
    if (context == kubeconfig.contexts.end()) {
      return NotFound("context " + Quote(context_name) + " not found in " + files);
    }
    std::string what = "kubeconfig " + context->second.file + ": context " + Quote(context_name);
    Fields f(context->second.body, what);
    if (cluster_name.empty()) cluster_name = f.String("cluster");
    if (user_name.empty()) user_name = f.String("user");
    std::string ns = f.String("namespace");
    if (!ns.empty()) config.default_namespace = ns;
    if (cluster_name.empty()) return InvalidArgument(what + " names no cluster");
    config.context = context_name;
  }
  // Every named entry must exist before any of them is read.
  auto cluster = kubeconfig.clusters.find(cluster_name);
  if (cluster == kubeconfig.clusters.end()) {
    return NotFound("cluster " + Quote(cluster_name) + " (of context " + Quote(context_name) +
                    ") not found in " + files);
  }
  auto user = kubeconfig.users.find(user_name);
  if (!user_name.empty() && user == kubeconfig.users.end()) {
    return NotFound("user " + Quote(user_name) + " (of context " + Quote(context_name) +
                    ") not found in " + files);
  }
  KPROF_RETURN_IF_ERROR(ReadCluster(cluster->second, cluster_name, &config));
  if (!user_name.empty()) KPROF_RETURN_IF_ERROR(ReadUser(user->second, user_name, &config));
  return config;
}

}  // namespace

Result<RestConfig> LoadConfig(const ConfigOptions& options) {
  std::vector<std::string> paths;
  bool explicit_path = !options.kubeconfig.empty();
  std::string tried;
  if (explicit_path) {
    paths.push_back(options.kubeconfig);
  } else if (std::string list = Env("KUBECONFIG"); !list.empty()) {
    std::stringstream in(list);
    for (std::string path; std::getline(in, path, ':');) {
      if (!path.empty()) paths.push_back(path);
    }
    tried = "KUBECONFIG=" + list;
  } else if (std::string home = Env("HOME"); !home.empty()) {
    paths.push_back(home + "/.kube/config");
    tried = paths.back();
  } else {
    tried = "HOME is not set";
  }

  Kubeconfig kubeconfig;
  for (const std::string& path : paths) {
    std::error_code ec;
    // kubectl skips KUBECONFIG entries that do not exist; a --kubeconfig must exist.
    if (!explicit_path && !fs::exists(path, ec)) continue;
    KPROF_RETURN_IF_ERROR(MergeFile(path, &kubeconfig));
  }
  // Files that define nothing give way to the in-cluster config, as with kubectl.
  bool in_cluster = !Env("KUBERNETES_SERVICE_HOST").empty();
  if (explicit_path || !kubeconfig.empty() || (!kubeconfig.files.empty() && !in_cluster)) {
    try {
      return Select(kubeconfig, options);
    } catch (const YAML::Exception& e) {
      return InvalidArgument("kubeconfig " + Join(kubeconfig.files) + ": " + e.what());
    }
  }
  if (in_cluster) return InClusterConfig(options);
  return NotFound("no Kubernetes configuration: no kubeconfig (" + tried +
                  ") and not in a cluster (KUBERNETES_SERVICE_HOST is not set)");
}

Result<RestConfig> InClusterConfig(const ConfigOptions& options) {
  std::string host = Env("KUBERNETES_SERVICE_HOST"), port = Env("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return NotFound(
        "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  const std::string& dir = options.service_account_dir;
  RestConfig config;
  config.in_cluster = true;
  config.server =
      "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  std::error_code ec;
  config.token_file = dir + "/token";
  if (!fs::exists(config.token_file, ec)) {
    return NotFound("in-cluster config: service account token " + config.token_file +
                    " does not exist");
  }
  if (fs::exists(dir + "/ca.crt", ec)) config.ca_file = dir + "/ca.crt";
  if (std::string ns = Env("POD_NAMESPACE"); !ns.empty()) {
    config.default_namespace = ns;
  } else if (Result<std::string> ns_file = ReadFile(dir + "/namespace"); ns_file.ok()) {
    std::string trimmed(TrimSpace(*ns_file));
    if (!trimmed.empty()) config.default_namespace = trimmed;
  }
  return config;
}

}  // namespace kprof::kube
