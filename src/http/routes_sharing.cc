// Routes of social sharing (promo): distribution (share links, sharers' commissions),
// chat-group links and friends' recommendations, gifts.
#include <algorithm>
#include <cctype>

#include "base/qr.h"
#include "base/messages.h"
#include "http/api.h"
#include "promo/promo.h"

namespace xd::http {

using account::Perm;
using account::Principal;

namespace {

Status SetDistribution(Call& c) {
  promo::PromoService& promo = c.app().promo;
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
}

// The merchant's distribution page: commission rates, totals, the sharer leaderboard.
Status GetMerchantDistribution(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) {
    return promo.MerchantDistribution(r, s.merchant_id, page.first);
  }));
  c.Reply(out);
  return Ok();
}

// The body of POST /shares: {"target":"product|activity|group|bargain|shop","target_id",
// "channel"?, "chat_group"?}; {"product_id"} or {"activity_id"} alone are the older spelling of
// a product or activity target.
Result<promo::ShareRequest> ReadShareRequest(const Json& body) {
  ObjectReader r(body);
  promo::ShareRequest req;
  std::optional<std::string> target = r.OptString("target", {.min_len = 1, .max_len = 16});
  std::optional<int64_t> target_id = r.OptId("target_id");
  std::optional<int64_t> product_id = r.OptId("product_id"), activity_id = r.OptId("activity_id");
  req.channel = r.OptString("channel", {.min_len = 1, .max_len = 16}).value_or("link");
  req.chat_group =
      r.OptString("chat_group", {.min_len = 1, .max_len = limits::kMaxChatGroupKeyLen});
  if (target) {
    std::optional<promo::ShareTarget> kind = promo::ParseShareTarget(*target);
    if (!kind) r.Invalid("target", Msg::FIELD_ONE_OF, {{"value", *target}});
    if (!target_id) r.Invalid("target_id", Msg::FIELD_NEEDED);
    if (product_id || activity_id) r.Invalid("target", Msg::SHARE_TARGET_ALONE);
    req.target = kind.value_or(promo::ShareTarget::kProduct);
    req.target_id = target_id.value_or(0);
  } else if (activity_id) {
    req.target = promo::ShareTarget::kActivity;
    req.target_id = *activity_id;
  } else if (product_id) {
    req.target_id = *product_id;
  } else {
    r.Invalid("target", Msg::SHARE_TARGET_REQUIRED);
  }
  if (!promo::IsShareChannel(req.channel))
    r.Invalid("channel", Msg::FIELD_ONE_OF, {{"value", req.channel}});
  RETURN_IF_ERROR(r.Finish());
  return req;
}

Status CreateShare(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(promo::ShareRequest req, ReadShareRequest(body));
  // A share sheet asks each time it opens: the link made before costs a read, not a write.
  ASSIGN_OR_RETURN(std::optional<promo::Share> existing,
                   store.Read([&](Reader& r) { return promo.FindShare(r, p.user_id, req); }));
  if (existing) {
    c.Reply(promo::ToJson(*existing, true));
    return Ok();
  }
  c.Write(
      p,
      [&promo, req](Tx& tx, const Principal& p) -> Result<Json> {
        ASSIGN_OR_RETURN(promo::Share sh, promo.CreateShare(tx, p.user_id, req));
        return promo::ToJson(sh, true);
      },
      201);
  return Ok();
}

// What a link shows before anyone signs in: the target and where to land, never the sharer.
// A read: an anonymous visitor's open writes nothing (see OpenShare).
Status GetShare(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  std::string code(c.req().Param("id"));
  ASSIGN_OR_RETURN(promo::Share sh,
                   store.Read([&](Reader& r) { return promo.ShareByCode(r, code); }));
  c.Reply(promo::ToJson(sh, false));
  return Ok();
}

