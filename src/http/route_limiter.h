// Request limits for the routes where a limit must hold exactly however many nodes serve them
// — sign-in and registration (no SMS or password-reset route exists yet; one would be a new
// LimitedRoute): at most `max` requests per fixed window per client source (an IPv4 address, an
// IPv6 /64: account::LoginSource). The count lives behind WindowCounter: in this process's
// memory on SQLite (one process serves the store), in the store's UNLOGGED `rate_buckets` table
// on PostgreSQL, where every node adds to the same row (`INSERT … ON CONFLICT DO UPDATE SET
// count = count + 1 RETURNING count`, one statement), so N nodes admit the configured number,
// not N times it. Routes see only RouteLimiter::Admit.
//
// Keys are a SHA-256 of the route and the source (attacker-chosen text never becomes a key of
// unbounded length); memory is bounded (the in-memory counter forgets old windows, then
// everything, past its bound) and so is the table (each count deletes up to two rows of windows
// that have ended). Time is the injected clock's. The per-IP token bucket of the HTTP server
// and the per-user one (rate_limiter.h) stay per node: their limit is approximate, N times the
// configured one behind a balancer.
//
//   RouteLimiter limiter(NewMemoryCounter(), clock, {.login = {.max = 20, .window_ms = 60'000}});
//   ASSIGN_OR_RETURN(int64_t wait_ms, limiter.Admit(LimitedRoute::kLogin, source));
//   if (wait_ms > 0) … 429 with Retry-After …
//
// Thread-safety: Admit may be called from any thread; it blocks on the store's write pipeline
// with the table counter, so call it off the HTTP I/O threads (the password hasher's pool).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "store/store.h"

namespace xd::http {

// At most `max` requests per `window_ms`; max 0 = unlimited.
struct WindowLimit {
  int64_t max = 0;
  int64_t window_ms = 60'000;
};

// The limited routes and their limits (AppOptions::route_limits).
enum class LimitedRoute { kLogin, kRegister };
struct RouteLimits {
  WindowLimit login;
  WindowLimit registration;
};

// Counts requests per key and window.
class WindowCounter {
 public:
  virtual ~WindowCounter() = default;
  // Adds one to `key`'s count in the window that started at `window_start_ms` and returns the
  // count, this request included. Windows that started before `expired_before_ms` are over and
  // may be forgotten.
  virtual Result<int64_t> Add(const std::string& key, int64_t window_start_ms, int64_t expired_before_ms) = 0;
};

// In this process's memory, at most about `max_keys` keys.
std::unique_ptr<WindowCounter> NewMemoryCounter(size_t max_keys = 100'000);
// In `store`'s rate_buckets table, shared by every node on the store. PostgreSQL only (its
// statement deletes expired rows in a data-modifying WITH).
std::unique_ptr<WindowCounter> NewTableCounter(Store& store);

class RouteLimiter {
 public:
  RouteLimiter(std::unique_ptr<WindowCounter> counter, const Clock& clock, RouteLimits limits)
      : counter_(std::move(counter)), clock_(clock), limits_(limits) {}
  // Counts one request to `route` from `source` (refused ones too: a client that keeps sending
  // keeps waiting). 0 when admitted; else how long until the window ends, in ms. UNAVAILABLE
  // (or the store's error) when the count cannot be taken: the caller refuses the request.
  Result<int64_t> Admit(LimitedRoute route, std::string_view source);

 private:
  std::unique_ptr<WindowCounter> counter_;
  const Clock& clock_;
  const RouteLimits limits_;
};

}  // namespace xd::http
