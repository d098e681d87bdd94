// A merchant's BI (insight.h): the overview over the projections and its CSV.
#include "insight/insight.h"
#include "insight/internal/common.h"

#include <cstdio>
#include <map>
#include <string>

#include "base/id.h"
#include "base/messages.h"

namespace xd::insight {

using internal::CheckDayRange;
using internal::DayText;
using internal::kDayMs;

namespace {

struct DayRow {
  int64_t views = 0, impressions = 0, carts = 0, orders = 0, paid_orders = 0, gmv_fen = 0,
          refunded_fen = 0, cancelled = 0, shares = 0;
  int64_t visitors = 0, buyers = 0;
};

Result<std::vector<std::pair<int64_t, DayRow>>> LoadDays(Reader& r, int64_t merchant,
                                                         int64_t from_day, int64_t to_day) {
  std::map<int64_t, DayRow> by_day;
  ASSIGN_OR_RETURN(internal::DayRange range, internal::CheckDayRange(from_day, to_day));
  const int64_t start = range.start_ms, end = range.end_ms;
  for (int64_t t = start; t <= end; t += kDayMs) by_day[DayOf(t)];
  ASSIGN_OR_RETURN(Rows rows,
                   r.Query("SELECT day, views, impressions, carts, orders, paid_orders, gmv_fen, "
                           "refunded_fen, cancelled_orders, shares "
                           "FROM merchant_days WHERE merchant_id=? AND day BETWEEN ? AND ?",
                           {merchant, from_day, to_day}));
  for (const Row& row : rows) {
    DayRow& d = by_day[row.Int(0)];
    d.views = row.Int(1), d.impressions = row.Int(2), d.carts = row.Int(3), d.orders = row.Int(4),
    d.paid_orders = row.Int(5);
    d.gmv_fen = row.Int(6), d.refunded_fen = row.Int(7), d.cancelled = row.Int(8),
    d.shares = row.Int(9);
  }
  ASSIGN_OR_RETURN(Rows visitors,
                   r.Query("SELECT day, count(*), SUM(CASE WHEN stage >= 4 THEN 1 ELSE 0 END) FROM "
                           "merchant_day_visitors "
                           "WHERE merchant_id=? AND day BETWEEN ? AND ? GROUP BY day",
                           {merchant, from_day, to_day}));
  for (const Row& row : visitors) {
    by_day[row.Int(0)].visitors = row.Int(1);
    by_day[row.Int(0)].buyers = row.Int(2);
  }
  return std::vector<std::pair<int64_t, DayRow>>(by_day.begin(), by_day.end());
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
                        {"visitors", d.visitors},
                        {"views", d.views},
                        {"impressions", d.impressions},
                        {"carts", d.carts},
                        {"orders", d.orders},
                        {"paid_orders", d.paid_orders},
                        {"buyers", d.buyers},
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
    ASSIGN_OR_RETURN(
        Rows stages,
        r.Query("SELECT stage, count(*) FROM (SELECT visitor, MAX(stage) AS stage FROM "
                "merchant_day_visitors "
                "WHERE merchant_id=? AND day BETWEEN ? AND ? GROUP BY visitor) AS v GROUP BY stage",
                {merchant_id, from_day, to_day}));
    int64_t at_least[5] = {0, 0, 0, 0, 0};
    for (const Row& row : stages)
      for (int s = 1; s <= 4 && s <= row.Int(0); ++s) at_least[s] += row.Int(1);
    Json funnel = Json::array({{{"stage", "view"}, {"visitors", at_least[1]}},
                               {{"stage", "cart"}, {"visitors", at_least[2]}},
                               {{"stage", "order"}, {"visitors", at_least[3]}},
                               {{"stage", "pay"}, {"visitors", at_least[4]}}});
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
    // The shop's customers as of now (all time): new in 30 days, repeat and recent, one-time,
    // dormant.
    ASSIGN_OR_RETURN(
        Rows seg,
        r.Query(
            "SELECT CASE WHEN first_paid_ms >= ?1 THEN 'new' WHEN last_paid_ms < ?2 THEN 'dormant' "
            "WHEN paid_orders >= 2 THEN 'repeat' ELSE 'one_time' END AS s, count(*), SUM(paid_fen) "
            "FROM merchant_customers WHERE merchant_id=?3 GROUP BY s ORDER BY s",
            {now - 30 * kDayMs, now - 90 * kDayMs, merchant_id}));
    Json segments = Json::array();
    for (const Row& row : seg)
      segments.push_back(
          {{"segment", row.Str(0)}, {"customers", row.Int(1)}, {"paid_fen", row.Int(2)}});
    ASSIGN_OR_RETURN(int64_t visitors,
                     r.QueryInt("SELECT count(DISTINCT visitor) FROM merchant_day_visitors WHERE "
                                "merchant_id=? AND day BETWEEN ? AND ?",
                                {merchant_id, from_day, to_day}));
    ASSIGN_OR_RETURN(int64_t buyers,
                     r.QueryInt("SELECT count(DISTINCT visitor) FROM merchant_day_visitors WHERE "
                                "merchant_id=? AND day BETWEEN ? AND ? AND stage >= 4",
                                {merchant_id, from_day, to_day}));
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
      csv += DayText(day) + "," + std::to_string(d.visitors) + "," + std::to_string(d.views) + "," +
             std::to_string(d.carts) + "," + std::to_string(d.orders) + "," +
             std::to_string(d.paid_orders) + "," + std::to_string(d.buyers) + "," +
             std::to_string(d.gmv_fen) + "," +
             std::to_string(d.paid_orders ? d.gmv_fen / d.paid_orders : 0) + "," +
             std::to_string(d.refunded_fen) + "," + std::to_string(d.cancelled) + "," +
             std::to_string(d.shares) + "\r\n";
    }
    return csv;
  });
}

}  // namespace xd::insight
