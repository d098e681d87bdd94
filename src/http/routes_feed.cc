// Routes of the traffic layer (feed/, issue 20, decision 028): the public storefront with its
// follow state, and the merchant's followers and their growth. (A follow is a shop favourite:
// PUT/DELETE /api/v1/me/favorites/shop/{id}, routes_buyer.cc.)
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
  });
}

}  // namespace xd::http
