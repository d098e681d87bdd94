// Membership cards over real HTTP (SPEC §6, issue 16): a merchant designs its card and adds a
// store; a buyer scans the store's claim link (its QR code), claims the card once, sees the
// member price at checkout, pays and earns points and growth, rises a level, and refunds take
// the points back (in full and in part); the card page's member code verifies for the shop's
// POS and is refused forged, expired or at another shop. Races: 200 buyers claim a programme
// limited to 50 cards (exactly 50; on PostgreSQL through two nodes with three writers each),
// and one buyer's claims at once give one card. Every test ends with the invariant report
// (member_ok: points equal their journal, none negative, issued within the limit).
#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

#include "base/id.h"
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
  static Json Step(const Json& order, const std::string& name) {
    for (auto& s : order["pricing"])
      if (s["step"] == name) return s;
    return nullptr;
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
TEST_F(Member, ScanClaimMemberPricePayEarnRefundReverses) {
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

  // Paying earns: ¥95 of goods at 1 point per yuan, ×1 → 95 points, 95 growth (shipping earns
  // nothing).
  PayAndWait(buyer, o1["id"]);
  card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 95);
  EXPECT_EQ(card["growth"], 95);
  EXPECT_EQ(card["level"]["name"], "普通会员");
  // A second order takes growth to 190: 金卡 at once.
  Json o2 = Buy(buyer, sku);
  PayAndWait(buyer, o2["id"]);
  card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 190);
  EXPECT_EQ(card["growth"], 190);
  EXPECT_EQ(card["level"]["name"], "金卡");
  EXPECT_TRUE(card["next_level"].is_null());
  // 金卡: 9折 and double points: ¥90 of goods → 180 points, 90 growth.
  Json o3 = Buy(buyer, sku);
  EXPECT_EQ(Step(o3, "member")["amount_fen"], -1000);
  EXPECT_EQ(o3["total_fen"], 9000 + 800);
  PayAndWait(buyer, o3["id"]);
  EXPECT_EQ(Card(buyer, card_id)["points"], 370);

  // A full refund of o2 takes back its 95 points and 95 growth; the level stays (no downgrade
  // here).
  Refund(shop, buyer, o2["id"], 10300, "refunded");
  card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 275);
  EXPECT_EQ(card["growth"], 185);
  EXPECT_EQ(card["level"]["name"], "金卡");
  // Half of o3 refunded (4900 of 9800): half its 180 points and 90 growth come back.
  Refund(shop, buyer, o3["id"], 4900, "paid");
  card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 185);
  EXPECT_EQ(card["growth"], 140);
  auto journal = Call("GET", "/api/v1/me/member-cards/" + card_id + "/points", nullptr, buyer);
  ASSERT_EQ(journal.status, 200);
  ASSERT_EQ(journal.body["items"].size(), 5u) << journal.body.dump();
  EXPECT_EQ(journal.body["items"][0]["kind"], "order_refunded");
  EXPECT_EQ(journal.body["items"][0]["points"], -90);
  EXPECT_EQ(journal.body["items"][0]["order_id"], o3["id"]);
  EXPECT_FALSE(
      journal.body["items"][4]["expires_at"].is_null());  // earned points lapse after 365 days

  // Editing levels never touches points: the merchant drops 金卡; the card shows the level there
  // is.
  Json fewer = Design();
  fewer["levels"].erase(1);
  PutProgramme(shop, fewer);
  card = Card(buyer, card_id);
  EXPECT_EQ(card["points"], 185);
  EXPECT_EQ(card["growth"], 140);
  EXPECT_EQ(card["level"]["name"], "普通会员");
  EXPECT_EQ(Step(Buy(buyer, sku), "member")["amount_fen"], -500);
  // The shop's member list: the member with a masked phone, level and points.
  auto members = Call("GET", "/api/v1/merchant/member-cards", nullptr, shop.owner_token);
  ASSERT_EQ(members.status, 200) << members.body.dump();
  ASSERT_EQ(members.body["items"].size(), 1u);
  EXPECT_EQ(members.body["items"][0]["member"]["phone"], "139****1111");
  EXPECT_EQ(members.body["items"][0]["member"]["nickname"], "小林");
  EXPECT_EQ(members.body["items"][0]["points"], 185);
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
  EXPECT_EQ(verify(digits, other_merchant).error().code, ErrorCode::INVALID_SIGNATURE);
  std::string forged = digits;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(verify(forged, merchant).error().code, ErrorCode::INVALID_SIGNATURE);
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
  EXPECT_EQ(verify(digits, merchant).error().code, ErrorCode::INVALID_SIGNATURE) << "expired";
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
