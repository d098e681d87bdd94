// Binding an analytics file to its trading store (decision 025). The log keys server events by
// the trading outbox's seq; a file left from another trading store (a recreated PostgreSQL
// schema, a store restored elsewhere) would see the new store's seqs as already ingested.
//
//   ASSIGN_OR_RETURN(bool reset, insight::BindToTradingStore(analytics, digest));
#pragma once

#include <string_view>

#include "base/result.h"
#include "store/store.h"

namespace xd::insight {

// Records `trading_store_id` (a stable digest naming the trading store) in the analytics file on
// first use. When the file names another store, empties the log, the projections and their
// cursors first (they describe that other store) and answers true. Then fills what a migration
// asked for and SQL cannot compute, once: 053's per-day visitor sketches of days projected before
// it (a pass over merchant_day_visitors); 056's co_purchases and buyer_products (the log's paid
// orders replayed, self-purchases marked from `trading`, the trading store; null: none marked).
Result<bool> BindToTradingStore(Store& analytics, std::string_view trading_store_id,
                                Store* trading = nullptr);

}  // namespace xd::insight
