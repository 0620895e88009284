#include "api/auth.h"

#include <gtest/gtest.h>

namespace kprof::api {
namespace {

net::Request WithToken(const std::string& token) {
  net::Request r;
  if (!token.empty()) r.headers.push_back({"authorization", "Bearer " + token});
  return r;
}

constexpr char kTokens[] =
    "# scopes token name\n"
    "read        reader-0123456789abcdef   grafana\n"
    "write       writer-0123456789abcdef   agent\n"
    "read,write  admin-0123456789abcdef\n";

TEST(TokenAuth, ScopesDecideWhatATokenMayDo) {
  auto auth = TokenAuth::Parse(kTokens);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_EQ(auth->size(), 3u);
  EXPECT_FALSE(auth->Deny(WithToken("reader-0123456789abcdef"), Scope::kRead));
  EXPECT_EQ(auth->Deny(WithToken("reader-0123456789abcdef"), Scope::kWrite)->status, 403);
  EXPECT_FALSE(auth->Deny(WithToken("writer-0123456789abcdef"), Scope::kWrite));
  EXPECT_EQ(auth->Deny(WithToken("writer-0123456789abcdef"), Scope::kRead)->status, 403);
  EXPECT_FALSE(auth->Deny(WithToken("admin-0123456789abcdef"), Scope::kRead));
  EXPECT_FALSE(auth->Deny(WithToken("admin-0123456789abcdef"), Scope::kWrite));
}

TEST(TokenAuth, MissingOrUnknownTokensAre401WithAChallenge) {
  auto auth = TokenAuth::Parse(kTokens).value();
  for (const std::string& token : {std::string(), std::string("reader-0123456789abcdeX"),
                                   std::string("reader-0123456789abcde")}) {
    auto denied = auth.Deny(WithToken(token), Scope::kRead);
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 401);
    ASSERT_FALSE(denied->headers.empty());
    EXPECT_EQ(denied->headers[0].first, "WWW-Authenticate");
  }
  net::Request basic;
  basic.headers.push_back({"authorization", "Basic dXNlcjpwYXNz"});
  EXPECT_EQ(auth.Deny(basic, Scope::kRead)->status, 401);
}

TEST(TokenAuth, RejectsBadFilesWithTheLineNumber) {
  auto unknown = TokenAuth::Parse("read 0123456789abcdef0\nadmin 0123456789abcdef1\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(TokenAuth::Parse("read short\n").ok());
  EXPECT_FALSE(TokenAuth::Parse("# nothing\n\n").ok());
  EXPECT_FALSE(TokenAuth::Parse("read\n").ok());
}

}  // namespace
}  // namespace kprof::api
