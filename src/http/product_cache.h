// The public product page (`GET /api/v1/products/{id}`), serialised, in memory: the read that
// every share link, live room and search result leads to. An entry is dropped after any
// commit that touches its product row, one of its SKUs (stock moves with every order) or any
// merchant (a suspended shop's products leave the shop at once); the store reports those rows
// (Store::WatchRows). Readers take a ticket (Generation()) before reading: tickets and
// invalidations are numbered from one counter, so a reader that raced a commit's invalidation
// cannot re-insert what it read (Put is refused when an invalidation came after its ticket),
// and a page read earlier never replaces one read later (a commit is visible a moment before
// its invalidation runs: without the order, a slow reader's old page could overwrite a newer
// one, and a buyer would see stock go back up). An invalidation bumps the counter and erases
// under the page's shard lock, so Get never finds a page its invalidation has passed. On
// SQLite the writer also holds the cache around each COMMIT that changes watched rows
// (Hold/Release, RowPhase::kCommitting .. kVisible): readers can see a commit a moment before
// its invalidation runs, and without the hold a page from before it was served meanwhile.
// A cached page lists every SKU of its product, so an update to a SKU the cache has not seen
// touches no cached page; a new SKU clears everything.
//
// Thread-safety: all methods may be called from any thread (sharded mutexes).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/store.h"

namespace xd::http {

class ProductCache {
 public:
  // The tables to watch, in the order Invalidate expects them.
  static std::vector<std::string> WatchedTables() { return {"products", "skus", "merchants"}; }

  explicit ProductCache(size_t max_entries = 50'000) : max_per_shard_(max_entries / kShards + 1) {}

  std::shared_ptr<const std::string> Get(int64_t product_id);
  // Take before reading the store; pass to Put.
  uint64_t Generation() { return ++counter_; }
  // Caches a page read from the store, unless an invalidation happened since `generation` or a
  // page read later is cached already.
  void Put(int64_t product_id, const std::vector<int64_t>& sku_ids, std::string body, uint64_t generation);
  // Drops what a commit changed (rows of WatchedTables(), by index).
  void Invalidate(const std::vector<RowChange>& rows);
  // Around a local COMMIT that changes watched rows (RowPhase::kCommitting, then kVisible):
  // from Hold() until Release() nothing is served or cached, so a page read before the commit
  // cannot be served after readers can see it (Release follows the commit's Invalidate).
  // Release without a Hold does nothing (PostgreSQL: commits come as kVisible only).
  void Hold();
  void Release();
  size_t hits() const { return hits_.load(); }

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    std::mutex mu;
    struct Page {
      uint64_t ticket;  // the reader's Generation()
      std::shared_ptr<const std::string> body;
    };
    std::unordered_map<int64_t, Page> pages;
    std::unordered_map<int64_t, int64_t> sku_product;  // SKUs of cached pages (a SKU never changes product)
  };
  Shard& ShardOf(int64_t id) { return shards_[static_cast<uint64_t>(id) % kShards]; }
  void ClearAll();
  // Numbers an invalidation: Put refuses pages whose ticket is older.
  void MarkInvalidation();

  size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
  // Tickets and invalidations, one sequence; the newest invalidation's number.
  std::atomic<uint64_t> counter_{0};
  std::atomic<uint64_t> invalidated_{0};
  std::atomic<size_t> hits_{0};
  std::atomic<int> holds_{0};
};

}  // namespace xd::http
