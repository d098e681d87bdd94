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
  {  // First the index, so that an invalidation after the entry is in finds its token.
    std::lock_guard lock(ids_mu_);
    if (token_of_session_.size() >= max_entries_) {
      // Bounded. Every cached entry must stay findable by its session id: drop them all too
      // (a miss only costs a query).
      token_of_session_.clear();
      generation_++;
      for (Shard& s : shards_) {
        std::lock_guard shard_lock(s.mu);
        s.map.clear();
      }
      return;
    }
    token_of_session_[p.session_id] = token;
  }
  Shard& s = ShardOf(token);
  std::lock_guard lock(s.mu);
  // Checked under the shard lock: Invalidate bumps the generation before taking it.
  if (generation_.load() != generation) return;
  if (s.map.size() >= max_per_shard_) s.map.clear();  // bounded; a miss only costs a query
  s.map[token] = Entry{p, std::min(expires_at_ms, now_ms + ttl_ms_)};
}

void SessionCache::Invalidate(const std::vector<RowChange>& rows) {
  for (const RowChange& row : rows) {
    if (row.table == RowChange::kAnyTable) {
      Clear();
      return;
    }
  }
  for (const RowChange& row : rows) {
    if (row.inserted) continue;
    generation_++;
    std::string token;
    {
      std::lock_guard lock(ids_mu_);
      auto it = token_of_session_.find(row.id);
      if (it == token_of_session_.end()) continue;
      token = std::move(it->second);
      token_of_session_.erase(it);
    }
    Shard& s = ShardOf(token);
    std::lock_guard lock(s.mu);
    s.map.erase(token);
  }
}

void SessionCache::Clear() {
  generation_++;
  {
    std::lock_guard lock(ids_mu_);
    token_of_session_.clear();
  }
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    s.map.clear();
  }
}

}  // namespace xd::http
