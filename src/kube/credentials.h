// The credentials a Client sends, from a RestConfig: a static token, a token file
// (re-read when it changes, as service-account tokens rotate), an exec credential plugin
// (run on first use and again when its expirationTimestamp passes or after Invalidate),
// and client certificates (from the config or the plugin).
//
// Thread-safety: Get and Invalidate may be called from any thread; a plugin runs once
// even when many threads ask at the same moment.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"
#include "kube/config.h"

namespace kprof::kube {

struct Credentials {
  std::string bearer_token;  // "" = none
  std::string cert_pem;      // client certificate; "" = none (or cert_file in the config)
  std::string key_pem;
};

// Limits and intervals; the defaults suit production, tests shorten them.
struct CredentialOptions {
  // An exec plugin is killed and fails when it runs longer than this or prints more.
  std::chrono::milliseconds exec_timeout{60000};
  std::size_t exec_max_output_bytes = std::size_t{1} << 20;
  // A plugin credential is renewed this long before its expirationTimestamp, or after
  // three quarters of its lifetime when that is shorter.
  std::chrono::milliseconds exec_refresh_before{60000};
  // After a plugin fails, Get returns that error for this long instead of running it
  // again for every caller (Invalidate ends the wait).
  std::chrono::milliseconds exec_retry_after{1000};
  // The token file is stat()ed at most this often (and always after Invalidate); it is
  // read again when its inode, size or mtime changed.
  std::chrono::milliseconds token_file_check_interval{5000};
};

class CredentialSource {
 public:
  static Result<std::unique_ptr<CredentialSource>> Create(const RestConfig& config);
  static Result<std::unique_ptr<CredentialSource>> Create(const RestConfig& config,
                                                          const CredentialOptions& options);
  virtual ~CredentialSource() = default;
  // Current credentials; runs the exec plugin or re-reads the token file when needed.
  // Errors say what failed ("exec plugin aws-iam-authenticator: exit status 1: …").
  virtual Result<Credentials> Get() = 0;
  // Drops cached plugin output (the server said 401), so the next Get runs it again.
  virtual void Invalidate() = 0;
};

}  // namespace kprof::kube
