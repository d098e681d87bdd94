// Routes of membership cards (member): the merchant's card programme and stores (staff), the
// claim link (public landing data and its QR code as SVG or PNG; claiming signed in), the
// buyer's wallet, card page, rotating member code and points history. Member prices show at
// checkout as the "member" pricing step (routes_trade.cc); points follow paid orders.
#include <cctype>

#include "base/limits.h"
#include "base/messages.h"
#include "base/qr.h"
#include "http/api.h"
#include "http/public_reads.h"
#include "member/member.h"

namespace xd::http {

using account::Perm;
using account::Principal;

namespace {

member::MemberService& Member(Call& c) { return *c.app().member; }

Json ProgrammeExample() {
  return Json{{"title", "咖啡会员卡"},
              {"cover_color", "#1f6f5c"},
              {"levels",
               {{{"name", "普通会员"}, {"growth_threshold", 0}, {"benefits", "积分兑换饮品"}},
                {{"name", "金卡"},
                 {"growth_threshold", 500},
                 {"discount_bps", 500},
                 {"points_multiplier_bps", 15000},
                 {"benefits", "全场 9.5 折，积分 1.5 倍"}}}},
              {"points_per_yuan", 1},
              {"points_validity_days", 365},
              {"issue_limit", 1000},
              {"redeem_points_per_yuan", 100},
              {"redeem_cap_bps", 3000},
              {"push_cap_per_week", 2},
              {"referral_bonus_points", 50}};
}

Json StoreExample() {
  return Json{{"name", "静安店"},
              {"address", "上海市静安区南京西路 1266 号"},
              {"opening_hours", "周一至周日 8:00-22:00"},
              {"latitude", 31.228611},
              {"longitude", 121.454756}};
}

// ---- staff: programme and stores ----

Status GetProgramme(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(member::Programme p, c.app().store.Read([&](Reader& r) {
    return Member(c).GetProgramme(r, s.merchant_id);
  }));
  c.Reply(member::ToJson(p, true));
  return Ok();
}

Status PutProgramme(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(member::ProgrammeConfig config, member::ProgrammeConfigFromJson(body));
  c.Write(s, [&member, config](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(member::Programme p, member.PutProgramme(tx, s.merchant_id, config));
    return member::ToJson(p, true);
  });
  return Ok();
}

Status ListStores(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto stores, c.app().store.Read(
                                    [&](Reader& r) { return Member(c).Stores(r, s.merchant_id); }));
  Json items = Json::array();
  for (auto& st : stores) items.push_back(member::ToJson(st, true));
  c.Reply(ListJson(std::move(items), 0));
  return Ok();
}

Status CreateStore(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(member::StoreInput in, member::StoreInputFromJson(body));
  c.Write(
      s,
      [&member, in](Tx& tx, const StaffCaller& s) -> Result<Json> {
        ASSIGN_OR_RETURN(member::MemberStore st, member.CreateStore(tx, s.merchant_id, in));
        return member::ToJson(st, true);
      },
      201);
  return Ok();
}

Status GetStore(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(member::MemberStore st, c.app().store.Read([&](Reader& r) {
    return Member(c).GetStore(r, s.merchant_id, id);
  }));
  c.Reply(member::ToJson(st, true));
  return Ok();
}

Status UpdateStore(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(member::StoreInput in, member::StoreInputFromJson(body));
  c.Write(s, [&member, id, in](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(member::MemberStore st, member.UpdateStore(tx, s.merchant_id, id, in));
    return member::ToJson(st, true);
  });
  return Ok();
}

Status DeleteStore(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(
      s,
      [&member, id](Tx& tx, const StaffCaller& s) -> Result<Json> {
        RETURN_IF_ERROR(member.DeleteStore(tx, s.merchant_id, id));
        return Json();
      },
      204);
  return Ok();
}

Status ListMembers(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto page, c.Page());
  std::string q = c.req().QueryParam("q").value_or("");
  if (q.size() > 64) return Fail(Msg::FIELD_LENGTH, {Field("q"), {"min", 0}, {"max", 64}});
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return Member(c).Members(r, s.merchant_id, page.first, page.second, q);
  }));
  c.Reply(out);
  return Ok();
}

