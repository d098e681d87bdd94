// Chat-group links (群接龙) and friends' recommendations (朋友圈推荐). A share link posted
// into a chat group carries the group's key; an order whose buyer's last touch came through
// such a link is counted for the group (promo/distribution.cc records it at creation). The
// merchant whose products were shared there sees its part of the group: opens, orders, GMV
// and the 接龙 list of who ordered what; the group's members see the 接龙 list with masked
// names; nobody else learns that the group exists. A buyer
// recommends a product with a line of text; their friends read it in their feed.
#include <map>

#include "base/id.h"
#include "base/messages.h"
#include "catalog/catalog.h"
#include "promo/events.h"
#include "promo/internal/promo_internal.h"

namespace xd::promo {

namespace {

// The first character (UTF-8 code point) and one star: 小王 → 小*, whatever the length.
std::string MaskNickname(const std::string& name) {
  if (name.empty()) return "*";
  size_t n = 1;
  while (n < name.size() && (static_cast<unsigned char>(name[n]) & 0xC0) == 0x80) ++n;
  return name.substr(0, n) + "*";
}

// 接龙: one line per order item, in the order people ordered (cancelled orders drop out);
// merchant_id 0 = every shop's orders in the group.
Result<Json> Jielong(Reader& r, const std::string& chat_group, int64_t merchant_id, bool masked, int64_t limit) {
  ASSIGN_OR_RETURN(Rows lines, r.Query("SELECT u.nickname, i.title, i.quantity, o.status, c.created_at_ms FROM chat_group_orders c "
                                       "JOIN orders o ON o.id = c.order_id JOIN order_items i ON i.order_id = o.id "
                                       "JOIN users u ON u.id = c.buyer_id WHERE c.chat_group=?1 AND o.status <> " + internal::Sql(trade::OrderStatus::kCancelled) + " "
                                       "AND (?2 = 0 OR c.merchant_id = ?2) "
                                       "ORDER BY c.created_at_ms, c.order_id, i.id LIMIT ?3",
                                       {chat_group, merchant_id, limit}));
  Json jielong = Json::array();
  for (size_t i = 0; i < lines.size(); ++i)
    jielong.push_back(Json{{"seq", static_cast<int64_t>(i + 1)},
                           {"nickname", masked ? MaskNickname(lines[i].Str(0)) : lines[i].Str(0)},
                           {"title", lines[i].Str(1)},
                           {"quantity", lines[i].Int(2)},
                           {"status", lines[i].Str(3)},
                           {"ordered_at", FormatRfc3339(lines[i].Int(4))}});
  return jielong;
}

}  // namespace

Result<Json> PromoService::ChatGroupMerchantStats(Reader& r, int64_t merchant_id, const std::string& chat_group, int64_t limit) {
  // An aggregate: always exactly one row.
  ASSIGN_OR_RETURN(Rows links, r.Query("SELECT count(*), COALESCE(SUM(s.opens),0) FROM shares s "
                                       "WHERE s.chat_group=? AND s.merchant_id=?",
                                       {chat_group, merchant_id}));
  if (links.size() != 1) return Fail(ErrorCode::INTERNAL, "aggregate returned no row");
  if (links[0].Int(0) == 0) return Fail(Msg::CHAT_GROUP_NOT_FOUND);
  ASSIGN_OR_RETURN(Rows totals, r.Query("SELECT COALESCE(SUM(CASE WHEN o.status <> " + internal::Sql(trade::OrderStatus::kCancelled) + " THEN 1 ELSE 0 END),0), "
                                        "COALESCE(SUM(CASE WHEN o.paid_at_ms IS NOT NULL THEN 1 ELSE 0 END),0), "
                                        "COALESCE(SUM(CASE WHEN o.paid_at_ms IS NOT NULL THEN o.total_fen - o.refunded_fen ELSE 0 END),0) "
                                        "FROM chat_group_orders c JOIN orders o ON o.id = c.order_id WHERE c.chat_group=? "
                                        "AND c.merchant_id=?",
                                        {chat_group, merchant_id}));
  if (totals.size() != 1) return Fail(ErrorCode::INTERNAL, "aggregate returned no row");
  ASSIGN_OR_RETURN(Json jielong, Jielong(r, chat_group, merchant_id, false, limit));
  return Json{{"view", "merchant"},
              {"chat_group", chat_group},
              {"opens", links[0].Int(1)},
              {"orders", totals[0].Int(0)},
              {"paid_orders", totals[0].Int(1)},
              {"gmv_fen", totals[0].Int(2)},
              {"jielong", jielong}};
}

Result<Json> PromoService::MerchantChatGroups(Reader& r, int64_t merchant_id, int64_t days, int64_t limit) {
  const std::string cancelled = internal::Sql(trade::OrderStatus::kCancelled);
  const int64_t day_ms = 24LL * 3600 * 1000, offset = config_.day_offset_ms;
  const int64_t since = (r.clock().NowMs() + offset) / day_ms * day_ms - offset - (days - 1) * day_ms;
  // The groups the shop's links were posted in, the most opened first.
  ASSIGN_OR_RETURN(Rows groups, r.Query("SELECT chat_group, count(*), COALESCE(SUM(opens),0) FROM shares "
                                        "WHERE merchant_id=? AND chat_group IS NOT NULL GROUP BY chat_group "
                                        "ORDER BY 3 DESC, chat_group LIMIT ?",
                                        {merchant_id, limit}));
  Json items = Json::array();
  for (auto& g : groups) {
    std::string key = g.Str(0);
    std::map<int64_t, Json> by_day;
    auto day = [&](int64_t day_no) -> Json& {
      Json& d = by_day[day_no];
      if (d.is_null()) d = Json{{"date", FormatRfc3339(day_no * day_ms - offset).substr(0, 10)}, {"opens", 0}, {"orders", 0}, {"gmv_fen", 0}};
      return d;
    };
    ASSIGN_OR_RETURN(Rows opens, r.Query("SELECT (o.opened_at_ms + ?) / ?, count(*) FROM share_opens o JOIN shares s ON s.id = o.share_id "
                                         "WHERE s.merchant_id=? AND s.chat_group=? AND o.opened_at_ms >= ? GROUP BY 1",
                                         {offset, day_ms, merchant_id, key, since}));
    for (auto& row : opens) day(row.Int(0))["opens"] = row.Int(1);
    ASSIGN_OR_RETURN(Rows orders, r.Query("SELECT (c.created_at_ms + ?) / ?, count(*), "
                                          "COALESCE(SUM(CASE WHEN o.paid_at_ms IS NOT NULL THEN o.total_fen - o.refunded_fen ELSE 0 END),0) "
                                          "FROM chat_group_orders c JOIN orders o ON o.id = c.order_id WHERE c.merchant_id=? AND c.chat_group=? "
                                          "AND o.status <> " + cancelled + " AND c.created_at_ms >= ? GROUP BY 1",
                                          {offset, day_ms, merchant_id, key, since}));
    int64_t total_orders = 0, gmv = 0;
    for (auto& row : orders) {
      Json& d = day(row.Int(0));
      d["orders"] = row.Int(1);
      d["gmv_fen"] = row.Int(2);
      total_orders += row.Int(1);
      gmv += row.Int(2);
    }
    Json per_day = Json::array();
    for (auto it = by_day.rbegin(); it != by_day.rend(); ++it) per_day.push_back(it->second);
    // The key is the chat app's opaque id ("wxg-2001"): people see the group as the shop's n-th
    // group, who first posted a link there and since when.
    ASSIGN_OR_RETURN(Rows first, r.Query("SELECT s.created_at_ms, COALESCE(u.nickname, '') FROM shares s JOIN users u ON u.id = s.sharer_id "
                                         "WHERE s.merchant_id=? AND s.chat_group=? ORDER BY s.created_at_ms, s.id LIMIT 1",
                                         {merchant_id, key}));
    CHECK(!first.empty());  // the group came from this shop's shares, read in the same transaction
    const int64_t first_ms = first[0].Int(0);
    ASSIGN_OR_RETURN(int64_t earlier,
                     r.QueryInt("SELECT count(*) FROM (SELECT chat_group FROM shares WHERE merchant_id=? AND chat_group IS NOT NULL "
                                "GROUP BY chat_group HAVING MIN(created_at_ms) < ? OR (MIN(created_at_ms) = ? AND chat_group < ?)) t",
                                {merchant_id, first_ms, first_ms, key}));
    items.push_back(Json{{"chat_group", key}, {"no", earlier + 1}, {"first_sharer", first[0].Str(1)},
                         {"first_shared_at", FormatRfc3339(first_ms)}, {"links", g.Int(1)}, {"opens", g.Int(2)},
                         {"orders", total_orders}, {"gmv_fen", gmv}, {"days", per_day}});
  }
  return Json{{"days", days}, {"items", items}};
}

Result<Json> PromoService::ChatGroupMemberStats(Reader& r, int64_t user_id, const std::string& chat_group, int64_t limit) {
  // Membership is what the messaging app would show: the link was in front of this user.
  // (A sharer's own opens are not recorded, so the sharer counts by the link itself.)
  ASSIGN_OR_RETURN(int64_t member,
                   r.QueryInt("SELECT EXISTS(SELECT 1 FROM shares WHERE chat_group=?1 AND sharer_id=?2) "
                              "OR EXISTS(SELECT 1 FROM shares s JOIN share_opens o ON o.share_id = s.id "
                              "WHERE s.chat_group=?1 AND o.viewer_id=?2) "
                              "OR EXISTS(SELECT 1 FROM chat_group_orders WHERE chat_group=?1 AND buyer_id=?2)",
                              {chat_group, user_id}));
  if (!member) return Fail(Msg::CHAT_GROUP_NOT_FOUND);
  ASSIGN_OR_RETURN(Json jielong, Jielong(r, chat_group, 0, true, limit));
  return Json{{"view", "member"}, {"chat_group", chat_group}, {"jielong", jielong}};
}

Result<Json> PromoService::Recommend(Tx& tx, int64_t user_id, int64_t product_id, const std::string& text) {
  if (text.empty() || text.size() > limits::kMaxRecommendationLen)
    return Fail(Msg::RECOMMENDATION_LENGTH, {{"max", limits::kMaxRecommendationLen}});
  ASSIGN_OR_RETURN(catalog::Product product, catalog::GetProduct(tx, product_id, true, {}, false));
  int64_t now = tx.NowMs();
  RETURN_IF_ERROR(tx.Run("INSERT INTO recommendations(id, user_id, product_id, text, created_at_ms) VALUES(?,?,?,?,?) "
                         "ON CONFLICT(user_id, product_id) DO UPDATE SET text=excluded.text, created_at_ms=excluded.created_at_ms",
                         {tx.NewId(), user_id, product_id, text, now}));
  RETURN_IF_ERROR(Emit(tx, ProductRecommended{user_id, product_id, product.merchant_id}));
  return Json{{"user_id", IdString(user_id)}, {"product_id", IdString(product_id)}, {"text", text}, {"created_at", FormatRfc3339(now)}};
}

Result<Json> PromoService::FriendRecommendations(Reader& r, int64_t user_id, int64_t product_id, int64_t limit) {
  ASSIGN_OR_RETURN(int64_t count, r.QueryInt("SELECT count(*) FROM friendships f JOIN recommendations rec ON rec.user_id = f.friend_id "
                                             "WHERE f.user_id=? AND rec.product_id=?",
                                             {user_id, product_id}));
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT u.nickname, rec.text, rec.created_at_ms FROM friendships f "
                                      "JOIN recommendations rec ON rec.user_id = f.friend_id JOIN users u ON u.id = rec.user_id "
                                      "WHERE f.user_id=? AND rec.product_id=? ORDER BY rec.created_at_ms DESC, rec.id DESC LIMIT ?",
                                      {user_id, product_id, limit}));
  Json items = Json::array();
  for (auto& row : rows)
    items.push_back(Json{{"nickname", row.Str(0)}, {"text", row.Str(1)}, {"created_at", FormatRfc3339(row.Int(2))}});
  ASSIGN_OR_RETURN(Rows mine, r.Query("SELECT text FROM recommendations WHERE user_id=? AND product_id=? LIMIT 1", {user_id, product_id}));
  return Json{{"product_id", IdString(product_id)}, {"count", count}, {"items", items},
              {"mine", mine.empty() ? Json(nullptr) : Json(mine[0].Str(0))}};
}

