#include "api/ui.h"

#include <cctype>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/observe.h"
#include "base/hash.h"
#include "net/http.h"
#include "pprof/gzip.h"

namespace kprof::api {
namespace {

std::string_view ContentType(std::string_view name) {
  auto ends_with = [&](std::string_view suffix) { return name.ends_with(suffix); };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  if (ends_with(".png")) return "image/png";
  if (ends_with(".json")) return "application/json";
  if (ends_with(".map")) return "application/json";
  return "application/octet-stream";
}

// esbuild's "[name]-[hash]" names: a '-' then 8 upper-case letters or digits before the
// extension. Such a file never changes, so it may be cached for good.
bool HasContentHash(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot < 9 || name[dot - 9] != '-') return false;
  for (char c : name.substr(dot - 8, 8)) {
    if (!std::isupper(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)))
      return false;
  }
  return true;
}

std::string ETag(std::string_view data) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(HashBytes(data)));
  return buf;
}

// An asset with what is computed once at start: its ETag and its gzipped bytes.
struct Prepared {
  const UiAsset* asset;
  std::string etag;
  std::string gzipped;  // empty when gzip would not make it smaller
};

Prepared Prepare(const UiAsset& asset) {
  Prepared p{&asset, ETag(asset.data), pprof::Gzip(asset.data, 9)};
  if (p.gzipped.size() >= asset.data.size()) p.gzipped.clear();
  return p;
}

net::Response Serve(const net::Request& request, const Prepared& prepared) {
  const UiAsset& asset = *prepared.asset;
  const std::string& etag = prepared.etag;
  net::Response r;
  r.content_type = std::string(ContentType(asset.name));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (HasContentHash(asset.name)) {
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  } else {
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("ETag", etag);
    if (request.Header("if-none-match") == etag) {
      r.status = 304;
      return r;
    }
  }
  if (asset.name.ends_with(".html")) {
    // The page runs only its own bundle; the favicon is an empty data: URL.
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
  }
  if (!prepared.gzipped.empty()) {
    r.headers.emplace_back("Vary", "Accept-Encoding");
    if (AcceptsGzip(request)) {
      r.headers.emplace_back("Content-Encoding", "gzip");
      r.body = prepared.gzipped;
      return r;
    }
  }
  r.body = std::string(asset.data);
  return r;
}

}  // namespace

void AddUiRoutes(net::Router* router, std::span<const UiAsset> assets) {
  auto prepared = std::make_shared<std::vector<Prepared>>();
  const Prepared* page = nullptr;
  prepared->reserve(assets.size());  // `page` points into it
  for (const UiAsset& a : assets) {
    prepared->push_back(Prepare(a));
    if (a.name == "index.html") page = &prepared->back();
  }
  if (page == nullptr) {
    router->Add(
        "GET", "/",
        [](net::Request&) {
          return net::JsonError(404,
                                "this kprof was built without the web UI (KPROF_BUILD_UI=OFF); "
                                "the API is under /api/v1");
        },
        "Web UI (not built)");
    return;
  }
  router->Add(
      "GET", "/", [prepared, page](net::Request& request) { return Serve(request, *page); },
      "Web UI");
  router->Add(
      "GET", "/ui/{file}",
      [prepared](net::Request& request) {
        const std::string& file = request.params["file"];
        for (const Prepared& p : *prepared) {
          if (p.asset->name == file) return Serve(request, p);
        }
        return net::JsonError(404, "no such UI file: " + file);
      },
      "Web UI scripts and styles");
}

}  // namespace kprof::api
