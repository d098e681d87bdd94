// Routes of activities (promo): group buy, flash sale and bargain activities, groups,
// bargains and their helps. Buying in an activity goes through POST /api/v1/checkout with
// "activity":{...} (routes_trade.cc). Sharing and gifts: routes_sharing.cc; coupons:
// routes_coupons.cc.
#include <map>

#include "base/id.h"
#include "base/messages.h"
#include "http/api.h"
#include "http/public_reads.h"
#include "promo/promo.h"

namespace xd::http {

using account::Perm;
using account::Principal;

namespace {

Status CreateActivity(Call& c) {
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(promo::ActivityInput in, promo::ActivityInputFromJson(body));
  c.Write(
      s,
      [&promo, in](Tx& tx, const StaffCaller& s) -> Result<Json> {
        ASSIGN_OR_RETURN(promo::Activity a, promo.CreateActivity(tx, s.merchant_id, in));
        return promo::ToJson(a);
      },
      201);
  return Ok();
}

Status ListMerchantActivities(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) {
    return promo.MerchantActivities(r, s.merchant_id, page.first, page.second);
  }));
  c.Reply(PageJson(list, page.first));
  return Ok();
}

Status StopActivity(Call& c) {
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(s, [&promo, id](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(promo::Activity a, promo.StopActivity(tx, s.merchant_id, id));
    return promo::ToJson(a);
  });
  return Ok();
}

Status GetActivity(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(promo::Activity a,
                   store.Read([&](Reader& r) { return promo.GetActivity(r, id); }));
  c.Reply(promo::ToJson(a));
  return Ok();
}

// Signed in, each activity also says how many units the caller holds in it ("bought"): the
// flash-sale picker stops at the per-user limit and 马上抢 turns into 已抢到.
Status ListProductActivities(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  std::optional<int64_t> buyer = SignedInUser(c);
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(auto list, promo.ProductActivities(r, id));
    std::map<int64_t, int64_t> bought;
    if (buyer) {
      std::vector<int64_t> ids;
      for (auto& a : list) ids.push_back(a.id);
      ASSIGN_OR_RETURN(bought, promo.BoughtIn(r, *buyer, ids));
    }
    Json items = Json::array();
    for (auto& a : list) {
      Json j = promo::ToJson(a);
      if (buyer) j["bought"] = bought.contains(a.id) ? bought[a.id] : 0;
      items.push_back(std::move(j));
    }
    return ListJson(items, 0);
  }));
  c.Reply(out);
  return Ok();
}

// A channel page (秒杀 / 拼团 / 砍价): running activities of one type across shops.
Status ListChannel(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  std::string type(c.req().QueryParam("type").value_or(""));
  if (type != "flash_sale" && type != "group_buy" && type != "bargain")
    return Fail(Msg::FIELD_ONE_OF, {Field("type"), {"value", type}});
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return promo.Channel(r, type, page.first, page.second); }));
  Json items = Json::array();
  for (auto& item : list) {
    Json j = promo::ToJson(item.activity);
    j["activity_price_fen"] = promo::ActivityPriceFen(item.activity);
    j["product"] = Json{{"id", IdString(item.activity.product_id)}, {"title", item.title}, {"image", item.image},
                        {"list_price_fen", item.list_price_fen}, {"sales", item.sales},
                        {"merchant_name", item.merchant_name}};
    items.push_back(std::move(j));
  }
  int64_t next = !list.empty() && static_cast<int64_t>(list.size()) == page.first ? list.back().activity.id : 0;
  c.Reply(ListJson(items, next));
  return Ok();
}

// Signed in, the group also says whether the caller holds a seat in it ("joined"): the page
// offers 参加拼团 to others only.
Status GetGroup(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  std::optional<int64_t> buyer = SignedInUser(c);
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(promo::Group g, promo.GetGroup(r, id));
    Json j = promo::ToJson(g);
    if (buyer) {
      ASSIGN_OR_RETURN(bool joined, promo.InGroup(r, *buyer, id));
      j["joined"] = joined;
    }
    return j;
  }));
  c.Reply(out);
  return Ok();
}

