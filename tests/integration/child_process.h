// A child process for tests (the simulator, an agent, a server on a fixed port): started
// with its stdout and stderr in a log file, waited for until a banner appears in it, and
// killed when the test ends.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
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

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Kill(SIGTERM); }

  // Starts argv[0] with `argv`, logging to `log_path`, and waits up to `timeout` for
  // `banner` in the log. Returns the rest of the banner's line ("" when it did not appear;
  // log() then says why).
  std::string Start(std::vector<std::string> argv, const std::string& log_path,
                    const std::string& banner,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30),
                    const std::vector<std::string>& env = {}) {
    log_path_ = log_path;
    std::remove(log_path_.c_str());
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      FILE* out = std::freopen(log_path_.c_str(), "w", stdout);
      (void)out;
      dup2(fileno(stdout), fileno(stderr));
      for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (std::string& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = log();
      size_t at = text.find(banner);
      if (at != std::string::npos) {
        size_t end = text.find('\n', at);
        if (end != std::string::npos)
          return text.substr(at + banner.size(), end - at - banner.size());
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return "";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "";
  }

  void Kill(int signal) {
    if (pid_ <= 0) return;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
};

}  // namespace kprof::testing
