// Routes of social trading (promo): activities (group buy, flash sale, bargain), groups,
// bargains and their helps, distribution (share links, commissions), chat-group links and
// friends' recommendations, gifts, coupons. Buying in an activity goes through POST
// /api/v1/checkout with "activity":{...} and "coupon_ids":[...] (routes_trade.cc).
#include "base/id.h"
#include "http/api.h"
#include "promo/promo.h"

namespace xd::http {

using account::Perm;
using account::Principal;

namespace {

template <class T>
Json ItemsJson(const std::vector<T>& items, int64_t limit) {
  Json list = Json::array();
  for (auto& it : items) list.push_back(promo::ToJson(it));
  return ListJson(list, static_cast<int64_t>(items.size()) == limit && !items.empty() ? items.back().id : 0);
}

}  // namespace

void AddPromoRoutes(Api& api) {
  Store& store = api.app().store;
  promo::PromoService& promo = api.app().promo;

  // ---- activities ----
  api.Add({"POST", "/api/v1/merchant/activities", "Create an activity on a SKU: group_buy, flash_sale or bargain (staff)", "promo",
           AuthKind::kStaff, 201,
           Json{{"type", "group_buy"}, {"sku_id", "123"}, {"group_price_fen", 4900}, {"group_size", 3}, {"group_ttl_s", 86400},
                {"starts_at", "2026-01-01T00:00:00Z"}, {"ends_at", "2026-02-01T00:00:00Z"}}},
          [&promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
            ASSIGN_OR_RETURN(Json body, c.Body());
            ASSIGN_OR_RETURN(promo::ActivityInput in, promo::ActivityInputFromJson(body));
            c.Write(s, [&promo, in](Tx& tx, const StaffCaller& s) -> Result<Json> {
              ASSIGN_OR_RETURN(promo::Activity a, promo.CreateActivity(tx, s.merchant_id, in));
              return promo::ToJson(a);
            }, 201);
            return Ok();
          });
  api.Add({"GET", "/api/v1/merchant/activities", "The merchant's activities, newest first (staff)", "promo", AuthKind::kStaff, 200, nullptr,
           {"limit", "cursor"}},
          [&store, &promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
            ASSIGN_OR_RETURN(auto page, c.Page());
            ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return promo.MerchantActivities(r, s.merchant_id, page.first, page.second); }));
            c.Reply(ItemsJson(list, page.first));
            return Ok();
          });
  api.Add({"POST", "/api/v1/merchant/activities/{id}/stop", "Stop an activity: no new orders (running groups finish) (staff)", "promo",
           AuthKind::kStaff},
          [&promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            c.Write(s, [&promo, id](Tx& tx, const StaffCaller& s) -> Result<Json> {
              ASSIGN_OR_RETURN(promo::Activity a, promo.StopActivity(tx, s.merchant_id, id));
              return promo::ToJson(a);
            });
            return Ok();
          });
  api.Add({"GET", "/api/v1/activities/{id}", "An activity (public: the share link's landing data)", "promo"},
          [&store, &promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            ASSIGN_OR_RETURN(promo::Activity a, store.Read([&](Reader& r) { return promo.GetActivity(r, id); }));
            c.Reply(promo::ToJson(a));
            return Ok();
          });
  api.Add({"GET", "/api/v1/products/{id}/activities", "Running activities of a product", "promo"}, [&store, &promo](Call& c) -> Status {
    ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
    ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return promo.ProductActivities(r, id); }));
    c.Reply(ItemsJson(list, 0));
    return Ok();
  });

  // ---- group buy ----
  api.Add({"GET", "/api/v1/groups/{id}", "A group of a group buy: status, size, paid members, seats left", "promo"},
          [&store, &promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            ASSIGN_OR_RETURN(promo::Group g, store.Read([&](Reader& r) { return promo.GetGroup(r, id); }));
            c.Reply(promo::ToJson(g));
            return Ok();
          });
  api.Add({"GET", "/api/v1/products/{id}/groups", "Forming groups of a product with seats left, the fullest first (凑团)", "promo",
           AuthKind::kNone, 200, nullptr, {"limit"}},
          [&store, &promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            ASSIGN_OR_RETURN(auto page, c.Page());
            ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return promo.JoinableGroups(r, id, page.first); }));
            c.Reply(ItemsJson(list, 0));
            return Ok();
          });

  // ---- bargain ----
  api.Add({"POST", "/api/v1/bargains", "Start a bargain (砍一刀) in a bargain activity", "promo", AuthKind::kUser, 201,
           Json{{"activity_id", "123"}}},
          [&promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(Json body, c.Body());
            ObjectReader r(body);
            int64_t activity_id = r.Id("activity_id");
            RETURN_IF_ERROR(r.Finish());
            c.Write(p, [&promo, activity_id](Tx& tx, const Principal& p) -> Result<Json> {
              ASSIGN_OR_RETURN(promo::Bargain b, promo.StartBargain(tx, p.user_id, activity_id));
              return promo::ToJson(b);
            }, 201);
            return Ok();
          });
  api.Add({"GET", "/api/v1/bargains/{id}", "A bargain with its helps (public: the share link's landing data)", "promo"},
          [&store, &promo](Call& c) -> Status {
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
          });
  api.Add({"POST", "/api/v1/bargains/{id}/help", "Help a friend's bargain once: cuts the next amount", "promo", AuthKind::kUser},
          [&promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            c.Write(p, [&promo, id](Tx& tx, const Principal& p) -> Result<Json> {
              ASSIGN_OR_RETURN(promo::HelpResult h, promo.HelpBargain(tx, p.user_id, id));
              return Json{{"cut_fen", h.cut_fen}, {"bargain", promo::ToJson(h.bargain)}};
            });
            return Ok();
          });

  // ---- distribution ----
  api.Add({"PUT", "/api/v1/merchant/products/{id}/distribution", "Set a product's sharer commission in basis points (staff)", "promo",
           AuthKind::kStaff, 200, Json{{"commission_bps", 500}}},
          [&promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            ASSIGN_OR_RETURN(Json body, c.Body());
            ObjectReader r(body);
            int64_t bps = r.Int("commission_bps", {.min = 0, .max = limits::kMaxDistributionBps});
            RETURN_IF_ERROR(r.Finish());
            c.Write(s, [&promo, id, bps](Tx& tx, const StaffCaller& s) -> Result<Json> {
              return promo.SetDistribution(tx, s.merchant_id, id, bps);
            });
            return Ok();
          });
  api.Add({"POST", "/api/v1/shares", "Create a share link of a product or an activity (the caller is the sharer)", "promo",
           AuthKind::kUser, 201, Json{{"product_id", "123"}}},
          [&promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(Json body, c.Body());
            ObjectReader r(body);
            std::optional<int64_t> product_id = r.OptId("product_id"), activity_id = r.OptId("activity_id");
            std::optional<std::string> chat_group = r.OptString("chat_group", {.min_len = 1, .max_len = limits::kMaxChatGroupKeyLen});
            RETURN_IF_ERROR(r.Finish());
            c.Write(p, [&promo, product_id, activity_id, chat_group](Tx& tx, const Principal& p) -> Result<Json> {
              ASSIGN_OR_RETURN(promo::Share sh, promo.CreateShare(tx, p.user_id, product_id, activity_id, chat_group));
              return promo::ToJson(sh, true);
            }, 201);
            return Ok();
          });
  api.Add({"GET", "/api/v1/shares/{id}", "A share link (by its code) with its distinct (friend) opens", "promo"}, [&store, &promo](Call& c) -> Status {
    std::string code(c.req().Param("id"));
    ASSIGN_OR_RETURN(promo::Share sh, store.Read([&](Reader& r) { return promo.ShareByCode(r, code); }));
    c.Reply(promo::ToJson(sh, false));
    return Ok();
  });
  api.Add({"POST", "/api/v1/shares/{id}/open", "Record that the caller opened a share link (last touch for attribution)", "promo",
           AuthKind::kUser},
          [&promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            std::string code(c.req().Param("id"));
            c.Write(p, [&promo, code](Tx& tx, const Principal& p) -> Result<Json> {
              ASSIGN_OR_RETURN(promo::Share found, promo.ShareByCode(tx, code));
              ASSIGN_OR_RETURN(promo::Share sh, promo.OpenShare(tx, p.user_id, found.id));
              return promo::ToJson(sh, sh.sharer_id == p.user_id);
            });
            return Ok();
          });
  api.Add({"GET", "/api/v1/me/commissions", "The caller's sharer commissions and balance", "promo", AuthKind::kUser, 200, nullptr, {"limit"}},
          [&store, &promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(auto page, c.Page());
            ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) { return promo.SharerCommissions(r, p.user_id, page.first); }));
            c.Reply(out);
            return Ok();
          });

  // ---- chat-group links and friends' recommendations ----
  // A chat group's key is the messaging app's opaque id of the group; no public route shows it.
  auto chat_group_key = [](Call& c) -> Result<std::string> {
    std::string key(c.req().Param("key"));
    if (key.empty() || key.size() > limits::kMaxChatGroupKeyLen) return Fail(ErrorCode::NOT_FOUND, "群聊不存在 (chat group not found)");
    return key;
  };
  api.Add({"GET", "/api/v1/merchant/chat-groups/{key}/stats",
           "The merchant's part of a chat group: opens, orders, GMV and the 接龙 list (who ordered what) (staff)", "promo",
           AuthKind::kStaff, 200, nullptr, {"limit"}},
          [&store, &promo, chat_group_key](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
            ASSIGN_OR_RETURN(std::string key, chat_group_key(c));
            ASSIGN_OR_RETURN(auto page, c.Page());
            ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) { return promo.ChatGroupMerchantStats(r, s.merchant_id, key, page.first); }));
            c.Reply(out);
            return Ok();
          });
  api.Add({"GET", "/api/v1/chat-groups/{key}/stats", "A chat group's 接龙 list with masked names, for its members", "promo",
           AuthKind::kUser, 200, nullptr, {"limit"}},
          [&store, &promo, chat_group_key](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(std::string key, chat_group_key(c));
            ASSIGN_OR_RETURN(auto page, c.Page());
            ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) { return promo.ChatGroupMemberStats(r, p.user_id, key, page.first); }));
            c.Reply(out);
            return Ok();
          });
  api.Add({"POST", "/api/v1/recommendations", "Recommend a product to friends with a line of text", "promo", AuthKind::kUser, 201,
           Json{{"product_id", "123"}, {"text", "回购第三次了，推荐！"}}},
          [&promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(Json body, c.Body());
            ObjectReader r(body);
            int64_t product_id = r.Id("product_id");
            std::string text = r.String("text", {.min_len = 1, .max_len = limits::kMaxRecommendationLen});
            RETURN_IF_ERROR(r.Finish());
            c.Write(p, [&promo, product_id, text](Tx& tx, const Principal& p) { return promo.Recommend(tx, p.user_id, product_id, text); }, 201);
            return Ok();
          });
  api.Add({"GET", "/api/v1/feed/friends", "Friends' recommendations, newest first", "promo", AuthKind::kUser, 200, nullptr, {"limit", "cursor"}},
          [&store, &promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(auto page, c.Page());
            ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) { return promo.FriendsFeed(r, p.user_id, page.first, page.second); }));
            c.Reply(out);
            return Ok();
          });

  // ---- gifting ----
  api.Add({"GET", "/api/v1/gifts/{token}", "A gift by its link's token (public: what the recipient sees)", "promo"},
          [&store, &promo](Call& c) -> Status {
            std::string token(c.req().Param("token"));
            if (token.size() != 32) return Fail(ErrorCode::NOT_FOUND, "gift not found");
            ASSIGN_OR_RETURN(promo::Gift g, store.Read([&](Reader& r) { return promo.GiftByToken(r, token); }));
            c.Reply(promo::ToJson(g, false));
            return Ok();
          });
  api.Add({"POST", "/api/v1/gift-claims", "Accept a gift with an address: its order ships there", "promo", AuthKind::kUser, 200,
           Json{{"token", "0123456789abcdef0123456789abcdef"},
                {"address", {{"name", "李四"}, {"phone", "13900000000"}, {"region", "北京市 朝阳区"}, {"detail", "建国路 1 号"}}}}},
          [&promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(Json body, c.Body());
            ObjectReader r(body);
            std::string token = r.String("token", {.min_len = 32, .max_len = 32});
            const Json* address = r.RequireObject("address");
            RETURN_IF_ERROR(r.Finish());
            c.Write(p, [&promo, token, address = *address](Tx& tx, const Principal& p) -> Result<Json> {
              ASSIGN_OR_RETURN(promo::Gift g, promo.AcceptGift(tx, p.user_id, token, address));
              return promo::ToJson(g, false);
            });
            return Ok();
          });
  api.Add({"GET", "/api/v1/me/gifts", "Gifts the caller sent, with their links", "promo", AuthKind::kUser, 200, nullptr, {"limit", "cursor"}},
          [&store, &promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(auto page, c.Page());
            ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return promo.SentGifts(r, p.user_id, page.first, page.second); }));
            Json items = Json::array();
            for (auto& g : list) items.push_back(promo::ToJson(g, true));
            c.Reply(ListJson(items, static_cast<int64_t>(list.size()) == page.first ? list.back().id : 0));
            return Ok();
          });

  // ---- coupons ----
  Json coupon_example{{"kind", "fixed"}, {"amount_fen", 500}, {"min_spend_fen", 3000}, {"total_quota", 100}, {"per_user_limit", 1},
                      {"scope", {{"type", "merchant"}}}, {"valid_from", "2026-01-01T00:00:00Z"}, {"valid_to", "2026-02-01T00:00:00Z"}};
  api.Add({"POST", "/api/v1/merchant/coupons", "Issue a merchant coupon: fixed, percent or threshold (staff)", "promo", AuthKind::kStaff, 201,
           coupon_example},
          [&promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
            ASSIGN_OR_RETURN(Json body, c.Body());
            ASSIGN_OR_RETURN(promo::CouponInput in, promo::CouponInputFromJson(body));
            c.Write(s, [&promo, in](Tx& tx, const StaffCaller& s) -> Result<Json> {
              ASSIGN_OR_RETURN(promo::Coupon cp, promo.CreateCoupon(tx, s.merchant_id, in));
              return promo::ToJson(cp);
            }, 201);
            return Ok();
          });
  api.Add({"GET", "/api/v1/merchant/coupons", "The merchant's coupons, newest first (staff)", "promo", AuthKind::kStaff, 200, nullptr,
           {"limit", "cursor"}},
          [&store, &promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
            ASSIGN_OR_RETURN(auto page, c.Page());
            ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) { return promo.MerchantCoupons(r, s.merchant_id, page.first, page.second); }));
            c.Reply(ItemsJson(list, page.first));
            return Ok();
          });
  // Buyers discover coupons to claim: a shop's, and the platform's.
  auto claimable = [&store, &promo](std::optional<int64_t> merchant_id) -> Result<Json> {
    return store.Read([&](Reader& r) -> Result<Json> {
      ASSIGN_OR_RETURN(auto list, promo.MerchantCoupons(r, merchant_id, 100, 0));
      int64_t now = r.clock().NowMs();
      Json items = Json::array();
      for (auto& cp : list) {
        bool open = cp.status == "active" && cp.claimed < cp.total_quota && (!cp.valid_to_ms || *cp.valid_to_ms > now);
        if (open) items.push_back(promo::ToJson(cp));
      }
      return ListJson(items, 0);
    });
  };
  api.Add({"GET", "/api/v1/merchants/{id}/coupons", "Coupons of a shop that can still be claimed", "promo"},
          [&store, claimable](Call& c) -> Status {
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            ASSIGN_OR_RETURN(account::Merchant m, store.Read([&](Reader& r) { return account::GetMerchant(r, id); }));
            if (m.status != "active") return Fail(ErrorCode::NOT_FOUND, "merchant not found");
            ASSIGN_OR_RETURN(Json out, claimable(id));
            c.Reply(out);
            return Ok();
          });
  api.Add({"GET", "/api/v1/platform/coupons", "Platform coupons that can still be claimed", "promo"}, [claimable](Call& c) -> Status {
    ASSIGN_OR_RETURN(Json out, claimable(std::nullopt));
    c.Reply(out);
    return Ok();
  });
  Json platform_example = coupon_example;
  platform_example["scope"] = Json{{"type", "platform"}};
  api.Add({"POST", "/api/v1/admin/coupons", "Issue a platform coupon, valid in every shop or a category (admin)", "promo", AuthKind::kAdmin,
           201, platform_example},
          [&promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(AdminCaller admin, c.Admin());
            ASSIGN_OR_RETURN(Json body, c.Body());
            ASSIGN_OR_RETURN(promo::CouponInput in, promo::CouponInputFromJson(body));
            c.Write(admin, [&promo, in](Tx& tx, const AdminCaller&) -> Result<Json> {
              ASSIGN_OR_RETURN(promo::Coupon cp, promo.CreateCoupon(tx, std::nullopt, in));
              return promo::ToJson(cp);
            }, 201);
            return Ok();
          });
  api.Add({"GET", "/api/v1/coupons/{id}", "A coupon (public: the claim link's landing data)", "promo"}, [&store, &promo](Call& c) -> Status {
    ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
    ASSIGN_OR_RETURN(promo::Coupon cp, store.Read([&](Reader& r) { return promo.GetCoupon(r, id); }));
    c.Reply(promo::ToJson(cp));
    return Ok();
  });
  api.Add({"POST", "/api/v1/coupons/{id}/claim", "Claim a coupon into the buyer's wallet (409 all claimed, 422 per-user limit)", "promo",
           AuthKind::kUser, 201},
          [&promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
            c.Write(p, [&promo, id](Tx& tx, const Principal& p) -> Result<Json> {
              ASSIGN_OR_RETURN(promo::UserCoupon uc, promo.ClaimCoupon(tx, p.user_id, id));
              return promo::ToJson(uc, tx.NowMs());
            }, 201);
            return Ok();
          });
  api.Add({"GET", "/api/v1/me/coupons", "The buyer's coupons (status: unused | used | expired)", "promo", AuthKind::kUser, 200, nullptr,
           {"status", "limit", "cursor"}},
          [&store, &promo](Call& c) -> Status {
            ASSIGN_OR_RETURN(Principal p, c.User());
            ASSIGN_OR_RETURN(auto page, c.Page());
            std::string status = c.req().QueryParam("status").value_or("");
            ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) -> Result<Json> {
              ASSIGN_OR_RETURN(auto list, promo.UserCoupons(r, p.user_id, status, page.first, page.second));
              Json items = Json::array();
              for (auto& uc : list) items.push_back(promo::ToJson(uc, r.clock().NowMs()));
              return ListJson(items, static_cast<int64_t>(list.size()) == page.first ? list.back().id : 0);
            }));
            c.Reply(out);
            return Ok();
          });
}

}  // namespace xd::http