// A points adjustment by hand: {"points": ±n, "reason": "…"}; the journal keeps the reason
// and who made it.
Status AdjustPoints(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  int64_t points =
      r.Int("points", {.min = -limits::kMaxPointsAdjustment, .max = limits::kMaxPointsAdjustment});
  std::string reason = r.String("reason", {.min_len = 1, .max_len = limits::kMaxAdjustReasonLen});
  RETURN_IF_ERROR(r.Finish());
  if (points == 0) return Fail(Msg::FIELD_NOT_ALLOWED, {Field("points")});
  c.Write(s, [&member, id, points, reason](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(member::Card card, member.AdjustPoints(tx, s.merchant_id, id, points, reason,
                                                            s.principal.user_id));
    return Json{
        {"id", IdString(card.id)}, {"points", card.points}, {"points_debt", card.points_debt}};
  });
  return Ok();
}

Status MemberPoints(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(auto entries, c.app().store.Read([&](Reader& r) {
    return Member(c).CardPointsForStaff(r, s.merchant_id, id, page.first, page.second);
  }));
  c.Reply(PageJson(entries, page.first));
  return Ok();
}

Status ListSkuPrices(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(Json out, c.app().store.Read(
                                 [&](Reader& r) { return Member(c).SkuPrices(r, s.merchant_id); }));
  c.Reply(out);
  return Ok();
}

Status PutSkuPrice(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kProducts));
  ASSIGN_OR_RETURN(int64_t sku_id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  int64_t price = r.Int("price_fen", {.min = 1, .max = limits::kMaxSkuPriceFen});
  RETURN_IF_ERROR(r.Finish());
  c.Write(s, [&member, sku_id, price](Tx& tx, const StaffCaller& s) -> Result<Json> {
    RETURN_IF_ERROR(member.PutSkuPrice(tx, s.merchant_id, sku_id, price));
    return Json{{"sku_id", IdString(sku_id)}, {"price_fen", price}};
  });
  return Ok();
}

Status DeleteSkuPrice(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kProducts));
  ASSIGN_OR_RETURN(int64_t sku_id, c.PathId("id"));
  c.Write(
      s,
      [&member, sku_id](Tx& tx, const StaffCaller& s) -> Result<Json> {
        RETURN_IF_ERROR(member.DeleteSkuPrice(tx, s.merchant_id, sku_id));
        return Json();
      },
      204);
  return Ok();
}

// ---- claim links ----

// What a claim link shows before claiming: the card's face and levels, the shop, the store; for
// a signed-in viewer also the card they already hold there.
Status GetClaim(Call& c) {
  std::string token(c.req().Param("token"));
  // A public page: a stale or foreign token only loses my_card_id, never the page.
  std::optional<int64_t> viewer;
  if (!c.req().Header("authorization").empty()) {
    if (auto p = c.User()) viewer = p->user_id;
  }
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(member::ClaimTarget t, Member(c).ResolveClaim(r, token));
    Json j{{"programme", member::ToJson(t.programme, false)},
           {"merchant", {{"id", IdString(t.programme.merchant_id)}, {"name", t.merchant_name}}},
           {"store", t.store ? member::ToJson(*t.store, false) : Json(nullptr)},
           {"claim_link", member::ClaimPath(token)},
           {"my_card_id", nullptr}};
    if (viewer) {
      ASSIGN_OR_RETURN(auto held,
                       r.QueryOne("SELECT id FROM member_cards WHERE user_id=? AND merchant_id=?",
                                  {*viewer, t.programme.merchant_id}));
      if (held) j["my_card_id"] = IdString(held->Int(0));
    }
    return j;
  }));
  c.Reply(out);
  return Ok();
}

// The claim link's QR code (for the console's download and the counter poster). Only for a
// token that resolves: the server draws no QR code of arbitrary text.
Status ClaimQr(Call& c, bool png) {
  std::string token(c.req().Param("token"));
  ASSIGN_OR_RETURN(member::ClaimTarget t,
                   c.app().store.Read([&](Reader& r) { return Member(c).ResolveClaim(r, token); }));
  (void)t;
  ASSIGN_OR_RETURN(QrCode code, EncodeQr(PublicOrigin(c.req()) + member::ClaimPath(token)));
  Response r;
  r.body = png ? QrPng(code, 10) : QrSvg(code, 10);
  r.content_type = png ? "image/png" : "image/svg+xml";
  r.headers.emplace_back("Cache-Control", "private, max-age=3600");
  r.headers.emplace_back("Content-Disposition", std::string("inline; filename=\"member-card-") +
                                                    token.substr(0, 8) +
                                                    (png ? ".png\"" : ".svg\""));
  c.responder()(std::move(r));
  return Ok();
}
Status ClaimQrSvg(Call& c) { return ClaimQr(c, false); }
Status ClaimQrPng(Call& c) { return ClaimQr(c, true); }

