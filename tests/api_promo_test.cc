// Social trading over real HTTP: the whole story of each activity with several buyers —
// group buy (success, the (N+1)-th joiner refused, failure with automatic refunds), coupons
// (quota, per-user limit, stacking, return on cancel, kept on refund), flash sale (window,
// per-user limit, sold out, stock back on cancel), bargain (exact cuts, one help per helper,
// daily cap, buy at the current price, expiry), share-to-drop (distinct friends' opens
// step the price down to a floor), gifting (wait for the recipient, refund if unclaimed),
// chat-group links (stats and 接龙) and friends' recommendations, distribution (sharer commission on
// completion, cancelled by refund, last touch, window) — and races of 200 concurrent
// clients, each followed by the invariant report (ledger, orders, inventory, promo).
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "http/api.h"
#include "promo/promo.h"
#include "store/colocation.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

constexpr int64_t kMinuteMs = 60 * 1000;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;

class Promo : public ApiTest {
 protected:
  std::string At(int64_t offset_ms) { return FormatRfc3339(clock_.NowMs() + offset_ms); }

  // Creates an activity (asserts 201) and returns it.
  Json NewActivity(const Shop& shop, Json body) {
    auto r = Call("POST", "/api/v1/merchant/activities", body, shop.owner_token, {{"X-Merchant-Id", shop.id}});
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body;
  }
  Json GroupBuy(const Shop& shop, const std::string& sku, int64_t size, int64_t ttl_s, Json extra = Json::object()) {
    Json body{{"type", "group_buy"}, {"sku_id", sku},          {"group_price_fen", 4900},
              {"group_size", size},  {"group_ttl_s", ttl_s},   {"starts_at", At(0)},
              {"ends_at", At(kDayMs)}};
    body.update(extra);
    return NewActivity(shop, body);
  }
  http::Client::JsonResponse Checkout(const std::string& token, const std::string& sku, Json activity, int64_t qty = 1,
                                      Json coupon_ids = nullptr) {
    Json body{{"items", {{{"sku_id", sku}, {"quantity", qty}}}}, {"address", Address()}};
    if (!activity.is_null()) body["activity"] = activity;
    if (!coupon_ids.is_null()) body["coupon_ids"] = coupon_ids;
    return Call("POST", "/api/v1/checkout", body, token);
  }
  // Checkout that must succeed; returns the order.
  Json Order(const std::string& token, const std::string& sku, Json activity, int64_t qty = 1, Json coupon_ids = nullptr) {
    auto r = Checkout(token, sku, activity, qty, coupon_ids);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.status == 201 ? r.body["orders"][0] : Json::object();
  }
  Json Group(const std::string& id) { return Call("GET", "/api/v1/groups/" + id).body; }
  Json GetOrder(const std::string& token, const std::string& id) { return Call("GET", "/api/v1/orders/" + id, nullptr, token).body; }
  static std::string ErrorCode(const http::Client::JsonResponse& r) { return r.body.value("error", Json::object()).value("code", ""); }
  // The pricing steps of an order as "step:amount" strings.
  static std::vector<std::string> Steps(const Json& order) {
    std::vector<std::string> out;
    for (auto& s : order["pricing"]) out.push_back(s["step"].get<std::string>() + ":" + std::to_string(s["amount_fen"].get<int64_t>()));
    return out;
  }
  std::vector<std::string> RegisterMany(int n) {
    std::vector<std::string> tokens;
    for (int i = 0; i < n; ++i) tokens.push_back(Register());
    return tokens;
  }
};

// ---------------------------------------------------------------------------------------
// Group buy

// Price 6800; group price 4900, leader price 4500, N = 3, T = 10 min. Shipping is 800 below
// 9900. A opens, B joins, C joins (3/3 seats) so D is refused; C cancels unpaid and D takes
// the freed seat; when A, B and D have paid the group succeeds and every order ships.
// A second group (E opens and pays, F joins and pays, G joins and never pays) times out:
// E and F are refunded in full, G's order is cancelled.
TEST_F(Promo, GroupBuyWholeStory) {
  Shop shop = OpenShop("c2c", "拼团店");
  auto [product, sku] = CreateProduct(shop, 6800, 20);
  Json act = GroupBuy(shop, sku, 3, 600, Json{{"leader_price_fen", 4500}});
  EXPECT_EQ(act["type"], "group_buy");
  EXPECT_EQ(act["group_size"], 3);
  std::string aid = act["id"];
  auto [a, b, c, d, e] = std::make_tuple(Register(), Register(), Register(), Register(), Register());

  Json oa = Order(a, sku, Json{{"id", aid}});
  ASSERT_TRUE(oa.contains("group_id")) << oa.dump();
  std::string gid = oa["group_id"];
  EXPECT_EQ(oa["total_fen"], 4500 + 800);
  EXPECT_EQ(Steps(oa), (std::vector<std::string>{"list:6800", "activity:-2300", "shipping:800", "total:0"}));
  Json g = Group(gid);
  EXPECT_EQ(g["status"], "forming");
  EXPECT_EQ(g["size"], 3);
  EXPECT_EQ(g["paid_members"], 0);
  EXPECT_EQ(g["seats_left"], 2);
  EXPECT_EQ(g["missing_members"], 3);

  Json paid_a = PayAndWait(a, oa["id"]);
  EXPECT_EQ(paid_a["sub_status"], "grouping");
  EXPECT_EQ(Group(gid)["paid_members"], 1);
  // A grouping order cannot ship yet.
  auto early = Call("POST", "/api/v1/merchant/orders/" + oa["id"].get<std::string>() + "/ship",
                    Json{{"carrier", "顺丰"}, {"tracking_no", "SF1"}}, shop.owner_token);
  EXPECT_EQ(early.status, 409) << early.body.dump();

  Json ob = Order(b, sku, Json{{"id", aid}, {"group_id", gid}});
  EXPECT_EQ(ob["group_id"], gid);
  EXPECT_EQ(ob["total_fen"], 4900 + 800);
  PayAndWait(b, ob["id"]);
  // "Join a group that lacks 1 person": the product lists it.
  auto open_groups = Call("GET", "/api/v1/products/" + product + "/groups");
  ASSERT_EQ(open_groups.status, 200);
  ASSERT_EQ(open_groups.body["items"].size(), 1u);
  EXPECT_EQ(open_groups.body["items"][0]["seats_left"], 1);

  Json oc = Order(c, sku, Json{{"id", aid}, {"group_id", gid}});
  auto full = Checkout(d, sku, Json{{"id", aid}, {"group_id", gid}});
  EXPECT_EQ(full.status, 409) << full.body.dump();
  EXPECT_EQ(ErrorCode(full), "CONFLICT");
  EXPECT_EQ(Call("GET", "/api/v1/products/" + product + "/groups").body["items"].size(), 0u);
  // A buyer holds one seat per group.
  auto twice = Checkout(b, sku, Json{{"id", aid}, {"group_id", gid}});
  EXPECT_EQ(twice.status, 409) << twice.body.dump();
  // C leaves (cancels unpaid): the seat is free again and D takes it.
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + oc["id"].get<std::string>() + "/cancel", nullptr, c).status, 200);
  EXPECT_EQ(Group(gid)["seats_taken"], 2);
  Json od = Order(d, sku, Json{{"id", aid}, {"group_id", gid}});
  Json paid_d = PayAndWait(d, od["id"]);
  EXPECT_EQ(paid_d["sub_status"], "");
  g = Group(gid);
  EXPECT_EQ(g["status"], "succeeded");
  EXPECT_EQ(g["paid_members"], 3);
  for (auto& [token, order] : {std::pair{a, oa}, std::pair{b, ob}}) {
    Json o = GetOrder(token, order["id"]);
    EXPECT_EQ(o["status"], "paid");
    EXPECT_EQ(o["sub_status"], "") << "the group succeeded: every order is shippable";
  }
  auto ship = Call("POST", "/api/v1/merchant/orders/" + oa["id"].get<std::string>() + "/ship",
                   Json{{"carrier", "顺丰"}, {"tracking_no", "SF2"}}, shop.owner_token);
  EXPECT_EQ(ship.status, 200) << ship.body.dump();
  auto late = Checkout(e, sku, Json{{"id", aid}, {"group_id", gid}});
  EXPECT_EQ(late.status, 409) << late.body.dump();
  ExpectInvariants();

  // The failing group.
  auto [f, h] = std::make_pair(Register(), Register());
  Json oe = Order(e, sku, Json{{"id", aid}});
  std::string gid2 = oe["group_id"];
  Json of = Order(f, sku, Json{{"id", aid}, {"group_id", gid2}});
  Json oh = Order(h, sku, Json{{"id", aid}, {"group_id", gid2}});
  PayAndWait(e, oe["id"]);
  PayAndWait(f, of["id"]);
  EXPECT_EQ(Group(gid2)["paid_members"], 2);
  clock_.AdvanceMs(600 * 1000 + 1);
  RunTimers();
  EXPECT_EQ(Group(gid2)["status"], "failed");
  Json re = WaitStatus(e, oe["id"], "refunded");
  EXPECT_EQ(re["refunded_fen"], 4500 + 800);
  Json rf = WaitStatus(f, of["id"], "refunded");
  EXPECT_EQ(rf["refunded_fen"], 4900 + 800);
  EXPECT_EQ(GetOrder(h, oh["id"])["status"], "cancelled");
  EXPECT_EQ(Group(gid2)["seats_taken"], 2);  // the two paid (now refunded) members
  // A failed group takes nobody.
  auto after = Checkout(c, sku, Json{{"id", aid}, {"group_id", gid2}});
  EXPECT_EQ(after.status, 409) << after.body.dump();
  // A leader who cancels an otherwise empty group ends it at once.
  Json lonely = Order(c, sku, Json{{"id", aid}});
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + lonely["id"].get<std::string>() + "/cancel", nullptr, c).status, 200);
  EXPECT_EQ(Group(lonely["group_id"])["status"], "failed");
  EXPECT_EQ(Call("GET", "/api/v1/products/" + product + "/groups").body["items"].size(), 0u);
  ExpectInvariants();
  // Stock: 20 in; A, B, D sold; E and F sold then refunded without return; C, H released.
  auto p = Call("GET", "/api/v1/merchant/products/" + product, nullptr, shop.owner_token);
  EXPECT_EQ(p.body["skus"][0]["reserved"], 0);
  EXPECT_EQ(p.body["skus"][0]["sold"], 5);
}

