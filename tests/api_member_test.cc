// Membership cards over real HTTP (SPEC §6, issue 16): a merchant designs its card and adds a
// store; a buyer scans the store's claim link (its QR code), claims the card once, sees the
// member price at checkout, pays and earns points and growth, rises a level, and refunds take
// the points back (in full and in part); the card page's member code verifies for the shop's
// POS and is refused forged, expired or at another shop. Races: 200 buyers claim a programme
// limited to 50 cards (exactly 50; on PostgreSQL through two nodes with three writers each),
// and one buyer's claims at once give one card. Every test ends with the invariant report
// (member_ok: points equal their journal, none negative, issued within the limit).
#include <algorithm>
#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

#include "base/id.h"
#include "base/limits.h"
#include "member/member.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

class Member : public ApiTest {
 protected:
  static std::string Code(const http::Client::JsonResponse& r) {
    return r.body.value("error", Json::object()).value("code", "");
  }

  // A programme: 普通会员 (9.5折, ×1) from 0, 金卡 (9折, ×2) from 150 growth; 1 point per yuan.
  static Json Design(Json issue_limit = nullptr) {
    return Json{{"title", "咖啡会员卡"},
                {"cover_color", "#1f6f5c"},
                {"levels",
                 {{{"name", "普通会员"}, {"growth_threshold", 0}, {"discount_bps", 500}},
                  {{"name", "金卡"},
                   {"growth_threshold", 150},
                   {"discount_bps", 1000},
                   {"points_multiplier_bps", 20000},
                   {"benefits", "全场 9 折，积分双倍"}}}},
                {"points_per_yuan", 1},
                {"points_validity_days", 365},
                {"issue_limit", issue_limit}};
  }
  Json PutProgramme(const Shop& shop, const Json& body) {
    auto r = Call("PUT", "/api/v1/merchant/member-programme", body, shop.owner_token);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body;
  }
  Json AddStore(const Shop& shop, const std::string& name = "静安店") {
    auto r = Call("POST", "/api/v1/merchant/member-stores",
                  Json{{"name", name},
                       {"address", "上海市静安区南京西路 1266 号"},
                       {"opening_hours", "8:00-22:00"},
                       {"latitude", 31.228611},
                       {"longitude", 121.454756}},
                  shop.owner_token);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body;
  }
  Json Card(const std::string& token, const std::string& card_id) {
    auto r = Call("GET", "/api/v1/me/member-cards/" + card_id, nullptr, token);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body;
  }
  // Design() with redemption (100 points = ¥1, up to half the goods) and a referral bonus.
  static Json DesignWithPoints() {
    Json d = Design();
    d["redeem_points_per_yuan"] = 100;
    d["redeem_cap_bps"] = 5000;
    d["referral_bonus_points"] = 50;
    return d;
  }
  // Checkout of one SKU redeeming `points` at `shop`.
  http::Client::JsonResponse BuyWithPoints(const std::string& token, const std::string& sku,
                                           const Shop& shop, int64_t points,
                                           const std::string& path = "/api/v1/checkout") {
    return Call("POST", path,
                Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}}},
                     {"address", Address()},
                     {"member_points", {{shop.id, points}}}},
                token);
  }
  // A POS key (scope pos) of the shop.
  std::string PosKey(const Shop& shop) {
    auto r = Call("POST", "/api/v1/merchant/api-keys",
                  Json{{"name", "收银台"}, {"scopes", {"pos"}}}, shop.owner_token);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body.value("secret", "");
  }
  std::string MemberCode(const std::string& buyer, const std::string& card_id) {
    auto r = Call("GET", "/api/v1/me/member-cards/" + card_id + "/code", nullptr, buyer);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body.value("digits", "");
  }
  http::Client::JsonResponse Pos(const std::string& key, const Json& body) {
    return Call("POST", "/api/v1/open/pos/purchases", body, "", {{"X-Api-Key", key}});
  }
  // A buyer holding the shop's card (claimed from the programme's link): {token, card id}.
  std::pair<std::string, std::string> Member_(const Json& programme, std::string phone = "") {
    std::string buyer = Register(phone);
    auto r =
        Call("POST", "/api/v1/member-cards/claim/" + programme["claim_token"].get<std::string>(),
             nullptr, buyer);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return {buyer, r.body["card"].value("id", "")};
  }
  static std::string Reason(const http::Client::JsonResponse& r) {
    return r.body.value("error", Json::object()).value("reason", "");
  }
  static Json Step(const Json& order, const std::string& name) {
    for (auto& s : order["pricing"])
      if (s["step"] == name) return s;
    return nullptr;
  }
  // Ships, delivers and confirms receipt: the order completes (and earns its points).
  void Complete(const Shop& shop, const std::string& buyer, const std::string& oid) {
    auto ship = Call("POST", "/api/v1/merchant/orders/" + oid + "/ship",
                     Json{{"carrier", "顺丰"}, {"tracking_no", "SF001"}}, shop.owner_token);
    ASSERT_EQ(ship.status, 200) << ship.body.dump();
    auto track = Call("POST", "/api/v1/merchant/orders/" + oid + "/tracking",
                      Json{{"description", "已签收"}, {"delivered", true}}, shop.owner_token);
    ASSERT_EQ(track.status, 200) << track.body.dump();
    auto done = Call("POST", "/api/v1/orders/" + oid + "/confirm", nullptr, buyer);
    ASSERT_EQ(done.status, 200) << done.body.dump();
    EXPECT_EQ(done.body["status"], "completed");
  }
  void Refund(const Shop& shop, const std::string& buyer, const std::string& order_id,
              int64_t amount_fen, const std::string& status) {
    auto as = Call(
        "POST", "/api/v1/orders/" + order_id + "/aftersales",
        Json{{"type", "refund_only"}, {"amount_fen", amount_fen}, {"reason", "不想要了"}}, buyer);
    ASSERT_EQ(as.status, 201) << as.body.dump();
    auto ok =
        Call("POST", "/api/v1/merchant/aftersales/" + as.body["id"].get<std::string>() + "/approve",
             nullptr, shop.owner_token);
    ASSERT_EQ(ok.status, 200) << ok.body.dump();
    WaitStatus(buyer, order_id, status);
  }
};

