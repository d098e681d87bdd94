// Reading the event log page by page for exports (issue 19): keyset pagination on
// (occurred_at_ms, id) over the log_merchant_time index, so each page is one bounded indexed
// read however long the range is.
#include <algorithm>

#include "insight/insight.h"

namespace xd::insight {

Result<std::vector<LoggedEvent>> Insight::MerchantEventsPage(int64_t merchant_id, int64_t from_ms,
                                                             int64_t to_ms,
                                                             std::optional<EventKey> after,
                                                             int limit) {
  const EventKey start = after.value_or(EventKey{from_ms, 0});
  return analytics_.Read([&](Reader& r) -> Result<std::vector<LoggedEvent>> {
    ASSIGN_OR_RETURN(Rows rows,
                     r.Query("SELECT id, type, user_id, device_id, product_id, order_id, amount_fen, "
                             "category, channel, occurred_at_ms, data FROM log "
                             "WHERE merchant_id=? AND occurred_at_ms>=? AND occurred_at_ms<? "
                             "AND (occurred_at_ms>? OR id>?) ORDER BY occurred_at_ms, id LIMIT ?",
                             {merchant_id, std::max(from_ms, start.occurred_at_ms), to_ms,
                              start.occurred_at_ms, start.id, static_cast<int64_t>(limit)}));
    std::vector<LoggedEvent> out;
    out.reserve(rows.size());
    for (const Row& row : rows)
      out.push_back(LoggedEvent{row.Int(0), row.Str(1), row.Int(2), row.Str(3), row.Int(4),
                                row.Int(5), row.Int(6), row.Str(7), row.Str(8), row.Int(9),
                                row.Str(10)});
    return out;
  });
}

}  // namespace xd::insight