Status Claim(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(Principal p, c.User());
  std::string token(c.req().Param("token"));
  c.Write(p, [&member, token](Tx& tx, const Principal& p) -> Result<Json> {
    ASSIGN_OR_RETURN(member::ClaimResult res, member.Claim(tx, p.user_id, token));
    ASSIGN_OR_RETURN(Json card, member.CardView(tx, p.user_id, res.card.id));
    return Json{{"created", res.created}, {"card", std::move(card)}};
  });
  return Ok();
}

// ---- the buyer's cards ----

Status Wallet(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json out,
                   c.app().store.Read([&](Reader& r) { return Member(c).Wallet(r, p.user_id); }));
  c.Reply(out);
  return Ok();
}

Status GetCard(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json out, c.app().store.Read(
                                 [&](Reader& r) { return Member(c).CardView(r, p.user_id, id); }));
  c.Reply(out);
  return Ok();
}

// The member code the card page shows: digits, the same as a QR code (SVG), and when to fetch
// the next one.
Status GetCode(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(member::MemberCode code, c.app().store.Read([&](Reader& r) {
    return Member(c).CodeFor(r, p.user_id, id);
  }));
  ASSIGN_OR_RETURN(QrCode qr, EncodeQr(code.digits));
  c.Reply(Json{{"digits", code.digits},
               {"qr_svg", QrSvg(qr, 8)},
               {"issued_at", FormatRfc3339(code.issued_at_ms)},
               {"refresh_at", FormatRfc3339(code.refresh_at_ms)},
               {"expires_at", FormatRfc3339(code.expires_at_ms)}});
  return Ok();
}

Status ListPoints(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(auto entries, c.app().store.Read([&](Reader& r) {
    return Member(c).Points(r, p.user_id, id, page.first, page.second);
  }));
  c.Reply(PageJson(entries, page.first));
  return Ok();
}

// ---- the POS API (API keys with the pos scope, or staff) ----

Json PosExample() {
  return Json{{"store_id", "1234"},
              {"member_code", "123456789012345678"},
              {"receipt_id", "JA-20261203-0042"},
              {"amount_fen", 3800},
              {"items", {{{"name", "拿铁 大杯"}, {"quantity", 1}, {"amount_fen", 3800}}}}};
}

// An offline purchase: 201 with the purchase and the points it earned; a replayed receipt 200
// with the first purchase (replayed: true), whatever its code is worth by now.
Status PosPurchase(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kOrders));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(member::PosPurchaseInput in, member::PosPurchaseFromJson(body));
  // Refused codes are counted per key (per staff member without one).
  std::string limiter =
      s.api_key_id ? "key:" + IdString(s.api_key_id) : "user:" + IdString(s.principal.user_id);
  std::optional<int64_t> key_id =
      s.api_key_id ? std::optional<int64_t>(s.api_key_id) : std::nullopt;
  auto record = [&member, in, limiter, key_id](bool admitted) -> Call::StaffFn {
    return [&member, in, limiter, key_id, admitted](Tx& tx, const StaffCaller& s) -> Result<Json> {
      ASSIGN_OR_RETURN(member::PosResult res,
                       member.RecordPosPurchase(tx, s.merchant_id, limiter, key_id, in, admitted));
      Json j = member::ToJson(res.purchase);
      j["replayed"] = res.replayed;
      j["points_balance"] = res.points_balance;
      return j;
    };
  };
  Store& store = c.app().store;
  if (member::VerifyMemberCode(member.code_secret(), s.merchant_id, in.member_code,
                               store.clock().NowMs())) {
    c.Write(s, record(false), 201);
    return Ok();
  }
  // A refused code is counted in a command of its own before the purchase's (which rolls back
  // with its refusal), in the store, so that the limit holds across nodes; past the limit the
  // purchase is not tried. A replayed receipt is not counted: it answers the first purchase.
  AppContext& app = c.app();
  Request& req = c.req();
  auto admitted = std::make_shared<bool>(false);
  store.Submit(
      [&member, admitted, merchant_id = s.merchant_id, limiter,
       receipt = in.receipt_id](Tx& tx) -> Status {
        ASSIGN_OR_RETURN(*admitted, member.AdmitRefusedCode(tx, merchant_id, limiter, receipt));
        return Ok();
      },
      [&app, &req, respond = c.responder(), admitted, s, record](Status st) {
        Call call(app, req, respond, "pos");
        if (!st) return call.ReplyError(st.error());
        if (!*admitted) return call.ReplyError(MakeError(Msg::MEMBER_POS_CODE_RATE_LIMITED));
        call.Write(s, record(true), 201);
      });
  return Ok();
}