// The link as a QR code (SVG), for the share sheet and posters: the same /s/{code} link.
Status GetShareQr(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  std::string code(c.req().Param("id"));
  ASSIGN_OR_RETURN(promo::Share sh,
                   store.Read([&](Reader& r) { return promo.ShareByCode(r, code); }));
  // The QR holds the absolute link as this request reached the server (the Host header; an odd
  // one is left out, and the QR holds the path alone): it is answered to its own sender only.
  std::string host(c.req().Header("host"));
  bool host_ok =
      !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' ||
               ch == ':' || ch == '[' || ch == ']';
      });
  std::string scheme = c.req().Header("x-forwarded-proto") == "https" ? "https" : "http";
  ASSIGN_OR_RETURN(QrCode qr, EncodeQr((host_ok ? scheme + "://" + host : "") + "/s/" + sh.code));
  c.ReplyText(QrSvg(qr), "image/svg+xml");
  return Ok();
}

// A signed-in visitor opened the link: counted once per visitor, and the sharer becomes the
// visitor's last touch. Anonymous visitors are counted when they sign in or register with the
// code (the shop keeps it until then): an open anyone could repeat without an account would
// be a write per request and a count anyone can inflate.
Status OpenShare(Call& c) {
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  std::string code(c.req().Param("id"));
  c.Write(p, [&promo, code](Tx& tx, const Principal& p) -> Result<Json> {
    ASSIGN_OR_RETURN(promo::Share found, promo.ShareByCode(tx, code));
    ASSIGN_OR_RETURN(promo::Share sh, promo.OpenShare(tx, p.user_id, found.id));
    return promo::ToJson(sh, sh.sharer_id == p.user_id);
  });
  return Ok();
}

// GET /s/{code}, the short link itself: the shop app's page for it (#/s/{code}), which reads
// the share and lands on its target. Answered before looking the code up, so the redirect says
// nothing about whether a code exists.
Status ShortLink(Call& c) {
  std::string code(c.req().Param("code"));
  bool plain =
      code.size() <= 16 && std::all_of(code.begin(), code.end(), [](char ch) {
        return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
      });
  if (!plain) return Fail(Msg::SHARE_NOT_FOUND);
  c.Redirect("/#/s/" + code);
  return Ok();
}

Status ListMyCommissions(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) {
    return promo.SharerCommissions(r, p.user_id, page.first);
  }));
  c.Reply(out);
  return Ok();
}

// 我的收益 → 提现到余额: the caller's earned commissions to their store credit. A retry with
// the same Idempotency-Key answers the first withdrawal instead of making a second.
Status WithdrawMyEarnings(Call& c) {
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  int64_t amount = r.Int("amount_fen", {.min = 1, .max = limits::kMaxSharerWithdrawalFen});
  RETURN_IF_ERROR(r.Finish());
  c.WriteIdempotent(
      p.user_id, "sharer-withdraw",
      [&promo, p, amount](Tx& tx) { return promo.WithdrawSharerEarnings(tx, p.user_id, amount); }, 201);
  return Ok();
}

// The caller's progress on a share-to-drop activity ("3/5 位好友打开，再 2 人降 ¥5").
Status GetShareDropProgress(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) { return promo.ShareDropProgress(r, id, p.user_id); }));
  c.Reply(out);
  return Ok();
}

// A chat group's key is the messaging app's opaque id of the group; no public route shows it.
Result<std::string> ChatGroupKey(Call& c) {
  std::string key(c.req().Param("key"));
  if (key.empty() || key.size() > limits::kMaxChatGroupKeyLen)
    return Fail(Msg::CHAT_GROUP_NOT_FOUND);
  return key;
}

Status GetMerchantChatGroupStats(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(std::string key, ChatGroupKey(c));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) {
    return promo.ChatGroupMerchantStats(r, s.merchant_id, key, page.first);
  }));
  c.Reply(out);
  return Ok();
}

Status ListMerchantChatGroups(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) {
    return promo.MerchantChatGroups(r, s.merchant_id, 14, page.first);
  }));
  c.Reply(out);
  return Ok();
}

