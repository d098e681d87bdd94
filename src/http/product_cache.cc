#include "http/product_cache.h"

namespace xd::http {

std::shared_ptr<const std::string> ProductCache::Get(int64_t product_id) {
  Shard& s = ShardOf(product_id);
  std::lock_guard lock(s.mu);
  auto it = s.pages.find(product_id);
  if (it == s.pages.end()) return nullptr;
  hits_++;
  return it->second;
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
  // Checked under the shard's lock: an invalidation bumps the generation before it takes the
  // lock to erase, so either it is seen here or it erases what is inserted here.
  if (generation_.load() != generation) return;
  if (s.pages.size() >= max_per_shard_) s.pages.clear();
  s.pages[product_id] = std::move(page);
}

void ProductCache::ClearAll() {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    s.pages.clear();
    s.sku_product.clear();
  }
}

void ProductCache::Invalidate(const std::vector<RowChange>& rows) {
  generation_++;
  for (const RowChange& row : rows) {
    int64_t product_id = row.rowid;
    if (row.table == 1) {  // skus
      Shard& ss = ShardOf(row.rowid);
      std::unique_lock lock(ss.mu);
      auto it = ss.sku_product.find(row.rowid);
      if (it == ss.sku_product.end()) {
        // A cached page lists every SKU its product had, so a changed SKU it does not know
        // belongs to no cached page; a new SKU might (clear everything, to be safe).
        if (!row.inserted) continue;
        lock.unlock();
        ClearAll();
        return;
      }
      product_id = it->second;
    } else if (row.table == 2) {  // merchants: their status decides what is public
      ClearAll();
      return;
    }
    Shard& s = ShardOf(product_id);
    std::lock_guard lock(s.mu);
    s.pages.erase(product_id);
  }
}

}  // namespace xd::http