// The whole online story of one member, step by step, with the numbers worked out.
TEST_F(Member, ScanClaimMemberPriceCompleteEarnRefundBeforeCompletion) {
  Shop shop = OpenShop("c2c", "街角咖啡");
  auto [product, sku] = CreateProduct(shop, 10000, 20, "挂耳咖啡 10 包");
  EXPECT_EQ(Call("GET", "/api/v1/merchant/member-programme", nullptr, shop.owner_token).status,
            404);
  Json programme = PutProgramme(shop, Design());
  EXPECT_EQ(programme["issued"], 0);
  EXPECT_EQ(programme["levels"][1]["points_multiplier_bps"], 20000);
  Json store = AddStore(shop);
  std::string token = store["claim_token"];
  EXPECT_EQ(store["claim_link"], "/#/c/" + token);
  EXPECT_NE(token, programme["claim_token"]);

  // The store's QR code, as the console downloads it for the counter.
  auto client = NewClient();
  http::Response png = client->Send("GET", "/api/v1/member-cards/claim/" + token + "/qr.png");
  EXPECT_EQ(png.status, 200);
  EXPECT_EQ(png.body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  http::Response svg = client->Send("GET", "/api/v1/member-cards/claim/" + token + "/qr.svg");
  EXPECT_EQ(svg.status, 200);
  EXPECT_EQ(svg.body.rfind("<svg ", 0), 0u) << svg.body.substr(0, 80);
  EXPECT_EQ(client->Send("GET", "/api/v1/member-cards/claim/nosuchtoken/qr.svg").status, 404);

  // Scanning it, before signing in: the card, its levels, the shop and the store.
  auto landing = Call("GET", "/api/v1/member-cards/claim/" + token);
  ASSERT_EQ(landing.status, 200) << landing.body.dump();
  EXPECT_EQ(landing.body["programme"]["title"], "咖啡会员卡");
  EXPECT_FALSE(landing.body["programme"].contains("claim_token"));
  EXPECT_EQ(landing.body["merchant"]["name"], "街角咖啡");
  EXPECT_EQ(landing.body["store"]["name"], "静安店");
  EXPECT_TRUE(landing.body["my_card_id"].is_null());
  EXPECT_EQ(Call("POST", "/api/v1/member-cards/claim/" + token).status, 401);

  // One tap: the card is in the wallet; a second tap gives the same card.
  std::string buyer = Register("13900001111", "小林");
  auto claimed = Call("POST", "/api/v1/member-cards/claim/" + token, nullptr, buyer);
  ASSERT_EQ(claimed.status, 200) << claimed.body.dump();
  EXPECT_TRUE(claimed.body["created"].get<bool>());
  Json card = claimed.body["card"];
  std::string card_id = card["id"];
  EXPECT_EQ(card["level"]["name"], "普通会员");
  EXPECT_EQ(card["level"]["discount_label"], "9.5折");
  EXPECT_EQ(card["next_level"]["growth_needed"], 150);
  EXPECT_EQ(card["store_id"], store["id"]);
  EXPECT_EQ(card["card_no"].get<std::string>().size(), member::kCardNoDigits);
  auto again =
      Call("POST", "/api/v1/member-cards/claim/" + programme["claim_token"].get<std::string>(),
           nullptr, buyer);
  ASSERT_EQ(again.status, 200);
  EXPECT_FALSE(again.body["created"].get<bool>());
  EXPECT_EQ(again.body["card"]["id"], card_id);
  EXPECT_EQ(Call("GET", "/api/v1/member-cards/claim/" + token, nullptr, "",
                 {{"Authorization", "Bearer " + buyer}})
                .body["my_card_id"],
            card_id);
  auto stale = Call("GET", "/api/v1/member-cards/claim/" + token, nullptr, "",
                    {{"Authorization", "Bearer not-a-token"}});
  EXPECT_EQ(stale.status, 200) << "a stale token still sees the public page";
  EXPECT_TRUE(stale.body["my_card_id"].is_null());
  EXPECT_EQ(Call("GET", "/api/v1/me/member-cards", nullptr, buyer).body["items"].size(), 1u);
  EXPECT_EQ(
      Call("GET", "/api/v1/merchant/member-programme", nullptr, shop.owner_token).body["issued"],
      1);

  // Member price: 9.5折 on ¥100 is −¥5 at stage 200, before shipping (¥8 under ¥99).
  Json o1 = Buy(buyer, sku);
  Json step = Step(o1, "member");
  ASSERT_FALSE(step.is_null()) << o1["pricing"].dump();
  EXPECT_EQ(step["amount_fen"], -500);
  EXPECT_EQ(step["label"], "会员价 · 普通会员 9.5折");
  EXPECT_EQ(o1["total_fen"], 9500 + 800);
  // Someone without the card pays the list price.
  Json stranger = Buy(Register(), sku);
  EXPECT_TRUE(Step(stranger, "member").is_null());
  EXPECT_EQ(stranger["total_fen"], 10000);

  // Paying earns nothing yet (decision 018); completing earns: ¥95 of goods at 1 point per
  // yuan, ×1 → 95 points, 95 growth (shipping earns nothing).
  PayAndWait(buyer, o1["id"]);
  EXPECT_EQ(Card(buyer, card_id)["points"], 0);
  Complete(shop, buyer, o1["id"]);
  card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 95);
  EXPECT_EQ(card["growth"], 95);
  EXPECT_EQ(card["online_spend_fen"], 10300);
  EXPECT_EQ(card["level"]["name"], "普通会员");
  // A second order takes growth to 190: 金卡 at once.
  Json o2 = Buy(buyer, sku);
  PayAndWait(buyer, o2["id"]);
  Complete(shop, buyer, o2["id"]);
  card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 190);
  EXPECT_EQ(card["growth"], 190);
  EXPECT_EQ(card["level"]["name"], "金卡");
  EXPECT_TRUE(card["next_level"].is_null());
  // 金卡: 9折 and double points. Half of o3 (4900 of 9800) is refunded before it completes: it
  // earns on what the buyer kept — 180 points and 90 growth earned, half taken back.
  Json o3 = Buy(buyer, sku);
  EXPECT_EQ(Step(o3, "member")["amount_fen"], -1000);
  EXPECT_EQ(o3["total_fen"], 9000 + 800);
  PayAndWait(buyer, o3["id"]);
  Refund(shop, buyer, o3["id"], 4900, "paid");
  EXPECT_EQ(Card(buyer, card_id)["points"], 190) << "nothing earned, nothing reversed yet";
  Complete(shop, buyer, o3["id"]);
  card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 280);
  EXPECT_EQ(card["growth"], 235);
  // A paid order refunded in full never completes and never earns.
  Json o4 = Buy(buyer, sku);
  PayAndWait(buyer, o4["id"]);
  Refund(shop, buyer, o4["id"], 9800, "refunded");
  card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 280);
  EXPECT_EQ(card["level"]["name"], "金卡");
  auto journal = Call("GET", "/api/v1/me/member-cards/" + card_id + "/points", nullptr, buyer);
  ASSERT_EQ(journal.status, 200);
  ASSERT_EQ(journal.body["items"].size(), 4u) << journal.body.dump();
  EXPECT_EQ(journal.body["items"][0]["kind"], "order_refunded");
  EXPECT_EQ(journal.body["items"][0]["points"], -90);
  EXPECT_EQ(journal.body["items"][0]["order_id"], o3["id"]);
  EXPECT_EQ(journal.body["items"][1]["kind"], "order_completed");
  EXPECT_EQ(journal.body["items"][1]["points"], 180);
  EXPECT_FALSE(
      journal.body["items"][3]["expires_at"].is_null());  // earned points lapse after 365 days

  // Editing levels never touches points: the merchant drops 金卡; the card shows the level there
  // is.
  Json fewer = Design();
  fewer["levels"].erase(1);
  PutProgramme(shop, fewer);
  card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 280);
  EXPECT_EQ(card["growth"], 235);
  EXPECT_EQ(card["level"]["name"], "普通会员");
  EXPECT_EQ(Step(Buy(buyer, sku), "member")["amount_fen"], -500);
  // The shop's member list: the member with a masked phone, level and points.
  auto members = Call("GET", "/api/v1/merchant/member-cards", nullptr, shop.owner_token);
  ASSERT_EQ(members.status, 200) << members.body.dump();
  ASSERT_EQ(members.body["items"].size(), 1u);
  EXPECT_EQ(members.body["items"][0]["member"]["phone"], "139****1111");
  EXPECT_EQ(members.body["items"][0]["member"]["nickname"], "小林");
  EXPECT_EQ(members.body["items"][0]["points"], 280);
  EXPECT_EQ(members.body["items"][0]["online_spend_fen"], 10300 + 10300 + 4900);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/member-cards?q=1111", nullptr, shop.owner_token)
                .body["items"]
                .size(),
            1u);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/member-cards?q=2222", nullptr, shop.owner_token)
                .body["items"]
                .size(),
            0u);
  EXPECT_EQ(members.body["items"][0]["level"]["name"], "普通会员");
  Json report = ExpectInvariants();
  EXPECT_TRUE(report["member_ok"].get<bool>()) << report.dump();
}

