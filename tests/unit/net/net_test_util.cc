#include "unit/net/net_test_util.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "integration/process.h"

namespace kprof::net::testing {

using kprof::testing::RunCommand;
using kprof::testing::ShellQuote;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

CurlResponse Curl(const std::string& args) {
  TempDir dir;
  std::string command = "curl -sS --max-time 30 -D " + ShellQuote(dir.File("headers")) + " -o " +
                        ShellQuote(dir.File("body")) + " -w '%{http_code}' " + args;
  auto result = RunCommand(command);
  CurlResponse response;
  response.exit_code = result.exit_code;
  response.status = std::atoi(result.out.c_str());
  response.headers = ReadFile(dir.File("headers"));
  response.body = ReadFile(dir.File("body"));
  response.err = result.err;
  return response;
}

std::string Url(uint16_t port, const std::string& path) {
  return ShellQuote("http://127.0.0.1:" + std::to_string(port) + path);
}

std::string HeaderValue(const std::string& headers, const std::string& name) {
  std::istringstream in(headers);
  std::string line;
  std::string want = Lower(name) + ":";
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (Lower(line.substr(0, want.size())) == want) {
      std::string value = line.substr(want.size());
      size_t start = value.find_first_not_of(' ');
      return start == std::string::npos ? "" : value.substr(start);
    }
  }
  return "";
}

TempDir::TempDir() {
  char pattern[] = "/tmp/kprof-net-test-XXXXXX";
  char* made = mkdtemp(pattern);
  path_ = made == nullptr ? "" : made;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

void WriteFile(const std::string& path, size_t size) {
  std::ofstream out(path, std::ios::binary);
  std::string chunk(64 << 10, 'x');
  while (size > 0) {
    size_t n = std::min(size, chunk.size());
    out.write(chunk.data(), static_cast<std::streamsize>(n));
    size -= n;
  }
}

RawClient::RawClient(uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

RawClient::~RawClient() {
  if (fd_ >= 0) close(fd_);
}

bool RawClient::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool RawClient::Fill(std::chrono::steady_clock::time_point deadline, bool* closed) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[16 << 10];
  ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) {
    if (closed != nullptr) *closed = true;
    return false;
  }
  pending_.append(buf, static_cast<size_t>(n));
  return true;
}

std::string RawClient::ReadResponse(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    size_t end = pending_.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::string length = HeaderValue(pending_.substr(0, end + 2), "Content-Length");
      size_t total = end + 4 + static_cast<size_t>(std::atoll(length.c_str()));
      if (pending_.size() >= total) {
        std::string response = pending_.substr(0, total);
        pending_.erase(0, total);
        return response;
      }
    }
    if (!Fill(deadline, nullptr)) return "";
  }
}

std::string RawClient::ReadUntilClosed(bool* closed, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  *closed = false;
  while (Fill(deadline, closed)) {
  }
  std::string out;
  out.swap(pending_);
  return out;
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

std::unique_ptr<HttpServer> StartServer(ServerOptions options, std::shared_ptr<Router> router) {
  options.address = "127.0.0.1";
  options.port = 0;
  auto server = HttpServer::Start(std::move(options), std::move(router));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  if (!server.ok()) return nullptr;
  return std::move(server).value();
}

}  // namespace kprof::net::testing
