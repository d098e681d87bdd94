// Community group buying over real HTTP (SPEC §7, issue 17): residents apply to lead with their
// pickup points, the shop approves and publishes a campaign, neighbours order through a leader's
// link or the nearest pickup point (no address), the fake clock passes the cutoff (409
// CUTOFF_PASSED) and the cutoff timer consolidates one batch per pickup point, the shop ships each
// batch, leaders mark arrival and verify pickup codes (partial pickups too; another point's code is
// 404, a used one 409), picked-up orders pay their leader after the shop's hold, and unpicked
// orders are refunded at the deadline. Races: 300 buyers against the cutoff (every order either in
// its batch or refused, none both) and 20 verifications of one code (one pickup). Every test ends
// with the invariant report (community_ok among them).
#include <atomic>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "base/id.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

constexpr int64_t kHourMs = 3600LL * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;

class Community : public ApiTest {
 protected:
  static std::string Reason(const http::Client::JsonResponse& r) {
    return r.body.value("error", Json::object()).value("reason", "");
  }

  // A resident applies to lead for `shop` with a new pickup point at (lat, lng); the shop approves.
  // Returns the leader's id (their role) and their token.
  struct LeaderRole {
    std::string token, id, code, point_id;
  };
  LeaderRole NewLeader(const Shop& shop, const std::string& name, double lat, double lng,
                       bool approve = true) {
    LeaderRole l;
    l.token = Register("", name);
    auto applied = Call("POST", "/api/v1/community/leaders",
                        Json{{"merchant_id", shop.id},
                             {"name", name},
                             {"phone", "13912345678"},
                             {"pickup_point",
                              {{"name", name + "的自提点"},
                               {"address", "幸福路 88 弄"},
                               {"hours", "9:00-21:00"},
                               {"latitude", lat},
                               {"longitude", lng},
                               {"capacity", 200}}}},
                        l.token);
    EXPECT_EQ(applied.status, 201) << applied.body.dump();
    EXPECT_EQ(applied.body["status"], "pending");
    l.id = applied.body["id"];
    l.code = applied.body["code"];
    l.point_id = applied.body["pickup_point"]["id"];
    if (approve) {
      auto ok = Call("POST", "/api/v1/merchant/community/leaders/" + l.id + "/approve", nullptr,
                     shop.owner_token);
      EXPECT_EQ(ok.status, 200) << ok.body.dump();
      EXPECT_EQ(ok.body["status"], "active");
    }
    return l;
  }

  Json NewCampaign(const Shop& shop, const Json& items, int64_t cutoff_in_ms,
                   const std::string& rule = "refund") {
    auto r = Call("POST", "/api/v1/merchant/community/campaigns",
                  Json{{"title", "周三蔬果团"},
                       {"cutoff_at", FormatRfc3339(clock_.NowMs() + cutoff_in_ms)},
                       {"pickup_date", "2026-01-03"},
                       {"commission_bps", 1000},
                       {"unpicked_days", 3},
                       {"unpicked_rule", rule},
                       {"items", items}},
                  shop.owner_token);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body;
  }

  // A checkout through a leader's link (or a pickup point): no address.
  http::Client::JsonResponse Order(const std::string& buyer, const std::string& campaign_id,
                                   const Json& ref, const Json& items) {
    Json community = ref;
    community["campaign_id"] = campaign_id;
    return Call("POST", "/api/v1/checkout",
                Json{{"items", items}, {"activity", {{"community", community}}}}, buyer);
  }
  std::string OrderAndPay(const std::string& buyer, const std::string& campaign_id, const Json& ref,
                          const Json& items) {
    auto r = Order(buyer, campaign_id, ref, items);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    if (r.status != 201) return "";
    std::string id = r.body["orders"][0]["id"];
    PayAndWait(buyer, id);
    return id;
  }

  // The shop's batch for a pickup point, after consolidation.
  Json BatchOf(const Shop& shop, const std::string& campaign_id, const std::string& point_id) {
    auto r = Call("GET", "/api/v1/merchant/community/batches?campaign_id=" + campaign_id, nullptr,
                  shop.owner_token);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    for (auto& b : r.body["items"])
      if (b["pickup_point"]["id"] == point_id) return b;
    ADD_FAILURE() << "no batch for point " << point_id << ": " << r.body.dump();
    return Json::object();
  }

  std::string PickupCode(const std::string& buyer, const std::string& order_id) {
    auto r = Call("GET", "/api/v1/orders/" + order_id + "/pickup-code", nullptr, buyer);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["pickup_code"].get<std::string>().size(), 6u);
    EXPECT_EQ(r.body["qr_svg"].get<std::string>().rfind("<svg ", 0), 0u);
    return r.body["pickup_code"];
  }

  http::Client::JsonResponse Verify(const LeaderRole& l, const std::string& code,
                                    Json items = nullptr) {
    Json body{{"pickup_code", code}};
    if (!items.is_null()) body["items"] = items;
    return Call("POST", "/api/v1/me/leaders/" + l.id + "/pickups", body, l.token);
  }
};

static Json Line(const std::string& sku, int64_t qty) {
  return Json{{"sku_id", sku}, {"quantity", qty}};
}