// The card page's member code: what the store's POS will verify (the POS API is the next
// slice; here the verify function behind it, on the server's own key).
TEST_F(Member, MemberCodeRotatesAndVerifiesOnlyAtItsShopForTwoMinutes) {
  Shop shop = OpenShop("c2c", "面包房");
  Shop other = OpenShop("c2c", "隔壁");
  Json programme = PutProgramme(shop, Design());
  std::string buyer = Register();
  auto claimed =
      Call("POST", "/api/v1/member-cards/claim/" + programme["claim_token"].get<std::string>(),
           nullptr, buyer);
  ASSERT_EQ(claimed.status, 200) << claimed.body.dump();
  std::string card_id = claimed.body["card"]["id"];
  auto code = Call("GET", "/api/v1/me/member-cards/" + card_id + "/code", nullptr, buyer);
  ASSERT_EQ(code.status, 200) << code.body.dump();
  std::string digits = code.body["digits"];
  ASSERT_EQ(digits.size(), member::kMemberCodeDigits);
  EXPECT_EQ(digits.substr(0, member::kCardNoDigits), claimed.body["card"]["card_no"]);
  EXPECT_EQ(code.body["qr_svg"].get<std::string>().rfind("<svg ", 0), 0u);
  int64_t merchant = *ParseId(shop.id), other_merchant = *ParseId(other.id);
  auto verify = [&](const std::string& d, int64_t m) {
    return app_->store().Read([&](Reader& r) { return app_->member().CardByCode(r, m, d); });
  };
  auto found = verify(digits, merchant);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(IdString(found->id), card_id);
  EXPECT_EQ(verify(digits, other_merchant).error().code, ErrorCode::INVALID_CODE);
  std::string forged = digits;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(verify(forged, merchant).error().code, ErrorCode::INVALID_CODE);
  // Another buyer cannot see this card's code.
  EXPECT_EQ(Call("GET", "/api/v1/me/member-cards/" + card_id + "/code", nullptr, Register()).status,
            404);
  // A minute later there is a new code; the old one still verifies until two minutes have passed.
  clock_.AdvanceMs(member::kMemberCodeStepMs);
  std::string next =
      Call("GET", "/api/v1/me/member-cards/" + card_id + "/code", nullptr, buyer).body["digits"];
  EXPECT_NE(next, digits);
  EXPECT_TRUE(verify(digits, merchant)) << "still valid in its second minute";
  clock_.AdvanceMs(member::kMemberCodeStepMs);
  EXPECT_EQ(verify(digits, merchant).error().code, ErrorCode::INVALID_CODE) << "expired";
  EXPECT_TRUE(verify(next, merchant));
  ExpectInvariants();
}

// Stores are the merchant's own; bad input is refused with the field named; a deleted store's
// link stops working while cards claimed through it stay.
TEST_F(Member, StoresAreTheMerchantsAndTheirLinksEndWithThem) {
  Shop shop = OpenShop("c2c", "花店");
  Shop other = OpenShop("c2c", "别家");
  PutProgramme(shop, Design());
  Json store = AddStore(shop, "徐汇店");
  std::string id = store["id"];
  EXPECT_EQ(store["latitude"], 31.228611);
  auto bad = Call("POST", "/api/v1/merchant/member-stores",
                  Json{{"name", "x"}, {"address", "y"}, {"latitude", 91}, {"longitude", 0}},
                  shop.owner_token);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Code(bad), "INVALID_FIELD");
  EXPECT_EQ(Call("POST", "/api/v1/merchant/member-stores",
                 Json{{"name", "x"}, {"address", "y"}, {"latitude", "31"}, {"longitude", 0}},
                 shop.owner_token)
                .status,
            400);
  EXPECT_EQ(Call("PUT", "/api/v1/merchant/member-programme",
                 Json{{"title", "x"}, {"levels", Json::array()}}, shop.owner_token)
                .status,
            400);
  auto changed = Call("PUT", "/api/v1/merchant/member-stores/" + id,
                      Json{{"name", "徐汇旗舰店"},
                           {"address", "上海市徐汇区"},
                           {"latitude", 31.19},
                           {"longitude", 121.43}},
                      shop.owner_token);
  ASSERT_EQ(changed.status, 200) << changed.body.dump();
  EXPECT_EQ(changed.body["claim_token"], store["claim_token"]);
  EXPECT_EQ(
      Call("GET", "/api/v1/merchant/member-stores", nullptr, shop.owner_token).body["items"].size(),
      1u);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/member-stores", nullptr, other.owner_token)
                .body["items"]
                .size(),
            0u);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/member-stores/" + id, nullptr, other.owner_token).status,
            404);
  EXPECT_EQ(
      Call("DELETE", "/api/v1/merchant/member-stores/" + id, nullptr, other.owner_token).status,
      404);
  std::string buyer = Register();
  auto claimed =
      Call("POST", "/api/v1/member-cards/claim/" + store["claim_token"].get<std::string>(), nullptr,
           buyer);
  ASSERT_EQ(claimed.status, 200);
  EXPECT_EQ(
      Call("DELETE", "/api/v1/merchant/member-stores/" + id, nullptr, shop.owner_token).status,
      204);
  EXPECT_EQ(
      Call("GET", "/api/v1/member-cards/claim/" + store["claim_token"].get<std::string>()).status,
      404);
  auto gone = Call("POST", "/api/v1/member-cards/claim/" + store["claim_token"].get<std::string>(),
                   nullptr, Register());
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body["error"]["reason"], "MEMBER_CLAIM_LINK_NOT_FOUND");
  EXPECT_EQ(Call("GET", "/api/v1/me/member-cards", nullptr, buyer).body["items"].size(), 1u);
  // An issue limit must be at least 1 (one below the cards issued: member_test's ClaimTest).
  EXPECT_EQ(Call("PUT", "/api/v1/merchant/member-programme", Design(0), shop.owner_token).status,
            400);
  ExpectInvariants();
}

