// A merchant's BI: the overview over the projections and its CSV (insight.h), and the
// breakdowns from the trading store (merchant_bi.h).
#include "insight/insight.h"
#include "insight/merchant_bi.h"
#include "insight/internal/buyer_days.h"
#include "insight/internal/common.h"
#include "insight/internal/sketch.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "base/id.h"
#include "base/messages.h"

namespace xd::insight {

using internal::CheckDayRange;
using internal::DayText;
using internal::kDayMs;

namespace {

// Below this many visitor-days in a range (the sum of its days' distinct visitors), the range's
// distinct visitors are counted exactly from merchant_day_visitors (a scan of that many index
// entries: ~20 ms here at the limit); above it they are estimated from the days' sketches
// (decision 038).
constexpr int64_t kExactVisitorDaysMax = 20'000;

struct DayRow {
  int64_t views = 0, impressions = 0, carts = 0, orders = 0, paid_orders = 0, gmv_fen = 0,
          refunded_fen = 0, cancelled = 0, shares = 0;
  int64_t at_least[5] = {0, 0, 0, 0, 0};  // distinct visitors at stage ≥ s (1 viewed … 4 paid)
};

Result<std::vector<std::pair<int64_t, DayRow>>> LoadDays(Reader& r, int64_t merchant,
                                                         int64_t from_day, int64_t to_day) {
  std::map<int64_t, DayRow> by_day;
  ASSIGN_OR_RETURN(internal::DayRange range, internal::CheckDayRange(from_day, to_day));
  const int64_t start = range.start_ms, end = range.end_ms;
  for (int64_t t = start; t <= end; t += kDayMs) by_day[DayOf(t)];
  // The day's distinct visitors per stage are rollups the projection keeps (migration 053).
  ASSIGN_OR_RETURN(Rows rows,
                   r.Query("SELECT day, views, impressions, carts, orders, paid_orders, gmv_fen, "
                           "refunded_fen, cancelled_orders, shares, visitors, carted_visitors, "
                           "ordered_visitors, buyers "
                           "FROM merchant_days WHERE merchant_id=? AND day BETWEEN ? AND ?",
                           {merchant, from_day, to_day}));
  for (const Row& row : rows) {
    DayRow& d = by_day[row.Int(0)];
    d.views = row.Int(1), d.impressions = row.Int(2), d.carts = row.Int(3), d.orders = row.Int(4),
    d.paid_orders = row.Int(5);
    d.gmv_fen = row.Int(6), d.refunded_fen = row.Int(7), d.cancelled = row.Int(8),
    d.shares = row.Int(9);
    for (int s = 1; s <= 4; ++s) d.at_least[s] = row.Int(9 + s);
  }
  return std::vector<std::pair<int64_t, DayRow>>(by_day.begin(), by_day.end());
}

// Distinct visitors over the range at each stage or beyond (at_least[1..4]; a visitor counted
// once, at the furthest stage reached on any day of the range). Exact for one day (the day's
// rollup) and for ranges of at most kExactVisitorDaysMax visitor-days; otherwise the merge of the
// days' HyperLogLog sketches (about 1.6% standard error), kept between the largest single day
// and the sum of the days, and never above the stage before it.
struct Distinct {
  int64_t at_least[5] = {0, 0, 0, 0, 0};
  bool estimated = false;
};
Result<Distinct> DistinctVisitors(Reader& r, int64_t merchant, int64_t from_day, int64_t to_day,
                                  const std::vector<std::pair<int64_t, DayRow>>& days) {
  Distinct out;
  int64_t day_max[5] = {0, 0, 0, 0, 0}, day_sum[5] = {0, 0, 0, 0, 0};
  for (const auto& [day, d] : days)
    for (int s = 1; s <= 4; ++s) {
      day_max[s] = std::max(day_max[s], d.at_least[s]);
      day_sum[s] += d.at_least[s];
    }
  if (from_day == to_day) {
    for (int s = 1; s <= 4; ++s) out.at_least[s] = day_sum[s];
    return out;
  }
  if (day_sum[1] <= kExactVisitorDaysMax) {
    ASSIGN_OR_RETURN(
        Rows stages,
        r.Query("SELECT stage, count(*) FROM (SELECT visitor, MAX(stage) AS stage FROM "
                "merchant_day_visitors "
                "WHERE merchant_id=? AND day BETWEEN ? AND ? GROUP BY visitor) AS v GROUP BY stage",
                {merchant, from_day, to_day}));
    for (const Row& row : stages)
      for (int s = 1; s <= 4 && s <= row.Int(0); ++s) out.at_least[s] += row.Int(1);
    return out;
  }
  ASSIGN_OR_RETURN(Rows sketches,
                   r.Query("SELECT stage, sketch_hex FROM merchant_day_sketches WHERE "
                           "merchant_id=? AND day BETWEEN ? AND ?",
                           {merchant, from_day, to_day}));
  internal::Hll merged[5];
  for (const Row& row : sketches) {
    const int64_t stage = row.Int(0);
    if (stage < 1 || stage > 4) continue;
    auto sketch = internal::Hll::DecodeHex(row.Str(1));
    if (!sketch) return Fail(ErrorCode::INTERNAL, "merchant_day_sketches: a sketch that does not decode");
    merged[stage].Merge(*sketch);
  }
  out.estimated = true;
  for (int s = 1; s <= 4; ++s) {
    int64_t n = std::llround(merged[s].Estimate());
    n = std::clamp(n, day_max[s], day_sum[s]);
    if (s > 1) n = std::min(n, out.at_least[s - 1]);
    out.at_least[s] = n;
  }
  return out;
}

}  // namespace

Result<Json> Insight::MerchantOverview(int64_t merchant_id, int64_t from_day, int64_t to_day) {
  const int64_t now = analytics_.clock().NowMs();
  ASSIGN_OR_RETURN(Json out, analytics_.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(auto days, LoadDays(r, merchant_id, from_day, to_day));
    Json series = Json::array();
    DayRow total;
    for (auto& [day, d] : days) {
      series.push_back({{"day", DayText(day)},
                        {"visitors", d.at_least[1]},
                        {"views", d.views},
                        {"impressions", d.impressions},
                        {"carts", d.carts},
                        {"orders", d.orders},
                        {"paid_orders", d.paid_orders},
                        {"buyers", d.at_least[4]},
                        {"gmv_fen", d.gmv_fen},
                        {"aov_fen", d.paid_orders ? d.gmv_fen / d.paid_orders : 0},
                        {"refunded_fen", d.refunded_fen},
                        {"cancelled_orders", d.cancelled},
                        {"shares", d.shares}});
      total.views += d.views, total.carts += d.carts, total.orders += d.orders,
          total.paid_orders += d.paid_orders;
      total.gmv_fen += d.gmv_fen, total.refunded_fen += d.refunded_fen, total.shares += d.shares;
    }
    // The funnel over the range: each visitor counted once, at the furthest stage reached.
    ASSIGN_OR_RETURN(Distinct distinct, DistinctVisitors(r, merchant_id, from_day, to_day, days));
    const int64_t* at_least = distinct.at_least;
    Json funnel = Json::array();
    for (int s = 1; s <= 4; ++s) {
      static constexpr const char* kStages[] = {"", "view", "cart", "order", "pay"};
      funnel.push_back(
          {{"stage", kStages[s]}, {"visitors", at_least[s]}, {"estimated", distinct.estimated}});
    }
    ASSIGN_OR_RETURN(Rows top,
                     r.Query("SELECT product_id, SUM(paid_units), SUM(gmv_fen), SUM(views), "
                             "SUM(carts) FROM merchant_product_days "
                             "WHERE merchant_id=? AND day BETWEEN ? AND ? GROUP BY product_id "
                             "ORDER BY SUM(gmv_fen) DESC, SUM(views) DESC, product_id LIMIT ?",
                             {merchant_id, from_day, to_day, config::kTopProducts}));
    Json products = Json::array();
    for (const Row& row : top)
      products.push_back({{"product_id", IdString(row.Int(0))},
                          {"paid_units", row.Int(1)},
                          {"gmv_fen", row.Int(2)},
                          {"views", row.Int(3)},
                          {"carts", row.Int(4)}});
    ASSIGN_OR_RETURN(
        Rows channels,
        r.Query("SELECT channel, SUM(paid_orders), SUM(gmv_fen) FROM merchant_channel_days "
                "WHERE merchant_id=? AND day BETWEEN ? AND ? GROUP BY channel ORDER BY "
                "SUM(gmv_fen) DESC, channel",
                {merchant_id, from_day, to_day}));
    Json channel_mix = Json::array();
    for (const Row& row : channels)
      channel_mix.push_back(
          {{"channel", row.Str(0)}, {"paid_orders", row.Int(1)}, {"gmv_fen", row.Int(2)}});
    // The shop's customers as of now (all time), by China-time day: new (first paid order in the
    // last 30 days), dormant (last paid order over 90 days ago), repeat (two or more paid orders)
    // or one-time. From the rollup of customers by the day of their first and of their last order
    // (migration 053): dormant customers are never new (first ≤ last < 90 days ago), so the
    // remaining two are the whole minus both.
    const int64_t new_from = DayOf(now - 30 * kDayMs), dormant_before = DayOf(now - 90 * kDayMs);
    ASSIGN_OR_RETURN(
        Rows seg,
        r.Query("SELECT COALESCE(SUM(customers), 0), COALESCE(SUM(repeaters), 0), "
                "COALESCE(SUM(paid_fen), 0), COALESCE(SUM(repeat_fen), 0) FROM "
                "merchant_customer_days WHERE merchant_id=?1 AND edge='first' "
                "UNION ALL SELECT COALESCE(SUM(customers), 0), COALESCE(SUM(repeaters), 0), "
                "COALESCE(SUM(paid_fen), 0), COALESCE(SUM(repeat_fen), 0) FROM "
                "merchant_customer_days WHERE merchant_id=?1 AND edge='first' AND day >= ?2 "
                "UNION ALL SELECT COALESCE(SUM(customers), 0), COALESCE(SUM(repeaters), 0), "
                "COALESCE(SUM(paid_fen), 0), COALESCE(SUM(repeat_fen), 0) FROM "
                "merchant_customer_days WHERE merchant_id=?1 AND edge='last' AND day < ?3",
                {merchant_id, new_from, dormant_before}));
    if (seg.size() != 3) return Fail(ErrorCode::INTERNAL, "segments: expected three sums");
    const Row &all = seg[0], &fresh = seg[1], &dormant = seg[2];
    const int64_t repeat = all.Int(1) - fresh.Int(1) - dormant.Int(1),
                  repeat_fen = all.Int(3) - fresh.Int(3) - dormant.Int(3);
    const int64_t rest = all.Int(0) - fresh.Int(0) - dormant.Int(0),
                  rest_fen = all.Int(2) - fresh.Int(2) - dormant.Int(2);
    Json segments = Json::array();
    for (auto [name, customers, fen] :
         {std::tuple<const char*, int64_t, int64_t>{"dormant", dormant.Int(0), dormant.Int(2)},
          {"new", fresh.Int(0), fresh.Int(2)},
          {"one_time", rest - repeat, rest_fen - repeat_fen},
          {"repeat", repeat, repeat_fen}})
      if (customers > 0)
        segments.push_back({{"segment", name}, {"customers", customers}, {"paid_fen", fen}});
    // Distinct visitors and buyers over the range are the funnel's first and last stage.
    const int64_t visitors = at_least[1], buyers = at_least[4];
    return Json{{"from", DayText(from_day)},
                {"to", DayText(to_day)},
                {"days", series},
                {"totals",
                 {{"gmv_fen", total.gmv_fen},
                  {"orders", total.orders},
                  {"paid_orders", total.paid_orders},
                  {"aov_fen", total.paid_orders ? total.gmv_fen / total.paid_orders : 0},
                  {"refunded_fen", total.refunded_fen},
                  {"views", total.views},
                  {"carts", total.carts},
                  {"shares", total.shares},
                  {"visitors", visitors},
                  {"buyers", buyers},
                  {"visitors_estimated", distinct.estimated},
                  {"conversion_bps", visitors ? buyers * 10'000 / visitors : 0}}},
                {"funnel", funnel},
                {"top_products", products},
                {"channels", channel_mix},
                {"segments", segments}};
  }));
  // The top products' titles, from the trading store (this merchant's products only).
  std::vector<int64_t> ids;
  for (const Json& p : out["top_products"])
    ids.push_back(*ParseId(p["product_id"].get<std::string>()));
  if (!ids.empty()) {
    ASSIGN_OR_RETURN(Rows titles, trading_.Read([&](Reader& r) {
      return r.Query(
          "SELECT id, title FROM products WHERE merchant_id=? AND id IN " + r.dialect().IdsIn("?"),
          {merchant_id, IdListParam(ids)});
    }));
    std::map<std::string, std::string> by_id;
    for (const Row& row : titles) by_id[IdString(row.Int(0))] = row.Str(1);
    for (Json& p : out["top_products"]) p["title"] = by_id[p["product_id"].get<std::string>()];
  }
  return out;
}

Result<std::string> Insight::MerchantDaysCsv(int64_t merchant_id, int64_t from_day,
                                             int64_t to_day) {
  return analytics_.Read([&](Reader& r) -> Result<std::string> {
    ASSIGN_OR_RETURN(auto days, LoadDays(r, merchant_id, from_day, to_day));
    std::string csv =
        "day,visitors,views,carts,orders,paid_orders,buyers,gmv_fen,aov_fen,refunded_fen,cancelled_"
        "orders,shares\r\n";
    for (auto& [day, d] : days) {
      csv += DayText(day) + "," + std::to_string(d.at_least[1]) + "," + std::to_string(d.views) + "," +
             std::to_string(d.carts) + "," + std::to_string(d.orders) + "," +
             std::to_string(d.paid_orders) + "," + std::to_string(d.at_least[4]) + "," +
             std::to_string(d.gmv_fen) + "," +
             std::to_string(d.paid_orders ? d.gmv_fen / d.paid_orders : 0) + "," +
             std::to_string(d.refunded_fen) + "," + std::to_string(d.cancelled) + "," +
             std::to_string(d.shares) + "\r\n";
    }
    return csv;
  });
}

// ---- breakdowns (merchant_bi.h) ----


namespace {

constexpr int64_t kWeekMs = 7 * kDayMs;

Json Rate(int64_t part, int64_t whole) {
  if (whole <= 0) return nullptr;
  return std::round(static_cast<double>(part) / static_cast<double>(whole) * 10000) / 10000;
}

// Rows of {key, name, orders, gmv_fen} as [{key_name, "name"?, "orders", "gmv_fen"}].
Json Table(const Rows& rows, const char* key, const char* name, bool id_key) {
  Json out = Json::array();
  for (const Row& row : rows) {
    Json j;
    j[key] = id_key ? Json(IdString(row.Int(0))) : Json(row.Str(0));
    if (name) j[name] = row.Str(1);
    j["orders"] = row.Int(2);
    j["gmv_fen"] = row.Int(3);
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

Result<Json> MerchantBreakdowns(Store& trading, Store& analytics, int64_t merchant_id,
                                int64_t from_day, int64_t to_day) {
  ASSIGN_OR_RETURN(internal::DayRange range, internal::CheckDayRange(from_day, to_day));
  const int64_t start = range.start_ms, end = range.end_ms + kDayMs;  // [start, end)
  const int32_t days = static_cast<int32_t>((end - start) / kDayMs);
  const int64_t limit = config::kMaxBreakdownRows;
  // From the data platform's projections: the live rooms' traffic over the range
  // (merchant_room_days, analytics migration 054: views, likes and comments by room, the busiest
  // first); the days' paid orders, members' orders and order gaps (057).
  std::vector<std::pair<int64_t, std::array<int64_t, 3>>> traffic;
  internal::RangeFigures figures(days);
  int64_t paid_orders = 0, paid_gmv = 0, member_orders = 0, member_gmv = 0;
  RETURN_IF_ERROR(analytics.Read([&](Reader& r) -> Status {
    ASSIGN_OR_RETURN(Rows rooms,
                     r.Query("SELECT room_id, SUM(views), SUM(likes), SUM(comments) FROM "
                             "merchant_room_days WHERE merchant_id=? AND day BETWEEN ? AND ? GROUP BY "
                             "room_id ORDER BY SUM(views) DESC, SUM(comments) DESC, SUM(likes) DESC, "
                             "room_id LIMIT ?",
                             {merchant_id, from_day, to_day, limit}));
    for (const Row& row : rooms) traffic.push_back({row.Int(0), {row.Int(1), row.Int(2), row.Int(3)}});
    ASSIGN_OR_RETURN(Rows sums, r.Query("SELECT COALESCE(SUM(paid_orders), 0), COALESCE(SUM(gmv_fen), 0), "
                                        "COALESCE(SUM(member_orders), 0), COALESCE(SUM(member_gmv_fen), 0) "
                                        "FROM merchant_days WHERE merchant_id=? AND day BETWEEN ? AND ?",
                                        {merchant_id, from_day, to_day}));
    paid_orders = sums[0].Int(0), paid_gmv = sums[0].Int(1), member_orders = sums[0].Int(2),
    member_gmv = sums[0].Int(3);
    std::map<int64_t, int32_t> offset;  // yyyymmdd → days from `from`
    for (int32_t t = 0; t < days; ++t) offset[DayOf(start + t * kDayMs)] = t;
    ASSIGN_OR_RETURN(Rows gaps, r.Query("SELECT day, gaps FROM merchant_order_gaps WHERE merchant_id=? AND "
                                        "day BETWEEN ? AND ?",
                                        {merchant_id, from_day, to_day}));
    for (const Row& row : gaps) {
      auto day = internal::DayGaps::Decode(row.Str(1));
      auto t = offset.find(row.Int(0));
      if (!day || t == offset.end()) return Fail(ErrorCode::INTERNAL, "merchant_order_gaps: a row that does not decode");
      figures.AddDay(t->second, *day);
    }
    return Ok();
  }));
  return trading.Read([&](Reader& r) -> Result<Json> {
    Json out{{"from", internal::DayText(from_day)}, {"to", internal::DayText(to_day)}};

    // Group buys that ended in the range.
    ASSIGN_OR_RETURN(Rows groups,
                     r.Query("SELECT g.status, count(*) FROM promo_groups g JOIN activities a ON "
                             "a.id = g.activity_id WHERE a.merchant_id=? AND g.status IN "
                             "('succeeded','failed') AND g.ended_at_ms >= ? AND g.ended_at_ms < ? "
                             "GROUP BY g.status",
                             {merchant_id, start, end}));
    int64_t succeeded = 0, failed = 0;
    for (const Row& row : groups) (row.Str(0) == "succeeded" ? succeeded : failed) = row.Int(1);
    out["group_buy"] = {{"closed", succeeded + failed},
                        {"succeeded", succeeded},
                        {"failed", failed},
                        {"success_rate", Rate(succeeded, succeeded + failed)}};

    // Coupons: claims in the range and how many of them were used.
    ASSIGN_OR_RETURN(
        Rows coupons,
        r.Query("SELECT c.id, c.title, count(*), SUM(CASE WHEN uc.status='used' THEN 1 ELSE 0 "
                "END) FROM coupons c JOIN user_coupons uc ON uc.coupon_id = c.id WHERE "
                "c.merchant_id=? AND uc.claimed_at_ms >= ? AND uc.claimed_at_ms < ? GROUP BY "
                "c.id, c.title ORDER BY count(*) DESC, c.id LIMIT ?",
                {merchant_id, start, end, limit}));
    Json coupon_rows = Json::array();
    for (const Row& row : coupons)
      coupon_rows.push_back({{"coupon_id", IdString(row.Int(0))},
                             {"title", row.Str(1)},
                             {"claimed", row.Int(2)},
                             {"used", row.Int(3)},
                             {"redemption_rate", Rate(row.Int(3), row.Int(2))}});
    out["coupons"] = coupon_rows;

    // Paid orders per chat group, live room, leader; POS purchases per store. Each starts from the
    // merchant's own channel orders (migration 059's indexes; `+` keeps SQLite from starting at
    // the range's paid orders instead, which it prefers for the extra range condition): a shop
    // that sells much but little through a channel reads little.
    ASSIGN_OR_RETURN(
        Rows chat,
        r.Query("SELECT cg.chat_group, '', count(*), SUM(o.total_fen) FROM chat_group_orders cg "
                "JOIN orders o ON o.id = cg.order_id WHERE cg.merchant_id=? AND +o.merchant_id=? AND "
                "+o.paid_at_ms >= ? AND +o.paid_at_ms < ? GROUP BY cg.chat_group ORDER BY "
                "SUM(o.total_fen) DESC, cg.chat_group LIMIT ?",
                {merchant_id, merchant_id, start, end, limit}));
    out["chat_groups"] = Table(chat, "chat_group", nullptr, false);
    ASSIGN_OR_RETURN(
        Rows rooms,
        r.Query("SELECT lo.room_id, lr.title, count(*), SUM(o.total_fen) FROM live_orders lo "
                "JOIN orders o ON o.id = lo.order_id JOIN live_rooms lr ON lr.id = lo.room_id "
                "WHERE lo.merchant_id=? AND +o.merchant_id=? AND +o.paid_at_ms >= ? AND "
                "+o.paid_at_ms < ? GROUP BY lo.room_id, lr.title ORDER BY SUM(o.total_fen) DESC, "
                "lo.room_id LIMIT ?",
                {merchant_id, merchant_id, start, end, limit}));
    out["live_rooms"] = Table(rooms, "room_id", "title", true);
    {  // each room's traffic beside its sales; rooms that sold nothing after
      std::vector<int64_t> quiet;
      for (const auto& [room, counts] : traffic) {
        bool sold = false;
        for (const Row& row : rooms) sold = sold || row.Int(0) == room;
        if (!sold) quiet.push_back(room);
      }
      if (!quiet.empty()) {
        ASSIGN_OR_RETURN(Rows titles, r.Query("SELECT id, title FROM live_rooms WHERE "
                                              "merchant_id=? AND id IN " +
                                                  r.dialect().IdsIn("?"),
                                              {merchant_id, IdListParam(quiet)}));
        std::map<int64_t, std::string> title_of;
        for (const Row& row : titles) title_of[row.Int(0)] = row.Str(1);
        for (int64_t room : quiet) {
          auto t = title_of.find(room);
          if (t == title_of.end()) continue;  // not this merchant's room
          if (static_cast<int64_t>(out["live_rooms"].size()) >= limit) break;
          out["live_rooms"].push_back({{"room_id", IdString(room)},
                                       {"title", t->second},
                                       {"orders", 0},
                                       {"gmv_fen", 0}});
        }
      }
      for (Json& room : out["live_rooms"]) {
        const int64_t id = ParseId(room["room_id"].get<std::string>()).value_or(0);
        std::array<int64_t, 3> counts{0, 0, 0};
        for (const auto& [t, c] : traffic)
          if (t == id) counts = c;
        room["views"] = counts[0];
        room["likes"] = counts[1];
        room["comments"] = counts[2];
      }
    }
    ASSIGN_OR_RETURN(
        Rows leaders,
        r.Query("SELECT co.leader_id, l.name, count(*), SUM(o.total_fen) FROM community_orders co "
                "JOIN orders o ON o.id = co.order_id JOIN community_leaders l ON l.id = "
                "co.leader_id WHERE co.merchant_id=? AND +o.merchant_id=? AND +o.paid_at_ms >= ? "
                "AND +o.paid_at_ms < ? GROUP BY co.leader_id, l.name ORDER BY SUM(o.total_fen) "
                "DESC, co.leader_id LIMIT ?",
                {merchant_id, merchant_id, start, end, limit}));
    out["leaders"] = Table(leaders, "leader_id", "name", true);
    ASSIGN_OR_RETURN(
        Rows stores,
        r.Query("SELECT p.store_id, s.name, count(*), SUM(p.amount_fen) FROM member_pos_purchases "
                "p JOIN member_stores s ON s.id = p.store_id WHERE p.merchant_id=? AND "
                "s.merchant_id=? AND p.status='completed' AND p.created_at_ms >= ? AND "
                "p.created_at_ms < ? GROUP BY p.store_id, s.name ORDER BY SUM(p.amount_fen) DESC, "
                "p.store_id LIMIT ?",
                {merchant_id, merchant_id, start, end, limit}));
    out["stores"] = Table(stores, "store_id", "name", true);

    // Buyers, new and returning, repeat buyers and cohorts from the days' order gaps; members'
    // orders from the days' rollups (decision 042: no pass over the range's paid orders).
    out["customers"] = {{"buyers", figures.buyers},
                        {"new_buyers", figures.new_buyers},
                        {"returning_buyers", figures.buyers - figures.new_buyers},
                        {"new_orders", figures.new_orders},
                        {"returning_orders", paid_orders - figures.new_orders},
                        {"repeat_buyers", figures.repeat_buyers},
                        {"repurchase_rate", Rate(figures.repeat_buyers, figures.buyers)}};
    Json cohorts = Json::array();
    for (const auto& [week, retention] : figures.Cohorts())
      cohorts.push_back({{"week", internal::DayText(DayOf(start + week * kWeekMs))},
                         {"buyers", retention[0]},
                         {"retention", retention}});
    out["cohorts"] = cohorts;
    const int64_t n_orders = paid_orders - member_orders, n_gmv = paid_gmv - member_gmv;
    out["members"] = {
        {"member", {{"orders", member_orders}, {"gmv_fen", member_gmv}, {"aov_fen", member_orders ? member_gmv / member_orders : 0}}},
        {"non_member",
         {{"orders", n_orders}, {"gmv_fen", n_gmv}, {"aov_fen", n_orders ? n_gmv / n_orders : 0}}}};

    // Share chains: who bought through whose share (up to the range's end), each paid order once.
    ASSIGN_OR_RETURN(
        Rows shared,
        r.Query("SELECT DISTINCT oc.order_id, oc.sharer_id, o.buyer_id, o.paid_at_ms FROM "
                "order_commissions oc JOIN orders o ON o.id = oc.order_id WHERE oc.merchant_id=? "
                "AND +o.merchant_id=? AND o.paid_at_ms IS NOT NULL AND +o.paid_at_ms < ? ORDER BY "
                "oc.order_id, oc.sharer_id",
                {merchant_id, merchant_id, end}));
    std::map<int64_t, std::set<int64_t>> referrers;  // buyer → sharers they bought through
    std::map<int64_t, std::set<int64_t>> order_sharers;
    for (const Row& row : shared) {
      if (row.Int(1) != row.Int(2)) referrers[row.Int(2)].insert(row.Int(1));
      if (row.Int(3) >= start) order_sharers[row.Int(0)].insert(row.Int(1));
    }
    // level(u): the longest chain of shares that brought u (0: u bought through no share).
    std::map<int64_t, int64_t> level;
    std::set<int64_t> visiting;
    std::function<int64_t(int64_t)> level_of = [&](int64_t u) -> int64_t {
      if (auto it = level.find(u); it != level.end()) return it->second;
      if (!visiting.insert(u).second) return 0;  // a cycle: cut here
      int64_t best = 0;
      if (auto it = referrers.find(u); it != referrers.end())
        for (int64_t s : it->second) best = std::max(best, 1 + level_of(s));
      visiting.erase(u);
      level[u] = best;
      return best;
    };
    std::set<int64_t> sharers;
    std::map<int64_t, int64_t> by_depth;
    int64_t max_depth = 0;
    for (const auto& [order, ss] : order_sharers) {
      int64_t depth = 0;
      for (int64_t s : ss) {
        sharers.insert(s);
        depth = std::max(depth, 1 + level_of(s));
      }
      ++by_depth[depth];
      max_depth = std::max(max_depth, depth);
    }
    // The sharers' own paid orders in the range (the orders' buyer index, sharer by sharer).
    int64_t sharer_orders = 0;
    if (!sharers.empty()) {
      ASSIGN_OR_RETURN(sharer_orders,
                       r.QueryInt("SELECT count(*) FROM orders WHERE buyer_id IN " + r.dialect().IdsIn("?") +
                                      " AND merchant_id=? AND paid_at_ms >= ? AND paid_at_ms < ?",
                                  {IdListParam(std::vector<int64_t>(sharers.begin(), sharers.end())), merchant_id,
                                   start, end}));
    }
    Json depths = Json::array();
    for (const auto& [d, n] : by_depth) depths.push_back({{"depth", d}, {"orders", n}});
    const int64_t shared_orders = static_cast<int64_t>(order_sharers.size());
    out["shares"] = {{"shared_orders", shared_orders},
                     {"sharers", static_cast<int64_t>(sharers.size())},
                     {"sharer_orders", sharer_orders},
                     {"viral_coefficient",
                      sharer_orders > 0
                          ? Json(std::round(static_cast<double>(shared_orders) / static_cast<double>(sharer_orders) * 10000) / 10000)
                          : Json(nullptr)},
                     {"max_depth", max_depth},
                     {"by_depth", depths}};
    return out;
  });
}

}  // namespace xd::insight
