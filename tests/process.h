// A server process for fault tests: the real `xiaodian serve` binary, started on a free
// loopback port and killed (SIGKILL) or stopped (SIGTERM) by PID.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "tests/free_port.h"

namespace xd::testing {

class ServerProcess {
 public:
  ServerProcess(std::string bin, std::string db) : bin_(std::move(bin)), db_(std::move(db)) {}
  ~ServerProcess() { Kill(); }

  // Starts the server and waits until /healthz answers; false if it exits first, or after
  // kStartBound (a bound for a hang, not a start-time budget: an ASan build starting a fresh
  // store beside the browser suites once took more than the 6 s this used to allow).
  bool Start(const std::vector<std::string>& extra = {}) {
    port_ = FreePort();
    std::vector<std::string> args = {bin_, "serve", "--db", db_, "--listen", "127.0.0.1:" + std::to_string(port_), "--log-level", "error"};
    if (fast_hash) args.push_back("--fast-hash");
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin_.c_str(), argv.data());
      _exit(127);
    }
    http::Client probe("127.0.0.1", port_);
    const auto give_up = std::chrono::steady_clock::now() + kStartBound;
    while (std::chrono::steady_clock::now() < give_up) {
      if (probe.Send("GET", "/healthz").status == 200) return true;
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {  // it exited: it will not answer
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  static constexpr std::chrono::seconds kStartBound{120};
  void Kill() { Signal(SIGKILL); }
  void Stop() { Signal(SIGTERM); }
  uint16_t port() const { return port_; }
  bool fast_hash = true;  // cheap Argon2 for every new account (set before Start)

 private:
  void Signal(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string bin_, db_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// Runs `xiaodian check --db` and returns its exit code.
inline int RunCheck(const std::string& bin, const std::string& db) {
  std::string cmd = bin + " check --db " + db + " > /dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

}  // namespace xd::testing