TEST_F(Promo, GroupBuyRulesAndBadInput) {
  Shop shop = OpenShop("c2c");
  auto [product, sku] = CreateProduct(shop, 6800, 20);
  Shop other = OpenShop("c2c", "别家店");
  auto [other_product, other_sku] = CreateProduct(other, 3000, 5);
  auto post = [&](const Shop& s, Json body) {
    return Call("POST", "/api/v1/merchant/activities", body, s.owner_token, {{"X-Merchant-Id", s.id}});
  };
  Json base{{"type", "group_buy"}, {"sku_id", sku}, {"group_price_fen", 4900}, {"group_size", 3}, {"group_ttl_s", 600}};
  EXPECT_EQ(post(shop, Json{{"type", "lottery"}, {"sku_id", sku}}).status, 400);
  Json bad = base;
  bad["group_size"] = 1;
  EXPECT_EQ(post(shop, bad).status, 400);
  bad = base;
  bad["group_price_fen"] = 6800;  // not a discount
  EXPECT_EQ(post(shop, bad).status, 422);
  bad = base;
  bad["price_fen"] = 100;  // a flash-sale field
  EXPECT_EQ(post(shop, bad).status, 400);
  EXPECT_EQ(post(other, base).status, 404) << "another merchant's SKU";
  std::string buyer = Register();
  EXPECT_EQ(Call("POST", "/api/v1/merchant/activities", base, buyer).status, 403);

  Json act = NewActivity(shop, Json{{"type", "group_buy"}, {"sku_id", sku}, {"group_price_fen", 4900}, {"group_size", 2},
                                    {"group_ttl_s", 600}, {"new_user_only", true}});
  std::string aid = act["id"];
  // An activity order holds only the activity's SKU.
  auto mixed = Call("POST", "/api/v1/checkout",
                    Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}, {{"sku_id", other_sku}, {"quantity", 1}}}},
                         {"address", Address()}, {"activity", {{"id", aid}}}},
                    buyer);
  EXPECT_EQ(mixed.status, 400) << mixed.body.dump();
  EXPECT_EQ(Checkout(buyer, sku, Json{{"id", aid}, {"bargain_id", "1"}}).status, 400);
  EXPECT_EQ(Checkout(buyer, sku, Json{{"id", aid}, {"group_id", "12345"}}).status, 404);
  EXPECT_EQ(Checkout(buyer, sku, Json{{"id", aid}, {"colour", "red"}}).status, 400);
  // Preview prices the group without opening one.
  auto preview = Call("POST", "/api/v1/checkout/preview",
                      Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()}, {"activity", {{"id", aid}}}}, buyer);
  ASSERT_EQ(preview.status, 200) << preview.body.dump();
  EXPECT_EQ(preview.body["orders"][0]["total_fen"], 4900 + 800);
  EXPECT_EQ(Call("GET", "/api/v1/products/" + product + "/groups").body["items"].size(), 0u);
  // New-user-only: a buyer who has paid before cannot join.
  Json leader_order = Order(buyer, sku, Json{{"id", aid}});
  PayAndWait(buyer, leader_order["id"]);
  std::string veteran = Register();
  PayAndWait(veteran, Buy(veteran, other_sku)["id"]);
  auto refused = Checkout(veteran, sku, Json{{"id", aid}, {"group_id", leader_order["group_id"]}});
  EXPECT_EQ(refused.status, 422) << refused.body.dump();
  std::string newbie = Register();
  Json joined = Order(newbie, sku, Json{{"id", aid}, {"group_id", leader_order["group_id"]}});
  PayAndWait(newbie, joined["id"]);
  EXPECT_EQ(Group(leader_order["group_id"])["status"], "succeeded");
  ExpectInvariants();
}

