// gzip for text answers and the UI's assets, when (and only when) the client accepts it.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "api/observe.h"
#include "api/ui.h"
#include "pprof/gzip.h"

namespace kprof::api {
namespace {

net::Request WithAcceptEncoding(std::optional<std::string> value) {
  net::Request request;
  request.method = "GET";
  request.target = "/";
  if (value) request.headers.push_back({"accept-encoding", *value});
  return request;
}

std::optional<std::string> Header(const net::Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string Inflate(const std::string& data) {
  std::string out;
  EXPECT_TRUE(pprof::Gunzip(data, 1 << 20, &out).ok());
  return out;
}

TEST(Compression, AcceptEncodingIsReadAsHttpSaysIncludingQZero) {
  EXPECT_TRUE(AcceptsGzip(WithAcceptEncoding("gzip, deflate, br")));
  EXPECT_TRUE(AcceptsGzip(WithAcceptEncoding("br;q=1.0, GZIP;q=0.5")));
  EXPECT_TRUE(AcceptsGzip(WithAcceptEncoding("*")));
  EXPECT_FALSE(AcceptsGzip(WithAcceptEncoding(std::nullopt)));
  EXPECT_FALSE(AcceptsGzip(WithAcceptEncoding("deflate, br")));
  EXPECT_FALSE(AcceptsGzip(WithAcceptEncoding("identity")));
  EXPECT_FALSE(AcceptsGzip(WithAcceptEncoding("gzip;q=0")));
  EXPECT_FALSE(AcceptsGzip(WithAcceptEncoding("gzip; q=0.000, br")));
  EXPECT_FALSE(AcceptsGzip(WithAcceptEncoding("xgzip")));
  EXPECT_FALSE(AcceptsGzip(WithAcceptEncoding("gzip;q=0, *")));
  EXPECT_TRUE(AcceptsGzip(WithAcceptEncoding("*, gzip;q=0.5")));
}

TEST(Compression, LargeJsonIsGzippedOnlyForClientsThatAcceptIt) {
  net::Response json;
  json.content_type = "application/json";
  for (int i = 0; i < 200; ++i)
    json.body += "{\"name\":\"main.f\",\"value\":" + std::to_string(i) + "},";

  net::Response plain = json;
  GzipIfAccepted(WithAcceptEncoding(std::nullopt), &plain);
  EXPECT_EQ(plain.body, json.body);
  EXPECT_FALSE(Header(plain, "Content-Encoding"));
  EXPECT_EQ(Header(plain, "Vary"), "Accept-Encoding");

  net::Response gz = json;
  GzipIfAccepted(WithAcceptEncoding("gzip"), &gz);
  EXPECT_EQ(Header(gz, "Content-Encoding"), "gzip");
  EXPECT_LT(gz.body.size(), json.body.size() / 4);
  EXPECT_EQ(Inflate(gz.body), json.body);
}

TEST(Compression, SmallBinaryAndAlreadyEncodedBodiesAreLeftAlone) {
  net::Response small;
  small.content_type = "application/json";
  small.body = R"({"status":"ok"})";
  GzipIfAccepted(WithAcceptEncoding("gzip"), &small);
  EXPECT_EQ(small.body, R"({"status":"ok"})");

  net::Response pprof;
  pprof.content_type = "application/octet-stream";
  pprof.body = std::string(4096, 'x');
  GzipIfAccepted(WithAcceptEncoding("gzip"), &pprof);
  EXPECT_EQ(pprof.body, std::string(4096, 'x'));

  net::Response encoded;
  encoded.content_type = "text/plain";
  encoded.body = std::string(4096, 'y');
  encoded.headers.push_back({"Content-Encoding", "br"});
  GzipIfAccepted(WithAcceptEncoding("gzip"), &encoded);
  EXPECT_EQ(encoded.body, std::string(4096, 'y'));
}

TEST(Compression, UiAssetsAreServedGzippedWhenAccepted) {
  static const std::string script = [] {
    std::string s;
    for (int i = 0; i < 300; ++i)
      s += "function f" + std::to_string(i) + "(){return " + std::to_string(i) + ";}\n";
    return s;
  }();
  const UiAsset assets[] = {{"index.html", "<!doctype html>"}, {"app-ABCD1234.js", script}};
  net::Router router;
  AddUiRoutes(&router, assets);
  net::Request request = WithAcceptEncoding("gzip, deflate");
  request.target = "/ui/app-ABCD1234.js";
  net::Response gz = router.Dispatch(request);
  EXPECT_EQ(gz.status, 200);
  EXPECT_EQ(Header(gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(Inflate(gz.body), script);
  request = WithAcceptEncoding(std::nullopt);
  request.target = "/ui/app-ABCD1234.js";
  net::Response plain = router.Dispatch(request);
  EXPECT_EQ(plain.body, script);
  EXPECT_EQ(Header(plain, "Vary"), "Accept-Encoding");
  // A page too small to gain from gzip goes as it is.
  request = WithAcceptEncoding("gzip");
  request.target = "/";
  EXPECT_EQ(router.Dispatch(request).body, "<!doctype html>");
}

}  // namespace
}  // namespace kprof::api