Status GetPosPurchase(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kOrders));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(member::PosPurchase p, c.app().store.Read([&](Reader& r) {
    return Member(c).GetPosPurchase(r, s.merchant_id, id);
  }));
  c.Reply(member::ToJson(p));
  return Ok();
}

Status RefundPosPurchase(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kOrders));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  // No body: the rest in full; {"amount_fen","refund_id"}: a part, once per refund id.
  member::PosRefundInput in;
  if (!c.req().body.empty()) {
    ASSIGN_OR_RETURN(Json body, c.Body());
    ASSIGN_OR_RETURN(in, member::PosRefundFromJson(body));
  }
  c.Write(s, [&member, id, in](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(member::PosPurchase p, member.RefundPosPurchase(tx, s.merchant_id, id, in));
    return member::ToJson(p);
  });
  return Ok();
}

// ---- pushes to members ----

Status CreatePush(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(member::PushInput in, member::PushInputFromJson(body));
  if (in.audience.kind == member::PushAudience::Kind::kTags) {
    // The data platform matches the tags among this merchant's members only (never anyone
    // else's customers); the command keeps the merchant's own cards among those it names.
    for (const std::string& tag : in.audience.tags)
      if (!insight::IsTargetableTag(tag)) return Fail(Msg::MEMBER_PUSH_TAG_UNKNOWN, {{"tag", tag}});
    if (!c.app().insight) return Fail(ErrorCode::UNAVAILABLE, "the data platform is off");
    ASSIGN_OR_RETURN(std::vector<int64_t> members, c.app().store.Read([&](Reader& r) {
      return member.MemberUserIds(r, s.merchant_id, limits::kMaxPushTagMembers + 1);
    }));
    if (members.size() > static_cast<size_t>(limits::kMaxPushTagMembers))
      return Fail(Msg::MEMBER_PUSH_TAG_AUDIENCE_TOO_LARGE, {{"max", limits::kMaxPushTagMembers}});
    ASSIGN_OR_RETURN(in.audience.tag_user_ids,
                     c.app().insight->UsersWithTags(members, in.audience.tags));
  }
  c.Write(
      s,
      [&member, in](Tx& tx, const StaffCaller& s) -> Result<Json> {
        ASSIGN_OR_RETURN(member::Push p,
                         member.CreatePush(tx, s.merchant_id, s.principal.user_id, in));
        return member::ToJson(p);
      },
      201);
  return Ok();
}

// The tags a push may target ("interest:<category>" besides these), for the console's picker.
Status PushTags(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  (void)s;
  c.Reply(Json{{"items", insight::TargetableTags()}, {"interest_prefix", "interest:"}});
  return Ok();
}

Status ListPushes(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(auto pushes, c.app().store.Read([&](Reader& r) {
    return Member(c).Pushes(r, s.merchant_id, page.first, page.second);
  }));
  c.Reply(PageJson(pushes, page.first));
  return Ok();
}

Status GetPush(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(member::Push p, c.app().store.Read([&](Reader& r) {
    return Member(c).GetPush(r, s.merchant_id, id);
  }));
  c.Reply(member::ToJson(p));
  return Ok();
}

Status Inbox(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(auto page, c.Page());
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return Member(c).Inbox(r, p.user_id, page.first, page.second);
  }));
  c.Reply(out);
  return Ok();
}

Status OpenMessage(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(
      p,
      [&member, id](Tx& tx, const Principal& p) -> Result<Json> {
        RETURN_IF_ERROR(member.OpenMessage(tx, p.user_id, id));
        return Json();
      },
      204);
  return Ok();
}

