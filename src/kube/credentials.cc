// Credential sources: a static token, a rotating token file, and exec credential plugins
// (client.authentication.k8s.io ExecCredential) run with posix_spawn.
#include "kube/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "base/token_file.h"

extern char** environ;

namespace kprof::kube {

namespace {

using std::chrono::steady_clock;
using std::chrono::system_clock;

// "2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123456+02:00" (RFC 3339).
bool ParseRfc3339(std::string_view s, system_clock::time_point* out) {
  auto digits = [&](std::size_t at, std::size_t n, int* value) {
    if (at + n > s.size()) return false;
    *value = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      *value = *value * 10 + (s[i] - '0');
    }
    return true;
  };
  std::tm tm{};
  int year, month, day, hour, minute, second;
  if (!digits(0, 4, &year) || s.size() < 20 || s[4] != '-' || !digits(5, 2, &month) ||
      s[7] != '-' || !digits(8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(11, 2, &hour) || s[13] != ':' || !digits(14, 2, &minute) || s[16] != ':' ||
      !digits(17, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  std::size_t at = 19;
  std::chrono::nanoseconds fraction{0};
  if (s[at] == '.') {
    ++at;
    std::int64_t scale = 100000000, nanos = 0;
    std::size_t start = at;
    for (; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at) {
      nanos += (s[at] - '0') * scale;
      scale /= 10;
    }
    if (at == start) return false;
    fraction = std::chrono::nanoseconds(nanos);
  }
  int offset_seconds = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    int oh, om;
    if (!digits(at + 1, 2, &oh) || at + 3 >= s.size() || s[at + 3] != ':' ||
        !digits(at + 4, 2, &om)) {
      return false;
    }
    offset_seconds = (s[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    at += 6;
  } else {
    return false;
  }
  if (at != s.size()) return false;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t utc = timegm(&tm);
  *out = system_clock::from_time_t(utc) - std::chrono::seconds(offset_seconds) +
         std::chrono::duration_cast<system_clock::duration>(fraction);
  return true;
}

struct PluginOutput {
  Credentials credentials;
  std::optional<system_clock::time_point> expires;
};

// One run of an exec plugin: spawn, collect stdout/stderr within the time and size
// limits, reap.
class PluginRun {
 public:
  PluginRun(const ExecConfig& exec, const CredentialOptions& options)
      : exec_(exec), options_(options) {}

  Result<PluginOutput> Run() {
    KPROF_ASSIGN_OR_RETURN(std::string out, Spawn());
    return Parse(out);
  }

 private:
  std::string Name() const { return "exec plugin " + exec_.command; }

  std::vector<std::string> Environment() const {
    nlohmann::json info = {{"apiVersion", exec_.api_version},
                           {"kind", "ExecCredential"},
                           {"spec", {{"interactive", false}}}};
    std::vector<std::pair<std::string, std::string>> added = exec_.env;
    added.emplace_back("KUBERNETES_EXEC_INFO", info.dump());
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string_view entry(*e);
      std::string_view name = entry.substr(0, entry.find('='));
      bool replaced = false;
      for (const auto& [n, v] : added) replaced = replaced || n == name;
      if (!replaced) env.emplace_back(entry);
    }
    for (const auto& [n, v] : added) env.push_back(n + "=" + v);
    return env;
  }

  Result<std::string> Spawn() {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0) return Internal(Name() + ": pipe: " + std::strerror(errno));
    if (pipe2(err, O_CLOEXEC) != 0) {
      close(out[0]);
      close(out[1]);
      return Internal(Name() + ": pipe: " + std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // No terminal: interactive is false, a plugin must not wait for input.
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Sockets and files other threads opened without O_CLOEXEC stay out of the plugin.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
    std::vector<std::string> env = Environment();
    std::vector<char*> envp, argv;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string command = exec_.command;
    std::vector<std::string> args = exec_.args;
    argv.push_back(command.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    int spawned = posix_spawnp(&pid, command.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    close(err[1]);
    if (spawned != 0) {
      close(out[0]);
      close(err[0]);
      return Unavailable(Name() + ": cannot run: " + std::strerror(spawned));
    }

    std::string stdout_text, stderr_text;
    Status failure = Collect(out[0], err[0], &stdout_text, &stderr_text);
    close(out[0]);
    close(err[0]);
    if (!failure.ok()) kill(pid, SIGKILL);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    std::string stderr_note(TrimSpace(stderr_text));
    if (stderr_note.size() > 2000) stderr_note = stderr_note.substr(0, 2000) + "…";
    if (!stderr_note.empty()) stderr_note = ": " + stderr_note;
    if (!failure.ok()) return Status(failure.code(), failure.message() + stderr_note);
    if (WIFSIGNALED(wstatus)) {
      return Unavailable(Name() + ": killed by signal " + std::to_string(WTERMSIG(wstatus)) +
                         stderr_note);
    }
    if (WEXITSTATUS(wstatus) != 0) {
      return Unavailable(Name() + ": exit status " + std::to_string(WEXITSTATUS(wstatus)) +
                         stderr_note);
    }
    return stdout_text;
  }

  // Reads both pipes until both close; fails on the deadline or the output cap.
  Status Collect(int out_fd, int err_fd, std::string* out, std::string* err) const {
    steady_clock::time_point deadline = steady_clock::now() + options_.exec_timeout;
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    std::string* sinks[2] = {out, err};
    int open = 2;
    while (open > 0) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now());
      if (left.count() <= 0) {
        return Unavailable(Name() + ": no answer within " +
                           std::to_string(options_.exec_timeout.count()) + " ms");
      }
      int ready = poll(fds, 2, static_cast<int>(left.count()));
      if (ready < 0 && errno != EINTR) return Internal(Name() + ": poll: " + std::strerror(errno));
      for (int i = 0; i < 2 && ready > 0; ++i) {
        if (fds[i].fd < 0 || fds[i].revents == 0) continue;
        char buf[16 << 10];
        ssize_t n = read(fds[i].fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          fds[i].fd = -1;
          --open;
          continue;
        }
        sinks[i]->append(buf, static_cast<std::size_t>(n));
        if (sinks[i]->size() > options_.exec_max_output_bytes) {
          return Unavailable(Name() + ": printed more than " +
                             std::to_string(options_.exec_max_output_bytes) + " bytes");
        }
      }
    }
    return Status::Ok();
  }

  Result<PluginOutput> Parse(const std::string& text) const {
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
      return Unavailable(Name() + ": output is not an ExecCredential JSON object: " +
                         std::string(TrimSpace(text.substr(0, 200))));
    }
    auto string_at = [](const nlohmann::json& object, const char* key) -> std::string {
      auto it = object.find(key);
      return it != object.end() && it->is_string() ? it->get<std::string>() : "";
    };
    if (string_at(doc, "kind") != "ExecCredential") {
      return Unavailable(Name() + ": output has kind \"" + string_at(doc, "kind") +
                         "\", want ExecCredential");
    }
    if (string_at(doc, "apiVersion") != exec_.api_version) {
      return Unavailable(Name() + ": output has apiVersion \"" + string_at(doc, "apiVersion") +
                         "\" but the kubeconfig asks for \"" + exec_.api_version + "\"");
    }
    auto status = doc.find("status");
    if (status == doc.end() || !status->is_object()) {
      return Unavailable(Name() + ": ExecCredential has no status");
    }
    PluginOutput output;
    output.credentials.bearer_token = string_at(*status, "token");
    output.credentials.cert_pem = string_at(*status, "clientCertificateData");
    output.credentials.key_pem = string_at(*status, "clientKeyData");
    if (output.credentials.cert_pem.empty() != output.credentials.key_pem.empty()) {
      return Unavailable(Name() +
                         ": ExecCredential has only one of clientCertificateData and "
                         "clientKeyData");
    }
    if (output.credentials.bearer_token.empty() && output.credentials.cert_pem.empty()) {
      return Unavailable(Name() + ": ExecCredential has neither a token nor a client certificate");
    }
    std::string expiry = string_at(*status, "expirationTimestamp");
    if (!expiry.empty()) {
      system_clock::time_point at;
      if (!ParseRfc3339(expiry, &at)) {
        return Unavailable(Name() + ": expirationTimestamp \"" + expiry + "\" is not RFC 3339");
      }
      output.expires = at;
    }
    return output;
  }

  const ExecConfig& exec_;
  const CredentialOptions& options_;
};

// Runs the plugin when there is no usable credential, once for all concurrent callers,
// and caches its answer until shortly before it expires.
class ExecCredentials {
 public:
  ExecCredentials(ExecConfig exec, CredentialOptions options)
      : exec_(std::move(exec)), options_(options) {}

  Result<Credentials> Get() {
    std::unique_lock lock(mu_);
    for (;;) {
      system_clock::time_point now = system_clock::now();
      if (cached_ && (!refresh_at_ || now < *refresh_at_)) return *cached_;
      // In the renewal window the old credential still works until it expires.
      bool usable = cached_ && expires_ && now < *expires_;
      if (!last_status_.ok() && steady_clock::now() - failed_at_ < options_.exec_retry_after) {
        return usable ? Result<Credentials>(*cached_) : Result<Credentials>(last_status_);
      }
      if (!running_) break;
      if (usable) return *cached_;
      // Someone is running the plugin: take its outcome instead of running it again.
      std::uint64_t seen = runs_;
      cv_.wait(lock, [&] { return runs_ != seen; });
      if (cached_) return *cached_;
      if (!last_status_.ok()) return last_status_;
    }
    running_ = true;
    lock.unlock();
    Result<PluginOutput> output = PluginRun(exec_, options_).Run();
    lock.lock();
    running_ = false;
    ++runs_;
    cv_.notify_all();
    if (!output.ok()) {
      last_status_ = output.status();
      failed_at_ = steady_clock::now();
      // A credential in its renewal window is still good until it expires.
      if (cached_ && expires_ && system_clock::now() < *expires_) return *cached_;
      cached_.reset();
      return last_status_;
    }
    last_status_ = Status::Ok();
    cached_ = output->credentials;
    expires_ = output->expires;
    refresh_at_.reset();
    if (expires_) {
      auto lifetime = *expires_ - system_clock::now();
      auto early = std::min<system_clock::duration>(options_.exec_refresh_before, lifetime / 4);
      refresh_at_ = *expires_ - std::max<system_clock::duration>(early, {});
    }
    return *cached_;
  }

  void Invalidate() {
    std::lock_guard lock(mu_);
    cached_.reset();
    last_status_ = Status::Ok();
  }

 private:
  const ExecConfig exec_;
  const CredentialOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;    // guarded by mu_, as are the fields below
  std::uint64_t runs_ = 0;  // completed runs
  std::optional<Credentials> cached_;
  std::optional<system_clock::time_point> expires_;
  std::optional<system_clock::time_point> refresh_at_;
  Status last_status_;
  steady_clock::time_point failed_at_;
};

class ConfigCredentials final : public CredentialSource {
 public:
  ConfigCredentials(const RestConfig& config, const CredentialOptions& options)
      : token_(config.token), cert_pem_(config.client_cert_pem), key_pem_(config.client_key_pem) {
    if (!token_.empty()) return;
    if (!config.token_file.empty()) {
      token_file_ =
          std::make_unique<TokenFile>(config.token_file, options.token_file_check_interval);
    } else if (config.exec) {
      exec_ = std::make_unique<ExecCredentials>(*config.exec, options);
    }
  }

  Result<Credentials> Get() override {
    Credentials credentials;
    credentials.bearer_token = token_;
    credentials.cert_pem = cert_pem_;
    credentials.key_pem = key_pem_;
    if (token_file_) {
      KPROF_ASSIGN_OR_RETURN(credentials.bearer_token, token_file_->Get());
    } else if (exec_) {
      KPROF_ASSIGN_OR_RETURN(Credentials from_plugin, exec_->Get());
      credentials.bearer_token = std::move(from_plugin.bearer_token);
      if (!from_plugin.cert_pem.empty()) {
        credentials.cert_pem = std::move(from_plugin.cert_pem);
        credentials.key_pem = std::move(from_plugin.key_pem);
      }
    }
    return credentials;
  }

  void Invalidate() override {
    if (token_file_) token_file_->Invalidate();
    if (exec_) exec_->Invalidate();
  }

 private:
  const std::string token_;
  const std::string cert_pem_;
  const std::string key_pem_;
  std::unique_ptr<TokenFile> token_file_;
  std::unique_ptr<ExecCredentials> exec_;
};

}  // namespace

Result<std::unique_ptr<CredentialSource>> CredentialSource::Create(const RestConfig& config) {
  return Create(config, CredentialOptions{});
}

Result<std::unique_ptr<CredentialSource>> CredentialSource::Create(
    const RestConfig& config, const CredentialOptions& options) {
  if (config.token.empty() && config.token_file.empty() && config.exec) {
    if (config.exec->command.empty())
      return InvalidArgument("exec credential plugin has no command");
    if (config.exec->api_version.empty()) {
      return InvalidArgument("exec credential plugin " + config.exec->command +
                             " has no apiVersion");
    }
  }
  if (options.exec_timeout.count() <= 0 || options.exec_max_output_bytes == 0) {
    return InvalidArgument("credential options: exec timeout and output limit must be positive");
  }
  return std::unique_ptr<CredentialSource>(std::make_unique<ConfigCredentials>(config, options));
}

}  // namespace kprof::kube