// Issue 16's whole story over HTTP: scan → claim → member price (level and per-SKU) → online
// points at completion → a POS purchase (replayed once) → redeem at checkout → the POS refund
// reverses after the points were spent (a debt, paid by the next earning) and a refunded order
// gives its redeemed points back → pushes capped at 2 per 7 days → opt-out → share the card.
TEST_F(Member, WholeStoryScanToShare) {
  Shop shop = OpenShop("c2c", "街角咖啡");
  auto [product, sku] = CreateProduct(shop, 10000, 50, "挂耳咖啡 10 包");
  auto [product2, sku2] = CreateProduct(shop, 10000, 50, "咖啡豆 1kg");
  Json programme = PutProgramme(shop, DesignWithPoints());
  EXPECT_EQ(programme["redeem_points_per_yuan"], 100);
  Json store = AddStore(shop);
  std::string store_id = store["id"];
  // Scan the store's code, claim.
  std::string buyer = Register("13900002222", "小周");
  auto claimed =
      Call("POST", "/api/v1/member-cards/claim/" + store["claim_token"].get<std::string>(), nullptr,
           buyer);
  ASSERT_EQ(claimed.status, 200) << claimed.body.dump();
  std::string card_id = claimed.body["card"]["id"];

  // Member prices: 9.5折 on one SKU; a SKU with a member price of ¥80 pays that instead.
  auto priced = Call("PUT", "/api/v1/merchant/member-sku-prices/" + sku2, Json{{"price_fen", 8000}},
                     shop.owner_token);
  ASSERT_EQ(priced.status, 200) << priced.body.dump();
  EXPECT_EQ(Call("PUT", "/api/v1/merchant/member-sku-prices/" + sku2, Json{{"price_fen", 10000}},
                 shop.owner_token)
                .status,
            422)
      << "a member price below the price";
  EXPECT_EQ(Call("GET", "/api/v1/merchant/member-sku-prices", nullptr, shop.owner_token)
                .body["items"]
                .size(),
            1u);
  Json by_sku = Buy(buyer, sku2);
  EXPECT_EQ(Step(by_sku, "member")["amount_fen"], -2000);
  EXPECT_EQ(
      Call("POST", "/api/v1/orders/" + by_sku["id"].get<std::string>() + "/cancel", nullptr, buyer)
          .status,
      200);
  Json o1 = Buy(buyer, sku);
  EXPECT_EQ(Step(o1, "member")["amount_fen"], -500);

  // Online points when the order completes: 95.
  PayAndWait(buyer, o1["id"]);
  Complete(shop, buyer, o1["id"]);
  EXPECT_EQ(Card(buyer, card_id)["points"], 95);

  // The store's POS: ¥200 at 普通会员 ×1 → 200 points, 200 growth (金卡 at once).
  std::string key = PosKey(shop);
  ASSERT_FALSE(key.empty());
  Json sale{{"store_id", store_id},
            {"member_code", MemberCode(buyer, card_id)},
            {"receipt_id", "JA-0001"},
            {"amount_fen", 20000},
            {"items", {{{"name", "手冲礼盒"}, {"quantity", 1}, {"amount_fen", 20000}}}}};
  auto pos = Pos(key, sale);
  ASSERT_EQ(pos.status, 201) << pos.body.dump();
  EXPECT_FALSE(pos.body["replayed"].get<bool>());
  EXPECT_EQ(pos.body["points"], 200);
  EXPECT_EQ(pos.body["points_balance"], 295);
  std::string purchase_id = pos.body["id"];
  // The same receipt again (even with a code that no longer verifies): the first result.
  clock_.AdvanceMs(3 * member::kMemberCodeStepMs);
  auto replay = Pos(key, sale);
  ASSERT_EQ(replay.status, 201) << replay.body.dump();
  EXPECT_TRUE(replay.body["replayed"].get<bool>());
  EXPECT_EQ(replay.body["id"], purchase_id);
  EXPECT_EQ(replay.body["points_balance"], 295);
  // A new receipt with that expired code: 401 INVALID_CODE.
  Json stale = sale;
  stale["receipt_id"] = "JA-0002";
  auto refused = Pos(key, stale);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body["error"]["code"], "INVALID_CODE");
  Json card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 295);
  EXPECT_EQ(card["growth"], 295);
  EXPECT_EQ(card["offline_spend_fen"], 20000);
  EXPECT_EQ(card["level"]["name"], "金卡");

  // Redeem at checkout: 金卡 9折 on ¥100 → ¥90; 200 points = ¥2 off, shown as its own step.
  auto over = BuyWithPoints(buyer, sku, shop, 1000);
  EXPECT_EQ(over.status, 422);
  EXPECT_EQ(Reason(over), "MEMBER_POINTS_OVER_BALANCE");
  auto preview = BuyWithPoints(buyer, sku, shop, 200, "/api/v1/checkout/preview");
  ASSERT_EQ(preview.status, 200) << preview.body.dump();
  EXPECT_EQ(Card(buyer, card_id)["points"], 295) << "a preview spends nothing";
  auto redeemed = BuyWithPoints(buyer, sku, shop, 200);
  ASSERT_EQ(redeemed.status, 201) << redeemed.body.dump();
  Json o3 = redeemed.body["orders"][0];
  EXPECT_EQ(Step(o3, "points")["amount_fen"], -200);
  EXPECT_EQ(Step(o3, "points")["label"], "积分抵扣 · 200 积分");
  EXPECT_EQ(o3["total_fen"], 9000 - 200 + 800);
  EXPECT_EQ(Card(buyer, card_id)["points"], 95);

  // The POS refund takes back its 200 points: 95 are left, 105 become a debt; growth goes back.
  auto pos_refund = Call("POST", "/api/v1/open/pos/purchases/" + purchase_id + "/refund", nullptr,
                         "", {{"X-Api-Key", key}});
  ASSERT_EQ(pos_refund.status, 200) << pos_refund.body.dump();
  EXPECT_EQ(pos_refund.body["status"], "refunded");
  EXPECT_EQ(Call("POST", "/api/v1/open/pos/purchases/" + purchase_id + "/refund", nullptr, "",
                 {{"X-Api-Key", key}})
                .status,
            200)
      << "a second refund is the first";
  card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 0);
  EXPECT_EQ(card["points_debt"], 105);
  EXPECT_EQ(card["growth"], 95);
  EXPECT_EQ(card["level"]["name"], "金卡") << "no downgrade before the yearly review";
  // o3 completes: ¥88 of goods at ×2 → 176 points, the debt of 105 paid first.
  PayAndWait(buyer, o3["id"]);
  Complete(shop, buyer, o3["id"]);
  card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 71);
  EXPECT_EQ(card["points_debt"], 0);

  // Pushes: the cap is 2 per member per 7 days; the third is counted as capped.
  for (int i = 0; i < 3; ++i) {
    auto push = Call("POST", "/api/v1/merchant/member-pushes",
                     Json{{"text", "本周新品 " + std::to_string(i)}, {"product_id", product}},
                     shop.owner_token);
    ASSERT_EQ(push.status, 201) << push.body.dump();
    EXPECT_EQ(push.body["stats"]["targeted"], 1);
    EXPECT_EQ(push.body["stats"]["delivered"], i < 2 ? 1 : 0);
    EXPECT_EQ(push.body["stats"]["capped"], i < 2 ? 0 : 1);
  }
  auto inbox = Call("GET", "/api/v1/me/inbox", nullptr, buyer);
  ASSERT_EQ(inbox.status, 200) << inbox.body.dump();
  ASSERT_EQ(inbox.body["items"].size(), 2u);
  EXPECT_EQ(inbox.body["unread"], 2);
  EXPECT_EQ(inbox.body["items"][0]["merchant"]["name"], "街角咖啡");
  EXPECT_EQ(inbox.body["items"][0]["product_id"], product);
  std::string message = inbox.body["items"][0]["id"];
  EXPECT_EQ(Call("POST", "/api/v1/me/inbox/" + message + "/open", nullptr, Register()).status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/me/inbox/" + message + "/open", nullptr, buyer).status, 204);
  // A redeeming order after the push, refunded in full: its 50 points come back, and it counts
  // as ordered within 7 days of the pushes delivered.
  auto o4r = BuyWithPoints(buyer, sku, shop, 50);
  ASSERT_EQ(o4r.status, 201) << o4r.body.dump();
  std::string o4 = o4r.body["orders"][0]["id"];
  EXPECT_EQ(Card(buyer, card_id)["points"], 21);
  PayAndWait(buyer, o4);
  Refund(shop, buyer, o4, o4r.body["orders"][0]["total_fen"], "refunded");
  EXPECT_EQ(Card(buyer, card_id)["points"], 71);
  auto pushes = Call("GET", "/api/v1/merchant/member-pushes", nullptr, shop.owner_token);
  ASSERT_EQ(pushes.status, 200) << pushes.body.dump();
  ASSERT_EQ(pushes.body["items"].size(), 3u);
  Json newest = pushes.body["items"][0]["stats"], first = pushes.body["items"][2]["stats"];
  EXPECT_EQ(newest["capped"], 1);
  EXPECT_EQ(first["delivered"], 1);
  EXPECT_EQ(first["ordered_7d"], 1);
  EXPECT_EQ(pushes.body["items"][1]["stats"]["opened"], 1) << "the newest delivered was opened";

  // Opt-out: a week later the cap has room again, but the member said no.
  auto opt =
      Call("PUT", "/api/v1/me/member-cards/" + card_id + "/pushes", Json{{"opt_out", true}}, buyer);
  ASSERT_EQ(opt.status, 200) << opt.body.dump();
  EXPECT_TRUE(Card(buyer, card_id)["pushes_opted_out"].get<bool>());
  clock_.AdvanceMs(8LL * 24 * 3600 * 1000);
  auto quiet =
      Call("POST", "/api/v1/merchant/member-pushes", Json{{"text", "周末活动"}}, shop.owner_token);
  ASSERT_EQ(quiet.status, 201) << quiet.body.dump();
  EXPECT_EQ(quiet.body["stats"]["opted_out"], 1);
  EXPECT_EQ(quiet.body["stats"]["delivered"], 0);
  EXPECT_EQ(Call("GET", "/api/v1/me/inbox", nullptr, buyer).body["items"].size(), 2u);

  // Share: a friend claims from the member's link; the referral is recorded, 50 bonus points.
  auto share = Call("POST", "/api/v1/me/member-cards/" + card_id + "/share", nullptr, buyer);
  ASSERT_EQ(share.status, 200) << share.body.dump();
  std::string share_token = share.body["share_token"];
  EXPECT_EQ(Call("POST", "/api/v1/me/member-cards/" + card_id + "/share", nullptr, buyer)
                .body["share_token"],
            share_token);
  EXPECT_EQ(
      Call("POST", "/api/v1/me/member-cards/" + card_id + "/share", nullptr, Register()).status,
      404);
  auto landing = Call("GET", "/api/v1/member-cards/claim/" + share_token);
  ASSERT_EQ(landing.status, 200) << landing.body.dump();
  EXPECT_EQ(landing.body["merchant"]["name"], "街角咖啡");
  std::string friend_token = Register("13900003333", "小吴");
  auto friend_claim =
      Call("POST", "/api/v1/member-cards/claim/" + share_token, nullptr, friend_token);
  ASSERT_EQ(friend_claim.status, 200) << friend_claim.body.dump();
  EXPECT_TRUE(friend_claim.body["created"].get<bool>());
  EXPECT_EQ(Card(buyer, card_id)["points"], 71 + 50);
  auto referrals = Call("GET", "/api/v1/me/member-cards/" + card_id + "/referrals", nullptr, buyer);
  ASSERT_EQ(referrals.status, 200);
  ASSERT_EQ(referrals.body["items"].size(), 1u);
  EXPECT_EQ(referrals.body["items"][0]["nickname"], "小吴");
  EXPECT_EQ(referrals.body["bonus_points"], 50);
  // A second claim by the friend is no new referral.
  Call("POST", "/api/v1/member-cards/claim/" + share_token, nullptr, friend_token);
  EXPECT_EQ(Card(buyer, card_id)["points"], 71 + 50);

  // The merchant adjusts by hand with a reason (audited in the journal).
  auto adjust = Call("POST", "/api/v1/merchant/member-cards/" + card_id + "/points",
                     Json{{"points", -21}, {"reason", "重复发放冲正"}}, shop.owner_token);
  ASSERT_EQ(adjust.status, 200) << adjust.body.dump();
  EXPECT_EQ(adjust.body["points"], 100);
  auto too_much = Call("POST", "/api/v1/merchant/member-cards/" + card_id + "/points",
                       Json{{"points", -101}, {"reason", "x"}}, shop.owner_token);
  EXPECT_EQ(too_much.status, 422);
  EXPECT_EQ(Reason(too_much), "MEMBER_ADJUST_BELOW_ZERO");
  auto staff_journal = Call("GET", "/api/v1/merchant/member-cards/" + card_id + "/points", nullptr,
                            shop.owner_token);
  ASSERT_EQ(staff_journal.status, 200);
  EXPECT_EQ(staff_journal.body["items"][0]["kind"], "adjusted");
  EXPECT_EQ(staff_journal.body["items"][0]["note"], "重复发放冲正");
  Json report = ExpectInvariants();
  EXPECT_TRUE(report["member_ok"].get<bool>()) << report.dump();
}

