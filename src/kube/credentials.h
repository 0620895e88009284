// The credentials a Client sends, from a RestConfig: a static token, a token file
// (re-read when it changes, as service-account tokens rotate), an exec credential plugin
// (run on first use and again when its expirationTimestamp passes or after Invalidate),
// and client certificates (from the config or the plugin).
//
// Thread-safety: Get and Invalidate may be called from any thread; a plugin runs once
// even when many threads ask at the same moment.
#pragma once

#include <chrono>
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

class CredentialSource {
 public:
  static Result<std::unique_ptr<CredentialSource>> Create(const RestConfig& config);
  virtual ~CredentialSource() = default;
  // Current credentials; runs the exec plugin or re-reads the token file when needed.
  // Errors say what failed ("exec plugin aws-iam-authenticator: exit status 1: …").
  virtual Result<Credentials> Get() = 0;
  // Drops cached plugin output (the server said 401), so the next Get runs it again.
  virtual void Invalidate() = 0;
};

}  // namespace kprof::kube
