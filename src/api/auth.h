// Bearer-token authentication with read and write scopes.
//
// Tokens come from a file, one per line: `SCOPES TOKEN [NAME]`, where SCOPES is
// `read`, `write` or `read,write`; `#` starts a comment. Uploads need `write`, every
// other API call `read`. Tokens are compared in constant time. /healthz and /readyz
// need no token, so probes keep working.
//
// Thread-safety: immutable after loading; Check() may be called from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "net/http.h"

namespace kprof::api {

enum class Scope { kRead = 1, kWrite = 2 };

class TokenAuth {
 public:
  static Result<TokenAuth> LoadFile(const std::string& path);
  static Result<TokenAuth> Parse(std::string_view text);

  // OK, or kUnauthenticated-style failures: returns the HTTP response to send
  // (401 or 403) when `request` may not do what `needed` allows.
  std::optional<net::Response> Deny(const net::Request& request, Scope needed) const;

  size_t size() const { return tokens_.size(); }

 private:
  struct Token {
    std::string secret;
    bool read = false;
    bool write = false;
    std::string name;
  };
  std::vector<Token> tokens_;
};

}  // namespace kprof::api
