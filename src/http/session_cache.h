// A small cache of signed-in sessions in front of account::Authenticate, which costs a reader
// lease and a query on every authenticated request. Entries live `ttl_ms` (so a change to a
// user's admin flag is seen within that time) and never past the session's own expiry; a
// logout erases its entry once the deletion commits. A lookup that raced a logout cannot
// re-insert the dead session: Put is refused when any erase happened since the caller's
// Generation() was taken before reading the store.
//
// Thread-safety: all methods may be called from any thread (sharded mutexes).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "account/account.h"

namespace xd::http {

class SessionCache {
 public:
  explicit SessionCache(int64_t ttl_ms = 10'000, size_t max_entries = 100'000) : ttl_ms_(ttl_ms), max_per_shard_(max_entries / kShards + 1) {}

  // The cached principal for `token` if its entry is fresh at `now_ms`.
  std::optional<account::Principal> Get(const std::string& token, int64_t now_ms);
  // Take before reading the store; pass to Put.
  uint64_t Generation() const { return generation_.load(); }
  // Caches a principal read from the store (valid until `expires_at_ms`), unless an Erase
  // happened since `generation`.
  void Put(const std::string& token, const account::Principal& p, int64_t expires_at_ms, int64_t now_ms, uint64_t generation);
  // Forgets `token` (call after its logout commits).
  void Erase(const std::string& token);

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

  const int64_t ttl_ms_;
  const size_t max_per_shard_;
  std::atomic<uint64_t> generation_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace xd::http
