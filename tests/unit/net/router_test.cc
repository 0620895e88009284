#include "net/router.h"

#include <gtest/gtest.h>

namespace kprof::net {
namespace {

Handler Named(std::string name) {
  return [name](Request& request) {
    std::string body = name;
    for (const auto& [k, v] : request.params) body += " " + k + "=" + v;
    Response response;
    response.content_type = "text/plain";
    response.body = body;
    return response;
  };
}

Response Send(const Router& router, std::string method, std::string target) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  EXPECT_TRUE(ParseTarget(&request).ok());
  return router.Dispatch(request);
}

Router ProfilesRouter() {
  Router router;
  router.Add("GET", "/api/0/profiles/{id}", Named("get"), "one profile");
  router.Add("DELETE", "/api/0/profiles/{id}", Named("delete"), "delete a profile");
  router.Add("GET", "/api/0/profiles/merge", Named("merge"), "merge profiles");
  router.Add("GET", "/api/0/profiles", Named("list"), "list profiles");
  router.Add("POST", "/api/0/profiles", Named("ingest"), "ingest a profile");
  router.Add("GET", "/api/0/{kind}/merge", Named("kind-merge"), "merge of another kind");
  router.Add("GET", "/", Named("root"), "index");
  return router;
}

TEST(Router, ParamMatchesOneWholeSegment) {
  Router router = ProfilesRouter();
  EXPECT_EQ(Send(router, "GET", "/api/0/profiles/abc+def").body, "get id=abc+def");
  EXPECT_EQ(Send(router, "GET", "/api/0/profiles/a%2Fb").body, "get id=a/b");
  EXPECT_EQ(Send(router, "GET", "/api/0/profiles/a/b").status, 404);
  EXPECT_EQ(Send(router, "GET", "/api/0/profiles/").status, 404);
}

TEST(Router, LiteralSegmentsBeatParams) {
  Router router = ProfilesRouter();
  EXPECT_EQ(Send(router, "GET", "/api/0/profiles/merge").body, "merge");
  EXPECT_EQ(Send(router, "GET", "/api/0/other/merge").body, "kind-merge kind=other");
  EXPECT_EQ(Send(router, "GET", "/api/0/profiles").body, "list");
  EXPECT_EQ(Send(router, "GET", "/").body, "root");
}

TEST(Router, OnlyRoutesOfTheRequestMethodCompete) {
  Router router = ProfilesRouter();
  // No DELETE route for the literal, so the parameter route takes it.
  EXPECT_EQ(Send(router, "DELETE", "/api/0/profiles/merge").body, "delete id=merge");
}

TEST(Router, UnknownPathIs404NamingThePath) {
  Router router = ProfilesRouter();
  Response response = Send(router, "GET", "/nope%20here?x=1");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, R"({"code":404,"error":"no route for /nope here"})");
}

TEST(Router, WrongMethodIs405WithAllow) {
  Router router = ProfilesRouter();
  Response response = Send(router, "PUT", "/api/0/profiles");
  EXPECT_EQ(response.status, 405);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "Allow");
  EXPECT_EQ(response.headers[0].second, "GET, POST");
  // The literal and the parameter route both match: their methods are all allowed.
  response = Send(router, "POST", "/api/0/profiles/merge");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers[0].second, "DELETE, GET");
}

TEST(Router, RoutesListsRegistrationOrderWithHelp) {
  Router router = ProfilesRouter();
  auto routes = router.Routes();
  ASSERT_EQ(routes.size(), 7u);
  EXPECT_EQ(routes[0].method, "GET");
  EXPECT_EQ(routes[0].pattern, "/api/0/profiles/{id}");
  EXPECT_EQ(routes[0].help, "one profile");
  EXPECT_EQ(routes[6].pattern, "/");
}

TEST(Router, DispatchesByPathWhenTargetIsEmpty) {
  Router router = ProfilesRouter();
  Request request;
  request.method = "GET";
  request.path = "/api/0/profiles/xyz";
  EXPECT_EQ(router.Dispatch(request).body, "get id=xyz");
  EXPECT_EQ(request.params.at("id"), "xyz");
}

TEST(RouterDeathTest, MalformedPatternsAbort) {
  EXPECT_DEATH(Router().Add("GET", "no-slash", Named("x"), ""), "must start with /");
  EXPECT_DEATH(Router().Add("GET", "/a/{id", Named("x"), ""), "whole \\{name\\} segment");
  EXPECT_DEATH(Router().Add("GET", "/a/x{id}", Named("x"), ""), "whole \\{name\\} segment");
  EXPECT_DEATH(Router().Add("GET", "/{a}/{a}", Named("x"), ""), "repeated parameter");
  EXPECT_DEATH(
      {
        Router router;
        router.Add("GET", "/a/{x}", Named("x"), "");
        router.Add("GET", "/a/{y}", Named("y"), "");
      },
      "registered twice");
}

}  // namespace
}  // namespace kprof::net
