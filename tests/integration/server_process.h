// Runs `kprof server` as a child process on an ephemeral port for a test, and kills
// it (SIGKILL when asked, to test crash safety) when done.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace kprof::testing {

class ServerProcess {
 public:
  ServerProcess(std::string kprof, std::string data_dir, std::vector<std::string> extra = {})
      : kprof_(std::move(kprof)), data_dir_(std::move(data_dir)), extra_(std::move(extra)) {}
  ~ServerProcess() { Kill(SIGTERM); }

  // Starts the server and waits (bounded) until it reports its port. Returns false if
  // it did not start; log() then says why.
  bool Start() { return Start("listening on http://127.0.0.1:"); }
  bool StartTls() { return Start("listening on https://127.0.0.1:"); }
  int port() const { return port_; }

  bool Start(const std::string& banner) {
    // A fresh log per start, so an earlier run's "listening on" line is never read.
    log_path_ = data_dir_ + ".log." + std::to_string(++starts_);
    std::remove(log_path_.c_str());
    pid_ = fork();
    if (pid_ == 0) {
      FILE* log = std::freopen(log_path_.c_str(), "w", stderr);
      (void)log;
      std::vector<std::string> args = {kprof_,        "server",     "--listen",
                                       "127.0.0.1:0", "--data-dir", data_dir_};
      args.insert(args.end(), extra_.begin(), extra_.end());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = log();
      size_t at = text.find(banner);
      if (at != std::string::npos) {
        port_ = std::stoi(text.substr(at + banner.size()));
        return true;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  void Kill(int signal) {
    if (pid_ <= 0) return;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  pid_t pid() const { return pid_; }
  // Peak resident memory of the server so far (VmHWM), in KiB; 0 if unknown.
  long PeakRssKib() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return 0;
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string kprof_;
  std::string data_dir_;
  std::vector<std::string> extra_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
};

}  // namespace kprof::testing
