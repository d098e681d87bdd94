#include "http/product_cache.h"

namespace xd::http {

std::shared_ptr<const std::string> ProductCache::Get(int64_t product_id) {
  if (holds_.load() > 0) return nullptr;  // a commit is becoming visible: read the store
  Shard& s = ShardOf(product_id);
  std::lock_guard lock(s.mu);
  auto it = s.pages.find(product_id);
  if (it == s.pages.end()) return nullptr;
  hits_++;
  return it->second.body;
}

void ProductCache::Put(int64_t product_id, const std::vector<int64_t>& sku_ids, std::string body, uint64_t generation) {
  auto page = std::make_shared<const std::string>(std::move(body));
  // SKU → product first: an invalidation that finds the SKU will drop the page.
  for (int64_t sku : sku_ids) {
    Shard& ss = ShardOf(sku);
    std::lock_guard lock(ss.mu);
    ss.sku_product[sku] = product_id;
  }
  Shard& s = ShardOf(product_id);
  std::lock_guard lock(s.mu);
  // Under the shard's lock, where invalidations of this product number themselves and erase.
  if (invalidated_.load() > generation || holds_.load() > 0) return;
  auto it = s.pages.find(product_id);
  if (it != s.pages.end() && it->second.ticket > generation) return;  // read later than ours
  if (it == s.pages.end() && s.pages.size() >= max_per_shard_) s.pages.clear();
  s.pages[product_id] = Shard::Page{generation, std::move(page)};
}

void ProductCache::MarkInvalidation() {
  const uint64_t n = ++counter_;
  uint64_t seen = invalidated_.load();
  while (seen < n && !invalidated_.compare_exchange_weak(seen, n)) {
  }
}

void ProductCache::Hold() {
  holds_++;
  MarkInvalidation();  // a reader that took its ticket before cannot cache what it read
}

void ProductCache::Release() {
  int n = holds_.load();
  while (n > 0 && !holds_.compare_exchange_weak(n, n - 1)) {
  }
  if (n > 0) MarkInvalidation();  // readers whose tickets came during the hold cannot cache either
}

void ProductCache::ClearAll() {
  std::array<std::unique_lock<std::mutex>, kShards> locks;
  for (size_t i = 0; i < kShards; ++i) locks[i] = std::unique_lock(shards_[i].mu);
  MarkInvalidation();
  for (Shard& s : shards_) {
    s.pages.clear();
    s.sku_product.clear();
  }
}

void ProductCache::Invalidate(const std::vector<RowChange>& rows) {
  for (const RowChange& row : rows) {
    if (row.table == RowChange::kAnyTable || row.table == 2) {  // 2: merchants (their status decides what is public)
      ClearAll();
      return;
    }
    int64_t product_id = row.id;
    if (row.table == 1) {  // skus
      // Numbered before the lookup: a reader whose SKU → product entry is not there yet puts
      // its page after this, and is refused.
      MarkInvalidation();
      Shard& ss = ShardOf(row.id);
      std::unique_lock lock(ss.mu);
      auto it = ss.sku_product.find(row.id);
      if (it == ss.sku_product.end()) {
        // A cached page lists every SKU its product had, so a changed SKU it does not know
        // belongs to no cached page; a new SKU might (clear everything, to be safe).
        if (!row.inserted) continue;
        lock.unlock();
        ClearAll();
        return;
      }
      product_id = it->second;
    }
    Shard& s = ShardOf(product_id);
    std::lock_guard lock(s.mu);
    MarkInvalidation();
    s.pages.erase(product_id);
  }
}

}  // namespace xd::http
