#include "net/http.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kprof::net {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(PercentDecode, DecodesEscapesAndPlusOnlyInQueries) {
  EXPECT_EQ(*PercentDecode("a%20b%2Fc+d", false), "a b/c+d");
  EXPECT_EQ(*PercentDecode("a%20b%2fc+d", true), "a b/c d");
  EXPECT_EQ(*PercentDecode("", true), "");
}

TEST(PercentDecode, RejectsBadEscapes) {
  for (const char* bad : {"%", "%4", "%zz", "a%g1", "%%41"}) {
    auto decoded = PercentDecode(bad, true);
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ParseQuery, FollowsGoParseQuery) {
  EXPECT_EQ(*ParseQuery("a=1&b=x+y&a=%2F&c&&d="),
            (Pairs{{"a", "1"}, {"b", "x y"}, {"a", "/"}, {"c", ""}, {"d", ""}}));
  EXPECT_EQ(*ParseQuery("k%20ey=v=w"), (Pairs{{"k ey", "v=w"}}));
  EXPECT_EQ(*ParseQuery("a=1;b=2"), (Pairs{{"a", "1;b=2"}}));
  EXPECT_TRUE(ParseQuery("").value().empty());
  EXPECT_FALSE(ParseQuery("a=%zz").ok());
}

TEST(ParseTarget, SplitsPathAndQuery) {
  Request request;
  request.target = "/api/0/profiles/a%2Bb?service=my+svc&type=cpu";
  ASSERT_TRUE(ParseTarget(&request).ok());
  EXPECT_EQ(request.path, "/api/0/profiles/a+b");
  EXPECT_EQ(request.query, (Pairs{{"service", "my svc"}, {"type", "cpu"}}));
}

TEST(ParseTarget, RejectsNonOriginFormAndBadEscapes) {
  for (const char* target : {"", "*", "http://example.com/x", "/a%zz", "/a?b=%"}) {
    Request request;
    request.target = target;
    Status status = ParseTarget(&request);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << target;
  }
}

TEST(SplitPath, DecodesEachSegmentAfterSplitting) {
  EXPECT_EQ(*SplitPath("/"), (std::vector<std::string>{""}));
  EXPECT_EQ(*SplitPath("/a/b%2Fc/"), (std::vector<std::string>{"a", "b/c", ""}));
  EXPECT_FALSE(SplitPath("a/b").ok());
}

TEST(Request, QueryAndHeaderHelpers) {
  Request request;
  request.query = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  request.headers = {{"content-type", "text/plain"}, {"x-multi", "1"}, {"x-multi", "2"}};
  EXPECT_EQ(request.Query("a"), "1");
  EXPECT_EQ(request.Query("zz"), std::nullopt);
  EXPECT_EQ(request.QueryAll("a"), (std::vector<std::string_view>{"1", "3"}));
  EXPECT_EQ(request.Header("Content-Type"), "text/plain");
  EXPECT_EQ(request.Header("X-MULTI"), "1");
  EXPECT_EQ(request.Header("accept"), std::nullopt);
}

TEST(Request, DefaultDeadlineNeverExpires) {
  Request request;
  EXPECT_FALSE(request.Expired());
  request.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  EXPECT_TRUE(request.Expired());
}

TEST(JsonError, EscapesTheMessage) {
  Response response = JsonError(400, "bad \"name\"\n\x01");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"code":400,"error":"bad \"name\"\n\u0001"})");
  auto parsed = nlohmann::json::parse(response.body);
  EXPECT_EQ(parsed["error"], "bad \"name\"\n\x01");
}

TEST(JsonError, ReplacesInvalidUtf8InsteadOfThrowing) {
  Response response = JsonError(404, "no route for /\xff\xfe");
  auto parsed = nlohmann::json::parse(response.body);
  EXPECT_EQ(parsed["code"], 404);
  EXPECT_EQ(parsed["error"], "no route for /\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(JsonOk, KeepsTheBody) {
  Response response = JsonOk(R"({"a":1})");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"a":1})");
}

TEST(ErrorFromStatus, MapsStatusCodesToHttp) {
  EXPECT_EQ(ErrorFromStatus(InvalidArgument("x")).status, 400);
  EXPECT_EQ(ErrorFromStatus(NotFound("x")).status, 404);
  EXPECT_EQ(ErrorFromStatus(ResourceExhausted("x")).status, 413);
  EXPECT_EQ(ErrorFromStatus(FailedPrecondition("x")).status, 422);
  EXPECT_EQ(ErrorFromStatus(Unavailable("x")).status, 503);
  EXPECT_EQ(ErrorFromStatus(Internal("x")).status, 500);
  EXPECT_EQ(ErrorFromStatus(Status::Ok()).status, 500);
  EXPECT_EQ(ErrorFromStatus(NotFound("profile 7 does not exist")).body,
            R"({"code":404,"error":"profile 7 does not exist"})");
}

}  // namespace
}  // namespace kprof::net
