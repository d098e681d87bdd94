// The exposure guarantee's settings (feed.h): one row of feed_settings, absent until the admin
// changes them (then rank.h's ExposurePolicy defaults are in force).
#include "base/messages.h"
#include "feed/feed.h"

namespace xd::feed {

namespace {
constexpr int64_t kHourMs = 3600LL * 1000, kDayMs = 24 * kHourMs;
}  // namespace

Result<ExposurePolicy> LoadPolicy(Reader& r) {
  ExposurePolicy p;
  ASSIGN_OR_RETURN(auto row,
                   r.QueryOne("SELECT head_merchants, long_tail_share_bps, "
                              "max_per_merchant_per_page, max_per_merchant_per_user_day, "
                              "max_per_category_per_page, new_merchant_boost_bps, "
                              "new_merchant_half_life_ms, new_merchant_window_ms, head_share_bps "
                              "FROM feed_settings WHERE id=1"));
  if (!row) return p;
  p.head_merchants = row->Int(0);
  p.long_tail_share_bps = row->Int(1);
  p.max_per_merchant_per_page = static_cast<int>(row->Int(2));
  p.max_per_merchant_per_user_day = static_cast<int>(row->Int(3));
  p.max_per_category_per_page = static_cast<int>(row->Int(4));
  p.new_merchant_boost_bps = row->Int(5);
  p.new_merchant_half_life_ms = row->Int(6);
  p.new_merchant_window_ms = row->Int(7);
  p.head_share_bps = row->Int(8);
  return p;
}

Status SavePolicy(Tx& tx, const ExposurePolicy& p) {
  if (auto bad = InvalidField(p)) return Fail(Msg::INVALID_FIELD, {Field(*bad)});
  return tx.Run(
      "INSERT INTO feed_settings(id, head_merchants, long_tail_share_bps, "
      "max_per_merchant_per_page, max_per_merchant_per_user_day, max_per_category_per_page, "
      "new_merchant_boost_bps, new_merchant_half_life_ms, new_merchant_window_ms, updated_at_ms, "
      "head_share_bps) VALUES(1,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
      "head_merchants=excluded.head_merchants, long_tail_share_bps=excluded.long_tail_share_bps, "
      "max_per_merchant_per_page=excluded.max_per_merchant_per_page, "
      "max_per_merchant_per_user_day=excluded.max_per_merchant_per_user_day, "
      "max_per_category_per_page=excluded.max_per_category_per_page, "
      "new_merchant_boost_bps=excluded.new_merchant_boost_bps, "
      "new_merchant_half_life_ms=excluded.new_merchant_half_life_ms, "
      "new_merchant_window_ms=excluded.new_merchant_window_ms, updated_at_ms=excluded.updated_at_ms, "
      "head_share_bps=excluded.head_share_bps",
      {p.head_merchants, p.long_tail_share_bps, int64_t{p.max_per_merchant_per_page},
       int64_t{p.max_per_merchant_per_user_day}, int64_t{p.max_per_category_per_page},
       p.new_merchant_boost_bps, p.new_merchant_half_life_ms, p.new_merchant_window_ms,
       tx.NowMs(), p.head_share_bps});
}

Json ToJson(const ExposurePolicy& p) {
  return Json{{"head_merchants", p.head_merchants},
              {"head_share_bps", p.head_share_bps},
              {"long_tail_share_bps", p.long_tail_share_bps},
              {"max_per_merchant_per_page", p.max_per_merchant_per_page},
              {"max_per_merchant_per_user_day", p.max_per_merchant_per_user_day},
              {"max_per_category_per_page", p.max_per_category_per_page},
              {"new_merchant_boost_bps", p.new_merchant_boost_bps},
              {"new_merchant_half_life_hours", p.new_merchant_half_life_ms / kHourMs},
              {"new_merchant_window_days", p.new_merchant_window_ms / kDayMs}};
}

Result<ExposurePolicy> PolicyFromJson(const Json& body, ExposurePolicy p) {
  ObjectReader r(body);
  auto head = r.OptInt("head_merchants", {.min = 0, .max = 1'000'000});
  auto head_share = r.OptInt("head_share_bps", {.min = 0, .max = 10000});
  auto share = r.OptInt("long_tail_share_bps", {.min = 0, .max = 10000});
  auto page = r.OptInt("max_per_merchant_per_page", {.min = 1, .max = 100});
  auto day = r.OptInt("max_per_merchant_per_user_day", {.min = 1, .max = 10000});
  auto category = r.OptInt("max_per_category_per_page", {.min = 1, .max = 100});
  auto boost = r.OptInt("new_merchant_boost_bps", {.min = 0, .max = 100000});
  auto half_life = r.OptInt("new_merchant_half_life_hours", {.min = 1, .max = 365 * 24});
  auto window = r.OptInt("new_merchant_window_days", {.min = 0, .max = 365});
  RETURN_IF_ERROR(r.Finish());
  // A count set alone means the count: it clears the share (set both to keep a share).
  if (head) p.head_merchants = *head, p.head_share_bps = 0;
  if (head_share) p.head_share_bps = *head_share;
  if (share) p.long_tail_share_bps = *share;
  if (page) p.max_per_merchant_per_page = static_cast<int>(*page);
  if (day) p.max_per_merchant_per_user_day = static_cast<int>(*day);
  if (category) p.max_per_category_per_page = static_cast<int>(*category);
  if (boost) p.new_merchant_boost_bps = *boost;
  if (half_life) p.new_merchant_half_life_ms = *half_life * kHourMs;
  if (window) p.new_merchant_window_ms = *window * kDayMs;
  if (auto bad = InvalidField(p)) return Fail(Msg::INVALID_FIELD, {Field(*bad)});
  return p;
}

}  // namespace xd::feed
