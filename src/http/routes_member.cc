// Routes of membership cards (member): the merchant's card programme and stores (staff), the
// claim link (public landing data and its QR code as SVG or PNG; claiming signed in), the
// buyer's wallet, card page, rotating member code and points history. Member prices show at
// checkout as the "member" pricing step (routes_trade.cc); points follow paid orders.
#include <cctype>

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
              {"issue_limit", 1000}};
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
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) {
    return Member(c).Members(r, s.merchant_id, page.first, page.second);
  }));
  c.Reply(out);
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
        AuthKind::kStaff, 200, nullptr, {"limit", "cursor"}}, ListMembers},
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
  });
  // clang-format on
}

}  // namespace xd::http
