// Time is injected: every module reads time from a Clock, never from the OS directly.
// RealClock for the server, FakeClock for tests (advanced by hand). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace xd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMs() const = 0;
};

class RealClock final : public Clock {
 public:
  int64_t NowMs() const override;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'767'225'600'000) : now_ms_(start_ms) {}  // 2026-01-01
  int64_t NowMs() const override { return now_ms_.load(); }
  void AdvanceMs(int64_t ms) { now_ms_.fetch_add(ms); }
  void SetMs(int64_t ms) { now_ms_.store(ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

// "2026-01-01T00:00:00.000Z"
std::string FormatRfc3339(int64_t ms);
// "20260101000000" (UTC, to the second): the time prefix of identifiers that should sort
// by creation, as payment providers' prepay ids do.
std::string FormatCompactUtc(int64_t ms);
// Parses RFC 3339 UTC ("...Z" or "+00:00", optional fraction); -1 on malformed input.
int64_t ParseRfc3339(const std::string& text);

}  // namespace xd