Result<Json> PromoService::FriendsFeed(Reader& r, int64_t user_id, int64_t limit, int64_t before_ms) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT rec.user_id, u.nickname, rec.product_id, p.title, p.min_price_fen, p.images, rec.text, "
                                      "rec.created_at_ms FROM friendships f JOIN recommendations rec ON rec.user_id = f.friend_id "
                                      "JOIN users u ON u.id = rec.user_id JOIN products p ON p.id = rec.product_id "
                                      "WHERE f.user_id=?1 AND p.status='on_sale' AND p.taken_down=0 AND (?2=0 OR rec.created_at_ms < ?2) "
                                      "ORDER BY rec.created_at_ms DESC, rec.id DESC LIMIT ?3",
                                      {user_id, before_ms, limit}));
  Json items = Json::array();
  for (auto& row : rows) {
    Json images = row.JsonAt(5);
    items.push_back(Json{{"friend", {{"id", IdString(row.Int(0))}, {"nickname", row.Str(1)}}},
                         {"product", {{"id", IdString(row.Int(2))}, {"title", row.Str(3)}, {"min_price_fen", row.Int(4)},
                                      {"image", images.is_array() && !images.empty() ? images[0] : Json("")}}},
                         {"text", row.Str(6)},
                         {"created_at", FormatRfc3339(row.Int(7))}});
  }
  bool more = static_cast<int64_t>(rows.size()) == limit && !rows.empty();
  return Json{{"items", items}, {"next_cursor", more ? Json(std::to_string(rows.back().Int(7))) : Json(nullptr)}};
}

}  // namespace xd::promo