// Redemption's rules: only members, only when the shop takes points, within the balance and
// the cap; a cancelled order gives its points back.
TEST_F(Member, RedemptionNeedsACardTheShopsRateAndFitsTheCap) {
  Shop shop = OpenShop("c2c", "茶铺");
  auto [product, sku] = CreateProduct(shop, 10000, 50);
  Json programme = PutProgramme(shop, Design());
  auto [buyer, card_id] = Member_(programme);
  auto adjust = Call("POST", "/api/v1/merchant/member-cards/" + card_id + "/points",
                     Json{{"points", 10000}, {"reason", "开业赠送"}}, shop.owner_token);
  ASSERT_EQ(adjust.status, 200) << adjust.body.dump();
  auto off = BuyWithPoints(buyer, sku, shop, 100);
  EXPECT_EQ(off.status, 422);
  EXPECT_EQ(Reason(off), "MEMBER_POINTS_REDEEM_OFF");
  PutProgramme(shop, DesignWithPoints());
  auto stranger = BuyWithPoints(Register(), sku, shop, 100);
  EXPECT_EQ(stranger.status, 422);
  EXPECT_EQ(Reason(stranger), "MEMBER_POINTS_NO_CARD");
  // Half of ¥95 (9.5折) is ¥47.50 = 4750 points at most.
  auto capped = BuyWithPoints(buyer, sku, shop, 4751);
  EXPECT_EQ(capped.status, 422);
  EXPECT_EQ(Reason(capped), "MEMBER_POINTS_OVER_CAP");
  EXPECT_EQ(capped.body["error"]["params"]["max"], 4750);
  auto ok = BuyWithPoints(buyer, sku, shop, 4750);
  ASSERT_EQ(ok.status, 201) << ok.body.dump();
  EXPECT_EQ(ok.body["orders"][0]["total_fen"], 9500 - 4750 + 800);
  EXPECT_EQ(Card(buyer, card_id)["points"], 10000 - 4750);
  auto bad = Call("POST", "/api/v1/checkout",
                  Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}}},
                       {"address", Address()},
                       {"member_points", {{shop.id, -1}}}},
                  buyer);
  EXPECT_EQ(bad.status, 400);
  std::string oid = ok.body["orders"][0]["id"];
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + oid + "/cancel", nullptr, buyer).status, 200);
  EXPECT_EQ(Card(buyer, card_id)["points"], 10000);
  auto journal = Call("GET", "/api/v1/me/member-cards/" + card_id + "/points", nullptr, buyer);
  EXPECT_EQ(journal.body["items"][0]["kind"], "redeem_returned");
  EXPECT_EQ(journal.body["items"][0]["points"], 4750);
  ExpectInvariants();
}

// 200 checkouts of one member at once, each redeeming 10 of 1,000 points: exactly 100 orders,
// the rest refused for the balance, never a point overspent (two nodes on PostgreSQL).
TEST_F(Member, TwoHundredConcurrentRedemptionsNeverOverspend) {
  Shop shop = OpenShop("b2c", "积分商城");
  auto [product, sku] = CreateProduct(shop, 10000, 500);
  Json programme = PutProgramme(shop, DesignWithPoints());
  auto [buyer, card_id] = Member_(programme);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/member-cards/" + card_id + "/points",
                 Json{{"points", 1000}, {"reason", "活动"}}, shop.owner_token)
                .status,
            200);
  std::unique_ptr<App> node2 = OnPostgres() ? OpenSecondNode() : nullptr;
  constexpr int kTries = 200;
  std::atomic<int> created{0}, short_of_points{0}, other{0};
  std::latch go(kTries);
  std::vector<std::thread> threads;
  Json body{{"items", {{{"sku_id", sku}, {"quantity", 1}}}},
            {"address", Address()},
            {"member_points", {{shop.id, 10}}}};
  for (int i = 0; i < kTries; ++i)
    threads.emplace_back([&, i] {
      http::Client client("127.0.0.1", node2 && i % 2 ? node2->port() : port_);
      go.arrive_and_wait();
      auto r = client.Json("POST", "/api/v1/checkout", body, buyer);
      if (r.status == 201)
        ++created;
      else if (r.status == 422 &&
               r.body["error"].value("reason", "") == "MEMBER_POINTS_OVER_BALANCE")
        ++short_of_points;
      else
        ++other;
    });
  for (auto& t : threads) t.join();
  if (node2) node2->Stop();
  EXPECT_EQ(created.load(), 100);
  EXPECT_EQ(short_of_points.load(), 100);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(Card(buyer, card_id)["points"], 0);
  Json report = ExpectInvariants();
  EXPECT_TRUE(report["member_ok"].get<bool>()) << report.dump();
}