// 200 buyers race for the 4 free seats of a group of 5: exactly 4 get in; then the seats
// are paid concurrently and the group succeeds with exactly 5 paid members.
TEST_F(Promo, TwoHundredBuyersRaceForFourSeats) {
  Shop shop = OpenShop("b2c", "拼团爆款");
  auto [product, sku] = CreateProduct(shop, 6800, 1000);
  Json act = GroupBuy(shop, sku, 5, 3600);
  std::string aid = act["id"];
  std::string leader = Register();
  Json lo = Order(leader, sku, Json{{"id", aid}});
  std::string gid = lo["group_id"];
  constexpr int kBuyers = 200;
  std::vector<std::string> tokens = RegisterMany(kBuyers);
  std::atomic<int> joined{0}, full{0}, other{0};
  std::vector<std::string> orders(kBuyers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kBuyers; ++i) {
    threads.emplace_back([&, i] {
      auto client = NewClient();
      Json body{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()}, {"activity", {{"id", aid}, {"group_id", gid}}}};
      auto r = client->Json("POST", "/api/v1/checkout", body, tokens[i]);
      if (r.status == 201) {
        ++joined;
        orders[i] = r.body["orders"][0]["id"];
      } else if (r.status == 409 && ErrorCode(r) == "CONFLICT") {
        ++full;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(joined.load(), 4);
  EXPECT_EQ(full.load(), kBuyers - 4);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(Group(gid)["seats_taken"], 5);
  ExpectInvariants();
  // Everyone pays at once.
  threads.clear();
  PayAndWait(leader, lo["id"]);
  for (int i = 0; i < kBuyers; ++i) {
    if (orders[i].empty()) continue;
    threads.emplace_back([&, i] {
      auto client = NewClient();
      auto pay = client->Json("POST", "/api/v1/orders/" + orders[i] + "/pay", nullptr, tokens[i]);
      if (pay.status == 200) client->Json("POST", "/api/v1/pay/sandbox/" + pay.body["payment_id"].get<std::string>() + "/complete", nullptr, tokens[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kBuyers; ++i)
    if (!orders[i].empty()) WaitStatus(tokens[i], orders[i], "paid");
  Json g = Group(gid);
  EXPECT_EQ(g["status"], "succeeded");
  EXPECT_EQ(g["paid_members"], 5);
  for (int i = 0; i < kBuyers; ++i)
    if (!orders[i].empty()) {
      EXPECT_EQ(GetOrder(tokens[i], orders[i])["sub_status"], "");
    }
  ExpectInvariants();
}

// Many groups at once: 200 clients join 8 of 20 paid-for groups of a size-3 activity; in
// half of them some joiners cancel (freeing seats for others), everyone else pays; the
// deadline then fails the groups that did not fill. No group is ever over-filled and the ledger balances through refunds.
TEST_F(Promo, ConcurrentGroupsFillFailAndRefund) {
  Shop shop = OpenShop("ka", "品牌拼团");
  auto [product, sku] = CreateProduct(shop, 6800, 1000);
  Json act = GroupBuy(shop, sku, 3, 600);
  std::string aid = act["id"];
  std::vector<std::string> groups;
  std::vector<std::string> leaders = RegisterMany(20);
  for (auto& l : leaders) {
    Json o = Order(l, sku, Json{{"id", aid}});
    groups.push_back(o["group_id"]);
    PayAndWait(l, o["id"]);
  }
  constexpr int kClients = 200;
  std::vector<std::string> tokens = RegisterMany(kClients);
  std::atomic<int> joined{0}, refused{0}, other{0}, unpaid{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto client = NewClient();
      // Buyers crowd the first groups: group (i * 7) % 8 of 20, so 8 groups are contested.
      int group = (i * 7) % 8;
      std::string gid = groups[group];
      Json body{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()}, {"activity", {{"id", aid}, {"group_id", gid}}}};
      auto r = client->Json("POST", "/api/v1/checkout", body, tokens[i]);
      if (r.status != 201) {
        (r.status == 409 ? refused : other)++;
        return;
      }
      ++joined;
      std::string oid = r.body["orders"][0]["id"];
      if (group >= 4 && i % 3 == 0) {  // changes their mind: the seat comes back
        client->Json("POST", "/api/v1/orders/" + oid + "/cancel", nullptr, tokens[i]);
        return;
      }
      // A 503 (PostgreSQL: a batch that kept colliding on the hot rows, "busy, try again") is
      // retried, as the apps do; anything else unpaid is counted.
      auto retried = [&](const std::string& path) {
        auto r = client->Json("POST", path, nullptr, tokens[i]);
        for (int k = 0; k < 5 && r.status == 503; ++k) r = client->Json("POST", path, nullptr, tokens[i]);
        return r;
      };
      auto pay = retried("/api/v1/orders/" + oid + "/pay");
      if (pay.status != 200 ||
          retried("/api/v1/pay/sandbox/" + pay.body["payment_id"].get<std::string>() + "/complete").status != 200)
        ++unpaid;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(unpaid.load(), 0);
  EXPECT_GE(joined.load(), 16);  // every contested group took at least its 2 free seats
  // Let the notifications land, then check nothing is over-filled.
  for (int spin = 0; spin < 300; ++spin) {
    auto pending = app_->store().Read([](Reader& r) {
      return r.QueryInt("SELECT count(*) FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.status='created' AND p.status='pending'");
    });
    if (pending && *pending == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int succeeded = 0;
  for (auto& gid : groups) {
    Json g = Group(gid);
    EXPECT_LE(g["seats_taken"].get<int64_t>(), 3);
    EXPECT_LE(g["paid_members"].get<int64_t>(), 3);
    if (g["status"] == "succeeded") ++succeeded;
  }
  EXPECT_GE(succeeded, 4);  // groups 0..3 have no cancellers: their first two joiners pay
  ExpectInvariants();
  clock_.AdvanceMs(600 * 1000 + 1);
  RunTimers();
  for (auto& gid : groups) EXPECT_NE(Group(gid)["status"], "forming");
  // Every refund notification lands, then the books balance.
  for (int spin = 0; spin < 500; ++spin) {
    auto refunding = app_->store().Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM orders WHERE status='refunding'"); });
    if (refunding && *refunding == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto failed_paid = app_->store().Read([](Reader& r) {
    return r.QueryInt("SELECT count(*) FROM orders o JOIN activity_orders m ON m.order_id = o.id JOIN promo_groups g ON g.id = m.group_id "
                      "WHERE g.status='failed' AND o.status <> 'refunded' AND m.state = 'paid'");
  });
  ASSERT_TRUE(failed_paid);
  EXPECT_EQ(*failed_paid, 0);
  Json report = ExpectInvariants();
  EXPECT_EQ(report["sum_fen"], 0);
}

// ---------------------------------------------------------------------------------------
// Coupons

TEST_F(Promo, CouponsWholeStory) {
  Shop shop = OpenShop("c2c", "券店");
  auto [product, sku] = CreateProduct(shop, 5000, 50);
  auto [cheap_product, cheap_sku] = CreateProduct(shop, 1000, 50, "小样");
  auto staff = [&](const std::string& method, const std::string& path, Json body = nullptr) {
    return Call(method, path, body, shop.owner_token, {{"X-Merchant-Id", shop.id}});
  };
  // 满30减5, 3 in all, 1 each.
  auto mc = staff("POST", "/api/v1/merchant/coupons",
                  Json{{"kind", "fixed"}, {"amount_fen", 500}, {"min_spend_fen", 3000}, {"total_quota", 3}, {"per_user_limit", 1},
                       {"scope", {{"type", "merchant"}}}, {"valid_from", At(0)}, {"valid_to", At(7 * kDayMs)}});
  ASSERT_EQ(mc.status, 201) << mc.body.dump();
  std::string mcid = mc.body["id"];
  EXPECT_EQ(mc.body["issuer"], "merchant");
  // Bad coupon bodies.
  EXPECT_EQ(staff("POST", "/api/v1/merchant/coupons", Json{{"kind", "gift"}, {"total_quota", 1}, {"scope", {{"type", "merchant"}}}, {"valid_days", 1}}).status, 400);
  EXPECT_EQ(staff("POST", "/api/v1/merchant/coupons", Json{{"kind", "fixed"}, {"amount_fen", 100}, {"total_quota", 1}, {"scope", {{"type", "platform"}}}, {"valid_days", 1}}).status, 400);
  EXPECT_EQ(staff("POST", "/api/v1/merchant/coupons", Json{{"kind", "fixed"}, {"amount_fen", 100}, {"total_quota", 1}, {"scope", {{"type", "merchant"}}}}).status, 400);
  EXPECT_EQ(staff("POST", "/api/v1/merchant/coupons", Json{{"kind", "threshold"}, {"amount_fen", 5000}, {"min_spend_fen", 3000}, {"total_quota", 1}, {"scope", {{"type", "merchant"}}}, {"valid_days", 1}}).status, 400);

  std::vector<std::string> buyers = RegisterMany(4);
  std::vector<std::string> wallet(4);
  for (int i = 0; i < 3; ++i) {
    auto r = Call("POST", "/api/v1/coupons/" + mcid + "/claim", nullptr, buyers[i]);
    ASSERT_EQ(r.status, 201) << r.body.dump();
    wallet[i] = r.body["id"];
    EXPECT_EQ(r.body["status"], "unused");
  }
  auto again = Call("POST", "/api/v1/coupons/" + mcid + "/claim", nullptr, buyers[0]);
  EXPECT_EQ(again.status, 422) << again.body.dump();
  EXPECT_EQ(ErrorCode(again), "LIMIT_EXCEEDED");
  auto gone = Call("POST", "/api/v1/coupons/" + mcid + "/claim", nullptr, buyers[3]);
  EXPECT_EQ(gone.status, 409) << gone.body.dump();
  EXPECT_EQ(Call("GET", "/api/v1/coupons/" + mcid).body["remaining"], 0);
  auto mine = Call("GET", "/api/v1/me/coupons", nullptr, buyers[0]);
  ASSERT_EQ(mine.body["items"].size(), 1u);
  EXPECT_EQ(mine.body["items"][0]["coupon"]["amount_fen"], 500);

  // A platform coupon: 10% off capped at 3 yuan, valid 3 days after claim; only admins issue it.
  Json pbody{{"kind", "percent"}, {"percent_bps", 1000}, {"cap_fen", 300}, {"total_quota", 10}, {"scope", {{"type", "platform"}}},
             {"valid_days", 3}};
  EXPECT_EQ(Call("POST", "/api/v1/admin/coupons", pbody, buyers[0]).status, 403);
  auto pc = Call("POST", "/api/v1/admin/coupons", pbody, AdminToken());
  ASSERT_EQ(pc.status, 201) << pc.body.dump();
  EXPECT_EQ(pc.body["issuer"], "platform");
  auto pclaim = Call("POST", "/api/v1/coupons/" + pc.body["id"].get<std::string>() + "/claim", nullptr, buyers[0]);
  ASSERT_EQ(pclaim.status, 201);
  std::string platform_uc = pclaim.body["id"];

  // Stacked: 2 × 5000 = 10000 → merchant −500 → 9500 → platform −min(950, 300) → 9200, +800 shipping.
  Json o1 = Order(buyers[0], sku, nullptr, 2, Json{wallet[0], platform_uc});
  EXPECT_EQ(Steps(o1), (std::vector<std::string>{"list:10000", "merchant_coupon:-500", "platform_coupon:-300", "shipping:800", "total:0"}));
  EXPECT_EQ(o1["total_fen"], 10000);
  EXPECT_EQ(o1["discount_fen"], 800);
  EXPECT_EQ(Call("GET", "/api/v1/me/coupons?status=used", nullptr, buyers[0]).body["items"].size(), 2u);
  // A used coupon cannot be used twice.
  EXPECT_EQ(Checkout(buyers[0], sku, nullptr, 1, Json{wallet[0]}).status, 409);
  // Cancelled unpaid: both coupons come back.
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + o1["id"].get<std::string>() + "/cancel", nullptr, buyers[0]).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/me/coupons?status=unused", nullptr, buyers[0]).body["items"].size(), 2u);
  // Used again, paid, then refunded after payment: the coupons stay spent.
  Json o2 = Order(buyers[0], sku, nullptr, 2, Json{wallet[0], platform_uc});
  PayAndWait(buyers[0], o2["id"]);
  auto as = Call("POST", "/api/v1/orders/" + o2["id"].get<std::string>() + "/aftersales",
                 Json{{"type", "refund_only"}, {"amount_fen", 10000}, {"reason", "不要了"}}, buyers[0]);
  ASSERT_EQ(as.status, 201) << as.body.dump();
  ASSERT_EQ(staff("POST", "/api/v1/merchant/aftersales/" + as.body["id"].get<std::string>() + "/approve").status, 200);
  WaitStatus(buyers[0], o2["id"], "refunded");
  EXPECT_EQ(Call("GET", "/api/v1/me/coupons?status=used", nullptr, buyers[0]).body["items"].size(), 2u);
  EXPECT_EQ(Call("GET", "/api/v1/me/coupons?status=unused", nullptr, buyers[0]).body["items"].size(), 0u);

  // Stacking: two merchant coupons in one order are refused.
  auto tc = staff("POST", "/api/v1/merchant/coupons",
                  Json{{"kind", "threshold"}, {"amount_fen", 2000}, {"min_spend_fen", 10000}, {"total_quota", 5},
                       {"scope", {{"type", "sku"}, {"ids", {sku}}}}, {"valid_days", 1}});
  ASSERT_EQ(tc.status, 201) << tc.body.dump();
  std::string second = Call("POST", "/api/v1/coupons/" + tc.body["id"].get<std::string>() + "/claim", nullptr, buyers[1]).body["id"];
  auto stacked = Checkout(buyers[1], sku, nullptr, 2, Json{wallet[1], second});
  EXPECT_EQ(stacked.status, 422) << stacked.body.dump();
  // The SKU-scoped threshold coupon: 满100减20 on exactly 10000.
  Json o3 = Order(buyers[1], sku, nullptr, 2, Json{second});
  EXPECT_EQ(o3["total_fen"], 8000 + 800);
  // Not applicable: 满30 on a 10-yuan order.
  auto small = Checkout(buyers[2], cheap_sku, nullptr, 1, Json{wallet[2]});
  EXPECT_EQ(small.status, 422) << small.body.dump();
  // Someone else's coupon is not found.
  EXPECT_EQ(Checkout(buyers[3], sku, nullptr, 1, Json{wallet[2]}).status, 404);
  // valid_days after claim: the platform coupon of another buyer expires after 3 days.
  std::string late_uc = Call("POST", "/api/v1/coupons/" + pc.body["id"].get<std::string>() + "/claim", nullptr, buyers[3]).body["id"];
  clock_.AdvanceMs(3 * kDayMs + 1);
  EXPECT_EQ(Checkout(buyers[3], sku, nullptr, 1, Json{late_uc}).status, 422);
  EXPECT_EQ(Call("GET", "/api/v1/me/coupons?status=expired", nullptr, buyers[3]).body["items"].size(), 1u);
  ExpectInvariants();
}

// A platform coupon in a two-shop checkout prices exactly one order (the first it fits, in
// merchant order), in the preview as in the checkout, so the buyer is charged what was shown.
TEST_F(Promo, PlatformCouponPricesOneOrderOfAMultiShopCheckout) {
  Shop a = OpenShop("b2c", "甲店");
  Shop b = OpenShop("b2c", "乙店");
  auto [pa, sku_a] = CreateProduct(a, 12000, 10);
  auto [pb, sku_b] = CreateProduct(b, 15000, 10);
  auto pc = Call("POST", "/api/v1/admin/coupons",
                 Json{{"kind", "fixed"}, {"amount_fen", 1000}, {"total_quota", 5}, {"scope", {{"type", "platform"}}}, {"valid_days", 3}},
                 AdminToken());
  ASSERT_EQ(pc.status, 201) << pc.body.dump();
  std::string buyer = Register();
  auto claim = Call("POST", "/api/v1/coupons/" + pc.body["id"].get<std::string>() + "/claim", nullptr, buyer);
  ASSERT_EQ(claim.status, 201) << claim.body.dump();
  Json body{{"items", {{{"sku_id", sku_a}, {"quantity", 1}}, {{"sku_id", sku_b}, {"quantity", 1}}}},
            {"address", Address()},
            {"coupon_ids", {claim.body["id"]}}};
  auto count_coupon_steps = [](const Json& orders) {
    int n = 0;
    for (auto& o : orders)
      for (auto& s : o["pricing"]) n += s["step"] == "platform_coupon";
    return n;
  };
  auto preview = Call("POST", "/api/v1/checkout/preview", body, buyer);
  ASSERT_EQ(preview.status, 200) << preview.body.dump();
  ASSERT_EQ(preview.body["orders"].size(), 2u);
  EXPECT_EQ(count_coupon_steps(preview.body["orders"]), 1) << preview.body.dump();
  EXPECT_EQ(preview.body["total_fen"], 12000 + 15000 - 1000);  // both over the free-shipping line
  auto done = Call("POST", "/api/v1/checkout", body, buyer);
  ASSERT_EQ(done.status, 201) << done.body.dump();
  EXPECT_EQ(count_coupon_steps(done.body["orders"]), 1);
  int64_t charged = 0;
  for (auto& o : done.body["orders"]) charged += o["total_fen"].get<int64_t>();
  EXPECT_EQ(charged, preview.body["total_fen"].get<int64_t>());
  EXPECT_EQ(Call("GET", "/api/v1/me/coupons?status=used", nullptr, buyer).body["items"].size(), 1u);
  ExpectInvariants();
}

// 200 clients (100 buyers × 2 connections, each trying twice) claim a coupon with quota 150
// and a limit of 2 per buyer: exactly 150 are issued and nobody holds more than 2.
TEST_F(Promo, TwoHundredClientsClaimCoupons) {
  Shop shop = OpenShop("b2c", "领券中心");
  auto mc = Call("POST", "/api/v1/merchant/coupons",
                 Json{{"kind", "fixed"}, {"amount_fen", 300}, {"total_quota", 150}, {"per_user_limit", 2},
                      {"scope", {{"type", "merchant"}}}, {"valid_days", 7}},
                 shop.owner_token);
  ASSERT_EQ(mc.status, 201) << mc.body.dump();
  std::string cid = mc.body["id"];
  constexpr int kBuyers = 100;
  std::vector<std::string> tokens = RegisterMany(kBuyers);
  std::atomic<int> issued{0}, exhausted{0}, at_limit{0}, other{0};
  std::vector<std::atomic<int>> per_buyer(kBuyers);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2 * kBuyers; ++i) {
    threads.emplace_back([&, i] {
      auto client = NewClient();
      int buyer = i % kBuyers;
      for (int attempt = 0; attempt < 2; ++attempt) {
        auto r = client->Json("POST", "/api/v1/coupons/" + cid + "/claim", nullptr, tokens[buyer]);
        if (r.status == 201) {
          ++issued;
          ++per_buyer[buyer];
        } else if (r.status == 409) {
          ++exhausted;
        } else if (r.status == 422 && ErrorCode(r) == "LIMIT_EXCEEDED") {
          ++at_limit;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(issued.load(), 150);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(issued + exhausted + at_limit, 4 * kBuyers);
  for (auto& n : per_buyer) EXPECT_LE(n.load(), 2);
  Json c = Call("GET", "/api/v1/coupons/" + cid).body;
  EXPECT_EQ(c["claimed"], 150);
  EXPECT_EQ(c["remaining"], 0);
  ExpectInvariants();
}

// ---------------------------------------------------------------------------------------
// Flash sale

// 99 yuan goods at 9.90 from +1 h to +2 h, 3 units, 1 per buyer.
TEST_F(Promo, FlashSaleWholeStory) {
  Shop shop = OpenShop("c2c", "秒杀店");
  auto [product, sku] = CreateProduct(shop, 9900, 100);
  auto no_window = Call("POST", "/api/v1/merchant/activities",
                        Json{{"type", "flash_sale"}, {"sku_id", sku}, {"price_fen", 990}, {"stock", 3}}, shop.owner_token);
  EXPECT_EQ(no_window.status, 400) << no_window.body.dump();
  Json act = NewActivity(shop, Json{{"type", "flash_sale"}, {"sku_id", sku}, {"price_fen", 990}, {"stock", 3}, {"per_user_limit", 1},
                                    {"starts_at", At(kHourMs)}, {"ends_at", At(2 * kHourMs)}});
  std::string aid = act["id"];
  EXPECT_EQ(act["stock_left"], 3);
  std::vector<std::string> b = RegisterMany(5);
  Json flash{{"id", aid}};
  auto early = Checkout(b[0], sku, flash);
  EXPECT_EQ(early.status, 409) << early.body.dump();
  EXPECT_EQ(ErrorCode(early), "INVALID_STATE");
  clock_.AdvanceMs(kHourMs);

  Json o0 = Order(b[0], sku, flash);
  EXPECT_EQ(o0["total_fen"], 990 + 800);
  EXPECT_EQ(Steps(o0), (std::vector<std::string>{"list:9900", "activity:-8910", "shipping:800", "total:0"}));
  auto limit = Checkout(b[0], sku, flash);
  EXPECT_EQ(limit.status, 422) << limit.body.dump();
  EXPECT_EQ(ErrorCode(limit), "LIMIT_EXCEEDED");
  // The limit and what the buyer holds travel as params; the message is in the UI's language.
  EXPECT_EQ(limit.body["error"]["reason"], "PER_USER_LIMIT");
  EXPECT_EQ(limit.body["error"]["params"], (Json{{"limit", 1}, {"held", 1}}));
  EXPECT_EQ(limit.body["error"]["message"], "每人限购 1 件，你已购买 1 件");
  Json one_line{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()}, {"activity", flash}};
  auto limit_en = Call("POST", "/api/v1/checkout", one_line, b[0], {{"Accept-Language", "en"}});
  EXPECT_EQ(limit_en.status, 422) << limit_en.body.dump();
  EXPECT_EQ(limit_en.body["error"]["message"], "Limit 1 per person; you already hold 1");
  EXPECT_EQ(Checkout(b[1], sku, flash, 2).status, 422);
  Json o1 = Order(b[1], sku, flash);
  Json o2 = Order(b[2], sku, flash);
  auto sold_out = Checkout(b[3], sku, flash);
  EXPECT_EQ(sold_out.status, 409) << sold_out.body.dump();
  EXPECT_EQ(ErrorCode(sold_out), "OUT_OF_STOCK");
  // The rest of the shop keeps selling at the list price.
  Json normal = Buy(b[3], sku);
  EXPECT_EQ(normal["total_fen"], 9900);
  // A cancelled flash order gives its unit back.
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + o1["id"].get<std::string>() + "/cancel", nullptr, b[1]).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/activities/" + aid).body["stock_left"], 1);
  Json o3 = Order(b[3], sku, flash);
  PayAndWait(b[0], o0["id"]);
  PayAndWait(b[2], o2["id"]);
  // After the window closes nobody buys at the flash price.
  clock_.AdvanceMs(kHourMs);
  EXPECT_EQ(Checkout(b[4], sku, flash).status, 409);
  // b[3] never pays: the unpaid timeout returns the unit.
  clock_.AdvanceMs(16 * kMinuteMs);
  RunTimers();
  EXPECT_EQ(GetOrder(b[3], o3["id"])["status"], "cancelled");
  EXPECT_EQ(Call("GET", "/api/v1/activities/" + aid).body["stock_left"], 1);
  ExpectInvariants();
}

// 200 clients (100 buyers × 2 connections, each trying twice) grab a flash sale of 50 units
// with a limit of 2 per buyer: exactly 50 units are sold, nobody holds more than 2, and the
// SKU's own stock is never oversold.
TEST_F(Promo, TwoHundredClientsGrabFlashSale) {
  Shop shop = OpenShop("b2c", "秒杀爆款");
  auto [product, sku] = CreateProduct(shop, 9900, 60);
  Json act = NewActivity(shop, Json{{"type", "flash_sale"}, {"sku_id", sku}, {"price_fen", 990}, {"stock", 50}, {"per_user_limit", 2},
                                    {"starts_at", At(0)}, {"ends_at", At(kHourMs)}});
  std::string aid = act["id"];
  constexpr int kBuyers = 100;
  std::vector<std::string> tokens = RegisterMany(kBuyers);
  std::atomic<int> bought{0}, sold_out{0}, at_limit{0}, other{0};
  std::vector<std::atomic<int>> per_buyer(kBuyers);
  std::mutex mu;
  std::vector<std::pair<int, std::string>> orders;
  std::vector<std::thread> threads;
  for (int i = 0; i < 2 * kBuyers; ++i) {
    threads.emplace_back([&, i] {
      auto client = NewClient();
      int buyer = i % kBuyers;
      for (int attempt = 0; attempt < 2; ++attempt) {
        Json body{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()}, {"activity", {{"id", aid}}}};
        auto r = client->Json("POST", "/api/v1/checkout", body, tokens[buyer]);
        if (r.status == 201) {
          ++bought;
          ++per_buyer[buyer];
          std::lock_guard lock(mu);
          orders.emplace_back(buyer, r.body["orders"][0]["id"].get<std::string>());
        } else if (r.status == 409 && ErrorCode(r) == "OUT_OF_STOCK") {
          ++sold_out;
        } else if (r.status == 422 && ErrorCode(r) == "LIMIT_EXCEEDED") {
          ++at_limit;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bought.load(), 50);
  EXPECT_EQ(other.load(), 0);
  for (auto& n : per_buyer) EXPECT_LE(n.load(), 2);
  EXPECT_EQ(Call("GET", "/api/v1/activities/" + aid).body["stock_left"], 0);
  auto p = Call("GET", "/api/v1/merchant/products/" + product, nullptr, shop.owner_token);
  EXPECT_EQ(p.body["skus"][0]["stock"], 10);
  EXPECT_EQ(p.body["skus"][0]["reserved"], 50);
  // Half pay, the other half time out: their units return to the flash sale.
  for (size_t k = 0; k < orders.size(); k += 2) PayAndWait(tokens[orders[k].first], orders[k].second);
  clock_.AdvanceMs(16 * kMinuteMs);
  RunTimers();
  EXPECT_EQ(Call("GET", "/api/v1/activities/" + aid).body["stock_left"], 25);
  ExpectInvariants();
}

// ---------------------------------------------------------------------------------------
// Bargain

TEST(BargainCuts, SumExactlyLargestFirstAtLeastOneFen) {
  for (int64_t seed : {1LL, 42LL, -7LL, 1234567890123LL}) {
    for (auto [total, helps] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {5, 5}, {9000, 10}, {99, 7}, {100000, 100}, {101, 100}}) {
      auto cuts = promo::BargainCuts(seed, total, helps);
      ASSERT_TRUE(cuts) << cuts.error().message;
      ASSERT_EQ(static_cast<int64_t>(cuts->size()), helps);
      int64_t sum = 0;
      for (size_t i = 0; i < cuts->size(); ++i) {
        EXPECT_GE((*cuts)[i], 1);
        if (i > 0) {
          EXPECT_LE((*cuts)[i], (*cuts)[i - 1]);
        }
        sum += (*cuts)[i];
      }
      EXPECT_EQ(sum, total);
      // Deterministic from the seed.
      EXPECT_EQ(*cuts, *promo::BargainCuts(seed, total, helps));
    }
  }
  EXPECT_FALSE(promo::BargainCuts(1, 4, 5));
  auto big = promo::BargainCuts(7, 9000, 10);
  EXPECT_GT((*big)[0], 9000 / 10) << "the first cut is larger than an even share";
}

// List 10000, floor 1000, 5 helps: owner starts, 4 friends help (the same friend twice is
// refused), the owner buys at the current price, cancels, a 5th friend brings it to the
// floor exactly, the owner buys at the floor. Another bargain expires.
TEST_F(Promo, BargainWholeStory) {
  Shop shop = OpenShop("c2c", "砍价店");
  auto [product, sku] = CreateProduct(shop, 10000, 20);
  auto bad = Call("POST", "/api/v1/merchant/activities",
                  Json{{"type", "bargain"}, {"sku_id", sku}, {"floor_price_fen", 9998}, {"helps_needed", 5}, {"ttl_s", 3600}}, shop.owner_token);
  EXPECT_EQ(bad.status, 422) << "list - floor = 2 fen cannot give 5 helps 1 fen each: " << bad.body.dump();
  Json act = NewActivity(shop, Json{{"type", "bargain"}, {"sku_id", sku}, {"floor_price_fen", 1000}, {"helps_needed", 5}, {"ttl_s", 3600}});
  std::string aid = act["id"];
  std::string owner = Register();
  std::vector<std::string> friends = RegisterMany(6);
  auto start = Call("POST", "/api/v1/bargains", Json{{"activity_id", aid}}, owner);
  ASSERT_EQ(start.status, 201) << start.body.dump();
  std::string bid = start.body["id"];
  EXPECT_EQ(start.body["current_price_fen"], 10000);
  EXPECT_EQ(Call("POST", "/api/v1/bargains", Json{{"activity_id", aid}}, owner).status, 409);
  EXPECT_EQ(Call("POST", "/api/v1/bargains/" + bid + "/help", nullptr, owner).status, 422);

  int64_t price = 10000, last_cut = INT64_MAX;
  for (int i = 0; i < 4; ++i) {
    auto h = Call("POST", "/api/v1/bargains/" + bid + "/help", nullptr, friends[i]);
    ASSERT_EQ(h.status, 200) << h.body.dump();
    int64_t cut = h.body["cut_fen"];
    EXPECT_GE(cut, 1);
    EXPECT_LE(cut, last_cut);
    last_cut = cut;
    price -= cut;
    EXPECT_EQ(h.body["bargain"]["current_price_fen"], price);
  }
  EXPECT_GT(price, 1000);
  auto twice = Call("POST", "/api/v1/bargains/" + bid + "/help", nullptr, friends[0]);
  EXPECT_EQ(twice.status, 409) << twice.body.dump();
  Json view = Call("GET", "/api/v1/bargains/" + bid).body;
  EXPECT_EQ(view["helps"].size(), 4u);
  EXPECT_EQ(view["helps_done"], 4);

  // Buy now at the current price (others cannot buy this bargain).
  Json ref{{"id", aid}, {"bargain_id", bid}};
  EXPECT_EQ(Checkout(friends[5], sku, ref).status, 404);
  EXPECT_EQ(Checkout(owner, sku, Json{{"id", aid}}).status, 400);
  EXPECT_EQ(Checkout(owner, sku, ref, 2).status, 400);
  Json o1 = Order(owner, sku, ref);
  EXPECT_EQ(o1["total_fen"], price + (price >= 9900 ? 0 : 800));
  EXPECT_EQ(o1["activity"]["bargain_id"], bid);
  EXPECT_EQ(Call("GET", "/api/v1/bargains/" + bid).body["status"], "bought");
  EXPECT_EQ(Call("POST", "/api/v1/bargains/" + bid + "/help", nullptr, friends[4]).status, 409);
  // Cancelled: the bargain runs on, and the last help lands exactly on the floor.
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + o1["id"].get<std::string>() + "/cancel", nullptr, owner).status, 200);
  auto last = Call("POST", "/api/v1/bargains/" + bid + "/help", nullptr, friends[4]);
  ASSERT_EQ(last.status, 200) << last.body.dump();
  EXPECT_EQ(last.body["bargain"]["current_price_fen"], 1000);
  EXPECT_EQ(Call("POST", "/api/v1/bargains/" + bid + "/help", nullptr, friends[5]).status, 409) << "already at the floor";
  Json o2 = Order(owner, sku, ref);
  EXPECT_EQ(o2["total_fen"], 1000 + 800);
  PayAndWait(owner, o2["id"]);

  // Expiry: a bargain nobody finishes.
  std::string other = friends[5];
  auto s2 = Call("POST", "/api/v1/bargains", Json{{"activity_id", aid}}, other);
  ASSERT_EQ(s2.status, 201);
  std::string bid2 = s2.body["id"];
  ASSERT_EQ(Call("POST", "/api/v1/bargains/" + bid2 + "/help", nullptr, friends[0]).status, 200);
  clock_.AdvanceMs(3600 * 1000 + 1);
  RunTimers();
  EXPECT_EQ(Call("GET", "/api/v1/bargains/" + bid2).body["status"], "expired");
  EXPECT_EQ(Call("POST", "/api/v1/bargains/" + bid2 + "/help", nullptr, friends[1]).status, 409);
  EXPECT_EQ(Checkout(other, sku, Json{{"id", aid}, {"bargain_id", bid2}}).status, 409);
  ExpectInvariants();
}

// A helper gives at most 10 helps a day; the next day they may help again.
TEST_F(Promo, BargainDailyHelpCap) {
  Shop shop = OpenShop("c2c");
  auto [product, sku] = CreateProduct(shop, 10000, 20);
  Json act = NewActivity(shop, Json{{"type", "bargain"}, {"sku_id", sku}, {"floor_price_fen", 100}, {"helps_needed", 3}, {"ttl_s", 7 * 86400}});
  std::string helper = Register();
  std::vector<std::string> bargains;
  for (auto& owner : RegisterMany(12)) {
    auto s = Call("POST", "/api/v1/bargains", Json{{"activity_id", act["id"]}}, owner);
    ASSERT_EQ(s.status, 201);
    bargains.push_back(s.body["id"]);
  }
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Call("POST", "/api/v1/bargains/" + bargains[i] + "/help", nullptr, helper).status, 200);
  auto capped = Call("POST", "/api/v1/bargains/" + bargains[10] + "/help", nullptr, helper);
  EXPECT_EQ(capped.status, 422) << capped.body.dump();
  EXPECT_EQ(ErrorCode(capped), "LIMIT_EXCEEDED");
  clock_.AdvanceMs(kDayMs);
  EXPECT_EQ(Call("POST", "/api/v1/bargains/" + bargains[10] + "/help", nullptr, helper).status, 200);
  ExpectInvariants();
}

// 100 helpers, each on two connections, race to help one bargain needing 100 helps: every
// helper counts once, the price lands exactly on the floor, and the cuts sum to list − floor.
TEST_F(Promo, TwoHundredClientsRaceToHelp) {
  Shop shop = OpenShop("b2c", "砍价爆款");
  auto [product, sku] = CreateProduct(shop, 100000, 10);
  Json act = NewActivity(shop, Json{{"type", "bargain"}, {"sku_id", sku}, {"floor_price_fen", 100}, {"helps_needed", 100}, {"ttl_s", 86400}});
  std::string owner = Register();
  auto s = Call("POST", "/api/v1/bargains", Json{{"activity_id", act["id"]}}, owner);
  ASSERT_EQ(s.status, 201);
  std::string bid = s.body["id"];
  constexpr int kHelpers = 100;
  std::vector<std::string> helpers = RegisterMany(kHelpers);
  std::atomic<int> helped{0}, refused{0}, other{0};
  std::atomic<int64_t> cut_sum{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2 * kHelpers; ++i) {
    threads.emplace_back([&, i] {
      auto client = NewClient();
      auto r = client->Json("POST", "/api/v1/bargains/" + bid + "/help", nullptr, helpers[i % kHelpers]);
      if (r.status == 200) {
        ++helped;
        cut_sum += r.body["cut_fen"].get<int64_t>();
      } else if (r.status == 409) {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(helped.load(), kHelpers);
  EXPECT_EQ(refused.load(), kHelpers);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(cut_sum.load(), 100000 - 100);
  Json b = Call("GET", "/api/v1/bargains/" + bid).body;
  EXPECT_EQ(b["current_price_fen"], 100);
  EXPECT_EQ(b["helps_done"], 100);
  std::set<std::string> distinct;
  for (auto& h : b["helps"]) distinct.insert(h["helper_id"].get<std::string>());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kHelpers));
  Json o = Order(owner, sku, Json{{"id", act["id"]}, {"bargain_id", bid}});
  EXPECT_EQ(o["total_fen"], 100 + 800);
  PayAndWait(owner, o["id"]);
  ExpectInvariants();
}

// ---------------------------------------------------------------------------------------
// Share-to-drop

// Price 10000; 2 friends → 5% off, 4 friends → 15% off, floor 8800. Only distinct friends
// of the sharer count: a stranger and a friend opening twice change nothing.
TEST_F(Promo, ShareToDropWholeStory) {
  Shop shop = OpenShop("c2c", "转发降价店");
  auto [product, sku] = CreateProduct(shop, 10000, 20);
  Json tiers = Json::array({Json{{"opens", 2}, {"off_bps", 500}}, Json{{"opens", 4}, {"off_bps", 1500}}});
  auto bad = Call("POST", "/api/v1/merchant/activities",
                  Json{{"type", "share_drop"}, {"sku_id", sku}, {"floor_price_fen", 8800},
                       {"tiers", Json::array({Json{{"opens", 4}, {"off_bps", 500}}, Json{{"opens", 2}, {"off_bps", 1500}}})}},
                  shop.owner_token);
  EXPECT_EQ(bad.status, 400) << bad.body.dump();
  Json act = NewActivity(shop, Json{{"type", "share_drop"}, {"sku_id", sku}, {"floor_price_fen", 8800}, {"tiers", tiers}});
  std::string aid = act["id"];
  std::string sharer = Register("15700000001", "分享者");
  std::vector<std::string> friends;
  for (int i = 0; i < 4; ++i) {
    std::string phone = "1570000001" + std::to_string(i);
    friends.push_back(Register(phone, "好友"));
    ASSERT_EQ(Call("POST", "/api/v1/friends/requests", Json{{"phone", phone}}, sharer).status, 201);
    auto reqs = Call("GET", "/api/v1/friends/requests", nullptr, friends.back());
    ASSERT_EQ(reqs.body["items"].size(), 1u);
    ASSERT_EQ(Call("POST", "/api/v1/friends/requests/" + reqs.body["items"][0]["id"].get<std::string>() + "/accept", nullptr, friends.back())
                  .status,
              200);
  }
  std::string stranger = Register();
  auto share = Call("POST", "/api/v1/shares", Json{{"activity_id", aid}}, sharer);
  ASSERT_EQ(share.status, 201) << share.body.dump();
  EXPECT_EQ(share.body["product_id"], product);
  std::string sid = share.body["id"];
  auto price = [&]() {
    auto r = Call("POST", "/api/v1/checkout/preview",
                  Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()}, {"activity", {{"id", aid}}}}, sharer);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body["orders"][0]["pricing"][1]["subtotal_fen"].get<int64_t>();
  };
  EXPECT_EQ(price(), 10000);
  auto open = [&](const std::string& token) { ASSERT_EQ(Call("POST", "/api/v1/shares/" + sid + "/open", nullptr, token).status, 200); };
  open(stranger);
  open(friends[0]);
  open(friends[0]);
  open(sharer);
  EXPECT_EQ(price(), 10000) << "one distinct friend so far";
  open(friends[1]);
  EXPECT_EQ(price(), 9500);
  Json s = Call("GET", "/api/v1/shares/" + sid).body;
  EXPECT_EQ(s["opens"], 3);
  EXPECT_EQ(s["friend_opens"], 2);
  open(friends[2]);
  open(friends[3]);
  EXPECT_EQ(price(), 8800) << "15% off would be 8500: the floor holds";
  Json o = Order(sharer, sku, Json{{"id", aid}});
  EXPECT_EQ(o["total_fen"], 8800 + 800);
  PayAndWait(sharer, o["id"]);
  ExpectInvariants();
}

// ---------------------------------------------------------------------------------------
// Gifting

// S buys a gift and pays: the order waits (gift_pending) and cannot ship; R opens the link
// and accepts with an address, and the order ships there. A second gift nobody accepts is
// refunded after 24 h; an unpaid gift order cancelled ends its gift.
TEST_F(Promo, GiftWholeStory) {
  Shop shop = OpenShop("c2c", "礼品店");
  auto [product, sku] = CreateProduct(shop, 5000, 10);
  std::string sender = Register(), recipient = Register(), other = Register();
  Json gift{{"gift", {{"message", "生日快乐"}}}};
  // The sender gives no address (the recipient will); a plain order without one is refused
  // and writes nothing.
  Json items{{{"sku_id", sku}, {"quantity", 1}}};
  auto no_address = Call("POST", "/api/v1/checkout", Json{{"items", items}}, sender);
  EXPECT_EQ(no_address.status, 400) << no_address.body.dump();
  EXPECT_EQ(ErrorCode(no_address), "MISSING_FIELD");
  EXPECT_EQ(Call("GET", "/api/v1/orders", nullptr, sender).body["items"].size(), 0u);
  auto preview = Call("POST", "/api/v1/checkout/preview", Json{{"items", items}, {"activity", gift}}, sender);
  ASSERT_EQ(preview.status, 200) << preview.body.dump();
  auto placed = Call("POST", "/api/v1/checkout", Json{{"items", items}, {"activity", gift}}, sender);
  ASSERT_EQ(placed.status, 201) << placed.body.dump();
  Json o1 = placed.body["orders"][0];
  EXPECT_EQ(o1["address"], Json::object());
  EXPECT_EQ(o1["total_fen"], preview.body["total_fen"]);
  Json paid = PayAndWait(sender, o1["id"]);
  EXPECT_EQ(paid["sub_status"], "gift_pending");
  auto early = Call("POST", "/api/v1/merchant/orders/" + o1["id"].get<std::string>() + "/ship",
                    Json{{"carrier", "顺丰"}, {"tracking_no", "SF7"}}, shop.owner_token);
  EXPECT_EQ(early.status, 409) << early.body.dump();
  auto sent = Call("GET", "/api/v1/me/gifts", nullptr, sender);
  ASSERT_EQ(sent.body["items"].size(), 1u);
  std::string token = sent.body["items"][0]["token"];
  EXPECT_EQ(sent.body["items"][0]["status"], "waiting");
  Json view = Call("GET", "/api/v1/gifts/" + token).body;
  EXPECT_EQ(view["message"], "生日快乐");
  EXPECT_EQ(view["title"], "测试咖啡豆 250g");
  EXPECT_FALSE(view.contains("token")) << "the public view does not repeat the secret";
  Json address{{"name", "李四"}, {"phone", "13900000000"}, {"region", "北京市 朝阳区"}, {"detail", "建国路 1 号"}};
  EXPECT_EQ(Call("POST", "/api/v1/gift-claims", Json{{"token", token}, {"address", address}}, sender).status, 422);
  EXPECT_EQ(Call("POST", "/api/v1/gift-claims", Json{{"token", std::string(32, '0')}, {"address", address}}, recipient).status, 404);
  auto accepted = Call("POST", "/api/v1/gift-claims", Json{{"token", token}, {"address", address}}, recipient);
  ASSERT_EQ(accepted.status, 200) << accepted.body.dump();
  EXPECT_EQ(accepted.body["status"], "accepted");
  EXPECT_EQ(Call("POST", "/api/v1/gift-claims", Json{{"token", token}, {"address", address}}, other).status, 409);
  Json o1_now = GetOrder(sender, o1["id"]);
  EXPECT_EQ(o1_now["sub_status"], "");
  EXPECT_EQ(o1_now["address"]["name"], "李四");
  auto ship = Call("POST", "/api/v1/merchant/orders/" + o1["id"].get<std::string>() + "/ship",
                   Json{{"carrier", "顺丰"}, {"tracking_no", "SF8"}}, shop.owner_token);
  EXPECT_EQ(ship.status, 200) << ship.body.dump();

  // Nobody accepts: refunded after 24 h.
  Json o2 = Order(sender, sku, gift, 2);
  PayAndWait(sender, o2["id"]);
  std::string token2 = Call("GET", "/api/v1/me/gifts", nullptr, sender).body["items"][0]["token"];
  clock_.AdvanceMs(24 * kHourMs + 1);
  RunTimers();
  Json refunded = WaitStatus(sender, o2["id"], "refunded");
  EXPECT_EQ(refunded["refunded_fen"], 10000);
  EXPECT_EQ(Call("GET", "/api/v1/gifts/" + token2).body["status"], "refunded");
  EXPECT_EQ(Call("POST", "/api/v1/gift-claims", Json{{"token", token2}, {"address", address}}, recipient).status, 409);
  // Cancelled unpaid: the gift ends with it.
  Json o3 = Order(sender, sku, gift);
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + o3["id"].get<std::string>() + "/cancel", nullptr, sender).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/me/gifts", nullptr, sender).body["items"][0]["status"], "cancelled");
  // A group order cannot be a gift.
  Json act = GroupBuy(shop, sku, 2, 600);
  EXPECT_EQ(Checkout(sender, sku, Json{{"id", act["id"]}, {"gift", Json::object()}}).status, 400);
  ExpectInvariants();
}

// ---------------------------------------------------------------------------------------
// Chat-group links and friends' recommendations

// A leader posts a link into chat group "wxg-1001"; three members open it, two order and pay
// (one orders 2), one orders and cancels; an outsider's order does not count. The group sees
// opens, orders, GMV and the 接龙 list. Friends see each other's recommendations.
TEST_F(Promo, ChatGroupLinksAndRecommendations) {
  Shop shop = OpenShop("c2c", "社区小店");
  auto [product, sku] = CreateProduct(shop, 3000, 50, "土鸡蛋 30 枚");
  std::string leader = Register("15600000001", "团长");
  std::string m1 = Register("15600000002", "小王"), m2 = Register("15600000003", "小李"), m3 = Register("15600000004", "小张");
  std::string outsider = Register();
  auto share = Call("POST", "/api/v1/shares", Json{{"product_id", product}, {"chat_group", "wxg-1001"}}, leader);
  ASSERT_EQ(share.status, 201) << share.body.dump();
  EXPECT_EQ(share.body["chat_group"], "wxg-1001");
  std::string sid = share.body["id"];
  for (auto& m : {m1, m2, m3}) ASSERT_EQ(Call("POST", "/api/v1/shares/" + sid + "/open", nullptr, m).status, 200);
  Json o1 = Buy(m1, sku, 2);
  Json o2 = Buy(m2, sku);
  Json o3 = Buy(m3, sku);
  Buy(outsider, sku);
  PayAndWait(m1, o1["id"]);
  PayAndWait(m2, o2["id"]);
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + o3["id"].get<std::string>() + "/cancel", nullptr, m3).status, 200);
  // The shop whose product was shared sees its part of the group in full.
  auto stats = Call("GET", "/api/v1/merchant/chat-groups/wxg-1001/stats", nullptr, shop.owner_token);
  ASSERT_EQ(stats.status, 200) << stats.body.dump();
  EXPECT_EQ(stats.body["view"], "merchant");
  EXPECT_EQ(stats.body["opens"], 3);
  EXPECT_EQ(stats.body["orders"], 2);
  EXPECT_EQ(stats.body["paid_orders"], 2);
  EXPECT_EQ(stats.body["gmv_fen"], (6000 + 800) + (3000 + 800));
  ASSERT_EQ(stats.body["jielong"].size(), 2u);
  EXPECT_EQ(stats.body["jielong"][0]["seq"], 1);
  EXPECT_EQ(stats.body["jielong"][0]["nickname"], "小王");
  EXPECT_EQ(stats.body["jielong"][0]["quantity"], 2);
  EXPECT_EQ(stats.body["jielong"][1]["nickname"], "小李");
  EXPECT_EQ(Call("GET", "/api/v1/merchant/chat-groups/wxg-other/stats", nullptr, shop.owner_token).status, 404);
  // Recommendations: m1 and m2 are friends; m3 is not.
  ASSERT_EQ(Call("POST", "/api/v1/friends/requests", Json{{"phone", "15600000003"}}, m1).status, 201);
  auto reqs = Call("GET", "/api/v1/friends/requests", nullptr, m2);
  ASSERT_EQ(Call("POST", "/api/v1/friends/requests/" + reqs.body["items"][0]["id"].get<std::string>() + "/accept", nullptr, m2).status, 200);
  EXPECT_EQ(Call("POST", "/api/v1/recommendations", Json{{"product_id", product}, {"text", ""}}, m1).status, 400);
  ASSERT_EQ(Call("POST", "/api/v1/recommendations", Json{{"product_id", product}, {"text", "鸡蛋很新鲜"}}, m1).status, 201);
  ASSERT_EQ(Call("POST", "/api/v1/recommendations", Json{{"product_id", product}, {"text", "回购了，真的新鲜"}}, m1).status, 201);
  Json feed = Call("GET", "/api/v1/feed/friends", nullptr, m2).body;
  ASSERT_EQ(feed["items"].size(), 1u);
  EXPECT_EQ(feed["items"][0]["text"], "回购了，真的新鲜");
  EXPECT_EQ(feed["items"][0]["friend"]["nickname"], "小王");
  EXPECT_EQ(feed["items"][0]["product"]["title"], "土鸡蛋 30 枚");
  EXPECT_EQ(Call("GET", "/api/v1/feed/friends", nullptr, m3).body["items"].size(), 0u);
  ExpectInvariants();
}

// Defect: the chat-group stats were public and unmasked, and a public share link showed the
// group's key. Members (the sharer, whoever opened a link posted there or ordered through
// one) see the 接龙 list with masked names and no money; another shop's staff, other buyers
// and anonymous callers learn nothing, not even that the group exists.
TEST_F(Promo, ChatGroupStatsOnlyForTheShopAndMembers) {
  Shop shop = OpenShop("c2c", "社区小店");
  Shop other_shop = OpenShop("c2c", "别家小店");
  auto [product, sku] = CreateProduct(shop, 3000, 50, "土鸡蛋 30 枚");
  std::string leader = Register("15610000001", "团长");
  std::string buyer = Register("15610000002", "小王"), viewer = Register("15610000003", "李");
  std::string outsider = Register();
  auto share = Call("POST", "/api/v1/shares", Json{{"product_id", product}, {"chat_group", "wxg-2002"}}, leader);
  ASSERT_EQ(share.status, 201) << share.body.dump();
  EXPECT_EQ(share.body["chat_group"], "wxg-2002");  // the sharer sees where they posted it
  std::string sid = share.body["id"];
  // Whoever holds the link does not learn the group's key.
  EXPECT_TRUE(Call("GET", "/api/v1/shares/" + sid).body["chat_group"].is_null());
  auto opened = Call("POST", "/api/v1/shares/" + sid + "/open", nullptr, buyer);
  ASSERT_EQ(opened.status, 200);
  EXPECT_TRUE(opened.body["chat_group"].is_null());
  ASSERT_EQ(Call("POST", "/api/v1/shares/" + sid + "/open", nullptr, viewer).status, 200);
  PayAndWait(buyer, Buy(buyer, sku, 2)["id"]);

  for (const std::string& member : {leader, buyer, viewer}) {
    auto seen = Call("GET", "/api/v1/chat-groups/wxg-2002/stats", nullptr, member);
    ASSERT_EQ(seen.status, 200) << seen.body.dump();
    EXPECT_EQ(seen.body["view"], "member");
    ASSERT_EQ(seen.body["jielong"].size(), 1u);
    EXPECT_EQ(seen.body["jielong"][0]["nickname"], "小*");
    EXPECT_EQ(seen.body["jielong"][0]["quantity"], 2);
    EXPECT_FALSE(seen.body.contains("gmv_fen"));
    EXPECT_FALSE(seen.body.contains("paid_orders"));
    EXPECT_EQ(seen.body.dump().find("小王"), std::string::npos);
  }
  EXPECT_EQ(Call("GET", "/api/v1/chat-groups/wxg-2002/stats").status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/chat-groups/wxg-2002/stats", nullptr, outsider).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/chat-groups/wxg-2002/stats", nullptr, other_shop.owner_token).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/chat-groups/wxg-2002/stats", nullptr, other_shop.owner_token).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/chat-groups/wxg-2002/stats", nullptr, buyer).status, 403);
  // Staff see their merchant's part with real names and money.
  auto full = Call("GET", "/api/v1/merchant/chat-groups/wxg-2002/stats", nullptr, shop.owner_token);
  ASSERT_EQ(full.status, 200) << full.body.dump();
  EXPECT_EQ(full.body["jielong"][0]["nickname"], "小王");
  EXPECT_EQ(full.body["gmv_fen"], 6000 + 800);
}

// ---------------------------------------------------------------------------------------
// Distribution

// c2c shop (5% platform commission), product 10000 fen with a 10% sharer commission.
// B1 opens S's link and buys: on completion S earns 1000 and the merchant nets 8500.
// B2 opens, buys, is refunded in full: nothing. S's own purchase and a touch older than the
// 7-day window earn nothing; the last touch (S2) wins over an earlier one.
TEST_F(Promo, DistributionWholeStory) {
  Shop shop = OpenShop("c2c", "分销店");
  auto [product, sku] = CreateProduct(shop, 10000, 20);
  auto staff = [&](const std::string& method, const std::string& path, Json body = nullptr) {
    return Call(method, path, body, shop.owner_token, {{"X-Merchant-Id", shop.id}});
  };
  EXPECT_EQ(staff("PUT", "/api/v1/merchant/products/" + product + "/distribution", Json{{"commission_bps", 9000}}).status, 400);
  auto set = staff("PUT", "/api/v1/merchant/products/" + product + "/distribution", Json{{"commission_bps", 1000}});
  ASSERT_EQ(set.status, 200) << set.body.dump();
  std::string sharer = Register(), sharer2 = Register();
  std::vector<std::string> b = RegisterMany(5);
  auto share = Call("POST", "/api/v1/shares", Json{{"product_id", product}}, sharer);
  ASSERT_EQ(share.status, 201) << share.body.dump();
  std::string sid = share.body["id"];
  auto complete = [&](const std::string& buyer, const std::string& oid) {
    ASSERT_EQ(staff("POST", "/api/v1/merchant/orders/" + oid + "/ship", Json{{"carrier", "顺丰"}, {"tracking_no", "SF9"}}).status, 200);
    auto done = Call("POST", "/api/v1/orders/" + oid + "/confirm", nullptr, buyer);
    ASSERT_EQ(done.status, 200) << done.body.dump();
  };

  ASSERT_EQ(Call("POST", "/api/v1/shares/" + sid + "/open", nullptr, b[0]).status, 200);
  Json o1 = Buy(b[0], sku);
  PayAndWait(b[0], o1["id"]);
  complete(b[0], o1["id"]);
  Json mine = Call("GET", "/api/v1/me/commissions", nullptr, sharer).body;
  EXPECT_EQ(mine["balance_fen"], 1000);
  ASSERT_EQ(mine["items"].size(), 1u);
  EXPECT_EQ(mine["items"][0]["status"], "paid");
  EXPECT_EQ(Call("GET", "/api/v1/merchant/finance", nullptr, shop.owner_token).body["payable_fen"], 10000 - 500 - 1000);

  // Refunded in full: the commission is cancelled.
  ASSERT_EQ(Call("POST", "/api/v1/shares/" + sid + "/open", nullptr, b[1]).status, 200);
  Json o2 = Buy(b[1], sku);
  PayAndWait(b[1], o2["id"]);
  auto as = Call("POST", "/api/v1/orders/" + o2["id"].get<std::string>() + "/aftersales",
                 Json{{"type", "refund_only"}, {"amount_fen", 10000}, {"reason", "不要了"}}, b[1]);
  ASSERT_EQ(as.status, 201) << as.body.dump();
  ASSERT_EQ(staff("POST", "/api/v1/merchant/aftersales/" + as.body["id"].get<std::string>() + "/approve").status, 200);
  WaitStatus(b[1], o2["id"], "refunded");
  mine = Call("GET", "/api/v1/me/commissions", nullptr, sharer).body;
  EXPECT_EQ(mine["balance_fen"], 1000);
  EXPECT_EQ(mine["items"][0]["status"], "cancelled");

  // The sharer's own purchase earns nothing.
  ASSERT_EQ(Call("POST", "/api/v1/shares/" + sid + "/open", nullptr, sharer).status, 200);
  Json own = Buy(sharer, sku);
  // Last touch wins: b[2] opened S's link, then S2's.
  std::string sid2 = Call("POST", "/api/v1/shares", Json{{"product_id", product}}, sharer2).body["id"];
  ASSERT_EQ(Call("POST", "/api/v1/shares/" + sid + "/open", nullptr, b[2]).status, 200);
  ASSERT_EQ(Call("POST", "/api/v1/shares/" + sid2 + "/open", nullptr, b[2]).status, 200);
  Json o3 = Buy(b[2], sku);
  PayAndWait(b[2], o3["id"]);
  complete(b[2], o3["id"]);
  EXPECT_EQ(Call("GET", "/api/v1/me/commissions", nullptr, sharer2).body["balance_fen"], 1000);
  EXPECT_EQ(Call("GET", "/api/v1/me/commissions", nullptr, sharer).body["items"].size(), 2u);
  // A touch older than the attribution window earns nothing.
  ASSERT_EQ(Call("POST", "/api/v1/shares/" + sid + "/open", nullptr, b[3]).status, 200);
  clock_.AdvanceMs(8 * kDayMs);
  Json o4 = Buy(b[3], sku);
  PayAndWait(b[3], o4["id"]);
  complete(b[3], o4["id"]);
  EXPECT_EQ(Call("GET", "/api/v1/me/commissions", nullptr, sharer).body["balance_fen"], 1000);
  EXPECT_EQ(Call("GET", "/api/v1/me/commissions", nullptr, sharer).body["items"].size(), 2u);
  (void)own;
  Json report = ExpectInvariants();
  EXPECT_EQ(report["sum_fen"], 0);
}

TEST_F(Promo, BuyersDiscoverClaimableShopAndPlatformCoupons) {
  Shop shop = OpenShop("c2c", "领券店");
  Json body{{"title", "满50减5"}, {"kind", "threshold"}, {"amount_fen", 500}, {"min_spend_fen", 5000}, {"total_quota", 1},
            {"per_user_limit", 1}, {"scope", {{"type", "merchant"}}}, {"valid_days", 7}};
  auto made = Call("POST", "/api/v1/merchant/coupons", body, shop.owner_token);
  ASSERT_EQ(made.status, 201) << made.body.dump();
  Json platform = body;
  platform["scope"] = Json{{"type", "platform"}};
  ASSERT_EQ(Call("POST", "/api/v1/admin/coupons", platform, AdminToken()).status, 201);
  auto listed = Call("GET", "/api/v1/merchants/" + shop.id + "/coupons");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["items"].size(), 1u);
  EXPECT_EQ(listed.body["items"][0]["id"], made.body["id"]);
  EXPECT_EQ(Call("GET", "/api/v1/platform/coupons").body["items"].size(), 1u);
  // Once its quota is gone a coupon is no longer offered.
  std::string buyer = Register();
  ASSERT_EQ(Call("POST", "/api/v1/coupons/" + made.body["id"].get<std::string>() + "/claim", nullptr, buyer).status, 201);
  EXPECT_EQ(Call("GET", "/api/v1/merchants/" + shop.id + "/coupons").body["items"].size(), 0u);
}

TEST_F(Promo, ShareLinksAreUnguessableCodes) {
  Shop shop = OpenShop("c2c", "分享店");
  auto [product, sku] = CreateProduct(shop, 3000, 5);
  std::string sharer = Register(), viewer = Register();
  auto a = Call("POST", "/api/v1/shares", Json{{"product_id", product}}, sharer);
  auto b = Call("POST", "/api/v1/shares", Json{{"product_id", product}, {"channel", "qr"}}, sharer);
  ASSERT_EQ(a.status, 201) << a.body.dump();
  std::string code = a.body["id"];
  EXPECT_EQ(code.size(), 12u);
  EXPECT_NE(code, b.body["id"].get<std::string>());
  EXPECT_NE(a.body["link"].get<std::string>().find(code), std::string::npos);
  EXPECT_EQ(Call("POST", "/api/v1/shares/" + code + "/open", nullptr, viewer).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/shares/" + code).body["opens"], 1);
  EXPECT_EQ(Call("GET", "/api/v1/shares/AAAAAAAAAAAA").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/shares/123").status, 404);
}

// ---------------------------------------------------------------------------------------
// Distribution columns (docs/scale-out.md, "Citus: distribution columns"; store/colocation.h)

class Colocation : public Promo {
 protected:
  int64_t Count(const std::string& sql) {
    auto n = app_->store().Read([&](Reader& r) { return r.QueryInt(sql); });
    EXPECT_TRUE(n) << sql << ": " << n.error().message;
    return n ? *n : -1;
  }
  // Every order flow that writes a child table: on shop A a plain order through a chat-group
  // share that earns its sharer a commission (paid, shipped, tracked, completed), an order
  // returned in part, one refunded, a gift; on shop B a group buy and a bargain with a help.
  void RunEveryFlow() {
    Shop a = OpenShop("c2c", "分销店"), b = OpenShop("c2c", "拼团砍价店");
    auto [product, sku] = CreateProduct(a, 10000, 50);
    auto a_staff = [&](const std::string& method, const std::string& path, Json body = nullptr) {
      return Call(method, path, body, a.owner_token, {{"X-Merchant-Id", a.id}});
    };
    ASSERT_EQ(a_staff("PUT", "/api/v1/merchant/products/" + product + "/distribution",
                      Json{{"commission_bps", 1000}})
                  .status,
              200);
    std::string sharer = Register();
    std::vector<std::string> buyers = RegisterMany(4);
    auto share = Call("POST", "/api/v1/shares",
                      Json{{"product_id", product}, {"chat_group", "wxg-2001"}}, sharer);
    ASSERT_EQ(share.status, 201) << share.body.dump();
    ASSERT_EQ(Call("POST", "/api/v1/shares/" + share.body["id"].get<std::string>() + "/open",
                   nullptr, buyers[0])
                  .status,
              200);
    // Membership: a card claimed through a store's link, and o1 earns points on it.
    ASSERT_EQ(a_staff("PUT", "/api/v1/merchant/member-programme",
                      Json{{"title", "会员卡"},
                           {"levels", {{{"name", "会员"}, {"growth_threshold", 0}, {"discount_bps", 500}}}}})
                  .status,
              200);
    auto store = a_staff("POST", "/api/v1/merchant/member-stores",
                         Json{{"name", "门店"}, {"address", "上海"}, {"latitude", 31.2}, {"longitude", 121.5}});
    ASSERT_EQ(store.status, 201) << store.body.dump();
    ASSERT_EQ(Call("POST", "/api/v1/member-cards/claim/" + store.body["claim_token"].get<std::string>(),
                   nullptr, buyers[0])
                  .status,
              200);
    Json o1 = Buy(buyers[0], sku);
    PayAndWait(buyers[0], o1["id"]);
    const std::string oid1 = o1["id"];
    ASSERT_EQ(a_staff("POST", "/api/v1/merchant/orders/" + oid1 + "/ship",
                      Json{{"carrier", "顺丰"}, {"tracking_no", "SF1"}})
                  .status,
              200);
    ASSERT_EQ(a_staff("POST", "/api/v1/merchant/orders/" + oid1 + "/tracking",
                      Json{{"description", "已签收"}, {"delivered", true}})
                  .status,
              200);
    ASSERT_EQ(Call("POST", "/api/v1/orders/" + oid1 + "/confirm", nullptr, buyers[0]).status, 200);
    // The completed o1 is reviewed; its buyer asks the shop about it (a customer-service
    // message); the card's holder buys in the store (a POS purchase), gets a push (an inbox
    // message) and shares the card with a friend who claims it (a referral).
    auto reviewable = Call("GET", "/api/v1/orders/" + oid1 + "/reviews", nullptr, buyers[0]);
    ASSERT_EQ(reviewable.status, 200) << reviewable.body.dump();
    ASSERT_EQ(Call("POST", "/api/v1/reviews",
                   Json{{"order_item_id", reviewable.body["items"][0]["order_item_id"]}, {"rating", 5}},
                   buyers[0])
                  .status,
              201);
    auto thread = Call("POST", "/api/v1/cs/threads", Json{{"merchant_id", a.id}, {"order_id", oid1}}, buyers[0]);
    ASSERT_EQ(thread.status, 200) << thread.body.dump();
    ASSERT_EQ(Call("POST", "/api/v1/cs/threads/" + thread.body["id"].get<std::string>() + "/messages",
                   Json{{"text", "什么时候到货？"}}, buyers[0])
                  .status,
              201);
    auto pos_key = a_staff("POST", "/api/v1/merchant/api-keys", Json{{"name", "收银台"}, {"scopes", {"pos"}}});
    ASSERT_EQ(pos_key.status, 201) << pos_key.body.dump();
    auto cards = Call("GET", "/api/v1/me/member-cards", nullptr, buyers[0]);
    ASSERT_EQ(cards.status, 200) << cards.body.dump();
    const std::string card_id = cards.body["items"][0]["id"];
    auto member_code = Call("GET", "/api/v1/me/member-cards/" + card_id + "/code", nullptr, buyers[0]);
    ASSERT_EQ(member_code.status, 200) << member_code.body.dump();
    auto pos = Call("POST", "/api/v1/open/pos/purchases",
                    Json{{"store_id", store.body["id"]}, {"member_code", member_code.body["digits"]},
                         {"receipt_id", "POS-1"}, {"amount_fen", 3000},
                         {"items", {{{"name", "拿铁"}, {"quantity", 1}, {"amount_fen", 3000}}}}},
                    "", {{"X-Api-Key", pos_key.body["secret"].get<std::string>()}});
    ASSERT_EQ(pos.status, 201) << pos.body.dump();
    ASSERT_EQ(a_staff("POST", "/api/v1/merchant/member-pushes", Json{{"text", "本周新品"}}).status, 201);
    // A push to a tag's card holders fixes its audience (member_push_targets).
    ASSERT_TRUE(app_->insight().CatchUp());
    auto push_tags = a_staff("GET", "/api/v1/merchant/member-push-tags", nullptr);
    ASSERT_EQ(push_tags.status, 200) << push_tags.body.dump();
    ASSERT_FALSE(push_tags.body["items"].empty()) << push_tags.body.dump();
    int64_t targeted = 0;  // the first tag that matches one of the shop's card holders
    for (const Json& tag : push_tags.body["items"]) {
      auto tag_push = a_staff("POST", "/api/v1/merchant/member-pushes",
                              Json{{"text", "老顾客专享"}, {"audience", {{"tags", {tag}}}}});
      ASSERT_EQ(tag_push.status, 201) << tag_push.body.dump();
      if ((targeted = tag_push.body["stats"]["targeted"].get<int64_t>()) > 0) break;
    }
    ASSERT_GT(targeted, 0);
    auto card_share = Call("POST", "/api/v1/me/member-cards/" + card_id + "/share", nullptr, buyers[0]);
    ASSERT_EQ(card_share.status, 200) << card_share.body.dump();
    ASSERT_EQ(Call("POST", "/api/v1/member-cards/claim/" + card_share.body["share_token"].get<std::string>(),
                   nullptr, buyers[1])
                  .status,
              200);
    Json o2 = Buy(buyers[1], sku, 2);
    PayAndWait(buyers[1], o2["id"]);
    const std::string oid2 = o2["id"];
    ASSERT_EQ(a_staff("POST", "/api/v1/merchant/orders/" + oid2 + "/ship",
                      Json{{"carrier", "顺丰"}, {"tracking_no", "SF2"}})
                  .status,
              200);
    auto ret = Call("POST", "/api/v1/orders/" + oid2 + "/aftersales",
                    Json{{"type", "return_refund"},
                         {"amount_fen", 10000},
                         {"items", {{{"sku_id", sku}, {"quantity", 1}}}}},
                    buyers[1]);
    ASSERT_EQ(ret.status, 201) << ret.body.dump();
    Json o3 = Buy(buyers[2], sku);
    PayAndWait(buyers[2], o3["id"]);
    auto refund =
        Call("POST", "/api/v1/orders/" + o3["id"].get<std::string>() + "/aftersales",
             Json{{"type", "refund_only"}, {"amount_fen", 10000}, {"reason", "不要了"}}, buyers[2]);
    ASSERT_EQ(refund.status, 201) << refund.body.dump();
    ASSERT_EQ(a_staff("POST", "/api/v1/merchant/aftersales/" +
                                  refund.body["id"].get<std::string>() + "/approve")
                  .status,
              200);
    WaitStatus(buyers[2], o3["id"], "refunded");
    Json gift = Order(buyers[3], sku, Json{{"gift", {{"message", "生日快乐"}}}});
    PayAndWait(buyers[3], gift["id"]);  // a paid gift has its parts (gift_parts)

    auto [group_product, group_sku] = CreateProduct(b, 6800, 20);
    Json group_buy = GroupBuy(b, group_sku, 2, 600);
    Json leader = Order(buyers[0], group_sku, Json{{"id", group_buy["id"]}});
    PayAndWait(buyers[0], leader["id"]);
    auto [bargain_product, bargain_sku] = CreateProduct(b, 10000, 20);
    Json bargain = NewActivity(b, Json{{"type", "bargain"},
                                       {"sku_id", bargain_sku},
                                       {"floor_price_fen", 1000},
                                       {"helps_needed", 2},
                                       {"ttl_s", 3600}});
    auto started =
        Call("POST", "/api/v1/bargains", Json{{"activity_id", bargain["id"]}}, buyers[1]);
    ASSERT_EQ(started.status, 201) << started.body.dump();
    std::string bid = started.body["id"];
    ASSERT_EQ(Call("POST", "/api/v1/bargains/" + bid + "/help", nullptr, buyers[2]).status, 200);
    Order(buyers[1], bargain_sku, Json{{"id", bargain["id"]}, {"bargain_id", bid}});
    // Community group buying on shop A: a leader, a campaign, an order through the link, the
    // batch its cutoff consolidated (5 minutes on: before groups and unpaid orders expire),
    // shipped, arrived, picked up; the commission released (its timer pulled forward: the
    // hold is a week) and withdrawn.
    auto leader_role = Call("POST", "/api/v1/community/leaders",
                            Json{{"merchant_id", a.id}, {"name", "团长"}, {"phone", "13912345678"},
                                 {"pickup_point", {{"name", "自提点"}, {"address", "上海"}, {"latitude", 31.2},
                                                   {"longitude", 121.5}, {"capacity", 50}}}},
                            buyers[3]);
    ASSERT_EQ(leader_role.status, 201) << leader_role.body.dump();
    const std::string leader_id = leader_role.body["id"];
    ASSERT_EQ(a_staff("POST", "/api/v1/merchant/community/leaders/" + leader_id + "/approve").status, 200);
    auto campaign = a_staff("POST", "/api/v1/merchant/community/campaigns",
                            Json{{"title", "团购"}, {"cutoff_at", FormatRfc3339(clock_.NowMs() + 5 * 60 * 1000)},
                                 {"pickup_date", "2026-01-02"}, {"commission_bps", 1000},
                                 {"items", {{{"sku_id", sku}, {"price_fen", 9000}, {"stock", 5}}}}});
    ASSERT_EQ(campaign.status, 201) << campaign.body.dump();
    auto tuan = Call("POST", "/api/v1/checkout",
                     Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}}},
                          {"activity", {{"community", {{"campaign_id", campaign.body["id"]}, {"leader_code", leader_role.body["code"]}}}}}},
                     buyers[2]);
    ASSERT_EQ(tuan.status, 201) << tuan.body.dump();
    const std::string tuan_id = tuan.body["orders"][0]["id"];
    PayAndWait(buyers[2], tuan_id);
    clock_.AdvanceMs(5 * 60 * 1000);
    RunTimers();
    auto batches = a_staff("GET", "/api/v1/merchant/community/batches");
    ASSERT_EQ(batches.body["items"].size(), 1u) << batches.body.dump();
    const std::string batch_id = batches.body["items"][0]["id"];
    ASSERT_EQ(a_staff("POST", "/api/v1/merchant/community/batches/" + batch_id + "/ship",
                      Json{{"carrier", "顺丰"}, {"tracking_no", "SF9"}}).status, 200);
    ASSERT_EQ(Call("POST", "/api/v1/me/leaders/" + leader_id + "/batches/" + batch_id + "/arrive", nullptr, buyers[3]).status, 200);
    auto code = Call("GET", "/api/v1/orders/" + tuan_id + "/pickup-code", nullptr, buyers[2]);
    ASSERT_EQ(Call("POST", "/api/v1/me/leaders/" + leader_id + "/pickups", Json{{"pickup_code", code.body["pickup_code"]}}, buyers[3]).status,
              200);
    ASSERT_TRUE(app_->store().Execute([&](Tx& tx) {
      return tx.Run("UPDATE timers SET due_at_ms=? WHERE kind='community.commission_release'", {clock_.NowMs()});
    }));
    RunTimers();
    ASSERT_EQ(Call("POST", "/api/v1/me/leaders/" + leader_id + "/withdrawals", Json{{"amount_fen", 100}}, buyers[3]).status, 201);
    // A live room: a product, a reminder, an order in the room, a comment and a muted author.
    auto room = a_staff("POST", "/api/v1/merchant/live/rooms",
                        Json{{"title", "直播"}, {"stream_url", "https://live.example.com/a.m3u8"},
                             {"products", {{{"sku_id", sku}, {"live_price_fen", 5000}, {"live_stock", 2}}}}});
    ASSERT_EQ(room.status, 201) << room.body.dump();
    const std::string room_id = room.body["id"];
    ASSERT_EQ(Call("POST", "/api/v1/live/rooms/" + room_id + "/reminders", nullptr, buyers[0]).status, 201);
    ASSERT_EQ(a_staff("POST", "/api/v1/merchant/live/rooms/" + room_id + "/start").status, 200);
    auto live_order = Call("POST", "/api/v1/checkout",
                           Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()},
                                {"activity", {{"live", {{"room_id", room_id}}}}}},
                           buyers[1]);
    ASSERT_EQ(live_order.status, 201) << live_order.body.dump();
    // A signed-in viewer opening the room's page is recorded once (live_room_viewers).
    ASSERT_EQ(Call("GET", "/api/v1/live/rooms/" + room_id, nullptr, buyers[1]).status, 200);
    auto live_comment = Call("POST", "/api/v1/live/rooms/" + room_id + "/comments", Json{{"text", "好"}}, buyers[1]);
    ASSERT_EQ(live_comment.status, 201) << live_comment.body.dump();
    ASSERT_EQ(a_staff("POST", "/api/v1/merchant/live/rooms/" + room_id + "/comments/" +
                                  live_comment.body["id"].get<std::string>() + "/mute").status,
              200);
    (void)group_product;
    (void)bargain_product;
  }
};

// Every child table has rows from the flows, none with the column left at its default 0, and
// the check passes; then a mismatch planted in each child table in turn is reported by name.
TEST_F(Colocation, EveryChildRowCarriesItsParentsColumnAndTheCheckCatchesAMismatch) {
  RunEveryFlow();
  if (HasFatalFailure()) return;
  for (const ColocatedChild& c : ColocatedChildren()) {
    if (std::string(c.table) == "webhook_deliveries") continue;  // no endpoint here (api_open_test)
    // Written by a node's stream hub for its connected viewers (api_live_test's two nodes)
    if (std::string(c.table) == "live_room_node_viewers") continue;
    const std::string table = c.table, column = c.column;
    EXPECT_GT(Count("SELECT count(*) FROM " + table), 0)
        << table << " has no rows: the flows do not cover it";
    EXPECT_EQ(Count("SELECT count(*) FROM " + table + " WHERE " + column + " = 0"), 0)
        << table << "." << column;
  }
  ExpectInvariants();
  for (const ColocatedChild& c : ColocatedChildren()) {
    const std::string table = c.table, column = c.column, key = c.key;
    if (table == "webhook_deliveries" || table == "live_room_node_viewers") continue;
    const std::string plant = "UPDATE " + table + " SET " + column + " = " + column +
                              " + ?1 WHERE " + key + " = (SELECT MIN(" + key + ") FROM " + table +
                              ")";
    ASSERT_TRUE(app_->store().Execute([&](Tx& tx) { return tx.Run(plant, {int64_t{1}}); }));
    auto report = http::RunInvariantChecks(app_->context());
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_FALSE((*report)["colocation_ok"].get<bool>()) << table;
    const std::string problems = (*report)["problems"].dump();
    EXPECT_NE(problems.find(table + "." + column + " "), std::string::npos) << problems;
    EXPECT_NE(problems.find("differs from " + std::string(c.parent) + "." + c.parent_column),
              std::string::npos)
        << problems;
    ASSERT_TRUE(app_->store().Execute([&](Tx& tx) { return tx.Run(plant, {int64_t{-1}}); }));
  }
  ExpectInvariants();
}

// Migration 025 on a store from before it: the same flows, with the columns it adds dropped (and
// the unique indexes it widens as they were), reopened → every row has its parent's column again.
TEST_F(Colocation, StoreFromBeforeDistributionColumnsIsBackfilled) {
  RunEveryFlow();
  if (HasFatalFailure()) return;
  const std::vector<std::pair<std::string, std::string>> added = {
      {"order_items", "merchant_id"},       {"tracking_events", "merchant_id"},
      {"refunds", "merchant_id"},           {"aftersale_items", "merchant_id"},
      {"promo_groups", "merchant_id"},      {"activity_orders", "merchant_id"},
      {"bargains", "merchant_id"},          {"bargain_helps", "merchant_id"},
      {"order_commissions", "merchant_id"}, {"gifts", "merchant_id"},
      {"chat_group_orders", "merchant_id"}, {"share_opens", "sharer_id"}};
  auto snapshot = [&] {
    std::vector<std::string> out;
    for (auto& [table, column] : added) {
      auto rows = app_->store().Read([&](Reader& r) {
        return r.Query("SELECT " + column + " FROM " + table + " ORDER BY 1");
      });
      EXPECT_TRUE(rows) << rows.error().message;
      if (!rows) continue;
      for (const Row& row : *rows) out.push_back(table + " " + std::to_string(row.Int(0)));
    }
    return out;
  };
  const std::vector<std::string> now = snapshot();
  ASSERT_EQ(
      now.size(),
      static_cast<size_t>(Count(
          "SELECT (SELECT count(*) FROM order_items) + (SELECT count(*) FROM tracking_events) + "
          "(SELECT count(*) FROM refunds) + (SELECT count(*) FROM aftersale_items) + "
          "(SELECT count(*) FROM promo_groups) + (SELECT count(*) FROM activity_orders) + "
          "(SELECT count(*) FROM bargains) + (SELECT count(*) FROM bargain_helps) + "
          "(SELECT count(*) FROM order_commissions) + (SELECT count(*) FROM gifts) + "
          "(SELECT count(*) FROM chat_group_orders) + (SELECT count(*) FROM share_opens)")));
  // The schema as it was before 025.
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("DROP INDEX payments_one_success"));
    RETURN_IF_ERROR(
        tx.Run("CREATE UNIQUE INDEX payments_one_success ON payments(order_id) WHERE status = "
               "'succeeded'"));
    RETURN_IF_ERROR(tx.Run("DROP INDEX activity_orders_one_seat"));
    RETURN_IF_ERROR(tx.Run(
        "CREATE UNIQUE INDEX activity_orders_one_seat ON activity_orders(group_id, buyer_id) "
        "WHERE group_id IS NOT NULL AND state <> 'cancelled'"));
    RETURN_IF_ERROR(tx.Run("DROP INDEX bargains_one_active"));
    RETURN_IF_ERROR(
        tx.Run("CREATE UNIQUE INDEX bargains_one_active ON bargains(activity_id, user_id) WHERE "
               "status = 'active'"));
    // Migration 059's indexes name two of those columns: dropped too, 059 runs again after 025.
    for (const char* index : {"chat_group_orders_merchant", "live_orders_merchant",
                              "community_orders_merchant", "order_commissions_merchant"})
      RETURN_IF_ERROR(tx.Run(std::string("DROP INDEX ") + index));
    for (auto& [table, column] : added)
      RETURN_IF_ERROR(tx.Run("ALTER TABLE " + table + " DROP COLUMN " + column));
    return tx.Run("DELETE FROM schema_migrations WHERE version IN (25, 59)");
  }));
  app_->Stop();
  app_.reset();
  AppOptions o;
  o.db_path = db_;
  o.port = 0;
  o.background = true;
  o.timer_poll_ms = 3'600'000;
  o.hasher.cost = account::HashCost::kFast;
  Configure(o);
  auto app = App::Create(o, clock_);  // applies 025 again
  ASSERT_TRUE(app) << app.error().message;
  app_ = std::move(*app);
  port_ = app_->Start();
  EXPECT_EQ(snapshot(), now);
  ExpectInvariants();
}

}  // namespace
}  // namespace xd::testing
