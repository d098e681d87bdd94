// The HTTP/1.1 server (Boost.Beast, keep-alive) on a thread pool. Limits on everything: body
// size, header size, read and idle timeouts, connection count, per-IP rate (429). Graceful
// shutdown stops accepting, lets in-flight requests finish, then returns.
//
// Boost is included only in src/http/*.cc; this header is Boost-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/limits.h"
#include "http/router.h"

namespace xd::http {

class StreamAcceptor;  // http/stream.h: takes over WebSocket and SSE connections

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port (tests)
  int threads = 2;
  size_t body_limit = limits::kMaxRequestBodyBytes;
  // Requests to one of `upload_paths` (POST) may carry up to upload_body_limit; at most
  // max_uploads_in_flight such requests are read or handled at once (503 beyond), so upload
  // bodies held in memory are bounded whoever sends them. Empty: no route takes more.
  std::vector<std::string> upload_paths;
  // Asked with an upload's headers (no body yet) before it takes a slot: a Response refuses it
  // there (a request without a live session or API key answers 401 and holds no slot, so
  // nobody who cannot upload can keep the signed-in out); nullopt lets it read its body. Runs
  // on an I/O thread. Null: every upload may take a slot.
  std::function<std::optional<Response>(Request&)> upload_gate;
  size_t upload_body_limit = limits::kMaxUploadBodyBytes;
  size_t max_uploads_in_flight = limits::kMaxUploadsInFlight;
  size_t header_limit = limits::kMaxRequestHeaderBytes;
  int read_timeout_ms = 15000;   // a whole request must arrive within this
  int idle_timeout_ms = 60000;   // keep-alive connections idle longer are closed
  int max_connections = 20000;
  double ip_rate_per_s = 0;      // 0 = unlimited; else a token bucket per client IP
  double ip_burst = 0;
  std::string web_root;          // serves <web_root>/shop/dist at / and console/dist at /console/
  bool access_log = false;
  StreamAcceptor* streams = nullptr;  // long-lived streams (the live hub); outlives the server
};

struct ServerMetrics;

class Server {
 public:
  Server(ServerOptions options, const Router& router);
  ~Server();
  // Binds and starts the I/O threads; returns the bound port.
  uint16_t Start();
  // Stops accepting, waits up to drain_ms for in-flight requests, stops the threads.
  void Shutdown(int drain_ms = 10000);
  // Blocks until SIGINT/SIGTERM, then shuts down gracefully.
  void RunUntilSignal();
  // Prometheus text for the HTTP metrics (requests, latencies, connections).
  std::string MetricsText() const;
  int64_t in_flight() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace xd::http
