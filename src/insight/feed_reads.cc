// Reads for the feed (insight.h, issue 20): what a visitor was shown today, a user's top
// interests, products' counts, merchants' exposure and GMV.
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
