// Load generator for the ingest path: C concurrent keep-alive HTTP/1.1 connections,
// each uploading real profiles (read from files, round-robin) to a kprof server on
// loopback for a bounded time or count, with poll()-driven non-blocking sockets on
// one thread. Reports throughput, status codes and latency percentiles as JSON.
//
//   ingest_load --port P [--connections 64] [--seconds 10] [--max-requests N]
//               [--path /api/0/profiles?service=load&type=cpu] FILE...
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Conn {
  int fd = -1;
  std::string out;
  size_t sent = 0;
  std::string in;
  Clock::time_point started;
  bool busy = false;
  int file = 0;
};

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// Returns the status when `in` holds a whole response (Content-Length framed), else 0.
int CompleteResponse(std::string* in) {
  size_t end = in->find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  size_t length = 0;
  std::string head = in->substr(0, end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t cl = head.find("content-length:");
  if (cl != std::string::npos) length = std::strtoul(head.c_str() + cl + 15, nullptr, 10);
  if (in->size() < end + 4 + length) return 0;
  int status = std::atoi(in->c_str() + 9);
  in->erase(0, end + 4 + length);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, connections = 64;
  double seconds = 10;
  long max_requests = 0;
  std::string path = "/api/0/profiles?service=load&type=cpu";
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--port")
      port = std::atoi(next().c_str());
    else if (a == "--connections")
      connections = std::atoi(next().c_str());
    else if (a == "--seconds")
      seconds = std::atof(next().c_str());
    else if (a == "--max-requests")
      max_requests = std::atol(next().c_str());
    else if (a == "--path")
      path = next();
    else
      files.push_back(a);
  }
  if (port == 0 || files.empty()) {
    std::fprintf(stderr, "usage: ingest_load --port P [--connections C] [--seconds S] FILE...\n");
    return 2;
  }
  std::vector<std::string> requests;
  for (const std::string& f : files) {
    std::string body = ReadFile(f);
    requests.push_back("POST " + path +
                       " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                       "application/octet-stream\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  std::vector<Conn> conns(static_cast<size_t>(connections));
  int connect_errors = 0;
  for (size_t i = 0; i < conns.size(); ++i) {
    conns[i].fd = Connect(port);
    conns[i].file = static_cast<int>(i % requests.size());
    if (conns[i].fd < 0) ++connect_errors;
  }
  std::map<int, long> statuses;
  std::vector<double> latencies;
  long issued = 0, io_errors = 0;
  auto start = Clock::now();
  auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto issue = [&](Conn& c) {
    c.out = requests[static_cast<size_t>(c.file)];
    c.file = (c.file + 1) % static_cast<int>(requests.size());
    c.sent = 0;
    c.busy = true;
    c.started = Clock::now();
    ++issued;
  };
  for (Conn& c : conns) {
    if (c.fd >= 0) issue(c);
  }
  std::vector<pollfd> fds;
  char buf[65536];
  while (true) {
    bool stopping = Clock::now() >= deadline || (max_requests > 0 && issued >= max_requests);
    fds.clear();
    for (Conn& c : conns) {
      if (c.fd < 0 || !c.busy) continue;
      fds.push_back({c.fd, static_cast<short>(c.sent < c.out.size() ? POLLOUT : POLLIN), 0});
    }
    if (fds.empty()) break;
    if (poll(fds.data(), fds.size(), 1000) < 0) break;
    for (const pollfd& p : fds) {
      Conn& c =
          *std::find_if(conns.begin(), conns.end(), [&](const Conn& x) { return x.fd == p.fd; });
      if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) {
        ++io_errors;
        close(c.fd);
        c.fd = -1;
        continue;
      }
      if ((p.revents & POLLOUT) && c.sent < c.out.size()) {
        ssize_t n = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) c.sent += static_cast<size_t>(n);
      }
      if (p.revents & POLLIN) {
        ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
        if (n <= 0) {
          ++io_errors;
          close(c.fd);
          c.fd = -1;
          continue;
        }
        c.in.append(buf, static_cast<size_t>(n));
        if (int status = CompleteResponse(&c.in)) {
          ++statuses[status];
          latencies.push_back(std::chrono::duration<double>(Clock::now() - c.started).count());
          c.busy = false;
          if (!stopping) issue(c);
        }
      }
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double q) {
    return latencies.empty() ? 0.0
                             : latencies[std::min(latencies.size() - 1,
                                                  static_cast<size_t>(q * latencies.size()))];
  };
  long ok = 0, total = 0;
  std::string codes;
  for (auto [code, count] : statuses) {
    total += count;
    if (code >= 200 && code < 300) ok += count;
    codes += (codes.empty() ? "" : ",") + std::string("\"") + std::to_string(code) +
             "\":" + std::to_string(count);
  }
  std::printf(
      "{\"connections\":%d,\"seconds\":%.3f,\"responses\":%ld,\"ok\":%ld,\"per_second\":%.1f,"
      "\"status\":{%s},\"connect_errors\":%d,\"io_errors\":%ld,\"p50_ms\":%.2f,\"p99_ms\":%.2f,"
      "\"max_ms\":%.2f}\n",
      connections, elapsed, total, ok, ok / elapsed, codes.c_str(), connect_errors, io_errors,
      pct(0.5) * 1e3, pct(0.99) * 1e3, pct(1.0) * 1e3);
  for (Conn& c : conns) {
    if (c.fd >= 0) close(c.fd);
  }
  return (io_errors == 0 && connect_errors == 0 && ok == total) ? 0 : 1;
}