// One receipt posted 50 times at once (two nodes on PostgreSQL): one purchase, one earning,
// every answer the same purchase.
TEST_F(Member, OneReceiptPostedFiftyTimesAtOnceIsOnePurchase) {
  Shop shop = OpenShop("c2c", "面馆");
  Json programme = PutProgramme(shop, Design());
  std::string store_id = AddStore(shop)["id"];
  auto [buyer, card_id] = Member_(programme);
  std::string key = PosKey(shop);
  Json sale{{"store_id", store_id},
            {"member_code", MemberCode(buyer, card_id)},
            {"receipt_id", "R-50"},
            {"amount_fen", 5000}};
  std::unique_ptr<App> node2 = OnPostgres() ? OpenSecondNode() : nullptr;
  constexpr int kPosts = 50;
  std::latch go(kPosts);
  std::mutex mu;
  std::set<std::string> ids;
  std::atomic<int> first{0}, replays{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kPosts; ++i)
    threads.emplace_back([&, i] {
      http::Client client("127.0.0.1", node2 && i % 2 ? node2->port() : port_);
      go.arrive_and_wait();
      auto r = client.Json("POST", "/api/v1/open/pos/purchases", sale, "", {{"X-Api-Key", key}});
      if (r.status != 201) {
        ++failed;
        return;
      }
      (r.body["replayed"].get<bool>() ? replays : first)++;
      std::lock_guard lock(mu);
      ids.insert(r.body["id"].get<std::string>());
    });
  for (auto& t : threads) t.join();
  if (node2) node2->Stop();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(first.load(), 1);
  EXPECT_EQ(replays.load(), kPosts - 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(Card(buyer, card_id)["points"], 50);
  Json report = ExpectInvariants();
  EXPECT_TRUE(report["member_ok"].get<bool>()) << report.dump();
}

// Pushes by the data platform's tags: only the shop's members who carry every tag receive it
// (a buyer with the tag who is not a member, or a member without it, does not), the weekly cap
// still holds, and a tag the platform does not give is refused.
TEST_F(Member, PushToATagReachesOnlyTheShopsMembersCarryingIt) {
  Shop shop = OpenShop("c2c", "面包房");
  Shop other = OpenShop("c2c", "隔壁花店");
  Json programme = PutProgramme(shop, Design());
  Json other_programme = PutProgramme(other, Design());
  std::string store_id = AddStore(shop)["id"];
  std::string other_store = AddStore(other)["id"];
  auto [offline_member, offline_card] = Member_(programme);
  auto [online_member, online_card] = Member_(programme);
  // Buys offline too, but at the other shop only, and is not this shop's member.
  auto [stranger, stranger_card] = Member_(other_programme);
  std::string key = PosKey(shop), other_key = PosKey(other);
  ASSERT_EQ(Pos(key, Json{{"store_id", store_id},
                          {"member_code", MemberCode(offline_member, offline_card)},
                          {"receipt_id", "T1"},
                          {"amount_fen", 2000}})
                .status,
            201);
  ASSERT_EQ(Pos(other_key, Json{{"store_id", other_store},
                                {"member_code", MemberCode(stranger, stranger_card)},
                                {"receipt_id", "T2"},
                                {"amount_fen", 2000}})
                .status,
            201);
  ASSERT_TRUE(app_->insight().CatchUp());

  auto unknown =
      Call("POST", "/api/v1/merchant/member-pushes",
           Json{{"text", "x"}, {"audience", {{"tags", {"rfm:whale"}}}}}, shop.owner_token);
  EXPECT_EQ(unknown.status, 400) << unknown.body.dump();
  EXPECT_EQ(Reason(unknown), "MEMBER_PUSH_TAG_UNKNOWN");
  auto tags = Call("GET", "/api/v1/merchant/member-push-tags", nullptr, shop.owner_token);
  ASSERT_EQ(tags.status, 200);
  EXPECT_NE(std::ranges::find(tags.body["items"], Json("channel_mix:offline")),
            tags.body["items"].end());

  Json to_offline{{"text", "门店会员专享：明早 8 点新鲜出炉"},
                  {"audience", {{"tags", {"channel_mix:offline"}}}}};
  int64_t delivered = 0, capped = 0;
  for (int i = 0; i < 3; ++i) {
    auto push = Call("POST", "/api/v1/merchant/member-pushes", to_offline, shop.owner_token);
    ASSERT_EQ(push.status, 201) << push.body.dump();
    EXPECT_EQ(push.body["audience"]["tags"][0], "channel_mix:offline");
    EXPECT_EQ(push.body["stats"]["targeted"], 1) << push.body.dump();
    delivered += push.body["stats"]["delivered"].get<int64_t>();
    capped += push.body["stats"]["capped"].get<int64_t>();
  }
  EXPECT_EQ(delivered, 2) << "the cap is 2 per 7 days";
  EXPECT_EQ(capped, 1);
  EXPECT_EQ(Call("GET", "/api/v1/me/inbox", nullptr, offline_member).body["items"].size(), 2u);
  EXPECT_EQ(Call("GET", "/api/v1/me/inbox", nullptr, online_member).body["items"].size(), 0u);
  EXPECT_EQ(Call("GET", "/api/v1/me/inbox", nullptr, stranger).body["items"].size(), 0u);
  // Two tags: every one must hold (the offline member has no share influence).
  auto both = Call(
      "POST", "/api/v1/merchant/member-pushes",
      Json{{"text", "y"}, {"audience", {{"tags", {"channel_mix:offline", "sharer:influencer"}}}}},
      shop.owner_token);
  ASSERT_EQ(both.status, 201) << both.body.dump();
  EXPECT_EQ(both.body["stats"]["targeted"], 0);
  Json report = ExpectInvariants();
  EXPECT_TRUE(report["member_ok"].get<bool>()) << report.dump();
}

// A partial POS refund takes points and growth back in proportion, cumulatively, so the parts
// add up to exactly what the purchase gave; a refund id counts once; more than is left is 422.
TEST_F(Member, PartialPosRefundsTakeBackPointsInProportionExactly) {
  Shop shop = OpenShop("c2c", "超市");
  Json programme = PutProgramme(shop, Design());
  std::string store_id = AddStore(shop)["id"];
  auto [buyer, card_id] = Member_(programme);
  std::string key = PosKey(shop);
  auto sale = Pos(key, Json{{"store_id", store_id},
                            {"member_code", MemberCode(buyer, card_id)},
                            {"receipt_id", "P-100"},
                            {"amount_fen", 10000}});
  ASSERT_EQ(sale.status, 201) << sale.body.dump();
  EXPECT_EQ(sale.body["points"], 100);
  std::string refund_path =
      "/api/v1/open/pos/purchases/" + sale.body["id"].get<std::string>() + "/refund";
  auto refund = [&](const Json& body) {
    return Call("POST", refund_path, body, "", {{"X-Api-Key", key}});
  };
  // ¥33.33 of ¥100: 33 points and 33 growth back.
  auto r1 = refund(Json{{"amount_fen", 3333}, {"refund_id", "R1"}});
  ASSERT_EQ(r1.status, 200) << r1.body.dump();
  EXPECT_EQ(r1.body["refunded_fen"], 3333);
  EXPECT_EQ(r1.body["status"], "completed");
  EXPECT_EQ(Card(buyer, card_id)["points"], 67);
  EXPECT_EQ(Card(buyer, card_id)["growth"], 67);
  // The same refund id again changes nothing.
  auto r1_again = refund(Json{{"amount_fen", 3333}, {"refund_id", "R1"}});
  ASSERT_EQ(r1_again.status, 200);
  EXPECT_EQ(r1_again.body["refunded_fen"], 3333);
  EXPECT_EQ(Card(buyer, card_id)["points"], 67);
  auto too_much = refund(Json{{"amount_fen", 6668}, {"refund_id", "R2"}});
  EXPECT_EQ(too_much.status, 422) << too_much.body.dump();
  EXPECT_EQ(Reason(too_much), "MEMBER_POS_REFUND_TOO_MUCH");
  // Another ¥33.33: 66 in all, 33 more.
  ASSERT_EQ(refund(Json{{"amount_fen", 3333}, {"refund_id", "R2"}}).status, 200);
  EXPECT_EQ(Card(buyer, card_id)["points"], 34);
  // The rest (no body): ¥33.34 and the last 34 points; the purchase is refunded.
  auto rest = Call("POST", refund_path, nullptr, "", {{"X-Api-Key", key}});
  ASSERT_EQ(rest.status, 200) << rest.body.dump();
  EXPECT_EQ(rest.body["status"], "refunded");
  EXPECT_EQ(rest.body["refunded_fen"], 10000);
  EXPECT_EQ(rest.body["refundable_fen"], 0);
  EXPECT_EQ(Card(buyer, card_id)["points"], 0);
  EXPECT_EQ(Card(buyer, card_id)["growth"], 0);
  EXPECT_EQ(Call("POST", refund_path, nullptr, "", {{"X-Api-Key", key}}).body["refunded_fen"],
            10000);
  Json report = ExpectInvariants();
  EXPECT_TRUE(report["member_ok"].get<bool>()) << report.dump();
}

// The refused-code limit is counted in the store: on PostgreSQL two nodes share one count (on
// SQLite one node; the count still lives in the store, not in a node's memory).
TEST_F(Member, RefusedMemberCodesAreCountedAcrossNodes) {
  Shop shop = OpenShop("c2c", "便利店");
  Json programme = PutProgramme(shop, Design());
  std::string store_id = AddStore(shop)["id"];
  auto [buyer, card_id] = Member_(programme);
  std::string key = PosKey(shop);
  std::unique_ptr<App> node2 = OnPostgres() ? OpenSecondNode() : nullptr;
  std::string forged = MemberCode(buyer, card_id);
  forged.back() = forged.back() == '0' ? '1' : '0';
  auto post = [&](int node, const Json& body) {
    http::Client client("127.0.0.1", node2 && node % 2 ? node2->port() : port_);
    return client.Json("POST", "/api/v1/open/pos/purchases", body, "", {{"X-Api-Key", key}});
  };
  for (int64_t i = 0; i < limits::kMaxPosCodeFailures; ++i) {
    auto r = post(static_cast<int>(i), Json{{"store_id", store_id},
                                            {"member_code", forged},
                                            {"receipt_id", "F" + std::to_string(i)},
                                            {"amount_fen", 100}});
    ASSERT_EQ(r.status, 401) << i << " " << r.body.dump();
  }
  for (int node = 0; node < 2; ++node) {
    auto more = post(node, Json{{"store_id", store_id},
                                {"member_code", forged},
                                {"receipt_id", "F-more"},
                                {"amount_fen", 100}});
    EXPECT_EQ(more.status, 429) << more.body.dump();
    auto good = post(node, Json{{"store_id", store_id},
                                {"member_code", MemberCode(buyer, card_id)},
                                {"receipt_id", "G"},
                                {"amount_fen", 100}});
    EXPECT_EQ(good.status, 429) << good.body.dump();
  }
  auto count = app_->store().Read(
      [](Reader& r) { return r.QueryInt("SELECT failures FROM member_pos_code_failures"); });
  EXPECT_EQ(count.value_or(-1), limits::kMaxPosCodeFailures);
  if (node2) node2->Stop();
  clock_.AdvanceMs(member::kPosCodeWindowMs);
  auto after = Pos(key, Json{{"store_id", store_id},
                             {"member_code", MemberCode(buyer, card_id)},
                             {"receipt_id", "G"},
                             {"amount_fen", 100}});
  EXPECT_EQ(after.status, 201) << after.body.dump();
  ExpectInvariants();
}

// The POS API: open to a c2c shop with stores (a pos-only key); other scopes stay ka's; another
// merchant's store or purchase is not found; forged codes are 401 and, past the limit per key,
// 429 until the window ends.
TEST_F(Member, PosKeysStoresAndForgedCodeLimits) {
  Shop shop = OpenShop("c2c", "早餐店");
  Shop other = OpenShop("c2c", "隔壁");
  Json programme = PutProgramme(shop, Design());
  std::string store_id = AddStore(shop)["id"];
  PutProgramme(other, Design());
  std::string other_store = AddStore(other)["id"];
  auto [buyer, card_id] = Member_(programme);
  EXPECT_EQ(Call("POST", "/api/v1/merchant/api-keys",
                 Json{{"name", "x"}, {"scopes", {"pos", "orders:read"}}}, shop.owner_token)
                .status,
            403)
      << "only pos is open to every kind";
  std::string key = PosKey(shop);
  auto wrong_store = Pos(key, Json{{"store_id", other_store},
                                   {"member_code", MemberCode(buyer, card_id)},
                                   {"receipt_id", "A1"},
                                   {"amount_fen", 100}});
  EXPECT_EQ(wrong_store.status, 404);
  EXPECT_EQ(Reason(wrong_store), "MEMBER_STORE_NOT_FOUND");
  std::string forged = MemberCode(buyer, card_id);
  forged.back() = forged.back() == '0' ? '1' : '0';
  for (int64_t i = 0; i < limits::kMaxPosCodeFailures; ++i) {
    auto r = Pos(key, Json{{"store_id", store_id},
                           {"member_code", forged},
                           {"receipt_id", "F" + std::to_string(i)},
                           {"amount_fen", 100}});
    ASSERT_EQ(r.status, 401) << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], "INVALID_CODE");
  }
  Json good{{"store_id", store_id},
            {"member_code", MemberCode(buyer, card_id)},
            {"receipt_id", "G1"},
            {"amount_fen", 1000}};
  auto limited = Pos(key, good);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(Reason(limited), "MEMBER_POS_CODE_RATE_LIMITED");
  clock_.AdvanceMs(member::kPosCodeWindowMs);
  good["member_code"] = MemberCode(buyer, card_id);
  auto ok = Pos(key, good);
  ASSERT_EQ(ok.status, 201) << ok.body.dump();
  std::string purchase = ok.body["id"];
  EXPECT_EQ(Call("GET", "/api/v1/open/pos/purchases/" + purchase, nullptr, "", {{"X-Api-Key", key}})
                .status,
            200);
  std::string other_key = PosKey(other);
  EXPECT_EQ(
      Call("GET", "/api/v1/open/pos/purchases/" + purchase, nullptr, "", {{"X-Api-Key", other_key}})
          .status,
      404);
  EXPECT_EQ(Call("POST", "/api/v1/open/pos/purchases/" + purchase + "/refund", nullptr, "",
                 {{"X-Api-Key", other_key}})
                .status,
            404);
  // The member's code is the shop's: at the other shop it is no code at all.
  auto foreign = Pos(other_key, Json{{"store_id", other_store},
                                     {"member_code", MemberCode(buyer, card_id)},
                                     {"receipt_id", "X1"},
                                     {"amount_fen", 100}});
  EXPECT_EQ(foreign.status, 401);
  // A pos key reaches nothing else.
  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders", nullptr, "", {{"X-Api-Key", key}}).status, 403);
  ExpectInvariants();
}

