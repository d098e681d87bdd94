// A webhook receiver for tests: a tiny HTTP server (the project's own) on a loopback port that
// records every POST to /hook (body, headers, when it arrived) and answers the status the test
// sets.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/server.h"

namespace xd::testing {

class Receiver {
 public:
  struct Got {
    std::string body;
    std::map<std::string, std::string> headers;
    std::chrono::steady_clock::time_point at;
  };
  Receiver() {
    router_.Add({"POST", "/hook", "test receiver", "test"}, [this](http::Request& req, http::Respond respond) {
      Got g{req.body, {}, std::chrono::steady_clock::now()};
      for (auto& [k, v] : req.headers) g.headers[k] = v;
      {
        std::lock_guard lock(mu_);
        got_.push_back(std::move(g));
      }
      http::Response r;
      r.status = status_.load();
      r.body = "{}";
      respond(std::move(r));
    });
    http::ServerOptions so;
    so.port = 0;
    so.threads = 1;
    server_ = std::make_unique<http::Server>(so, router_);
    port_ = server_->Start();
  }
  ~Receiver() { server_->Shutdown(1000); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  void set_status(int s) { status_ = s; }
  std::vector<Got> got() {
    std::lock_guard lock(mu_);
    return got_;
  }

 private:
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::vector<Got> got_;
  std::atomic<int> status_{200};
};

}  // namespace xd::testing
