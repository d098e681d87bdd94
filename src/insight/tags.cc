// User tags (insight.h): a user's tags computed at read time from the projections
// (user_facts, user_categories), the targetable tag names, and audiences by tags.
#include "insight/insight.h"
#include "insight/internal/common.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "base/clock.h"
#include "base/id.h"
#include "base/messages.h"

namespace xd::insight {

using internal::kDayMs;

// ---- reads ----

namespace {

// A user's tags at `now` (the body of UserTags, shared with UsersWithTags).
Result<Json> TagsIn(Reader& r, int64_t user_id, int64_t now) {
  ASSIGN_OR_RETURN(auto f,
                   r.QueryOne("SELECT first_seen_ms, last_seen_ms, paid_orders, paid_fen, "
                              "refunded_fen, last_paid_ms, units, "
                              "offline_purchases, offline_fen, shares, share_opens_by_others, "
                              "share_purchases, member_level, channels "
                              "FROM user_facts WHERE user_id=?",
                              {user_id}));
  Json out{{"user_id", IdString(user_id)}};
  if (!f) {
    out["known"] = false;
    return out;
  }
  out["known"] = true;
  const int64_t first_seen = f->Int(0), last_seen = f->Int(1), orders = f->Int(2), paid = f->Int(3),
                last_paid = f->Int(5);
  const int64_t offline = f->Int(7);
  // Category interests, each decayed to now.
  ASSIGN_OR_RETURN(
      Rows cats,
      r.Query("SELECT category, score_milli, updated_ms FROM user_categories WHERE user_id=?",
              {user_id}));
  std::vector<std::pair<int64_t, std::string>> scored;
  for (const Row& c : cats) {
    const double age = static_cast<double>(std::max<int64_t>(0, now - c.Int(2)));
    scored.emplace_back(
        std::llround(static_cast<double>(c.Int(1)) *
                     std::exp2(-age / static_cast<double>(config::kInterestHalfLifeMs))),
        c.Str(0));
  }
  std::sort(scored.begin(), scored.end(), [](auto& a, auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  Json interests = Json::array();
  for (size_t i = 0; i < scored.size() && i < 5; ++i)
    interests.push_back({{"category", scored[i].second}, {"score_milli", scored[i].first}});
  out["interests"] = interests;
  // Price band by the average paid order.
  const int64_t aov = orders > 0 ? paid / orders : 0;
  out["aov_fen"] = aov;
  out["price_band"] = orders == 0 ? "unknown" : aov < 5'000 ? "low" : aov < 20'000 ? "mid" : "high";
  // RFM: recency within 30 days, frequency ≥ 3 paid orders, monetary ≥ ¥500.
  const bool r_hi = orders > 0 && now - last_paid <= 30 * kDayMs, f_hi = orders >= 3,
             m_hi = paid >= 50'000;
  const char* segment = orders == 0           ? "prospect"
                        : r_hi && f_hi        ? "champion"
                        : r_hi && orders == 1 ? "new_customer"
                        : r_hi                ? "promising"
                        : f_hi || m_hi        ? "at_risk"
                                              : "hibernating";
  out["rfm"] = {{"recency_days", orders > 0 ? (now - last_paid) / kDayMs : -1},
                {"frequency", orders},
                {"monetary_fen", paid},
                {"segment", segment}};
  out["lifecycle"] = now - first_seen <= 30 * kDayMs  ? "new"
                     : now - last_seen <= 30 * kDayMs ? "active"
                                                      : "dormant";
  out["member_level"] = f->Int(12);
  out["online_offline"] = {{"online_orders", orders},
                           {"offline_purchases", offline},
                           {"offline_fen", f->Int(8)},
                           {"mix", orders > 0 && offline > 0 ? "omnichannel"
                                   : offline > 0             ? "offline"
                                   : orders > 0              ? "online"
                                                             : "none"}};
  const int64_t brought = f->Int(11);
  out["sharer_influence"] = {{"shares", f->Int(9)},
                             {"opens_by_others", f->Int(10)},
                             {"purchases_brought", brought},
                             {"level", brought >= 3    ? "influencer"
                                       : f->Int(9) > 0 ? "sharer"
                                                       : "none"}};
  Json channels = Json::object();
  if (auto parsed = ParseJson(f->Str(13)); parsed && parsed->is_object()) channels = *parsed;
  std::string top_channel;
  int64_t top = 0;
  for (auto& [k, v] : channels.items())
    if (v.is_number_integer() && v.get<int64_t>() > top) top = v.get<int64_t>(), top_channel = k;
  out["channel"] = {{"main", top_channel.empty() ? Json(nullptr) : Json(top_channel)},
                    {"paid_orders_by_channel", channels}};
  return out;
}

// The tag names a user carries (see IsTargetableTag): "rfm:<segment>", "price_band:<band>",
// "lifecycle:<stage>", "channel_mix:<mix>", "sharer:<level>", "interest:<category>" (top 5).
std::vector<std::string> TagNames(const Json& t) {
  std::vector<std::string> names;
  if (!t.value("known", false)) return names;
  names.push_back("rfm:" + t["rfm"]["segment"].get<std::string>());
  names.push_back("price_band:" + t["price_band"].get<std::string>());
  names.push_back("lifecycle:" + t["lifecycle"].get<std::string>());
  names.push_back("channel_mix:" + t["online_offline"]["mix"].get<std::string>());
  names.push_back("sharer:" + t["sharer_influence"]["level"].get<std::string>());
  for (const Json& i : t["interests"])
    names.push_back("interest:" + i["category"].get<std::string>());
  return names;
}

}  // namespace

Result<Json> Insight::UserTags(int64_t user_id) {
  const int64_t now = analytics_.clock().NowMs();
  return analytics_.Read([&](Reader& r) { return TagsIn(r, user_id, now); });
}

const std::vector<std::string>& TargetableTags() {
  static const std::vector<std::string> tags = {
      "rfm:champion",       "rfm:new_customer",    "rfm:promising",           "rfm:at_risk",
      "rfm:hibernating",    "rfm:prospect",        "price_band:low",          "price_band:mid",
      "price_band:high",    "lifecycle:new",       "lifecycle:active",        "lifecycle:dormant",
      "channel_mix:online", "channel_mix:offline", "channel_mix:omnichannel", "sharer:influencer",
      "sharer:sharer"};
  return tags;
}

bool IsTargetableTag(std::string_view tag) {
  constexpr std::string_view kInterest = "interest:";
  if (tag.size() > kInterest.size() && tag.substr(0, kInterest.size()) == kInterest &&
      tag.size() <= config::kMaxTagLen)
    return true;
  return std::ranges::find(TargetableTags(), tag) != TargetableTags().end();
}

Result<std::vector<int64_t>> Insight::UsersWithTags(const std::vector<int64_t>& user_ids,
                                                    const std::vector<std::string>& tags) {
  if (user_ids.size() > config::kMaxTagAudience)
    return Fail(Msg::MEMBER_PUSH_TAG_AUDIENCE_TOO_LARGE, {{"max", config::kMaxTagAudience}});
  const int64_t now = analytics_.clock().NowMs();
  return analytics_.Read([&](Reader& r) -> Result<std::vector<int64_t>> {
    std::vector<int64_t> out;
    for (int64_t id : user_ids) {
      ASSIGN_OR_RETURN(Json t, TagsIn(r, id, now));
      std::vector<std::string> has = TagNames(t);
      bool all = std::ranges::all_of(
          tags, [&](const std::string& tag) { return std::ranges::find(has, tag) != has.end(); });
      if (all) out.push_back(id);
    }
    return out;
  });
}

}  // namespace xd::insight
