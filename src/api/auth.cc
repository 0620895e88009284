#include "api/auth.h"

#include <fstream>
#include <sstream>

namespace kprof::api {

namespace {

// Compares without an early exit, so timing does not reveal a prefix match.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

net::Response Unauthorized(std::string_view message) {
  net::Response r = net::JsonError(401, message);
  r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"kprof\""});
  return r;
}

}  // namespace

Result<TokenAuth> TokenAuth::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read tokens file " + path);
  std::stringstream s;
  s << in.rdbuf();
  auto auth = Parse(s.str());
  if (!auth.ok()) return auth.status().WithContext(path);
  return auth;
}

Result<TokenAuth> TokenAuth::Parse(std::string_view text) {
  TokenAuth auth;
  std::istringstream lines{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::string scopes, secret, name;
    if (!(fields >> scopes)) continue;
    if (!(fields >> secret)) {
      return InvalidArgument("line " + std::to_string(number) + ": want `SCOPES TOKEN [NAME]`");
    }
    fields >> name;
    Token t{secret, false, false, name};
    std::istringstream parts(scopes);
    std::string scope;
    while (std::getline(parts, scope, ',')) {
      if (scope == "read") {
        t.read = true;
      } else if (scope == "write") {
        t.write = true;
      } else {
        return InvalidArgument("line " + std::to_string(number) + ": unknown scope \"" + scope +
                               "\"; use read, write or read,write");
      }
    }
    if (secret.size() < 16) {
      return InvalidArgument("line " + std::to_string(number) +
                             ": token shorter than 16 characters; use a random one "
                             "(e.g. `openssl rand -hex 24`)");
    }
    auth.tokens_.push_back(std::move(t));
  }
  if (auth.tokens_.empty()) return InvalidArgument("no tokens in the tokens file");
  return auth;
}

std::optional<net::Response> TokenAuth::Deny(const net::Request& request, Scope needed) const {
  auto header = request.Header("authorization");
  if (!header) return Unauthorized("missing bearer token: send `Authorization: Bearer TOKEN`");
  std::string_view value = *header;
  constexpr std::string_view kPrefix = "Bearer ";
  if (value.size() <= kPrefix.size() || value.substr(0, kPrefix.size()) != kPrefix) {
    return Unauthorized("the Authorization header must be `Bearer TOKEN`");
  }
  std::string_view presented = value.substr(kPrefix.size());
  const Token* match = nullptr;
  for (const Token& t : tokens_) {
    if (ConstantTimeEquals(t.secret, presented)) match = &t;
  }
  if (match == nullptr) return Unauthorized("unknown bearer token");
  bool allowed = needed == Scope::kWrite ? match->write : match->read;
  if (!allowed) {
    return net::JsonError(403, std::string("this token lacks the \"") +
                                   (needed == Scope::kWrite ? "write" : "read") + "\" scope");
  }
  return std::nullopt;
}

}  // namespace kprof::api
