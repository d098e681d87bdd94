// Reads for the feed (insight.h, issue 20): what a visitor was shown today, a user's history
// for the features, products' counts, merchants' exposure and GMV.
#include "insight/insight.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <unordered_map>

#include "base/id.h"
#include "insight/internal/merchant_sums.h"

namespace xd::insight {

// ---- reads for the feed ----

Result<std::unordered_map<int64_t, int>> Insight::ShownOnDay(const std::string& visitor,
                                                             int64_t day,
                                                             const std::string& except_feed_id) {
  return analytics_.Read([&](Reader& r) -> Result<std::unordered_map<int64_t, int>> {
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT merchant_id, SUM(impressions) FROM "
                                        "visitor_feed_merchants WHERE visitor=? AND day=? AND "
                                        "feed_id<>? GROUP BY merchant_id ORDER BY 2 DESC, 1 "
                                        "LIMIT 1000",
                                        {visitor, day, except_feed_id}));
    std::unordered_map<int64_t, int> out;
    for (const Row& row : rows) out[row.Int(0)] = static_cast<int>(row.Int(1));
    return out;
  });
}

Result<feed::VisitorHistory> Insight::VisitorHistoryOf(int64_t user_id) {
  return analytics_.Read([&](Reader& r) -> Result<feed::VisitorHistory> {
    feed::VisitorHistory v;
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT category, score_milli, updated_ms FROM "
                                        "user_categories WHERE user_id=? ORDER BY score_milli "
                                        "DESC LIMIT 1000",
                                        {user_id}));
    for (const Row& c : rows) v.interests.push_back({c.Str(0), c.Int(1), c.Int(2)});
    ASSIGN_OR_RETURN(auto facts,
                     r.QueryOne("SELECT paid_fen, units FROM user_facts WHERE user_id=?", {user_id}));
    if (facts) v.paid_fen = facts->Int(0), v.paid_units = facts->Int(1);
    return v;
  });
}

Result<std::unordered_map<int64_t, Insight::ProductCounts>> Insight::ProductCountsSince(
    const std::vector<int64_t>& product_ids, int64_t from_day) {
  std::unordered_map<int64_t, ProductCounts> out;
  if (product_ids.empty()) return out;
  return analytics_.Read([&](Reader& r) -> Result<std::unordered_map<int64_t, ProductCounts>> {
    ASSIGN_OR_RETURN(Rows rows,
                     r.Query("SELECT product_id, SUM(impressions), SUM(views), "
                             "SUM(paid_units - self_units) "
                             "FROM merchant_product_days WHERE product_id IN " +
                                 r.dialect().IdsIn("?1") + " AND day>=?2 GROUP BY product_id",
                             {IdListParam(product_ids), from_day}));
    for (const Row& row : rows) out[row.Int(0)] = ProductCounts{row.Int(1), row.Int(2), row.Int(3)};
    return out;
  });
}

Result<std::vector<int64_t>> Insight::BestSellers(const std::string& category,
                                                  const std::vector<int64_t>& merchant_ids,
                                                  int limit) {
  return analytics_.Read([&](Reader& r) -> Result<std::vector<int64_t>> {
    const int64_t n = std::max(limit, 0);
    Result<Rows> rows =
        !merchant_ids.empty()
            ? r.Query("SELECT product_id FROM product_sales WHERE merchant_id IN " +
                          r.dialect().IdsIn("?1") + " ORDER BY units DESC, product_id LIMIT ?2",
                      {IdListParam(merchant_ids), n})
        : !category.empty()
            ? r.Query("SELECT product_id FROM product_sales WHERE category = ? "
                      "ORDER BY units DESC, product_id LIMIT ?",
                      {category, n})
            : r.Query("SELECT product_id FROM product_sales ORDER BY units DESC, product_id "
                      "LIMIT ?",
                      {n});
    if (!rows) return std::unexpected(rows.error());
    std::vector<int64_t> out;
    out.reserve(rows->size());
    for (const Row& row : *rows) out.push_back(row.Int(0));
    return out;
  });
}

namespace {

constexpr size_t kMaxExposureMerchants = 200'000;  // insight.h: MerchantExposures

}  // namespace

// Summed here rather than by the database: a GROUP BY merchant_id walks the (merchant_id, day)
// key and fetches every row of it by rowid (85 ms for 90 days of 1,000 merchants on
// bench/bi.sh's store), where a plain pass over the range's rows reads the table in order (9 ms),
// each row as it is read (Reader::QueryEach: 90,000 rows are not materialised).
Result<std::vector<Insight::MerchantExposure>> internal::SumMerchantDays(
    Reader& r, int64_t from_day, int64_t to_day, const std::function<void(const Row&)>& each_row) {
  std::unordered_map<int64_t, size_t> at;
  std::vector<Insight::MerchantExposure> out;
  RETURN_IF_ERROR(r.QueryEach("SELECT merchant_id, day, impressions, views, paid_orders, gmv_fen "
                              "FROM merchant_days WHERE day>=? AND day<=?",
                              {from_day, to_day}, [&](const Row& row) {
                                if (each_row) each_row(row);
                                auto [it, added] = at.try_emplace(row.Int(0), out.size());
                                if (added) out.push_back({.merchant_id = row.Int(0)});
                                Insight::MerchantExposure& m = out[it->second];
                                m.impressions += row.Int(2), m.views += row.Int(3),
                                    m.paid_orders += row.Int(4), m.gmv_fen += row.Int(5);
                                return Ok();
                              }));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.impressions != b.impressions ? a.impressions > b.impressions : a.merchant_id < b.merchant_id;
  });
  return out;
}

Result<std::vector<Insight::MerchantExposure>> Insight::MerchantExposures(int64_t from_day,
                                                                          int64_t to_day) {
  return analytics_.Read([&](Reader& r) -> Result<std::vector<MerchantExposure>> {
    ASSIGN_OR_RETURN(std::vector<MerchantExposure> out, internal::SumMerchantDays(r, from_day, to_day));
    if (out.size() > kMaxExposureMerchants) out.resize(kMaxExposureMerchants);
    return out;
  });
}

Result<std::vector<int64_t>> Insight::TopMerchantsByGmv(int64_t from_day, int64_t to_day,
                                                        int limit) {
  return analytics_.Read([&](Reader& r) -> Result<std::vector<int64_t>> {
    ASSIGN_OR_RETURN(std::vector<MerchantExposure> all, internal::SumMerchantDays(r, from_day, to_day));
    std::erase_if(all, [](const MerchantExposure& m) { return m.gmv_fen <= 0; });
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.gmv_fen != b.gmv_fen ? a.gmv_fen > b.gmv_fen : a.merchant_id < b.merchant_id;
    });
    std::vector<int64_t> out;
    for (size_t i = 0; i < all.size() && i < static_cast<size_t>(std::max(limit, 0)); ++i)
      out.push_back(all[i].merchant_id);
    return out;
  });
}

}  // namespace xd::insight
