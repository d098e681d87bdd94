// A small cache of signed-in sessions in front of account::Authenticate, which costs a reader
// lease and a query on every authenticated request. Entries live `ttl_ms` (so a change to a
// user's admin flag is seen within that time) and never past the session's own expiry. A
// session deleted or changed in the store — a logout, on this node or on any other sharing the
// store — is dropped by Invalidate, which the app calls from Store::WatchRows for the
// `sessions` table: for this node's commits before the writing command's reply, for other
// nodes' (PostgreSQL) a moment after their commit; a lost notification connection drops
// everything (RowChange::kAnyTable). A lookup that raced an invalidation cannot re-insert the
// dead session: Put is refused when any invalidation happened since the caller's Generation()
// was taken before reading the store.
//
// Thread-safety: all methods may be called from any thread (sharded mutexes; the index from
// session id to token has its own).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "account/account.h"
#include "store/store.h"

namespace xd::http {

class SessionCache {
 public:
  explicit SessionCache(int64_t ttl_ms = 10'000, size_t max_entries = 100'000)
      : ttl_ms_(ttl_ms), max_entries_(max_entries), max_per_shard_(max_entries / kShards + 1) {}

  // The cached principal for `token` if its entry is fresh at `now_ms`.
  std::optional<account::Principal> Get(const std::string& token, int64_t now_ms);
  // Take before reading the store; pass to Put.
  uint64_t Generation() const { return generation_.load(); }
  // Caches a principal read from the store (valid until `expires_at_ms`; its session is
  // p.session_id), unless an invalidation happened since `generation`.
  void Put(const std::string& token, const account::Principal& p, int64_t expires_at_ms, int64_t now_ms, uint64_t generation);
  // Forgets the sessions of the `sessions` rows in `rows` that were updated or deleted (an
  // insert is a new session, in no cache), everything for RowChange::kAnyTable. Rows of other
  // tables are the caller's to leave out.
  void Invalidate(const std::vector<RowChange>& rows);

 private:
  static constexpr size_t kShards = 16;
  struct Entry {
    account::Principal principal;
    int64_t valid_until_ms;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Entry> map;
  };
  Shard& ShardOf(const std::string& token) { return shards_[std::hash<std::string>{}(token) % kShards]; }
  void Clear();

  const int64_t ttl_ms_;
  const size_t max_entries_;
  const size_t max_per_shard_;
  std::atomic<uint64_t> generation_{0};
  std::array<Shard, kShards> shards_;
  // Session id → token of every cached entry (and of some already evicted: harmless), so that
  // a row change, which names the session by id, finds its entry. Written before the entry.
  std::mutex ids_mu_;
  std::unordered_map<int64_t, std::string> token_of_session_;
};

}  // namespace xd::http
