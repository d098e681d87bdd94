// Token buckets keyed by a string (client IP, user id), sharded to keep lock hold times
// short. rate 0 = unlimited. Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace xd::http {

class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst > 0 ? burst : rate) {}
  // Takes one token for `key`; false when its bucket is empty.
  bool Allow(const std::string& key) {
    if (rate_ <= 0) return true;
    auto now = std::chrono::steady_clock::now();
    Shard& s = shards_[std::hash<std::string>{}(key) % shards_.size()];
    std::lock_guard lock(s.mu);
    if (s.buckets.size() > 100000) s.buckets.clear();  // bounded memory
    auto [it, fresh] = s.buckets.try_emplace(key, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!fresh) {
      double elapsed = std::chrono::duration<double>(now - b.last).count();
      b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
      b.last = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
  };
  double rate_, burst_;
  std::array<Shard, 16> shards_;
};

}  // namespace xd::http