// The whole story with two leaders and five buyers, every number worked out.
TEST_F(Community, LeadersCampaignCutoffConsolidationArrivalPickupCommissionUnpicked) {
  Shop shop = OpenShop("c2c", "邻里鲜蔬");
  auto [veg_product, veg] = CreateProduct(shop, 1500, 100, "本地青菜 500g");
  auto [egg_product, egg] = CreateProduct(shop, 2000, 100, "土鸡蛋 10 枚");
  // Two residents lead: 王阿姨 near the buyers, 李叔 across town; a third waits for approval.
  LeaderRole wang = NewLeader(shop, "王阿姨", 31.2000, 121.5000);
  LeaderRole li = NewLeader(shop, "李叔", 31.3000, 121.6000);
  LeaderRole zhao = NewLeader(shop, "赵姐", 31.2001, 121.5001, false);
  EXPECT_EQ(
      Call("GET", "/api/v1/merchant/community/leaders?status=pending", nullptr, shop.owner_token)
          .body["items"]
          .size(),
      1u);

  Json campaign = NewCampaign(
      shop,
      Json::array(
          {Json{{"sku_id", veg}, {"price_fen", 990}, {"stock", 50}},
           Json{{"sku_id", egg}, {"price_fen", 1500}, {"stock", 3}, {"commission_bps", 1500}}}),
      2 * kHourMs);
  std::string cid = campaign["id"];
  // Each active leader has a personal link with their attribution code, never a user id.
  auto mine = Call("GET", "/api/v1/me/leaders/" + wang.id + "/campaigns", nullptr, wang.token);
  ASSERT_EQ(mine.status, 200) << mine.body.dump();
  EXPECT_EQ(mine.body["items"][0]["link"], "/#/tuan/" + cid + "/" + wang.code);
  EXPECT_TRUE(Call("GET", "/api/v1/me/leaders/" + zhao.id + "/campaigns", nullptr, zhao.token)
                  .body["items"][0]["link"]
                  .is_null());
  auto qr =
      NewClient()->Send("GET", "/api/v1/me/leaders/" + wang.id + "/campaigns/" + cid + "/qr.svg",
                        "", {{"Authorization", "Bearer " + wang.token}});
  EXPECT_EQ(qr.status, 200);
  EXPECT_EQ(qr.body.rfind("<svg ", 0), 0u);
  // Another user's role is nobody's business: 404.
  EXPECT_EQ(Call("GET", "/api/v1/me/leaders/" + li.id + "/campaigns", nullptr, wang.token).status,
            404);
  // The link's page, public: the campaign and the leader's point, open.
  auto page = Call("GET", "/api/v1/community/campaigns/" + cid + "?leader=" + wang.code);
  ASSERT_EQ(page.status, 200) << page.body.dump();
  EXPECT_EQ(page.body["pickup_point"]["status"], "open");
  EXPECT_EQ(page.body["campaign"]["items"][0]["price_fen"], 990);
  EXPECT_EQ(Call("GET", "/api/v1/community/campaigns/" + cid + "?leader=" + zhao.code)
                .body["pickup_point"]["status"],
            "closed");

  // Buyer 1 through 王阿姨's link: 2 青菜 + 1 鸡蛋 at community prices, picked up, no shipping.
  std::string b1 = Register("", "小林");
  auto o1 =
      Order(b1, cid, Json{{"leader_code", wang.code}}, Json::array({Line(veg, 2), Line(egg, 1)}));
  ASSERT_EQ(o1.status, 201) << o1.body.dump();
  Json order1 = o1.body["orders"][0];
  EXPECT_EQ(order1["total_fen"], 2 * 990 + 1500);
  EXPECT_EQ(order1["shipping_fen"], 0);
  EXPECT_TRUE(order1["address"].empty());
  EXPECT_EQ(order1["activity"]["community"]["leader_id"], wang.id);
  EXPECT_EQ(order1["activity"]["community"]["pickup_point_id"], wang.point_id);
  PayAndWait(b1, order1["id"]);
  // Buyer 2 chooses the nearest pickup point: 王阿姨's (the pending 赵姐's is not offered).
  auto near = Call("GET", "/api/v1/community/campaigns/" + cid +
                              "/pickup-points?latitude=31.2001&longitude=121.5001");
  ASSERT_EQ(near.status, 200) << near.body.dump();
  ASSERT_EQ(near.body["items"].size(), 2u);
  EXPECT_EQ(near.body["items"][0]["id"], wang.point_id);
  EXPECT_LT(near.body["items"][0]["distance_m"].get<int64_t>(),
            near.body["items"][1]["distance_m"].get<int64_t>());
  std::string b2 = Register();
  std::string o2 =
      OrderAndPay(b2, cid, Json{{"pickup_point_id", wang.point_id}}, Json::array({Line(veg, 1)}));
  // Buyer 5 at 王阿姨's takes 2 青菜 and will collect only one of them.
  std::string b5 = Register();
  std::string o5 =
      OrderAndPay(b5, cid, Json{{"leader_code", wang.code}}, Json::array({Line(veg, 2)}));
  // Buyers 3 and 4 through 李叔; buyer 4 never collects.
  std::string b3 = Register(), b4 = Register();
  std::string o3 =
      OrderAndPay(b3, cid, Json{{"leader_code", li.code}}, Json::array({Line(veg, 1)}));
  std::string o4 =
      OrderAndPay(b4, cid, Json{{"leader_code", li.code}}, Json::array({Line(egg, 1)}));

  // Bad input: an address-less express order, a product not in the campaign, campaign stock
  // beyond what is left (3 eggs, 2 held), a pending leader's link.
  auto [other_product, other_sku] = CreateProduct(shop, 800, 10, "不在团里的商品");
  EXPECT_EQ(Reason(Call("POST", "/api/v1/checkout",
                        Json{{"items", {Line(veg, 1)}},
                             {"activity", {{"community", {{"campaign_id", cid}, {"leader_code", wang.code}}}, {"id", "1"}}}},
                        b1)),
            "COMMUNITY_NO_ACTIVITY");
  EXPECT_EQ(
      Reason(Order(b1, cid, Json{{"leader_code", wang.code}}, Json::array({Line(other_sku, 1)}))),
      "CAMPAIGN_SKU_NOT_IN");
  auto sold_out = Order(b1, cid, Json{{"leader_code", wang.code}}, Json::array({Line(egg, 2)}));
  EXPECT_EQ(sold_out.status, 409);
  EXPECT_EQ(Reason(sold_out), "CAMPAIGN_SOLD_OUT");
  auto pending = Order(b1, cid, Json{{"leader_code", zhao.code}}, Json::array({Line(veg, 1)}));
  EXPECT_EQ(pending.status, 410);
  EXPECT_EQ(Reason(pending), "LEADER_INACTIVE");
  // A suspended leader's link stops selling (410) and shows the point closed; approved again, it
  // sells.
  ASSERT_EQ(Call("POST", "/api/v1/merchant/community/leaders/" + li.id + "/suspend", nullptr,
                 shop.owner_token)
                .status,
            200);
  auto suspended = Order(b1, cid, Json{{"leader_code", li.code}}, Json::array({Line(veg, 1)}));
  EXPECT_EQ(suspended.status, 410);
  EXPECT_EQ(suspended.body["error"]["code"], "GONE");
  EXPECT_EQ(Call("GET", "/api/v1/community/campaigns/" + cid + "?leader=" + li.code)
                .body["pickup_point"]["status"],
            "closed");
  ASSERT_EQ(Call("POST", "/api/v1/merchant/community/leaders/" + li.id + "/approve", nullptr,
                 shop.owner_token)
                .status,
            200);
  // Today's orders in the leader centre, phones masked.
  auto today = Call("GET", "/api/v1/me/leaders/" + wang.id + "/orders", nullptr, wang.token);
  ASSERT_EQ(today.status, 200);
  EXPECT_EQ(today.body["items"].size(), 3u);
  EXPECT_NE(today.body["items"][0]["buyer"]["phone"].get<std::string>().find("****"),
            std::string::npos);

  // The cutoff: decided by the time the order's transaction runs.
  clock_.AdvanceMs(2 * kHourMs);
  auto late = Order(b1, cid, Json{{"leader_code", wang.code}}, Json::array({Line(veg, 1)}));
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(Reason(late), "CUTOFF_PASSED");
  RunTimers();  // consolidation
  Json batch_w = BatchOf(shop, cid, wang.point_id), batch_l = BatchOf(shop, cid, li.point_id);
  EXPECT_EQ(batch_w["status"], "consolidated");
  EXPECT_EQ(batch_w["buyers"].size(), 3u);
  std::map<std::string, int64_t> picking;
  for (auto& p : batch_w["picking_list"]) picking[p["sku_id"]] = p["quantity"];
  EXPECT_EQ(picking[veg], 5);
  EXPECT_EQ(picking[egg], 1);
  EXPECT_EQ(batch_l["buyers"].size(), 2u);
  std::string bw = batch_w["id"], bl = batch_l["id"];
  auto csv =
      NewClient()->Send("GET", "/api/v1/merchant/community/batches/" + bw + "/picking-list.csv", "",
                        {{"Authorization", "Bearer " + shop.owner_token}});
  EXPECT_EQ(csv.status, 200);
  EXPECT_NE(csv.body.find("本地青菜 500g,5"), std::string::npos) << csv.body;

  // Arrival before shipping is refused; the shop ships each batch with one tracking number.
  EXPECT_EQ(Call("POST", "/api/v1/me/leaders/" + wang.id + "/batches/" + bw + "/arrive", nullptr,
                 wang.token)
                .status,
            409);
  for (auto& b : {bw, bl}) {
    auto shipped = Call("POST", "/api/v1/merchant/community/batches/" + b + "/ship",
                        Json{{"carrier", "顺丰"}, {"tracking_no", "SF" + b}}, shop.owner_token);
    ASSERT_EQ(shipped.status, 200) << shipped.body.dump();
    EXPECT_EQ(shipped.body["status"], "shipped");
  }
  WaitStatus(b1, order1["id"], "shipped");
  // 王阿姨 cannot mark 李叔's batch (404 whichever way she asks).
  EXPECT_EQ(Call("POST", "/api/v1/me/leaders/" + wang.id + "/batches/" + bl + "/arrive", nullptr,
                 wang.token)
                .status,
            404);
  EXPECT_EQ(Call("POST", "/api/v1/me/leaders/" + li.id + "/batches/" + bl + "/arrive", nullptr,
                 wang.token)
                .status,
            404);
  auto arrived = Call("POST", "/api/v1/me/leaders/" + wang.id + "/batches/" + bw + "/arrive",
                      nullptr, wang.token);
  ASSERT_EQ(arrived.status, 200) << arrived.body.dump();
  EXPECT_EQ(arrived.body["status"], "arrived");
  WaitStatus(b1, order1["id"], "delivered");
  ASSERT_EQ(
      Call("POST", "/api/v1/me/leaders/" + li.id + "/batches/" + bl + "/arrive", nullptr, li.token)
          .status,
      200);

  // Pickup: a wrong code is 404 and says nothing; 李叔 cannot verify 王阿姨's buyers' codes.
  std::string code1 = PickupCode(b1, order1["id"]);
  EXPECT_EQ(
      Call("GET", "/api/v1/orders/" + order1["id"].get<std::string>() + "/pickup-code", nullptr, b2)
          .status,
      404);
  auto wrong = Verify(wang, code1 == "000000" ? "000001" : "000000");
  EXPECT_EQ(wrong.status, 404);
  EXPECT_EQ(Reason(wrong), "PICKUP_CODE_NOT_FOUND");
  EXPECT_FALSE(wrong.body.dump().find(order1["id"].get<std::string>()) != std::string::npos);
  EXPECT_EQ(Verify(li, code1).status, 404);
  // Partial pickup: one 青菜 now, the rest later; then the code is used.
  auto part = Verify(wang, code1, Json::array({Line(veg, 1)}));
  ASSERT_EQ(part.status, 200) << part.body.dump();
  EXPECT_EQ(part.body["units_left"], 2);
  EXPECT_EQ(part.body["order_status"], "delivered");
  EXPECT_EQ(Reason(Verify(wang, code1, Json::array({Line(veg, 2)}))), "PICKUP_ITEMS_EXCEED");
  auto rest = Verify(wang, code1);
  ASSERT_EQ(rest.status, 200) << rest.body.dump();
  EXPECT_EQ(rest.body["units_left"], 0);
  EXPECT_EQ(rest.body["order_status"], "completed");
  auto used = Verify(wang, code1);
  EXPECT_EQ(used.status, 409);
  EXPECT_EQ(Reason(used), "PICKUP_CODE_USED");
  ASSERT_EQ(Verify(wang, PickupCode(b2, o2)).status, 200);
  ASSERT_EQ(Verify(wang, PickupCode(b5, o5), Json::array({Line(veg, 1)})).status, 200);
  ASSERT_EQ(Verify(li, PickupCode(b3, o3)).status, 200);

  // Commission, held during the shop's hold: 王阿姨 10% of 2 × 9.90 + 15% of 15.00 (buyer 1) +
  // 10% of 9.90 (buyer 2) = 198 + 225 + 99; 李叔 99.
  auto earn = Call("GET", "/api/v1/me/leaders/" + wang.id + "/earnings", nullptr, wang.token);
  ASSERT_EQ(earn.status, 200);
  EXPECT_EQ(earn.body["held_fen"], 198 + 225 + 99);
  EXPECT_EQ(earn.body["withdrawable_fen"], 0);
  ExpectInvariants();

  // Two days on: a reminder; three: the deadline. Buyer 4 (nothing picked up) is refunded in
  // full; buyer 5 gets back the 青菜 left at the point and the order completes on the other.
  clock_.AdvanceMs(2 * kDayMs + kHourMs);
  RunTimers();
  auto reminders = app_->store().Read([](Reader& r) {
    // (the reminder's event is in the outbox; on PostgreSQL it may still wait for the relay)
    return r.QueryInt("SELECT count(*) FROM community_orders WHERE reminded_at_ms IS NOT NULL");
  });
  EXPECT_EQ(reminders.value_or(-1), 2);  // buyer 4 and buyer 5 (buyer 5 has a unit left)
  clock_.AdvanceMs(kDayMs);
  RunTimers();
  Json refunded = WaitStatus(b4, o4, "refunded");
  EXPECT_EQ(refunded["refunded_fen"], 1500);
  Json partial = WaitStatus(b5, o5, "completed");
  EXPECT_EQ(partial["refunded_fen"], 990);
  // The campaign's eggs stay sold (perishable: no restock).
  auto camp = Call("GET", "/api/v1/merchant/community/campaigns/" + cid, nullptr, shop.owner_token);
  EXPECT_EQ(camp.body["items"][1]["sold"], 2);

  // After the hold the commission is withdrawable: 522 + 99 (buyer 5's picked 青菜).
  EXPECT_EQ(Call("POST", "/api/v1/me/leaders/" + wang.id + "/withdrawals",
                 Json{{"amount_fen", 100}}, wang.token)
                .status,
            422);
  clock_.AdvanceMs(7 * kDayMs);  // a c2c shop's hold (kind_defaults), counted from completion
  RunTimers();
  earn = Call("GET", "/api/v1/me/leaders/" + wang.id + "/earnings", nullptr, wang.token);
  EXPECT_EQ(earn.body["held_fen"], 0);
  EXPECT_EQ(earn.body["withdrawable_fen"], 522 + 99);
  auto w = Call("POST", "/api/v1/me/leaders/" + wang.id + "/withdrawals", Json{{"amount_fen", 600}},
                wang.token);
  ASSERT_EQ(w.status, 201) << w.body.dump();
  auto over = Call("POST", "/api/v1/me/leaders/" + wang.id + "/withdrawals",
                   Json{{"amount_fen", 100}}, wang.token);
  EXPECT_EQ(over.status, 422);
  EXPECT_EQ(Reason(over), "LEADER_FUNDS");
  EXPECT_EQ(Call("GET", "/api/v1/me/leaders/" + li.id + "/earnings", nullptr, li.token)
                .body["withdrawable_fen"],
            99);
  Json report = ExpectInvariants();
  EXPECT_TRUE(report["community_ok"].get<bool>());
}

