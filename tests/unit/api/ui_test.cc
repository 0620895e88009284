#include "api/ui.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace kprof::api {
namespace {

constexpr UiAsset kAssets[] = {
    {"index.html", "<!doctype html><script src=\"/ui/app-ABCD1234.js\"></script>"},
    {"app-ABCD1234.js", "console.log(1)"},
    {"style-ZZZZ9999.css", "body{}"},
    {"notes.txt", "plain"},
};

net::Response Get(const net::Router& router, const std::string& target,
                  net::HeaderList headers = {}) {
  net::Request request;
  request.method = "GET";
  request.target = target;
  request.headers = std::move(headers);
  return router.Dispatch(request);
}

std::optional<std::string> Header(const net::Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

TEST(UiRoutes, IndexIsRevalidatedWithAnETag) {
  net::Router router;
  AddUiRoutes(&router, kAssets);
  net::Response index = Get(router, "/?view=rollouts");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.body, kAssets[0].data);
  EXPECT_EQ(Header(index, "Cache-Control"), "no-cache");
  EXPECT_TRUE(Header(index, "Content-Security-Policy"));
  auto etag = Header(index, "ETag");
  ASSERT_TRUE(etag);
  net::Response again = Get(router, "/", {{"if-none-match", *etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
}

TEST(UiRoutes, HashedAssetsAreImmutableWithTheirContentType) {
  net::Router router;
  AddUiRoutes(&router, kAssets);
  net::Response js = Get(router, "/ui/app-ABCD1234.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Header(js, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Get(router, "/ui/style-ZZZZ9999.css").content_type, "text/css; charset=utf-8");
  net::Response unhashed = Get(router, "/ui/notes.txt");
  EXPECT_EQ(unhashed.content_type, "application/octet-stream");
  EXPECT_EQ(Header(unhashed, "Cache-Control"), "no-cache");
}

TEST(UiRoutes, UnknownFilesAre404) {
  net::Router router;
  AddUiRoutes(&router, kAssets);
  EXPECT_EQ(Get(router, "/ui/app.js").status, 404);
  EXPECT_EQ(Get(router, "/ui/..%2Findex.html").status, 404);
}

TEST(UiRoutes, WithoutTheUiRootExplainsItWasNotBuilt) {
  net::Router router;
  AddUiRoutes(&router, {});
  net::Response r = Get(router, "/");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("KPROF_BUILD_UI=OFF"), std::string::npos);
}

}  // namespace
}  // namespace kprof::api
