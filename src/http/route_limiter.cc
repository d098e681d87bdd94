#include "http/route_limiter.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <unordered_map>

#include "base/crypto.h"

namespace xd::http {

namespace {

class MemoryCounter final : public WindowCounter {
 public:
  explicit MemoryCounter(size_t max_keys) : max_per_shard_(max_keys / kShards + 1) {}

  Result<int64_t> Add(const std::string& key, int64_t window_start_ms, int64_t expired_before_ms) override {
    Shard& s = shards_[std::hash<std::string>{}(key) % kShards];
    std::lock_guard lock(s.mu);
    if (s.counts.size() >= max_per_shard_) {  // bounded: ended windows first, then everything
      std::erase_if(s.counts, [&](const auto& kv) { return kv.second.window_start_ms < expired_before_ms; });
      if (s.counts.size() >= max_per_shard_) s.counts.clear();
    }
    Count& c = s.counts[key];
    if (c.window_start_ms != window_start_ms) c = Count{window_start_ms, 0};
    return ++c.count;
  }

 private:
  static constexpr size_t kShards = 16;
  struct Count {
    int64_t window_start_ms = 0;
    int64_t count = 0;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Count> counts;
  };
  const size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

class TableCounter final : public WindowCounter {
 public:
  explicit TableCounter(Store& store) : store_(store) {}

  Result<int64_t> Add(const std::string& key, int64_t window_start_ms, int64_t expired_before_ms) override {
    // One statement: forget up to two ended windows (skipping rows another node is deleting),
    // then count. A row is locked from the count to COMMIT, so nodes counting the same key
    // take turns and each sees the other's count.
    return store_.ExecuteFor<int64_t>([&](Tx& tx) {
      return tx.QueryInt(
          "WITH expired AS (DELETE FROM rate_buckets WHERE (key, window_start_ms) IN "
          "(SELECT key, window_start_ms FROM rate_buckets WHERE window_start_ms < ?3 LIMIT 2 FOR UPDATE SKIP LOCKED)) "
          "INSERT INTO rate_buckets(key, window_start_ms, count) VALUES(?1, ?2, 1) "
          "ON CONFLICT(key, window_start_ms) DO UPDATE SET count = rate_buckets.count + 1 RETURNING count",
          {key, window_start_ms, expired_before_ms});
    });
  }

 private:
  Store& store_;
};

}  // namespace

std::unique_ptr<WindowCounter> NewMemoryCounter(size_t max_keys) { return std::make_unique<MemoryCounter>(max_keys); }
std::unique_ptr<WindowCounter> NewTableCounter(Store& store) { return std::make_unique<TableCounter>(store); }

Result<int64_t> RouteLimiter::Admit(LimitedRoute route, std::string_view source) {
  const WindowLimit& limit = route == LimitedRoute::kLogin ? limits_.login : limits_.registration;
  if (limit.max <= 0 || limit.window_ms <= 0) return 0;
  const int64_t now = clock_.NowMs();
  const int64_t window_start = now - now % limit.window_ms;
  std::string key = Sha256Hex(std::string(route == LimitedRoute::kLogin ? "login" : "register") + '\n' + std::string(source))
                        .substr(0, 32);  // 128 bits
  // Rows of every route share the table: a window is surely over once the longest has passed.
  const int64_t longest_ms = std::max(limits_.login.window_ms, limits_.registration.window_ms);
  ASSIGN_OR_RETURN(int64_t count, counter_->Add(key, window_start, now - longest_ms));
  return count <= limit.max ? 0 : window_start + limit.window_ms - now;
}

}  // namespace xd::http