Status GetMemberChatGroupStats(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(std::string key, ChatGroupKey(c));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) {
    return promo.ChatGroupMemberStats(r, p.user_id, key, page.first);
  }));
  c.Reply(out);
  return Ok();
}

Status Recommend(Call& c) {
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  int64_t product_id = r.Id("product_id");
  std::string text = r.String("text", {.min_len = 1, .max_len = limits::kMaxRecommendationLen});
  RETURN_IF_ERROR(r.Finish());
  c.Write(
      p,
      [&promo, product_id, text](Tx& tx, const Principal& p) {
        return promo.Recommend(tx, p.user_id, product_id, text);
      },
      201);
  return Ok();
}

Status GetFriendRecommendations(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) {
    return promo.FriendRecommendations(r, p.user_id, id, page.first);
  }));
  c.Reply(out);
  return Ok();
}

Status GetFriendsFeed(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) {
    return promo.FriendsFeed(r, p.user_id, page.first, page.second);
  }));
  c.Reply(out);
  return Ok();
}

Status GetGift(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  std::string token(c.req().Param("token"));
  if (token.size() != 32) return Fail(Msg::GIFT_NOT_FOUND);
  // A public page; a signed-in viewer also sees the part they hold (a stale or foreign token
  // only loses that, never the page).
  std::optional<int64_t> viewer;
  if (!c.req().Header("authorization").empty()) {
    if (auto p = c.User()) viewer = p->user_id;
  }
  ASSIGN_OR_RETURN(promo::Gift g, store.Read([&](Reader& r) -> Result<promo::Gift> {
    ASSIGN_OR_RETURN(promo::Gift g, promo.GiftByToken(r, token));
    if (viewer) {
      ASSIGN_OR_RETURN(g.my_part, promo.MyGiftPart(r, g.id, *viewer));
    }
    return g;
  }));
  c.Reply(promo::ToJson(g, false));
  return Ok();
}

Status AcceptGift(Call& c) {
  promo::PromoService& promo = c.app().promo;
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
}

// Where each part of one of the merchant's gift orders ships (staff who may read its orders).
Status GetMerchantGiftParts(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json out, store.Read([&](Reader& r) {
    return promo.MerchantGiftParts(r, s.merchant_id, id);
  }));
  c.Reply(out);
  return Ok();
}

Status ListSentGifts(Call& c) {
  Store& store = c.app().store;
  promo::PromoService& promo = c.app().promo;
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(auto list, store.Read([&](Reader& r) {
    return promo.SentGifts(r, p.user_id, page.first, page.second);
  }));
  Json items = Json::array();
  for (auto& g : list) items.push_back(promo::ToJson(g, true));
  c.Reply(ListJson(items, NextCursor(list, page.first)));
  return Ok();
}

}  // namespace

void AddSharingRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      // ---- distribution ----
      {{"PUT", "/api/v1/merchant/products/{id}/distribution",
        "Set a product's sharer commission in basis points (staff)", "promo", AuthKind::kStaff, 200,
        Json{{"commission_bps", 500}}}, SetDistribution},
      {{"GET", "/api/v1/merchant/distribution",
        "The shop's distribution: commission rates per product, commissions pending/paid/cancelled, "
        "the sharer leaderboard by paid commission (staff)", "promo", AuthKind::kStaff, 200, nullptr, {"limit"}},
       GetMerchantDistribution},
      {{"POST", "/api/v1/shares",
        "The caller's share link of a product, activity, group, bargain or shop for a channel (and chat group): "
        "201 with a new code, 200 with the same link when asked again", "promo",
        AuthKind::kUser, 201, Json{{"target", "product"}, {"target_id", "123"}, {"channel", "link"}}}, CreateShare},
      {{"GET", "/api/v1/shares/{id}",
        "A share link by its code: target, landing, distinct (friend) opens; never the sharer (public)",
        "promo"}, GetShare},
      {{"GET", "/api/v1/shares/{id}/qr.svg", "The share link /s/{code} as a QR code (SVG, public)",
        "promo"}, GetShareQr},
      {{"POST", "/api/v1/shares/{id}/open",
        "Record that the caller opened a share link (counted once per user; last touch for attribution)", "promo",
        AuthKind::kUser}, OpenShare},
      {{"GET", "/s/{code}", "The short share link: redirects to the shop app's page for it (#/s/{code})",
        "promo", AuthKind::kNone, 302}, ShortLink},
      {{"GET", "/api/v1/me/commissions",
        "我的收益: the caller's sharer commissions (pending, paid, cancelled), available balance and withdrawals",
        "promo", AuthKind::kUser, 200, nullptr, {"limit"}}, ListMyCommissions},
      {{"POST", "/api/v1/me/commissions/withdrawals",
        "Withdraw earned commissions to the caller's store credit (never more than available; Idempotency-Key)",
        "promo", AuthKind::kUser, 201, Json{{"amount_fen", 1000}}}, WithdrawMyEarnings},
      {{"GET", "/api/v1/activities/{id}/share-drop",
        "The caller's share-to-drop progress: friends who opened their links, the price now, the next tier",
        "promo", AuthKind::kUser}, GetShareDropProgress},
      // ---- chat-group links and friends' recommendations ----
      {{"GET", "/api/v1/merchant/chat-groups",
        "The chat groups the shop's links were posted in: links, opens, and per day of the last 14 (China time) "
        "opens, orders and GMV (staff)", "promo", AuthKind::kStaff, 200, nullptr, {"limit"}}, ListMerchantChatGroups},
      {{"GET", "/api/v1/merchant/chat-groups/{key}/stats",
        "The merchant's part of a chat group: opens, orders, GMV and the 接龙 list (who ordered what) (staff)",
        "promo", AuthKind::kStaff, 200, nullptr, {"limit"}}, GetMerchantChatGroupStats},
      {{"GET", "/api/v1/chat-groups/{key}/stats",
        "A chat group's 接龙 list with masked names, for its members", "promo", AuthKind::kUser, 200,
        nullptr, {"limit"}}, GetMemberChatGroupStats},
      {{"POST", "/api/v1/recommendations", "Recommend a product to friends with a line of text",
        "promo", AuthKind::kUser, 201, Json{{"product_id", "123"}, {"text", "回购第三次了，推荐！"}}},
       Recommend},
      {{"GET", "/api/v1/products/{id}/friend-recommendations",
        "The caller's friends who recommend a product (N 位好友推荐) and the caller's own text", "promo",
        AuthKind::kUser, 200, nullptr, {"limit"}}, GetFriendRecommendations},
      {{"GET", "/api/v1/feed/friends", "Friends' recommendations, newest first", "promo",
        AuthKind::kUser, 200, nullptr, {"limit", "cursor"}}, GetFriendsFeed},
      // ---- gifting ----
      {{"GET", "/api/v1/gifts/{token}",
        "A gift by its link's token (public: what a recipient sees — who sent it, parts left; "
        "signed in, the part the caller holds)", "promo"}, GetGift},
      {{"POST", "/api/v1/gift-claims",
        "Accept one part of a gift with an address (one per recipient); the order ships once no part waits",
        "promo", AuthKind::kUser, 200,
        Json{{"token", "0123456789abcdef0123456789abcdef"},
             {"address", {{"name", "李四"}, {"phone", "13900000000"}, {"region", "北京市 朝阳区"}, {"detail", "建国路 1 号"}}}}},
       AcceptGift},
      {{"GET", "/api/v1/merchant/orders/{id}/gift-parts",
        "A gift order's parts with each recipient's address, for shipping (staff)", "promo",
        AuthKind::kStaff}, GetMerchantGiftParts},
      {{"GET", "/api/v1/me/gifts", "Gifts the caller sent, with their links and parts", "promo",
        AuthKind::kUser, 200, nullptr, {"limit", "cursor"}}, ListSentGifts},
  });
  // clang-format on
}

}  // namespace xd::http
