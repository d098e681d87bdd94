// Reads for the feed (insight.h, issue 20): what a visitor was shown today, a user's top
// interests, products' counts, merchants' exposure and GMV.
#include "insight/insight.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "base/id.h"

namespace xd::insight {

// ---- reads for the feed ----

Result<std::unordered_map<int64_t, int>> Insight::ShownOnDay(const std::string& visitor,
                                                             int64_t day) {
  return analytics_.Read([&](Reader& r) -> Result<std::unordered_map<int64_t, int>> {
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT merchant_id, impressions FROM visitor_merchant_days "
                                        "WHERE visitor=? AND day=? ORDER BY impressions DESC "
                                        "LIMIT 1000",
                                        {visitor, day}));
    std::unordered_map<int64_t, int> out;
    for (const Row& row : rows) out[row.Int(0)] = static_cast<int>(row.Int(1));
    return out;
  });
}

Result<std::vector<std::pair<std::string, double>>> Insight::TopInterests(int64_t user_id,
                                                                          int limit) {
  const int64_t now = analytics_.clock().NowMs();
  return analytics_.Read([&](Reader& r) -> Result<std::vector<std::pair<std::string, double>>> {
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT category, score_milli, updated_ms FROM "
                                        "user_categories WHERE user_id=? ORDER BY score_milli "
                                        "DESC LIMIT 50",
                                        {user_id}));
    std::vector<std::pair<std::string, double>> out;
    for (const Row& c : rows) {
      const double age = static_cast<double>(std::max<int64_t>(0, now - c.Int(2)));
      out.emplace_back(c.Str(0), static_cast<double>(c.Int(1)) *
                                     std::exp2(-age / static_cast<double>(config::kInterestHalfLifeMs)));
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (out.size() > static_cast<size_t>(std::max(limit, 0))) out.resize(std::max(limit, 0));
    const double top = out.empty() ? 0 : out.front().second;
    for (auto& [category, score] : out) score = top > 0 ? score / top : 0;
    return out;
  });
}

Result<std::unordered_map<int64_t, Insight::ProductCounts>> Insight::ProductCountsSince(
    const std::vector<int64_t>& product_ids, int64_t from_day) {
  std::unordered_map<int64_t, ProductCounts> out;
  if (product_ids.empty()) return out;
  return analytics_.Read([&](Reader& r) -> Result<std::unordered_map<int64_t, ProductCounts>> {
    ASSIGN_OR_RETURN(Rows rows,
                     r.Query("SELECT product_id, SUM(impressions), SUM(views), SUM(paid_units) "
                             "FROM merchant_product_days WHERE product_id IN " +
                                 r.dialect().IdsIn("?1") + " AND day>=?2 GROUP BY product_id",
                             {IdListParam(product_ids), from_day}));
    for (const Row& row : rows) out[row.Int(0)] = ProductCounts{row.Int(1), row.Int(2), row.Int(3)};
    return out;
  });
}

Result<std::vector<Insight::MerchantExposure>> Insight::MerchantExposures(int64_t from_day,
                                                                          int64_t to_day) {
  return analytics_.Read([&](Reader& r) -> Result<std::vector<MerchantExposure>> {
    ASSIGN_OR_RETURN(Rows rows,
                     r.Query("SELECT merchant_id, SUM(impressions), SUM(views), SUM(paid_orders), "
                             "SUM(gmv_fen) FROM merchant_days WHERE day>=? AND day<=? "
                             "GROUP BY merchant_id ORDER BY 2 DESC, 1 LIMIT 200000",
                             {from_day, to_day}));
    std::vector<MerchantExposure> out;
    out.reserve(rows.size());
    for (const Row& row : rows)
      out.push_back({row.Int(0), row.Int(1), row.Int(2), row.Int(3), row.Int(4)});
    return out;
  });
}

Result<std::vector<int64_t>> Insight::TopMerchantsByGmv(int64_t from_day, int64_t to_day,
                                                        int limit) {
  return analytics_.Read([&](Reader& r) -> Result<std::vector<int64_t>> {
    ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT merchant_id, SUM(gmv_fen) g FROM merchant_days "
                                        "WHERE day>=? AND day<=? GROUP BY merchant_id "
                                        "HAVING SUM(gmv_fen) > 0 ORDER BY g DESC, merchant_id "
                                        "LIMIT ?",
                                        {from_day, to_day, int64_t{limit}}));
    std::vector<int64_t> out;
    for (const Row& row : rows) out.push_back(row.Int(0));
    return out;
  });
}

}  // namespace xd::insight