// Time: earned points lapse after the programme's validity (first in, first out), and levels
// fall only at the yearly review, to what the year's growth reached.
TEST_F(Member, PointsExpireFirstInFirstOutAndLevelsFallAtTheYearlyReview) {
  Shop shop = OpenShop("c2c", "书店");
  Json programme = PutProgramme(shop, Design());  // points last 365 days; 金卡 from 150
  std::string store_id = AddStore(shop)["id"];
  auto [buyer, card_id] = Member_(programme);
  std::string key = PosKey(shop);
  auto pos = Pos(key, Json{{"store_id", store_id},
                           {"member_code", MemberCode(buyer, card_id)},
                           {"receipt_id", "B1"},
                           {"amount_fen", 20000}});
  ASSERT_EQ(pos.status, 201) << pos.body.dump();
  EXPECT_EQ(Card(buyer, card_id)["level"]["name"], "金卡");
  // 30 of the 200 are spent (by hand here); 170 are left to lapse.
  ASSERT_EQ(Call("POST", "/api/v1/merchant/member-cards/" + card_id + "/points",
                 Json{{"points", -30}, {"reason", "兑换礼品"}}, shop.owner_token)
                .status,
            200);
  // Sessions lapse over these years: the card and its journal are read from the store, the
  // member code made as the card page would make it.
  std::string card_no = Card(buyer, card_id)["card_no"];
  auto card_now = [&] {
    return app_->store()
        .Read([&](Reader& r) -> Result<Json> {
          ASSIGN_OR_RETURN(int64_t uid, r.QueryInt("SELECT user_id FROM member_cards WHERE id=?",
                                                   {*ParseId(card_id)}));
          return app_->member().CardView(r, uid, *ParseId(card_id));
        })
        .value_or(Json());
  };
  auto kinds_now = [&] {
    std::set<std::string> kinds;
    auto rows = app_->store().Read([&](Reader& r) {
      return r.Query("SELECT DISTINCT kind FROM member_points_journal WHERE card_id=?",
                     {*ParseId(card_id)});
    });
    if (rows)
      for (auto& row : *rows) kinds.insert(row.Str(0));
    return kinds;
  };
  constexpr int64_t kDay = 24LL * 3600 * 1000;
  clock_.AdvanceMs(200 * kDay);
  // New points half a year later: they lapse a year after they were earned.
  auto later = Pos(
      key, Json{{"store_id", store_id},
                {"member_code", member::MakeMemberCode(app_->member().code_secret(),
                                                       *ParseId(shop.id), card_no, clock_.NowMs())
                                    .digits},
                {"receipt_id", "B2"},
                {"amount_fen", 1000}});
  ASSERT_EQ(later.status, 201) << later.body.dump();
  EXPECT_EQ(later.body["points"], 20) << "金卡 earns double";
  clock_.AdvanceMs(166 * kDay);  // 366 days after the first purchase
  RunTimers();
  Json card = card_now();
  EXPECT_EQ(card["points"], 20) << "the first 170 lapsed, the later 20 stay";
  EXPECT_EQ(card["level"]["name"], "金卡") << "the year's growth (210) keeps 金卡";
  std::set<std::string> kinds = kinds_now();
  EXPECT_TRUE(kinds.count("expired"));
  EXPECT_TRUE(kinds.count("level_review"));
  // A year without purchases: the next review lowers the level; the later points lapse too.
  clock_.AdvanceMs(365 * kDay);
  RunTimers();
  card = card_now();
  EXPECT_EQ(card["level"]["name"], "普通会员");
  EXPECT_EQ(card["points"], 0);
  EXPECT_EQ(card["growth"], 210) << "growth itself is never taken by time";
  Json report = ExpectInvariants();
  EXPECT_TRUE(report["member_ok"].get<bool>()) << report.dump();
}

