// A request to the Kubernetes API with a client's credentials, for tests that create and
// change objects on the simulator directly.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "kube/client.h"
#include "net/http_client.h"

namespace kprof::testing_support {

inline net::Transfer KubeRequest(kube::Client& client, net::HttpClient& http,
                                 const std::string& method, const std::string& path,
                                 const std::string& body = "") {
  net::ClientRequest request;
  request.method = method;
  request.url = path;
  request.body = body;
  request.timeout = std::chrono::seconds(30);
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  Result<net::ClientRequest> authorized = client.Authorize(std::move(request));
  EXPECT_TRUE(authorized.ok()) << authorized.status().message();
  if (!authorized.ok()) {
    net::Transfer failed;
    failed.status = authorized.status();
    return failed;
  }
  return http.Do(std::move(*authorized));
}

}  // namespace kprof::testing_support
