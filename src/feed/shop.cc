// The storefront (feed.h): one read snapshot, a handful of bounded queries.
#include "account/account.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/messages.h"
#include "buyer/buyer.h"
#include "feed/feed.h"

namespace xd::feed {

Result<Json> Storefront(Reader& r, int64_t merchant_id, int64_t viewer_user_id) {
  ASSIGN_OR_RETURN(account::Merchant m, account::GetMerchant(r, merchant_id));
  if (m.status != "active") return Fail(Msg::MERCHANT_NOT_FOUND);
  ASSIGN_OR_RETURN(buyer::ShopFollowers f,
                   buyer::ShopFollowerCount(r, merchant_id, viewer_user_id));
  ASSIGN_OR_RETURN(Rows cats,
                   r.Query("SELECT category, count(*) FROM products WHERE merchant_id=? AND "
                           "status='on_sale' AND taken_down=0 AND category<>'' GROUP BY category "
                           "ORDER BY 2 DESC, 1 LIMIT 50",
                           {merchant_id}));
  Json categories = Json::array();
  for (auto& row : cats) categories.push_back(Json{{"name", row.Str(0)}, {"count", row.Int(1)}});
  ASSIGN_OR_RETURN(int64_t on_sale,
                   r.QueryInt("SELECT count(*) FROM products WHERE merchant_id=? AND "
                              "status='on_sale' AND taken_down=0",
                              {merchant_id}));
  ASSIGN_OR_RETURN(
      Rows rooms,
      r.Query("SELECT id, title, cover, status, starts_at_ms FROM live_rooms WHERE merchant_id=? "
              "AND status IN ('live','scheduled') ORDER BY CASE status WHEN 'live' THEN 0 ELSE 1 "
              "END, starts_at_ms, id LIMIT 10",
              {merchant_id}));
  Json live = Json::array();
  for (auto& row : rooms)
    live.push_back(Json{{"id", IdString(row.Int(0))},
                        {"title", row.Str(1)},
                        {"cover", row.Str(2)},
                        {"status", row.Str(3)},
                        {"starts_at", FormatRfc3339(row.Int(4))}});
  Json shop = account::ToJson(m, false);
  return Json{{"shop", shop},
              {"followers", f.followers},
              {"following", f.following},
              {"products_on_sale", on_sale},
              {"categories", categories},
              {"live_rooms", live}};
}

}  // namespace xd::feed