// 300 buyers order through one link while the clock passes the cutoff and the cutoff timer runs:
// every order is either accepted (and then in its point's batch) or refused with CUTOFF_PASSED;
// no refused order is in the lists and no accepted one is missing.
TEST_F(Community, ThreeHundredBuyersRaceTheCutoff) {
  Shop shop = OpenShop("b2c", "社区优选");
  auto [product, sku] = CreateProduct(shop, 1000, 1000, "西瓜");
  LeaderRole leader = NewLeader(shop, "团长", 31.2, 121.5);
  Json campaign = NewCampaign(
      shop, Json::array({Json{{"sku_id", sku}, {"price_fen", 800}, {"stock", 1000}}}), kHourMs);
  std::string cid = campaign["id"];
  constexpr int kBuyers = 300;
  std::vector<std::string> buyers;
  for (int i = 0; i < kBuyers; ++i) buyers.push_back(Register());
  clock_.AdvanceMs(kHourMs - 1);  // one millisecond before the cutoff
  std::mutex mu;
  std::set<std::string> accepted;
  std::atomic<int> answered{0}, refused{0}, other{0}, retried{0};
  std::latch go(kBuyers + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kBuyers; ++i)
    threads.emplace_back([&, i] {
      http::Client client("127.0.0.1", port_);
      go.arrive_and_wait();
      // A 503 (PostgreSQL: the campaign's row stayed locked past the writers' lock timeout five
      // times; nothing committed) is retried as a client does, with the same Idempotency-Key.
      http::Client::JsonResponse r{0, nullptr};
      for (int attempt = 0; attempt < 10; ++attempt) {
        r = client.Json("POST", "/api/v1/checkout",
                        Json{{"items", {Line(sku, 1)}},
                             {"activity", {{"community", {{"campaign_id", cid}, {"leader_code", leader.code}}}}}},
                        buyers[i], {{"Idempotency-Key", "race-" + std::to_string(i)}});
        if (r.status != 503) break;
        ++retried;
      }
      if (r.status == 201) {
        std::lock_guard lock(mu);
        accepted.insert(r.body["orders"][0]["id"].get<std::string>());
      } else if (r.status == 409 && Reason(r) == "CUTOFF_PASSED") {
        ++refused;
      } else {
        ++other;
        ADD_FAILURE() << r.status << " " << r.body.dump();
      }
      ++answered;
    });
  go.arrive_and_wait();
  // The cutoff passes while orders are in flight (after the first answers), and the cutoff timer
  // consolidates at once, racing the rest.
  while (answered.load() < 50) std::this_thread::yield();
  clock_.AdvanceMs(1);
  RunTimers();
  for (auto& t : threads) t.join();
  RunTimers();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(static_cast<int>(accepted.size()) + refused.load(), kBuyers);
  EXPECT_GE(accepted.size(), 50u);
  std::printf("cutoff race: %zu orders accepted, %d refused with CUTOFF_PASSED (%d answers of 503 retried)\n",
              accepted.size(), refused.load(), retried.load());
  Json batch = BatchOf(shop, cid, leader.point_id);
  std::set<std::string> listed;
  for (auto& b : batch["buyers"]) listed.insert(b["order_id"].get<std::string>());
  EXPECT_EQ(listed, accepted);
  auto camp = Call("GET", "/api/v1/merchant/community/campaigns/" + cid, nullptr, shop.owner_token);
  EXPECT_EQ(camp.body["orders"], static_cast<int64_t>(accepted.size()));
  EXPECT_EQ(camp.body["items"][0]["sold"], static_cast<int64_t>(accepted.size()));
  EXPECT_EQ(camp.body["status"], "consolidated");
  ExpectInvariants();
}

