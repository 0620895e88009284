// Serves the embedded web UI: GET / is the app's index.html (all view state is in the
// query string, so this one page is every view), GET /ui/{file} its scripts and styles.
//
// These routes need no token even with --tokens-file: the files hold no data, and the page
// asks for a token and sends it on its /api/v1 calls. Bundled files have content-hashed
// names and are cached for a year; index.html is revalidated with an ETag.
#pragma once

#include <span>

#include "api/observe.h"
#include "api/ui_assets.h"
#include "net/router.h"

namespace kprof::api {

// Registers GET / and GET /ui/{file} over `assets` (normally UiAssets()), which must
// outlive the router. Without an index.html in `assets`, GET / explains that the UI was not
// built.
void AddUiRoutes(net::Router* router, std::span<const UiAsset> assets);

}  // namespace kprof::api
