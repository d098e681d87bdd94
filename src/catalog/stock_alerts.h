// Low-stock alerts (issue 19, migration 048): a threshold per SKU, and one `stock.low` outbox
// event, in the transaction that changed the stock, when the SKU's available stock falls from
// at least the threshold to below it (a checkout's reservation, a live room's allocation, the
// shop setting its stock). Only a crossing counts: a sale that leaves stock still below appends
// nothing, and stock brought back to or above the threshold arms it again. The event is the
// SKU's merchant's (a webhook type, open/open.h).
//
//   RETURN_IF_ERROR(catalog::SetLowStockThreshold(tx, merchant_id, sku_id, 5));   // 0: none
//
// Thread-safety: functions over the caller's Tx or Reader.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "base/result.h"
#include "store/store.h"

namespace xd::catalog {

// Sets (threshold > 0) or removes (0) the SKU's threshold; SKU_NOT_FOUND for another
// merchant's SKU. Setting it above the current stock appends nothing (no crossing happened).
Status SetLowStockThreshold(Tx& tx, int64_t merchant_id, int64_t sku_id, int64_t threshold);

// The thresholds of the merchant's `sku_ids` that have one (sku id → threshold).
Result<std::map<int64_t, int64_t>> LowStockThresholds(Reader& r, int64_t merchant_id,
                                                      const std::vector<int64_t>& sku_ids);

// Called by the stock operations after `sku_id`'s available stock fell by `fell` units:
// appends stock.low when that crossed the SKU's threshold. (catalog.cc's Reserve, Allocate,
// PatchSku.)
Status AfterStockFell(Tx& tx, int64_t sku_id, int64_t fell);

}  // namespace xd::catalog