// 200 buyers claim at once a programme limited to 50: exactly 50 cards, the rest 409. On
// PostgreSQL half of them go through a second node (each node with three writers), so the
// guarded UPDATE is what holds the limit, not a single writer's order.
TEST_F(Member, TwoHundredBuyersRaceForFiftyCards) {
  Shop shop = OpenShop("b2c", "开业大促");
  constexpr int kBuyers = 200, kLimit = 50;
  Json programme = PutProgramme(shop, Design(kLimit));
  std::string token = programme["claim_token"];
  std::unique_ptr<App> node2 = OnPostgres() ? OpenSecondNode() : nullptr;
  std::vector<std::string> buyers;
  for (int i = 0; i < kBuyers; ++i) buyers.push_back(Register());
  std::atomic<int> created{0}, sold_out{0}, other{0};
  std::latch go(kBuyers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kBuyers; ++i)
    threads.emplace_back([&, i] {
      http::Client client("127.0.0.1", node2 && i % 2 ? node2->port() : port_);
      go.arrive_and_wait();
      auto r = client.Json("POST", "/api/v1/member-cards/claim/" + token, nullptr, buyers[i]);
      if (r.status == 200 && r.body["created"].get<bool>())
        ++created;
      else if (r.status == 409 && r.body["error"].value("reason", "") == "MEMBER_CARDS_ALL_ISSUED")
        ++sold_out;
      else
        ++other;
    });
  for (auto& t : threads) t.join();
  if (node2) node2->Stop();
  EXPECT_EQ(created.load(), kLimit);
  EXPECT_EQ(sold_out.load(), kBuyers - kLimit);
  EXPECT_EQ(other.load(), 0);
  Json p = Call("GET", "/api/v1/merchant/member-programme", nullptr, shop.owner_token).body;
  EXPECT_EQ(p["issued"], kLimit);
  EXPECT_TRUE(p["sold_out"].get<bool>());
  EXPECT_EQ(app_->store()
                .Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM member_cards"); })
                .value_or(-1),
            kLimit);
  ExpectInvariants();
}

// One buyer taps the claim 20 times at once (two nodes on PostgreSQL): one card, every answer
// that card.
TEST_F(Member, OneBuyersClaimsAtOnceMakeOneCard) {
  Shop shop = OpenShop("c2c", "奶茶");
  Json programme = PutProgramme(shop, Design(5));
  std::string token = programme["claim_token"];
  std::string buyer = Register();
  std::unique_ptr<App> node2 = OnPostgres() ? OpenSecondNode() : nullptr;
  constexpr int kTaps = 20;
  std::latch go(kTaps);
  std::mutex mu;
  std::set<std::string> ids;
  std::atomic<int> created{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kTaps; ++i)
    threads.emplace_back([&, i] {
      http::Client client("127.0.0.1", node2 && i % 2 ? node2->port() : port_);
      go.arrive_and_wait();
      auto r = client.Json("POST", "/api/v1/member-cards/claim/" + token, nullptr, buyer);
      if (r.status != 200) {
        ++failed;
        return;
      }
      created += r.body["created"].get<bool>();
      std::lock_guard lock(mu);
      ids.insert(r.body["card"]["id"].get<std::string>());
    });
  for (auto& t : threads) t.join();
  if (node2) node2->Stop();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(
      Call("GET", "/api/v1/merchant/member-programme", nullptr, shop.owner_token).body["issued"],
      1);
  ExpectInvariants();
}

}  // namespace
}  // namespace xd::testing