// A burst on one campaign (decision 026): 300 buyers order its item, stocked for 200, at once,
// while 30 earlier buyers cancel their unpaid orders. The campaign's row is only share-locked by
// a checkout (it was locked, and its order counter written, by each), and a cancel locks the
// campaign's item before the SKU, as a checkout does: no answer is 503 (the test takes none as
// a retry), no refusal is anything but CAMPAIGN_SOLD_OUT, and the item never sells beyond stock.
TEST_F(Community, ThreeHundredBuyersBurstOneCampaignWithoutBusyAnswersOrOversell) {
  Shop shop = OpenShop("b2c", "社区爆款");
  auto [product, sku] = CreateProduct(shop, 1000, 1000, "草莓");
  LeaderRole leader = NewLeader(shop, "团长", 31.2, 121.5);
  constexpr int kStock = 200, kBuyers = 300, kCancellers = 30;
  Json campaign = NewCampaign(
      shop, Json::array({Json{{"sku_id", sku}, {"price_fen", 800}, {"stock", kStock}}}), kHourMs);
  std::string cid = campaign["id"];
  const Json ref{{"leader_code", leader.code}};
  std::vector<std::pair<std::string, std::string>> earlier;  // {buyer, order}
  for (int i = 0; i < kCancellers; ++i) {
    std::string buyer = Register();
    auto r = Order(buyer, cid, ref, Json::array({Line(sku, 1)}));
    ASSERT_EQ(r.status, 201) << r.body.dump();
    earlier.emplace_back(buyer, r.body["orders"][0]["id"]);
  }
  std::vector<std::string> buyers;
  for (int i = 0; i < kBuyers; ++i) buyers.push_back(Register());
  std::atomic<int> accepted{0}, sold_out{0}, cancelled{0};
  std::mutex mu;
  std::vector<std::string> wrong;
  std::latch go(kBuyers + kCancellers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kBuyers + kCancellers; ++i)
    threads.emplace_back([&, i] {
      http::Client client("127.0.0.1", port_);
      go.arrive_and_wait();
      http::Client::JsonResponse r{0, nullptr};
      if (i < kBuyers) {
        r = client.Json("POST", "/api/v1/checkout",
                        Json{{"items", {Line(sku, 1)}},
                             {"activity", {{"community", {{"campaign_id", cid}, {"leader_code", leader.code}}}}}},
                        buyers[i]);
        if (r.status == 201) return void(++accepted);
        if (r.status == 409 && Reason(r) == "CAMPAIGN_SOLD_OUT") return void(++sold_out);
      } else {
        auto& [buyer, order] = earlier[i - kBuyers];
        r = client.Json("POST", "/api/v1/orders/" + order + "/cancel", nullptr, buyer);
        if (r.status == 200) return void(++cancelled);
      }
      std::lock_guard lock(mu);
      wrong.push_back(std::to_string(r.status) + " " + r.body.dump());
    });
  for (auto& t : threads) t.join();
  EXPECT_TRUE(wrong.empty()) << wrong.size() << " answers neither placed, sold out nor cancelled, e.g. " << wrong.front();
  EXPECT_EQ(cancelled.load(), kCancellers);
  EXPECT_EQ(accepted.load() + sold_out.load(), kBuyers);
  auto camp = Call("GET", "/api/v1/merchant/community/campaigns/" + cid, nullptr, shop.owner_token);
  ASSERT_EQ(camp.status, 200) << camp.body.dump();
  const int64_t holding = kCancellers - cancelled.load() + accepted.load();
  EXPECT_EQ(camp.body["items"][0]["sold"], holding);
  EXPECT_LE(holding, kStock) << "oversold";
  EXPECT_EQ(camp.body["orders"], kCancellers + accepted.load()) << "every order placed, cancelled ones too";
  ExpectInvariants();
}