// {"opt_out": true|false}: the member's choice about the card's merchant's pushes.
Status SetPushes(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  bool opt_out = r.Bool("opt_out", true);
  RETURN_IF_ERROR(r.Finish());
  c.Write(p, [&member, id, opt_out](Tx& tx, const Principal& p) -> Result<Json> {
    RETURN_IF_ERROR(member.SetPushOptOut(tx, p.user_id, id, opt_out));
    return Json{{"card_id", IdString(id)}, {"opt_out", opt_out}};
  });
  return Ok();
}

// The card's share link (made once): a friend claims the shop's card from it.
Status ShareCard(Call& c) {
  member::MemberService& member = Member(c);
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(p, [&member, id](Tx& tx, const Principal& p) -> Result<Json> {
    ASSIGN_OR_RETURN(std::string token, member.ShareToken(tx, p.user_id, id));
    return Json{{"share_token", token}, {"claim_link", member::ClaimPath(token)}};
  });
  return Ok();
}

Status ListReferrals(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json out, c.app().store.Read(
                                 [&](Reader& r) { return Member(c).Referrals(r, p.user_id, id); }));
  c.Reply(out);
  return Ok();
}

}  // namespace

void AddMemberRoutes(Api& api) {
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      // ---- the merchant's programme and stores ----
      {{"GET", "/api/v1/merchant/member-programme", "The shop's membership card programme (staff; 404 before one is designed)",
        "member", AuthKind::kStaff}, GetProgramme},
      {{"PUT", "/api/v1/merchant/member-programme",
        "Design or change the membership card: levels, points, issue limit (staff; points already earned never change)",
        "member", AuthKind::kStaff, 200, ProgrammeExample()}, PutProgramme},
      {{"GET", "/api/v1/merchant/member-stores", "The shop's stores (门店) with their claim links (staff)", "member",
        AuthKind::kStaff}, ListStores},
      {{"POST", "/api/v1/merchant/member-stores", "Add a store (staff)", "member", AuthKind::kStaff, 201, StoreExample()},
       CreateStore},
      {{"GET", "/api/v1/merchant/member-stores/{id}", "A store (staff)", "member", AuthKind::kStaff}, GetStore},
      {{"PUT", "/api/v1/merchant/member-stores/{id}", "Change a store (staff)", "member", AuthKind::kStaff, 200,
        StoreExample()}, UpdateStore},
      {{"DELETE", "/api/v1/merchant/member-stores/{id}", "Delete a store: its claim link stops working (staff)", "member",
        AuthKind::kStaff, 204}, DeleteStore},
      {{"GET", "/api/v1/merchant/member-cards",
        "The shop's members, newest first: card number, masked phone, level, points (staff)", "member",
        AuthKind::kStaff, 200, nullptr, {"limit", "cursor", "q"}}, ListMembers},
      {{"GET", "/api/v1/merchant/member-cards/{id}/points", "A member's points journal (staff)", "member",
        AuthKind::kStaff, 200, nullptr, {"limit", "cursor"}}, MemberPoints},
      {{"POST", "/api/v1/merchant/member-cards/{id}/points",
        "Adjust a member's points by hand with a reason (staff; audited in the journal; 422 below zero)", "member",
        AuthKind::kStaff, 200, Json{{"points", 100}, {"reason", "门店活动补发"}}}, AdjustPoints},
      {{"GET", "/api/v1/merchant/member-sku-prices", "SKUs with a member price (staff)", "member", AuthKind::kStaff},
       ListSkuPrices},
      {{"PUT", "/api/v1/merchant/member-sku-prices/{id}",
        "Set a SKU's member price (staff; below its price; members pay it instead of the level discount)", "member",
        AuthKind::kStaff, 200, Json{{"price_fen", 8800}}}, PutSkuPrice},
      {{"DELETE", "/api/v1/merchant/member-sku-prices/{id}", "Remove a SKU's member price (staff)", "member",
        AuthKind::kStaff, 204}, DeleteSkuPrice},
      // ---- pushes to members ----
      {{"GET", "/api/v1/merchant/member-pushes",
        "The shop's pushes to members, newest first, with stats: targeted, delivered, capped, opted out, opened, "
        "ordered within 7 days (staff)", "member", AuthKind::kStaff, 200, nullptr, {"limit", "cursor"}}, ListPushes},
      {{"POST", "/api/v1/merchant/member-pushes",
        "Push a message (text, optional product or coupon) to all members, a level, or the members carrying every one of "
        "some data-platform tags ({\"tags\":[\"rfm:champion\"]}, see member-push-tags): delivered to each inbox within "
        "the per-member cap per 7 days, never to those who opted out (staff)", "member", AuthKind::kStaff, 201,
        Json{{"text", "新品上市，会员专享 9 折"}, {"audience", {{"level", 1}}}}}, CreatePush},
      {{"GET", "/api/v1/merchant/member-push-tags",
        "The data platform's tags a push may target (rfm:…, price_band:…, lifecycle:…, channel_mix:…, sharer:…; "
        "and interest:<category>) (staff)", "member", AuthKind::kStaff}, PushTags},
      {{"GET", "/api/v1/merchant/member-pushes/{id}", "A push with its stats (staff)", "member", AuthKind::kStaff},
       GetPush},
      {{"GET", "/api/v1/me/inbox", "The buyer's messages (消息) from shops whose card they hold, newest first",
        "member", AuthKind::kUser, 200, nullptr, {"limit", "cursor"}}, Inbox},
      {{"POST", "/api/v1/me/inbox/{id}/open", "Mark a message opened", "member", AuthKind::kUser, 204}, OpenMessage},
      {{"PUT", "/api/v1/me/member-cards/{id}/pushes", "Opt out of (or back into) the card's shop's pushes", "member",
        AuthKind::kUser, 200, Json{{"opt_out", true}}}, SetPushes},
      // ---- the POS API ----
      {{"POST", "/api/v1/open/pos/purchases",
        "A store's offline purchase by a member's code: points and growth at once (API key with the pos scope; "
        "idempotent by receipt_id: a replay answers the first purchase; 401 INVALID_CODE; 429 after repeated bad codes)",
        "member", AuthKind::kStaff, 201, PosExample()}, PosPurchase},
      {{"GET", "/api/v1/open/pos/purchases/{id}", "An offline purchase (pos scope)", "member", AuthKind::kStaff},
       GetPosPurchase},
      {{"POST", "/api/v1/open/pos/purchases/{id}/refund",
        "Refund an offline purchase: no body for the rest in full, or {amount_fen, refund_id} for a part (once per "
        "refund_id); points and growth are taken back in proportion (a debt when spent); 422 beyond what is left",
        "member", AuthKind::kStaff, 200, Json{{"amount_fen", 1200}, {"refund_id", "JA-20261203-0042-R1"}}},
       RefundPosPurchase},
      // ---- claim links ----
      {{"GET", "/api/v1/member-cards/claim/{token}",
        "What a claim link offers: the card, its levels, the shop and store (public; my_card_id when signed in)", "member"},
       GetClaim},
      {{"GET", "/api/v1/member-cards/claim/{token}/qr.svg", "The claim link's QR code as SVG (public)", "member"},
       ClaimQrSvg},
      {{"GET", "/api/v1/member-cards/claim/{token}/qr.png", "The claim link's QR code as PNG (public)", "member"},
       ClaimQrPng},
      {{"POST", "/api/v1/member-cards/claim/{token}",
        "Claim the shop's membership card: one per buyer per shop (created false: already held; 409 all issued)", "member",
        AuthKind::kUser}, Claim},
      // ---- the buyer's cards ----
      {{"GET", "/api/v1/me/member-cards", "The buyer's membership cards (wallet)", "member", AuthKind::kUser}, Wallet},
      {{"GET", "/api/v1/me/member-cards/{id}", "One of the buyer's cards with its level and the next", "member",
        AuthKind::kUser}, GetCard},
      {{"GET", "/api/v1/me/member-cards/{id}/code",
        "The card's member code for a store's POS: digits and QR, new every 60 s, valid 2 min", "member",
        AuthKind::kUser}, GetCode},
      {{"GET", "/api/v1/me/member-cards/{id}/points", "The card's points journal, newest first", "member",
        AuthKind::kUser, 200, nullptr, {"limit", "cursor"}}, ListPoints},
      {{"POST", "/api/v1/me/member-cards/{id}/share",
        "The card's share link: a friend claims the shop's card from it (the referral is recorded)", "member",
        AuthKind::kUser}, ShareCard},
      {{"GET", "/api/v1/me/member-cards/{id}/referrals", "Friends who claimed the card from its share link",
        "member", AuthKind::kUser}, ListReferrals},
  });
  // clang-format on
}

}  // namespace xd::http
