// Routes of the traffic layer (feed/, issue 20, decision 028): the public storefront with its
// follow state, the merchant's followers and their growth, the home feed (anonymous: cold start),
// hot shops, and the admin's exposure settings and fairness report. (A follow is a shop
// favourite: PUT/DELETE /api/v1/me/favorites/shop/{id}, routes_buyer.cc.) The public reads are
// bounded: the feed's candidates are capped per source and shared between visitors for a few
// seconds, a page replays at most kMaxFeedItems / 5 pages of pure ranking, and hot shops are
// computed at most once a minute.
#include <cctype>

#include "base/id.h"
#include "base/messages.h"
#include "buyer/buyer.h"
#include "feed/feed.h"
#include "http/api.h"
#include "http/public_reads.h"
#include "http/routes_feed.h"

namespace xd::http {

using account::Perm;

namespace {

// The shop page: public; a signed-in reader also learns whether they follow the shop.
Status Storefront(Call& c) {
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  const int64_t viewer = SignedInUser(c).value_or(0);
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return feed::Storefront(r, id, viewer);
  }));
  c.Reply(out);
  return Ok();
}

// The merchant's followers now and per day over ?days= (1..366, default 30).
Status Followers(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  int64_t days = 30;
  if (auto v = c.req().QueryParam("days"); v && !v->empty()) {
    auto n = ParseId(*v);
    if (!n || *n < 1 || *n > 366) return Fail(Msg::FIELD_RANGE, {Field("days"), {"min", 1}, {"max", 366}});
    days = *n;
  }
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return buyer::FollowerGrowth(r, s.merchant_id, days);
  }));
  c.Reply(out);
  return Ok();
}

Result<int64_t> IntParam(Call& c, const char* name, int64_t def, int64_t min, int64_t max) {
  auto v = c.req().QueryParam(name);
  if (!v || v->empty()) return def;
  auto n = ParseId(*v);
  if (!n || *n < min || *n > max) return Fail(Msg::FIELD_RANGE, {Field(name), {"min", min}, {"max", max}});
  return *n;
}

feed::FeedService& FeedOf(Call& c) { return *c.app().feed; }

// The home feed: signed in, the caller's own; anonymous, the cold-start feed (?device= names the
// shop's device, so its daily caps count what it was shown).
Status HomeFeed(Call& c) {
  feed::FeedQuery q;
  q.user_id = SignedInUser(c).value_or(0);
  q.cursor = c.req().QueryParam("cursor").value_or("");
  ASSIGN_OR_RETURN(int64_t limit, IntParam(c, "limit", feed::config::kDefaultPageSize, 5,
                                           feed::config::kMaxPageSize));
  q.page_size = static_cast<int>(limit);
  if (q.user_id == 0) {
    std::string device(c.req().QueryParam("device").value_or(""));
    bool ok = device.size() <= 64;
    for (char ch : device)
      ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_');
    if (!ok) return Fail(Msg::INVALID_FIELD, {Field("device_id")});
    q.device_id = device;
  }
  ASSIGN_OR_RETURN(Json out, FeedOf(c).Feed(q));
  std::vector<Json*> cards;
  for (Json& item : out["items"])
    if (item.contains("product")) cards.push_back(&item["product"]);
  if (!cards.empty())
    RETURN_IF_ERROR(c.app().store.Read([&](Reader& r) { return AddActivityBadges(c, r, cards); }));
  c.Reply(out);
  return Ok();
}

Status HotShops(Call& c) {
  ASSIGN_OR_RETURN(int64_t limit, IntParam(c, "limit", 10, 1, 50));
  ASSIGN_OR_RETURN(Json out, FeedOf(c).HotShopsJson(static_cast<int>(limit)));
  c.Reply(out);
  return Ok();
}

Status GetSettings(Call& c) {
  ASSIGN_OR_RETURN(AdminCaller a, c.Admin());
  (void)a;
  ASSIGN_OR_RETURN(feed::ExposurePolicy p,
                   c.app().store.Read([](Reader& r) { return feed::LoadPolicy(r); }));
  c.Reply(feed::ToJson(p));
  return Ok();
}

// The admin changes the guarantee: the fields named change, the rest stay (checked against the
// policy in force inside the write).
Status PutSettings(Call& c) {
  ASSIGN_OR_RETURN(AdminCaller a, c.Admin());
  ASSIGN_OR_RETURN(Json body, c.Body());
  RETURN_IF_ERROR(ToStatus(feed::PolicyFromJson(body, feed::ExposurePolicy{})));
  c.Write(a, [body](Tx& tx, const AdminCaller&) -> Result<Json> {
    ASSIGN_OR_RETURN(feed::ExposurePolicy current, feed::LoadPolicy(tx));
    ASSIGN_OR_RETURN(feed::ExposurePolicy p, feed::PolicyFromJson(body, current));
    RETURN_IF_ERROR(feed::SavePolicy(tx, p));
    return feed::ToJson(p);
  });
  return Ok();
}

Status Fairness(Call& c) {
  ASSIGN_OR_RETURN(AdminCaller a, c.Admin());
  (void)a;
  ASSIGN_OR_RETURN(int64_t days, IntParam(c, "days", 30, 1, 366));
  ASSIGN_OR_RETURN(Json out, FeedOf(c).Fairness(days));
  c.Reply(out);
  return Ok();
}

}  // namespace

void AddFeedRoutes(Api& api) {
  api.AddTable({
      {{"GET", "/api/v1/shops/{id}",
        "A shop's page: the shop, its followers and whether the caller follows it, its categories "
        "and live rooms (public)",
        "feed", AuthKind::kNone}, Storefront},
      {{"GET", "/api/v1/merchant/followers",
        "The shop's followers and, per day over ?days= (default 30), follows and unfollows (staff)",
        "feed", AuthKind::kStaff, 200, nullptr, {"days"}}, Followers},
      {{"GET", "/api/v1/feed",
        "The home feed, a page at a time: friends' recommendations, followed shops' new products, "
        "live rooms, personalised products and hot shops, ranked under the exposure guarantee "
        "(anonymous: the cold-start feed; ?device= for its daily caps)",
        "feed", AuthKind::kNone, 200, nullptr, {"cursor", "limit", "device"}}, HomeFeed},
      {{"GET", "/api/v1/hot-shops",
        "Hot shops (热门微卖场): GMV velocity against each shop's own baseline, without "
        "self-purchases or refunded orders",
        "feed", AuthKind::kNone, 200, nullptr, {"limit"}}, HotShops},
      {{"GET", "/api/v1/admin/feed/settings", "The exposure guarantee's settings (admin)", "feed",
        AuthKind::kAdmin}, GetSettings},
      {{"PUT", "/api/v1/admin/feed/settings", "Change the exposure guarantee's settings (admin)",
        "feed", AuthKind::kAdmin, 200,
        Json{{"long_tail_share_bps", 4000}, {"max_per_merchant_per_user_day", 8}}}, PutSettings},
      {{"GET", "/api/v1/admin/feed/fairness",
        "Fairness report: exposure share by merchant size band, exposure Gini, conversion, new "
        "merchants' time to first sale (admin)",
        "feed", AuthKind::kAdmin, 200, nullptr, {"days"}}, Fairness},
  });
}

}  // namespace xd::http
