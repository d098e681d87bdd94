// An asynchronous HTTP/1.1 client for one server: up to `max_connections` keep-alive
// connections on one I/O thread of its own, requests queued beyond that. It is how the
// sandbox provider delivers notifications: one thread and a pool of connections instead of a
// blocked thread per delivery in flight.
//
//   AsyncClient client("127.0.0.1", 8080, 64, "xd-paynotify");
//   client.Post("/api/v1/pay/notify/sandbox", body, {{"X-Sandbox-Signature", sig}},
//               [](int status) { /* on the client's thread; 0 = no answer */ });
//
// Thread-safety: Post may be called from any thread. The destructor stops the thread;
// requests still queued or in flight then never complete (their callbacks are dropped).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace xd::http {

class AsyncClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  // `host` is an IP address or a name (resolved once, here); `timeout_ms` bounds connect and
  // each exchange.
  AsyncClient(std::string host, uint16_t port, int max_connections, std::string thread_name, int timeout_ms = 10'000);
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Sends `POST target` with a JSON body; `done` gets the status (0: connect, send or read
  // failed, or timed out). A request that fails on a reused connection (the server may
  // have closed it while idle) is retried once on a new one.
  void Post(std::string target, std::string body, Headers headers, std::function<void(int status)> done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xd::http