// The same pickup code verified by 20 requests at once: exactly one pickup, 19 × 409.
TEST_F(Community, TwentyVerificationsOfOneCodeMakeOnePickup) {
  Shop shop = OpenShop("c2c", "水果团");
  auto [product, sku] = CreateProduct(shop, 3000, 50, "车厘子 1kg");
  LeaderRole leader = NewLeader(shop, "团长", 31.2, 121.5);
  Json campaign = NewCampaign(
      shop, Json::array({Json{{"sku_id", sku}, {"price_fen", 2500}, {"stock", 10}}}), kHourMs);
  std::string cid = campaign["id"];
  std::string buyer = Register();
  std::string order_id =
      OrderAndPay(buyer, cid, Json{{"leader_code", leader.code}}, Json::array({Line(sku, 2)}));
  clock_.AdvanceMs(kHourMs);
  RunTimers();
  std::string batch_id = BatchOf(shop, cid, leader.point_id)["id"];
  ASSERT_EQ(Call("POST", "/api/v1/merchant/community/batches/" + batch_id + "/ship",
                 Json{{"carrier", "京东"}, {"tracking_no", "JD1"}}, shop.owner_token)
                .status,
            200);
  ASSERT_EQ(Call("POST", "/api/v1/me/leaders/" + leader.id + "/batches/" + batch_id + "/arrive",
                 nullptr, leader.token)
                .status,
            200);
  std::string code = PickupCode(buyer, order_id);
  constexpr int kTaps = 20;
  std::atomic<int> ok{0}, used{0}, other{0};
  std::latch go(kTaps);
  std::vector<std::thread> threads;
  for (int i = 0; i < kTaps; ++i)
    threads.emplace_back([&] {
      http::Client client("127.0.0.1", port_);
      go.arrive_and_wait();
      auto r = client.Json("POST", "/api/v1/me/leaders/" + leader.id + "/pickups",
                           Json{{"pickup_code", code}}, leader.token);
      if (r.status == 200)
        ++ok;
      else if (r.status == 409 && Reason(r) == "PICKUP_CODE_USED")
        ++used;
      else
        ++other;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(used.load(), kTaps - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(
      app_->store()
          .Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM community_pickups"); })
          .value_or(-1),
      1);
  WaitStatus(buyer, order_id, "completed");
  // 10% of 2 × 25.00.
  EXPECT_EQ(Call("GET", "/api/v1/me/leaders/" + leader.id + "/earnings", nullptr, leader.token)
                .body["held_fen"],
            500);
  ExpectInvariants();
}

// The console's leader views and a partial pickup through the preview: each active leader's own
// link (with its QR code) per campaign; performance per leader per campaign (paid orders, GMV,
// commission on completed orders) worked out by hand; one item's commission override; the
// leader looks a code up (nothing handed over), hands over part, then the rest; another
// leader's role or another point's code is not found.
TEST_F(Community, LeaderLinksPerformanceAndPartialPickupThroughThePreview) {
  Shop shop = OpenShop("c2c", "蔬果团");
  auto [p1, apple] = CreateProduct(shop, 2000, 50, "苹果 2kg");
  auto [p2, milk] = CreateProduct(shop, 1000, 50, "牛奶");
  LeaderRole a = NewLeader(shop, "王阿姨", 31.2, 121.5);
  LeaderRole b = NewLeader(shop, "李叔", 31.3, 121.6);
  LeaderRole pending = NewLeader(shop, "待审", 31.4, 121.7, /*approve=*/false);
  // Apples at 15.00 with the campaign's 10%; milk at 8.00 with its own 20%.
  Json campaign = NewCampaign(
      shop,
      Json::array(
          {Json{{"sku_id", apple}, {"price_fen", 1500}, {"stock", 20}},
           Json{{"sku_id", milk}, {"price_fen", 800}, {"stock", 20}, {"commission_bps", 2000}}}),
      kHourMs);
  std::string cid = campaign["id"];

  auto links = Call("GET", "/api/v1/merchant/community/campaigns/" + cid + "/leader-links", nullptr,
                    shop.owner_token);
  ASSERT_EQ(links.status, 200) << links.body.dump();
  ASSERT_EQ(links.body["items"].size(), 2u) << "active leaders only";
  std::set<std::string> linked;
  for (auto& k : links.body["items"]) {
    linked.insert(k["leader"]["id"].get<std::string>());
    EXPECT_EQ(k["qr_svg"].get<std::string>().rfind("<svg ", 0), 0u);
    EXPECT_NE(k["link"].get<std::string>().find("/#/tuan/" + cid + "/"), std::string::npos);
  }
  EXPECT_EQ(linked, (std::set<std::string>{a.id, b.id}));
  EXPECT_EQ(linked.count(pending.id), 0u);

  // Through a: buyer 1 takes 2 apples and 1 milk (38.00); buyer 2 one apple (15.00), unpaid.
  // Through b: buyer 3 one milk (8.00).
  std::string buyer1 = Register(), buyer2 = Register(), buyer3 = Register();
  std::string o1 = OrderAndPay(buyer1, cid, Json{{"leader_code", a.code}},
                               Json::array({Line(apple, 2), Line(milk, 1)}));
  auto unpaid = Order(buyer2, cid, Json{{"leader_code", a.code}}, Json::array({Line(apple, 1)}));
  ASSERT_EQ(unpaid.status, 201) << unpaid.body.dump();
  std::string o3 =
      OrderAndPay(buyer3, cid, Json{{"leader_code", b.code}}, Json::array({Line(milk, 1)}));
  clock_.AdvanceMs(kHourMs);
  RunTimers();
  for (const LeaderRole* l : {&a, &b}) {
    std::string batch = BatchOf(shop, cid, l->point_id)["id"];
    ASSERT_EQ(Call("POST", "/api/v1/merchant/community/batches/" + batch + "/ship",
                   Json{{"carrier", "京东"}, {"tracking_no", "JD-" + l->id}}, shop.owner_token)
                  .status,
              200);
    ASSERT_EQ(Call("POST", "/api/v1/me/leaders/" + l->id + "/batches/" + batch + "/arrive", nullptr,
                   l->token)
                  .status,
              200);
  }

  // The preview shows buyer 1's lines and hands nothing over.
  std::string code1 = PickupCode(buyer1, o1);
  auto preview = Call("GET", "/api/v1/me/leaders/" + a.id + "/pickups/" + code1, nullptr, a.token);
  ASSERT_EQ(preview.status, 200) << preview.body.dump();
  EXPECT_EQ(preview.body["order_id"], o1);
  ASSERT_EQ(preview.body["lines"].size(), 2u);
  for (auto& l : preview.body["lines"]) EXPECT_EQ(l["picked"], 0);
  EXPECT_EQ(preview.body["buyer"]["phone"].get<std::string>().find("****"), 3u);
  EXPECT_EQ(Call("GET", "/api/v1/me/leaders/" + a.id + "/pickups/" + code1, nullptr, a.token)
                .body["lines"][0]["picked"],
            0);
  // b's point does not know a's code; a's role is not b's to use.
  auto elsewhere =
      Call("GET", "/api/v1/me/leaders/" + b.id + "/pickups/" + code1, nullptr, b.token);
  EXPECT_EQ(elsewhere.status, 404);
  EXPECT_EQ(Reason(elsewhere), "PICKUP_CODE_NOT_FOUND");
  EXPECT_EQ(
      Call("GET", "/api/v1/me/leaders/" + a.id + "/pickups/" + code1, nullptr, b.token).status,
      404);

  // One apple now, then the rest: the second preview shows what is left.
  auto part = Verify(a, code1, Json::array({Line(apple, 1)}));
  ASSERT_EQ(part.status, 200) << part.body.dump();
  EXPECT_EQ(part.body["units_left"], 2);
  auto again = Call("GET", "/api/v1/me/leaders/" + a.id + "/pickups/" + code1, nullptr, a.token);
  ASSERT_EQ(again.status, 200);
  for (auto& l : again.body["lines"])
    EXPECT_EQ(l["picked"], l["sku_id"] == apple ? 1 : 0) << again.body.dump();
  auto rest = Verify(a, code1);
  ASSERT_EQ(rest.status, 200) << rest.body.dump();
  EXPECT_EQ(rest.body["units_left"], 0);
  WaitStatus(buyer1, o1, "completed");
  auto used = Call("GET", "/api/v1/me/leaders/" + a.id + "/pickups/" + code1, nullptr, a.token);
  EXPECT_EQ(used.status, 409);
  EXPECT_EQ(Reason(used), "PICKUP_CODE_USED");
  // b's buyer picks up in full too.
  ASSERT_EQ(Verify(b, PickupCode(buyer3, o3)).status, 200);
  WaitStatus(buyer3, o3, "completed");

  // a: one paid order of 38.00; commission 10% × 30.00 + 20% × 8.00 = 3.00 + 1.60 = 4.60.
  // b: 8.00 with 20% = 1.60.
  auto perf = Call("GET", "/api/v1/merchant/community/performance?campaign_id=" + cid, nullptr,
                   shop.owner_token);
  ASSERT_EQ(perf.status, 200) << perf.body.dump();
  ASSERT_EQ(perf.body["items"].size(), 2u) << perf.body.dump();
  for (auto& row : perf.body["items"]) {
    EXPECT_EQ(row["campaign"]["id"], cid);
    bool is_a = row["leader"]["id"] == a.id;
    EXPECT_EQ(row["orders"], 1) << row.dump();
    EXPECT_EQ(row["gmv_fen"], is_a ? 3800 : 800) << row.dump();
    EXPECT_EQ(row["commission_fen"], is_a ? 460 : 160) << row.dump();
    EXPECT_EQ(row["picked_up_orders"], 1);
  }
  EXPECT_EQ(perf.body["totals"]["gmv_fen"], 4600);
  EXPECT_EQ(perf.body["totals"]["commission_fen"], 620);
  // Another shop sees none of it, and not the campaign's links.
  Shop other = OpenShop("c2c", "隔壁");
  EXPECT_EQ(Call("GET", "/api/v1/merchant/community/performance", nullptr, other.owner_token)
                .body["items"]
                .size(),
            0u);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/community/campaigns/" + cid + "/leader-links", nullptr,
                 other.owner_token)
                .status,
            404);
  ExpectInvariants();
}

// The shop closes a campaign before its cutoff (提前截单): the order placed before is in the batch
// the cutoff timer makes at the new cutoff, an order after it is refused, and closing again or
// another shop's campaign is not allowed.
TEST_F(Community, ShopClosesACampaignEarly) {
  Shop shop = OpenShop("c2c", "早市团");
  Shop other = OpenShop("c2c", "别家");
  auto [product, sku] = CreateProduct(shop, 1200, 50, "鲜鸡蛋 30 枚");
  LeaderRole leader = NewLeader(shop, "团长", 31.2, 121.5);
  Json campaign = NewCampaign(
      shop, Json::array({Json{{"sku_id", sku}, {"price_fen", 990}, {"stock", 10}}}), kDayMs);
  std::string cid = campaign["id"];
  std::string buyer = Register();
  std::string order_id =
      OrderAndPay(buyer, cid, Json{{"leader_code", leader.code}}, Json::array({Line(sku, 1)}));
  // The shop's own link (no leader): the campaign and the shop; the buyer picks a point.
  auto own = Call("GET", "/api/v1/community/campaigns/" + cid);
  ASSERT_EQ(own.status, 200) << own.body.dump();
  EXPECT_EQ(own.body["campaign"]["items"][0]["price_fen"], 990);
  EXPECT_FALSE(own.body.contains("pickup_point"));
  const std::string close = "/api/v1/merchant/community/campaigns/" + cid + "/close";
  EXPECT_EQ(Reason(Call("POST", close, nullptr, other.owner_token)), "CAMPAIGN_NOT_FOUND");
  auto closed = Call("POST", close, nullptr, shop.owner_token);
  ASSERT_EQ(closed.status, 200) << closed.body.dump();
  EXPECT_EQ(closed.body["cutoff_at"], FormatRfc3339(clock_.NowMs() + 1));
  clock_.AdvanceMs(1);
  RunTimers();
  Json batch = BatchOf(shop, cid, leader.point_id);
  ASSERT_EQ(batch["buyers"].size(), 1u) << batch.dump();
  EXPECT_EQ(batch["buyers"][0]["order_id"], order_id);
  auto late = Order(Register(), cid, Json{{"leader_code", leader.code}}, Json::array({Line(sku, 1)}));
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(Reason(late), "CUTOFF_PASSED");
  EXPECT_EQ(Reason(Call("POST", close, nullptr, shop.owner_token)), "CUTOFF_PASSED");
  // The timer of the first cutoff changes nothing a day later.
  clock_.AdvanceMs(kDayMs);
  RunTimers();
  auto batches = Call("GET", "/api/v1/merchant/community/batches?campaign_id=" + cid, nullptr,
                      shop.owner_token);
  EXPECT_EQ(batches.body["items"].size(), 1u) << batches.body.dump();
  ExpectInvariants();
}

// The shop's breakdowns per leader (insight/merchant_bi.h, issue 19): paid community orders count
// for the leader whose link or pickup point they came through (name, orders, GMV), most GMV
// first; an unpaid one, an order outside the campaign and another shop's leader do not count.
TEST_F(Community, ShopBreakdownsCountEachLeadersPaidOrders) {
  Shop shop = OpenShop("c2c", "团长数据店");
  Shop other = OpenShop("c2c", "别家团");
  auto [product, sku] = CreateProduct(shop, 2000, 100, "有机番茄 1kg");
  auto [other_product, other_sku] = CreateProduct(other, 3000, 100, "土豆 2kg");
  (void)product, (void)other_product;
  LeaderRole wang = NewLeader(shop, "王阿姨", 31.2000, 121.5000);
  LeaderRole li = NewLeader(shop, "李叔", 31.3000, 121.6000);
  LeaderRole zhou = NewLeader(other, "周姐", 31.2500, 121.5500);
  std::string cid = NewCampaign(shop, Json::array({Json{{"sku_id", sku}, {"price_fen", 1500}, {"stock", 50}}}), kDayMs)["id"];
  std::string other_cid =
      NewCampaign(other, Json::array({Json{{"sku_id", other_sku}, {"price_fen", 2500}, {"stock", 50}}}), kDayMs)["id"];
  std::string a = Register(), b = Register(), c = Register(), d = Register();
  // 王阿姨: 3 + 1 units paid (6,000 fen); 李叔: 2 units paid through his pickup point (3,000 fen).
  OrderAndPay(a, cid, Json{{"leader_code", wang.code}}, Json::array({Line(sku, 3)}));
  OrderAndPay(b, cid, Json{{"leader_code", wang.code}}, Json::array({Line(sku, 1)}));
  OrderAndPay(c, cid, Json{{"pickup_point_id", li.point_id}}, Json::array({Line(sku, 2)}));
  // Not counted: D's order through 王阿姨 left unpaid, D's order of the shop's SKU at list price,
  // and an order of the other shop through its own leader.
  ASSERT_EQ(Order(d, cid, Json{{"leader_code", wang.code}}, Json::array({Line(sku, 5)})).status, 201);
  PayAndWait(d, Buy(d, sku)["id"]);
  OrderAndPay(a, other_cid, Json{{"leader_code", zhou.code}}, Json::array({Line(other_sku, 1)}));

  ASSERT_TRUE(app_->insight().CatchUp());  // the buyers come from the data platform's projections
  auto bd = Call("GET", "/api/v1/merchant/insights/breakdowns", nullptr, shop.owner_token);
  ASSERT_EQ(bd.status, 200) << bd.body.dump();
  EXPECT_EQ(bd.body["leaders"], Json::parse(R"([{"leader_id":")" + wang.id + R"(","name":"王阿姨","orders":2,"gmv_fen":6000},)"
                                            R"({"leader_id":")" + li.id + R"(","name":"李叔","orders":1,"gmv_fen":3000}])"))
      << bd.body["leaders"].dump();
  EXPECT_EQ(bd.body["customers"]["buyers"], 4) << bd.body["customers"].dump();  // A, B, C and D's list-price order
  auto theirs = Call("GET", "/api/v1/merchant/insights/breakdowns", nullptr, other.owner_token);
  ASSERT_EQ(theirs.status, 200) << theirs.body.dump();
  ASSERT_EQ(theirs.body["leaders"].size(), 1u) << theirs.body.dump();
  EXPECT_EQ(theirs.body["leaders"][0]["leader_id"], zhou.id);
  EXPECT_EQ(theirs.body["leaders"][0]["orders"], 1);
  EXPECT_EQ(theirs.body["leaders"][0]["gmv_fen"], 2500);
  ExpectInvariants();
}

}  // namespace
}  // namespace xd::testing