Status ListJoinableGroups(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(auto list,
                   store.Read([&](Reader& r) { return promo.JoinableGroups(r, id, page.first); }));
  c.Reply(PageJson(list, 0));
  return Ok();
}

Status StartBargain(Call& c) {
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  int64_t activity_id = r.Id("activity_id");
  RETURN_IF_ERROR(r.Finish());
  c.Write(
      p,
      [&promo, activity_id](Tx& tx, const Principal& p) -> Result<Json> {
        ASSIGN_OR_RETURN(promo::Bargain b, promo.StartBargain(tx, p.user_id, activity_id));
        return promo::ToJson(b);
      },
      201);
  return Ok();
}

Status GetBargain(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(promo::Bargain b, promo.GetBargain(r, id));
    ASSIGN_OR_RETURN(auto helps, promo.BargainHelps(r, id));
    Json j = promo::ToJson(b);
    j["helps"] = helps;
    return j;
  }));
  c.Reply(out);
  return Ok();
}

Status HelpBargain(Call& c) {
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(p, [&promo, id](Tx& tx, const Principal& p) -> Result<Json> {
    ASSIGN_OR_RETURN(promo::HelpResult h, promo.HelpBargain(tx, p.user_id, id));
    return Json{{"cut_fen", h.cut_fen}, {"bargain", promo::ToJson(h.bargain)}};
  });
  return Ok();
}

}  // namespace

void AddPromoRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      // ---- activities ----
      {{"POST", "/api/v1/merchant/activities",
        "Create an activity on a SKU: group_buy, flash_sale or bargain (staff)", "promo",
        AuthKind::kStaff, 201,
        Json{{"type", "group_buy"}, {"sku_id", "123"}, {"group_price_fen", 4900}, {"group_size", 3},
             {"group_ttl_s", 86400}, {"starts_at", "2026-01-01T00:00:00Z"},
             {"ends_at", "2026-02-01T00:00:00Z"}}}, CreateActivity},
      {{"GET", "/api/v1/merchant/activities", "The merchant's activities, newest first (staff)",
        "promo", AuthKind::kStaff, 200, nullptr, {"limit", "cursor"}}, ListMerchantActivities},
      {{"POST", "/api/v1/merchant/activities/{id}/stop",
        "Stop an activity: no new orders (running groups finish) (staff)", "promo",
        AuthKind::kStaff}, StopActivity},
      {{"GET", "/api/v1/activities",
        "A channel page: running activities of one type (flash_sale | group_buy | bargain) across "
        "shops, ending soonest first, with the product's card", "promo", AuthKind::kNone, 200,
        nullptr, {"type", "limit", "cursor"}}, ListChannel},
      {{"GET", "/api/v1/activities/{id}", "An activity (public: the share link's landing data)",
        "promo"}, GetActivity},
      {{"GET", "/api/v1/products/{id}/activities",
        "Running activities of a product (signed in: with the units the caller holds in each, bought)",
        "promo"},
       ListProductActivities},
      // ---- group buy ----
      {{"GET", "/api/v1/groups/{id}",
        "A group of a group buy: status, size, paid members, seats left (signed in: joined)",
        "promo"}, GetGroup},
      {{"GET", "/api/v1/products/{id}/groups",
        "Forming groups of a product with seats left, the fullest first (凑团)", "promo",
        AuthKind::kNone, 200, nullptr, {"limit"}}, ListJoinableGroups},
      // ---- bargain ----
      {{"POST", "/api/v1/bargains", "Start a bargain (砍一刀) in a bargain activity", "promo",
        AuthKind::kUser, 201, Json{{"activity_id", "123"}}}, StartBargain},
      {{"GET", "/api/v1/bargains/{id}",
        "A bargain with its helps (public: the share link's landing data)", "promo"}, GetBargain},
      {{"POST", "/api/v1/bargains/{id}/help", "Help a friend's bargain once: cuts the next amount",
        "promo", AuthKind::kUser}, HelpBargain},
  });
  // clang-format on
}

}  // namespace xd::http
