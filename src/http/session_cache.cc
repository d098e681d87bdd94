#include "http/session_cache.h"

#include <algorithm>

namespace xd::http {

std::optional<account::Principal> SessionCache::Get(const std::string& token, int64_t now_ms) {
  Shard& s = ShardOf(token);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(token);
  if (it == s.map.end()) return std::nullopt;
  if (it->second.valid_until_ms <= now_ms) {
    s.map.erase(it);
    return std::nullopt;
  }
  return it->second.principal;
}

void SessionCache::Put(const std::string& token, const account::Principal& p, int64_t expires_at_ms, int64_t now_ms,
                       uint64_t generation) {
  Shard& s = ShardOf(token);
  std::lock_guard lock(s.mu);
  // Checked under the shard lock: Erase bumps the generation before taking it.
  if (generation_.load() != generation) return;
  if (s.map.size() >= max_per_shard_) s.map.clear();  // bounded; a miss only costs a query
  s.map[token] = Entry{p, std::min(expires_at_ms, now_ms + ttl_ms_)};
}

void SessionCache::Erase(const std::string& token) {
  generation_++;
  Shard& s = ShardOf(token);
  std::lock_guard lock(s.mu);
  s.map.erase(token);
}

}  // namespace xd::http
