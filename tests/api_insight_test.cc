// The data platform over HTTP (issue 19), on each backend: client events in batches with their
// limits, a shop's BI equal to a count over the orders table, the CSV export, a user's tags
// for the admin, and the analytics check in the invariant report.
#include <strings.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <thread>

#include "base/id.h"
#include "http/client.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

class Insights : public ApiTest {};

TEST_F(Insights, ShopBiEqualsTheOrdersTableAndClientEventsCount) {
  auto shop = OpenShop("c2c", "数据店");
  auto [product, sku] = CreateProduct(shop, 2500, 50);
  auto [other_product, other_sku] = CreateProduct(shop, 990, 50, "绿茶 100g");
  (void)other_sku;
  // Anonymous browsing on a device, then the same device signed in.
  Json views = Json::array();
  for (int i = 0; i < 3; ++i)
    views.push_back({{"id", "v" + std::to_string(i)},
                     {"type", "view"},
                     {"product_id", product},
                     {"source", "feed"}});
  views.push_back(
      {{"id", "i1"}, {"type", "impression"}, {"product_id", other_product}, {"position", 2}});
  auto r = Call("POST", "/api/v1/events", Json{{"device_id", "dev-1"}, {"events", views}});
  ASSERT_EQ(r.status, 202) << r.body.dump();
  EXPECT_EQ(r.body["accepted"], 4);
  r = Call("POST", "/api/v1/events", Json{{"device_id", "dev-1"}, {"events", views}});
  EXPECT_EQ(r.body["accepted"], 0);
  EXPECT_EQ(r.body["duplicates"], 4);

  std::string buyer = Register();
  std::string buyer_id = Call("GET", "/api/v1/me", nullptr, buyer).body["user"]["id"];
  r = Call(
      "POST", "/api/v1/events",
      Json{{"device_id", "dev-1"},
           {"events",
            Json::array({{{"id", "s1"}, {"type", "search"}, {"query", "咖啡"}, {"result_count", 2}},
                         {{"id", "bad"}, {"type", "view"}, {"price_fen", 1}}})}},
      buyer);
  ASSERT_EQ(r.status, 202) << r.body.dump();
  EXPECT_EQ(r.body["accepted"], 1);
  ASSERT_EQ(r.body["rejected"].size(), 1u);
  EXPECT_EQ(r.body["rejected"][0]["index"], 1);

  ASSERT_EQ(
      Call("POST", "/api/v1/cart/items", Json{{"sku_id", sku}, {"quantity", 1}}, buyer).status /
          100,
      2);
  std::string paid1 = Buy(buyer, sku, 2)["id"];
  PayAndWait(buyer, paid1);
  std::string second = Register();
  std::string paid2 = Buy(second, sku, 1)["id"];
  PayAndWait(second, paid2);
  std::string unpaid = Buy(second, sku, 1)["id"];
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + unpaid + "/cancel", nullptr, second).status, 200);

  ASSERT_TRUE(app_->insight().CatchUp());
  auto bi = Call("GET", "/api/v1/merchant/insights/overview", nullptr, shop.owner_token);
  ASSERT_EQ(bi.status, 200) << bi.body.dump();
  // The same numbers counted independently from the trading store.
  int64_t merchant = *ParseId(shop.id);
  auto gmv = app_->store().Read([&](Reader& rd) {
    return rd.QueryInt(
        "SELECT COALESCE(SUM(total_fen), 0) FROM orders WHERE merchant_id=? AND paid_at_ms IS NOT "
        "NULL",
        {merchant});
  });
  auto paid_count = app_->store().Read([&](Reader& rd) {
    return rd.QueryInt("SELECT count(*) FROM orders WHERE merchant_id=? AND paid_at_ms IS NOT NULL",
                       {merchant});
  });
  auto created = app_->store().Read([&](Reader& rd) {
    return rd.QueryInt("SELECT count(*) FROM orders WHERE merchant_id=?", {merchant});
  });
  ASSERT_TRUE(gmv && paid_count && created);
  const Json& t = bi.body["totals"];
  EXPECT_EQ(t["gmv_fen"].get<int64_t>(), *gmv);
  EXPECT_EQ(t["paid_orders"].get<int64_t>(), *paid_count);
  EXPECT_EQ(t["orders"].get<int64_t>(), *created);
  EXPECT_EQ(t["aov_fen"].get<int64_t>(), *gmv / *paid_count);
  EXPECT_EQ(t["views"], 3);
  EXPECT_EQ(t["carts"], 1);
  EXPECT_EQ(t["buyers"], 2);
  // Funnel: the device viewed and later paid as the signed-in buyer (two visitors: the device's
  // anonymous views, then the user); the second buyer never viewed.
  EXPECT_EQ(bi.body["funnel"][3]["visitors"], 2);
  ASSERT_FALSE(bi.body["top_products"].empty());
  EXPECT_EQ(bi.body["top_products"][0]["product_id"], product);
  EXPECT_EQ(bi.body["top_products"][0]["title"], "测试咖啡豆 250g");
  EXPECT_EQ(bi.body["top_products"][0]["paid_units"], 3);
  ASSERT_EQ(bi.body["channels"].size(), 1u);
  EXPECT_EQ(bi.body["channels"][0]["channel"], "direct");
  ASSERT_EQ(bi.body["segments"].size(), 1u);
  EXPECT_EQ(bi.body["segments"][0]["segment"], "new");
  EXPECT_EQ(bi.body["segments"][0]["customers"], 2);

  http::Client client("127.0.0.1", port_);
  auto csv = client.Send("GET", "/api/v1/merchant/insights/export.csv", "",
                         {{"Authorization", "Bearer " + shop.owner_token}});
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body.rfind("day,visitors,views,carts,orders,paid_orders,buyers,gmv_fen", 0), 0u)
      << csv.body;
  EXPECT_NE(csv.body.find("," + std::to_string(*gmv) + ","), std::string::npos) << csv.body;
  EXPECT_EQ(
      Call("GET", "/api/v1/merchant/insights/overview?from=2026-13-01", nullptr, shop.owner_token)
          .status,
      400);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/insights/overview?from=2020-01-01&to=2026-01-01", nullptr,
                 shop.owner_token)
                .status,
            400);

  auto tags = Call("GET", "/api/v1/admin/users/" + buyer_id + "/tags", nullptr, AdminToken());
  ASSERT_EQ(tags.status, 200) << tags.body.dump();
  EXPECT_EQ(tags.body["rfm"]["frequency"], 1);
  EXPECT_EQ(tags.body["price_band"], "mid");
  EXPECT_EQ(tags.body["lifecycle"], "new");
  EXPECT_EQ(Call("GET", "/api/v1/admin/users/" + buyer_id + "/tags", nullptr, buyer).status, 403);

  Json report = ExpectInvariants();
  EXPECT_TRUE(report["analytics_ok"].get<bool>());
}

// The platform's BI for the admin: GMV and paid orders by merchant kind per day, the size bands
// and the long tail's shares, the exposure Gini — each equal to a number computed here from the
// orders table and the impressions sent, over a scripted history on two days.
TEST_F(Insights, PlatformBiEqualsTheOrdersTableAndTheImpressionsSent) {
  std::string admin = AdminToken();
  // The head is the one largest shop (the feed's policy: the bands are the fairness report's).
  ASSERT_EQ(Call("PUT", "/api/v1/admin/feed/settings", Json{{"head_merchants", 1}}, admin).status, 200);
  auto c2c = OpenShop("c2c", "小铺");
  auto b2c = OpenShop("b2c", "品牌店");
  auto ka = OpenShop("ka", "大客户");
  auto quiet = OpenShop("c2c", "冷清店");
  (void)quiet;
  auto [pc, sc] = CreateProduct(c2c, 1200, 100);
  auto [pb, sb] = CreateProduct(b2c, 4500, 100);
  auto [pk, sk] = CreateProduct(ka, 9900, 100);
  std::string buyer = Register();
  std::string other = Register();
  PayAndWait(buyer, Buy(buyer, sc, 2)["id"]);
  PayAndWait(buyer, Buy(buyer, sk, 3)["id"]);
  std::string unpaid = Buy(other, sb)["id"];  // created, never paid: no GMV
  (void)unpaid;
  clock_.AdvanceMs(24LL * 3600 * 1000);
  PayAndWait(other, Buy(other, sb, 1)["id"]);
  PayAndWait(other, Buy(other, sc, 1)["id"]);
  // Impressions: 5 of the c2c shop's product, 2 of the b2c's, 1 of the ka's; none of the quiet.
  std::map<std::string, int64_t> shown = {{c2c.id, 5}, {b2c.id, 2}, {ka.id, 1}};
  Json imps = Json::array();
  int n = 0;
  for (auto [product, times] : {std::pair{pc, 5}, std::pair{pb, 2}, std::pair{pk, 1}})
    for (int i = 0; i < times; ++i)
      imps.push_back({{"id", "imp" + std::to_string(n++)}, {"type", "impression"}, {"product_id", product}, {"position", i}});
  ASSERT_EQ(Call("POST", "/api/v1/events", Json{{"device_id", "dev-p"}, {"events", imps}}).status, 202);
  ASSERT_TRUE(app_->insight().CatchUp());

  auto bi = Call("GET", "/api/v1/admin/insights/platform", nullptr, admin);
  ASSERT_EQ(bi.status, 200) << bi.body.dump();

  // Independently: paid orders from the trading store, China-time dates by gmtime.
  auto rows = app_->store().Read([&](Reader& rd) {
    return rd.Query("SELECT o.merchant_id, m.kind, o.total_fen, o.paid_at_ms FROM orders o JOIN merchants m "
                    "ON m.id = o.merchant_id WHERE o.paid_at_ms IS NOT NULL");
  });
  ASSERT_TRUE(rows);
  auto date_of = [](int64_t ms) {
    time_t t = static_cast<time_t>((ms + 8LL * 3600 * 1000) / 1000);
    struct tm tm {};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return std::string(buf);
  };
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> by_day_kind;  // gmv, orders
  std::map<std::string, int64_t> gmv_of;                                                // merchant id → GMV
  std::map<std::string, int64_t> kind_gmv;
  int64_t total = 0;
  for (const Row& row : *rows) {
    auto& cell = by_day_kind[{date_of(row.Int(3)), row.Str(1)}];
    cell.first += row.Int(2);
    cell.second += 1;
    gmv_of[IdString(row.Int(0))] += row.Int(2);
    kind_gmv[row.Str(1)] += row.Int(2);
    total += row.Int(2);
  }
  ASSERT_EQ(rows->size(), 4u);
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> reported;
  for (const Json& d : bi.body["days"])
    for (const char* kind : {"c2c", "b2c", "ka"})
      if (d["paid_orders"][kind].get<int64_t>() > 0)
        reported[{d["day"].get<std::string>(), kind}] = {d["gmv_fen"][kind].get<int64_t>(), d["paid_orders"][kind].get<int64_t>()};
  EXPECT_EQ(reported, by_day_kind);
  EXPECT_EQ(bi.body["days"].size(), 30u);
  for (const Json& k : bi.body["kinds"]) EXPECT_EQ(k["gmv_fen"].get<int64_t>(), kind_gmv[k["kind"].get<std::string>()]) << k.dump();
  EXPECT_EQ(bi.body["kinds"][0]["merchants"], 2);  // two c2c shops are open
  EXPECT_EQ(bi.body["totals"]["gmv_fen"].get<int64_t>(), total);
  EXPECT_EQ(bi.body["totals"]["paid_orders"], 4);
  EXPECT_EQ(bi.body["totals"]["impressions"], 8);
  EXPECT_EQ(bi.body["active_merchants"], 4);

  // The long tail: every shop but the largest by GMV (head_merchants 1; with 4 active shops
  // the top 20% is that one shop too, so the middle is empty).
  std::string largest;
  for (auto& [id, g] : gmv_of)
    if (largest.empty() || g > gmv_of[largest]) largest = id;
  int64_t tail_gmv = total - gmv_of[largest], tail_shown = 8 - shown[largest];
  EXPECT_NEAR(bi.body["long_tail"]["gmv_share"].get<double>(), static_cast<double>(tail_gmv) / total, 1e-4);
  EXPECT_NEAR(bi.body["long_tail"]["impression_share"].get<double>(), tail_shown / 8.0, 1e-4);
  EXPECT_EQ(bi.body["long_tail"]["merchants"], 3);
  EXPECT_EQ(bi.body["bands"][0]["merchants"], 1);
  EXPECT_EQ(bi.body["bands"][0]["gmv_fen"].get<int64_t>(), gmv_of[largest]);
  EXPECT_EQ(bi.body["bands"][1]["merchants"], 0);
  // The Gini of impressions (5, 2, 1, 0) by the mean absolute difference.
  std::vector<double> x = {5, 2, 1, 0};
  double diff = 0;
  for (double a : x)
    for (double b : x) diff += std::abs(a - b);
  EXPECT_NEAR(bi.body["exposure_gini"].get<double>(), diff / (2 * 16 * 2.0), 1e-4);

  // The fairness report agrees (one definition of the bands and the Gini).
  auto fair = Call("GET", "/api/v1/admin/feed/fairness?days=30", nullptr, admin);
  ASSERT_EQ(fair.status, 200) << fair.body.dump();
  EXPECT_EQ(fair.body["exposure_gini"], bi.body["exposure_gini"]);
  EXPECT_EQ(fair.body["long_tail_exposure_share"], bi.body["long_tail"]["impression_share"]);
  EXPECT_EQ(fair.body["bands"][2]["merchants"], bi.body["long_tail"]["merchants"]);

  EXPECT_EQ(Call("GET", "/api/v1/admin/insights/platform", nullptr, c2c.owner_token).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/admin/insights/platform", nullptr, buyer).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/admin/insights/platform?from=2026-02-30", nullptr, admin).status, 400);
}

// A shop's breakdowns over a scripted history, each figure equal to what the script did:
// A (a member) buys, shares; B opens A's link and buys (depth 1), shares into chat group
// wxg-9; C opens B's link and buys (depth 2, the chat group's order); A buys again with a
// coupon B also claimed; D opens a group of 2 that E completes, F's group times out; a week
// later A and C buy again. Another shop's orders never count.
TEST_F(Insights, ShopBreakdownsEqualTheScriptedHistory) {
  auto shop = OpenShop("c2c", "细分店");
  auto other = OpenShop("c2c", "别家店");
  auto [p1, s1] = CreateProduct(shop, 3000, 100);
  auto [p2, s2] = CreateProduct(shop, 6800, 100, "挂耳咖啡 10 包");
  auto [po, so] = CreateProduct(other, 5000, 100);
  auto staff = [&](const std::string& method, const std::string& path, Json body = nullptr) {
    return Call(method, path, body, shop.owner_token, {{"X-Merchant-Id", shop.id}});
  };
  ASSERT_EQ(staff("PUT", "/api/v1/merchant/products/" + p1 + "/distribution", Json{{"commission_bps", 1000}}).status, 200);
  auto programme = staff("PUT", "/api/v1/merchant/member-programme",
                         Json{{"title", "会员卡"}, {"cover_color", "#1f6f5c"},
                              {"levels", {{{"name", "普通会员"}, {"growth_threshold", 0}, {"discount_bps", 500}}}},
                              {"points_per_yuan", 1}, {"points_validity_days", 365}, {"issue_limit", nullptr}});
  ASSERT_EQ(programme.status, 200) << programme.body.dump();
  auto [a, b, c, d, e, f] = std::make_tuple(Register(), Register(), Register(), Register(), Register(), Register());
  ASSERT_EQ(Call("POST", "/api/v1/member-cards/claim/" + programme.body["claim_token"].get<std::string>(), nullptr, a).status, 200);
  int64_t member_gmv = 0, total_gmv = 0, chat_gmv = 0;
  auto pay = [&](const std::string& token, const Json& order) {
    PayAndWait(token, order["id"]);
    total_gmv += order["total_fen"].get<int64_t>();
    return order["total_fen"].get<int64_t>();
  };
  member_gmv += pay(a, Buy(a, s1));
  auto share = [&](const std::string& token, Json extra) {
    Json body{{"target", "product"}, {"target_id", p1}};
    body.update(extra);
    auto r = Call("POST", "/api/v1/shares", body, token);
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.body.dump();
    return r.body.value("code", "");
  };
  std::string code_a = share(a, Json::object());
  ASSERT_EQ(Call("POST", "/api/v1/shares/" + code_a + "/open", nullptr, b).status, 200);
  pay(b, Buy(b, s1));
  std::string code_b = share(b, Json{{"channel", "chat"}, {"chat_group", "wxg-9"}});
  ASSERT_EQ(Call("POST", "/api/v1/shares/" + code_b + "/open", nullptr, c).status, 200);
  chat_gmv = pay(c, Buy(c, s1));
  // The coupon: A and B claim, A uses it.
  auto coupon = staff("POST", "/api/v1/merchant/coupons",
                      Json{{"kind", "fixed"}, {"amount_fen", 500}, {"min_spend_fen", 1000}, {"total_quota", 10}, {"per_user_limit", 1},
                           {"scope", {{"type", "merchant"}}}, {"valid_days", 7}, {"title", "满10减5"}});
  ASSERT_EQ(coupon.status, 201) << coupon.body.dump();
  std::string cid = coupon.body["id"];
  auto claim_a = Call("POST", "/api/v1/coupons/" + cid + "/claim", nullptr, a);
  ASSERT_EQ(claim_a.status, 201) << claim_a.body.dump();
  ASSERT_EQ(Call("POST", "/api/v1/coupons/" + cid + "/claim", nullptr, b).status, 201);
  auto with_coupon = Call("POST", "/api/v1/checkout",
                          Json{{"items", {{{"sku_id", s1}, {"quantity", 1}}}}, {"address", Address()},
                               {"coupon_ids", Json::array({claim_a.body["id"]})}}, a);
  ASSERT_EQ(with_coupon.status, 201) << with_coupon.body.dump();
  member_gmv += pay(a, with_coupon.body["orders"][0]);
  // Group buys of 2: D's group succeeds with E; F's times out.
  auto act = staff("POST", "/api/v1/merchant/activities",
                   Json{{"type", "group_buy"}, {"sku_id", s2}, {"group_price_fen", 4900}, {"group_size", 2}, {"group_ttl_s", 600},
                        {"starts_at", FormatRfc3339(clock_.NowMs())}, {"ends_at", FormatRfc3339(clock_.NowMs() + 2LL * 24 * 3600 * 1000)}});
  ASSERT_EQ(act.status, 201) << act.body.dump();
  std::string aid = act.body["id"];
  auto group_order = [&](const std::string& token, Json activity) {
    auto r = Call("POST", "/api/v1/checkout",
                  Json{{"items", {{{"sku_id", s2}, {"quantity", 1}}}}, {"address", Address()}, {"activity", activity}}, token);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body["orders"][0];
  };
  Json od = group_order(d, Json{{"id", aid}});
  pay(d, od);
  pay(e, group_order(e, Json{{"id", aid}, {"group_id", od["group_id"]}}));
  pay(f, group_order(f, Json{{"id", aid}}));
  clock_.AdvanceMs(601'000);
  RunTimers();
  // Another shop's sale, by a buyer of this shop too.
  PayAndWait(a, Buy(a, so)["id"]);
  // A week later: A and C again (P2, no share).
  clock_.AdvanceMs(8LL * 24 * 3600 * 1000);
  member_gmv += pay(a, Buy(a, s2));
  pay(c, Buy(c, s2));

  ASSERT_TRUE(app_->insight().CatchUp());  // buyers, cohorts and members come from the projections
  auto bd = staff("GET", "/api/v1/merchant/insights/breakdowns");
  ASSERT_EQ(bd.status, 200) << bd.body.dump();
  const Json& j = bd.body;
  EXPECT_EQ(j["group_buy"]["closed"], 2) << j["group_buy"].dump();
  EXPECT_EQ(j["group_buy"]["succeeded"], 1);
  EXPECT_NEAR(j["group_buy"]["success_rate"].get<double>(), 0.5, 1e-9);
  ASSERT_EQ(j["coupons"].size(), 1u);
  EXPECT_EQ(j["coupons"][0]["coupon_id"], cid);
  EXPECT_EQ(j["coupons"][0]["claimed"], 2);
  EXPECT_EQ(j["coupons"][0]["used"], 1);
  EXPECT_NEAR(j["coupons"][0]["redemption_rate"].get<double>(), 0.5, 1e-9);
  ASSERT_EQ(j["chat_groups"].size(), 1u);
  EXPECT_EQ(j["chat_groups"][0]["chat_group"], "wxg-9");
  EXPECT_EQ(j["chat_groups"][0]["orders"], 1);
  EXPECT_EQ(j["chat_groups"][0]["gmv_fen"].get<int64_t>(), chat_gmv);
  EXPECT_TRUE(j["live_rooms"].empty());
  EXPECT_TRUE(j["leaders"].empty());
  EXPECT_TRUE(j["stores"].empty());
  // Six buyers, all new; A (3 orders) and C (2) bought again: 2 of 6.
  EXPECT_EQ(j["customers"]["buyers"], 6) << j["customers"].dump();
  EXPECT_EQ(j["customers"]["new_buyers"], 6);
  EXPECT_EQ(j["customers"]["new_orders"], 9);
  EXPECT_EQ(j["customers"]["repeat_buyers"], 2);
  EXPECT_NEAR(j["customers"]["repurchase_rate"].get<double>(), 0.3333, 1e-9);
  // One cohort (the first week's six), two of them back a week later.
  ASSERT_EQ(j["cohorts"].size(), 1u) << j["cohorts"].dump();
  EXPECT_EQ(j["cohorts"][0]["buyers"], 6);
  EXPECT_EQ(j["cohorts"][0]["retention"], Json::array({6, 2})) << j["cohorts"].dump();
  // A is the member: three orders.
  EXPECT_EQ(j["members"]["member"]["orders"], 3);
  EXPECT_EQ(j["members"]["member"]["gmv_fen"].get<int64_t>(), member_gmv);
  EXPECT_EQ(j["members"]["member"]["aov_fen"].get<int64_t>(), member_gmv / 3);
  EXPECT_EQ(j["members"]["non_member"]["orders"], 6);
  EXPECT_EQ(j["members"]["non_member"]["gmv_fen"].get<int64_t>(), total_gmv - member_gmv);
  // Share chains: B's order (A's link, depth 1), C's (B's link; B came by A's: depth 2); the
  // sharers A and B paid 4 orders in the range: 2 / 4.
  EXPECT_EQ(j["shares"]["shared_orders"], 2) << j["shares"].dump();
  EXPECT_EQ(j["shares"]["sharers"], 2);
  EXPECT_EQ(j["shares"]["sharer_orders"], 4);
  EXPECT_NEAR(j["shares"]["viral_coefficient"].get<double>(), 0.5, 1e-9);
  EXPECT_EQ(j["shares"]["max_depth"], 2);
  EXPECT_EQ(j["shares"]["by_depth"], Json::parse(R"([{"depth":1,"orders":1},{"depth":2,"orders":1}])"));

  // The second week alone: A and C are returning buyers.
  const std::string today = j["to"];
  auto week2 = staff("GET", "/api/v1/merchant/insights/breakdowns?from=" + today + "&to=" + today);
  ASSERT_EQ(week2.status, 200);
  EXPECT_EQ(week2.body["customers"]["buyers"], 2);
  EXPECT_EQ(week2.body["customers"]["returning_buyers"], 2);
  EXPECT_EQ(week2.body["customers"]["new_buyers"], 0);
  EXPECT_TRUE(week2.body["cohorts"].empty());

  // The other shop sees only its own sale.
  auto theirs = Call("GET", "/api/v1/merchant/insights/breakdowns", nullptr, other.owner_token);
  ASSERT_EQ(theirs.status, 200);
  EXPECT_EQ(theirs.body["customers"]["buyers"], 1);
  EXPECT_EQ(theirs.body["members"]["member"]["orders"], 0);
  EXPECT_TRUE(theirs.body["coupons"].empty());
  EXPECT_EQ(theirs.body["shares"]["shared_orders"], 0);
  EXPECT_EQ(theirs.body["group_buy"]["closed"], 0);
  EXPECT_EQ(staff("GET", "/api/v1/merchant/insights/breakdowns?from=2026-13-01").status, 400);
}

// Each buyer's paid days per shop and each day's order gaps (analytics migration 057, decision
// 042): kept by the projection as orders are paid, the base of new vs returning buyers and
// cohorts in the breakdowns; `xiaodian check` finds a row that is wrong or missing, and a rebuild
// from the log puts it right.
TEST_F(Insights, BuyerDaysAreKeptByTheProjectionAndChecked) {
  auto shop = OpenShop("c2c", "首单店");
  auto other = OpenShop("c2c", "别家首单店");
  auto [p, sku] = CreateProduct(shop, 2000, 100);
  auto [po, other_sku] = CreateProduct(other, 3000, 100);
  (void)p, (void)po;
  std::string a = Register(), b = Register();
  const std::string unpaid = Buy(b, sku)["id"];  // B's first order stays unpaid
  PayAndWait(a, Buy(a, sku)["id"]);
  clock_.AdvanceMs(3LL * 24 * 3600 * 1000);
  PayAndWait(a, Buy(a, sku)["id"]);
  PayAndWait(a, Buy(a, sku)["id"]);
  PayAndWait(b, Buy(b, sku)["id"]);
  PayAndWait(a, Buy(a, other_sku)["id"]);
  (void)unpaid;
  ASSERT_TRUE(app_->insight().CatchUp());
  const int64_t mid = *ParseId(shop.id);
  auto days_of = [&](const std::string& user) {
    auto row = app_->insight().analytics().Read([&](Reader& r) {
      return r.QueryOne("SELECT paid_days FROM merchant_customers WHERE merchant_id=? AND user_id=?", {mid, *ParseId(user)});
    });
    return row && *row ? std::optional<std::string>((*row)->Str(0)) : std::nullopt;
  };
  auto me = [&](const std::string& token) { return Call("GET", "/api/v1/me", nullptr, token).body["user"]["id"].get<std::string>(); };
  const std::string a_id = me(a);
  auto a_days = days_of(a_id);
  ASSERT_TRUE(a_days);
  // Two paid days three days apart: one order on the first, two on the second.
  ASSERT_EQ(std::count(a_days->begin(), a_days->end(), ','), 1) << *a_days;
  EXPECT_NE(a_days->find(":1,"), std::string::npos) << *a_days;
  EXPECT_EQ(a_days->substr(a_days->size() - 2), ":2") << *a_days;
  // Today alone: A returns (first paid 3 days ago) with two orders, B is new.
  auto today = Call("GET", "/api/v1/merchant/insights/breakdowns", nullptr, shop.owner_token).body["to"].get<std::string>();
  auto bd = Call("GET", "/api/v1/merchant/insights/breakdowns?from=" + today + "&to=" + today, nullptr, shop.owner_token);
  ASSERT_EQ(bd.status, 200) << bd.body.dump();
  EXPECT_EQ(bd.body["customers"]["buyers"], 2) << bd.body["customers"].dump();
  EXPECT_EQ(bd.body["customers"]["new_buyers"], 1);
  EXPECT_EQ(bd.body["customers"]["returning_buyers"], 1);
  EXPECT_EQ(bd.body["customers"]["new_orders"], 1);
  EXPECT_EQ(bd.body["customers"]["returning_orders"], 2);
  EXPECT_EQ(bd.body["customers"]["repeat_buyers"], 1);
  ExpectInvariants();

  auto problems = [&]() {
    auto report = http::RunInvariantChecks(app_->context());
    EXPECT_TRUE(report) << report.error().message;
    EXPECT_EQ((*report)["ok"], false);
    return (*report)["problems"].dump();
  };
  auto tamper = [&](auto run) { ASSERT_TRUE(app_->insight().analytics().Execute(run)); };
  // A's paid days that no longer add up to A's paid orders.
  tamper([&](Tx& tx) {
    return tx.Run("UPDATE merchant_customers SET paid_days=? WHERE merchant_id=? AND user_id=?",
                  {a_days->substr(0, a_days->size() - 1) + "1", mid, *ParseId(a_id)});
  });
  std::string text = problems();
  EXPECT_NE(text.find("customer " + a_id + ": paid days"), std::string::npos) << text;
  ASSERT_TRUE(app_->insight().Rebuild());
  ExpectInvariants();
  // A day's gaps changed, then lost.
  tamper([&](Tx& tx) { return tx.Run("UPDATE merchant_order_gaps SET gaps = '0:1||' WHERE merchant_id=?", {mid}); });
  text = problems();
  EXPECT_NE(text.find("merchant " + shop.id + " day "), std::string::npos) << text;
  EXPECT_NE(text.find("the orders' gaps are not those"), std::string::npos) << text;
  tamper([&](Tx& tx) { return tx.Run("DELETE FROM merchant_order_gaps WHERE merchant_id=?", {mid}); });
  text = problems();
  EXPECT_NE(text.find("paid orders of its customers with no gaps row"), std::string::npos) << text;
  ASSERT_TRUE(app_->insight().Rebuild());
  ExpectInvariants();
}

// The live rooms' rows: a paid order placed in a live room counts for that room (title, orders,
// GMV); an order of the same product outside the room does not.
TEST_F(Insights, ShopBreakdownsCountALiveRoomsPaidOrders) {
  auto shop = OpenShop("b2c", "直播店");
  auto [product, sku] = CreateProduct(shop, 30000, 50, "羽绒服");
  (void)product;
  auto room = Call("POST", "/api/v1/merchant/live/rooms",
                   Json{{"title", "冬季新品首发"}, {"stream_url", "https://live.example.com/hls/room.m3u8"},
                        {"products", Json::array({Json{{"sku_id", sku}, {"live_price_fen", 19900}, {"live_stock", 10}}})}},
                   shop.owner_token);
  ASSERT_EQ(room.status, 201) << room.body.dump();
  std::string room_id = room.body["id"];
  ASSERT_EQ(Call("POST", "/api/v1/merchant/live/rooms/" + room_id + "/start", nullptr, shop.owner_token).status, 200);
  std::string viewer = Register(), other = Register();
  auto live = Call("POST", "/api/v1/checkout",
                   Json{{"items", {{{"sku_id", sku}, {"quantity", 2}}}}, {"address", Address()},
                        {"activity", {{"live", {{"room_id", room_id}}}}}},
                   viewer);
  ASSERT_EQ(live.status, 201) << live.body.dump();
  PayAndWait(viewer, live.body["orders"][0]["id"]);
  PayAndWait(other, Buy(other, sku)["id"]);
  // The room's traffic (the event log's live.* rows, merchant_room_days): two viewers open it,
  // one comments and taps 3 likes; a second room is visited but sells nothing.
  auto quiet = Call("POST", "/api/v1/merchant/live/rooms",
                    Json{{"title", "夜场"}, {"stream_url", "https://live.example.com/hls/night.m3u8"},
                         {"products", Json::array()}},
                    shop.owner_token);
  ASSERT_EQ(quiet.status, 201) << quiet.body.dump();
  std::string quiet_id = quiet.body["id"];
  ASSERT_EQ(Call("POST", "/api/v1/merchant/live/rooms/" + quiet_id + "/start", nullptr, shop.owner_token).status, 200);
  for (const std::string& who : {viewer, other})
    ASSERT_EQ(Call("GET", "/api/v1/live/rooms/" + room_id, nullptr, who).status, 200);
  ASSERT_EQ(Call("GET", "/api/v1/live/rooms/" + quiet_id, nullptr, other).status, 200);
  ASSERT_EQ(Call("POST", "/api/v1/live/rooms/" + room_id + "/comments", Json{{"text", "好暖和"}}, viewer).status, 201);
  ASSERT_EQ(Call("POST", "/api/v1/live/rooms/" + room_id + "/likes", Json{{"count", 3}}, viewer).status, 200);
  http::Client::JsonResponse bd;
  for (int i = 0; i < 500; ++i) {  // likes reach the log with the hub's flushes
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(app_->insight().CatchUp());
    bd = Call("GET", "/api/v1/merchant/insights/breakdowns", nullptr, shop.owner_token);
    ASSERT_EQ(bd.status, 200) << bd.body.dump();
    if (!bd.body["live_rooms"].empty() && bd.body["live_rooms"][0].value("likes", 0) >= 3) break;
  }
  ASSERT_EQ(bd.body["live_rooms"].size(), 2u) << bd.body.dump();
  const Json& sold = bd.body["live_rooms"][0];
  EXPECT_EQ(sold["room_id"], room_id);
  EXPECT_EQ(sold["title"], "冬季新品首发");
  EXPECT_EQ(sold["orders"], 1);
  EXPECT_EQ(sold["gmv_fen"], live.body["orders"][0]["total_fen"]);
  EXPECT_EQ(sold["views"], 2) << sold.dump();
  EXPECT_EQ(sold["likes"], 3);
  EXPECT_EQ(sold["comments"], 1);
  const Json& night = bd.body["live_rooms"][1];
  EXPECT_EQ(night["room_id"], quiet_id);
  EXPECT_EQ(night["title"], "夜场");
  EXPECT_EQ(night["orders"], 0);
  EXPECT_EQ(night["views"], 1);
  EXPECT_EQ(night["comments"], 0);
  EXPECT_EQ(bd.body["customers"]["buyers"], 2);
}

// The stores' rows: completed POS purchases at a store count for it (name, purchases, amount).
TEST_F(Insights, ShopBreakdownsCountAStoresPosPurchases) {
  auto shop = OpenShop("c2c", "门店咖啡");
  auto programme = Call("PUT", "/api/v1/merchant/member-programme",
                        Json{{"title", "会员卡"}, {"cover_color", "#1f6f5c"},
                             {"levels", {{{"name", "普通会员"}, {"growth_threshold", 0}, {"discount_bps", 500}}}},
                             {"points_per_yuan", 1}, {"points_validity_days", 365}, {"issue_limit", nullptr}},
                        shop.owner_token);
  ASSERT_EQ(programme.status, 200) << programme.body.dump();
  auto store = Call("POST", "/api/v1/merchant/member-stores",
                    Json{{"name", "静安店"}, {"address", "上海市静安区南京西路 1266 号"}, {"opening_hours", "8:00-22:00"},
                         {"latitude", 31.228611}, {"longitude", 121.454756}},
                    shop.owner_token);
  ASSERT_EQ(store.status, 201) << store.body.dump();
  std::string store_id = store.body["id"];
  std::string buyer = Register();
  auto claimed = Call("POST", "/api/v1/member-cards/claim/" + programme.body["claim_token"].get<std::string>(), nullptr, buyer);
  ASSERT_EQ(claimed.status, 200) << claimed.body.dump();
  std::string card_id = claimed.body["card"]["id"];
  auto key = Call("POST", "/api/v1/merchant/api-keys", Json{{"name", "收银台"}, {"scopes", {"pos"}}}, shop.owner_token);
  ASSERT_EQ(key.status, 201) << key.body.dump();
  const std::string secret = key.body["secret"];
  auto sale = [&](const std::string& receipt, int64_t fen) {
    auto code = Call("GET", "/api/v1/me/member-cards/" + card_id + "/code", nullptr, buyer);
    EXPECT_EQ(code.status, 200) << code.body.dump();
    auto r = Call("POST", "/api/v1/open/pos/purchases",
                  Json{{"store_id", store_id}, {"member_code", code.body["digits"]}, {"receipt_id", receipt}, {"amount_fen", fen},
                       {"items", {{{"name", "手冲"}, {"quantity", 1}, {"amount_fen", fen}}}}},
                  "", {{"X-Api-Key", secret}});
    EXPECT_EQ(r.status, 201) << r.body.dump();
  };
  sale("R-1", 3200);
  sale("R-2", 1800);
  auto bd = Call("GET", "/api/v1/merchant/insights/breakdowns", nullptr, shop.owner_token);
  ASSERT_EQ(bd.status, 200) << bd.body.dump();
  ASSERT_EQ(bd.body["stores"].size(), 1u) << bd.body.dump();
  EXPECT_EQ(bd.body["stores"][0]["store_id"], store_id);
  EXPECT_EQ(bd.body["stores"][0]["name"], "静安店");
  EXPECT_EQ(bd.body["stores"][0]["orders"], 2);
  EXPECT_EQ(bd.body["stores"][0]["gmv_fen"], 5000);
}

TEST_F(Insights, BatchesOverTheLimitsAreRefusedWhole) {
  Json many = Json::array();
  for (int i = 0; i < 101; ++i) many.push_back({{"id", "e" + std::to_string(i)}, {"type", "view"}});
  EXPECT_EQ(Call("POST", "/api/v1/events", Json{{"device_id", "d"}, {"events", many}}).status, 413);
  Json big = Json::array({{{"id", "q"}, {"type", "search"}, {"query", std::string(70'000, 'a')}}});
  EXPECT_EQ(Call("POST", "/api/v1/events", Json{{"device_id", "d"}, {"events", big}}).status, 413);
  EXPECT_EQ(Call("POST", "/api/v1/events", Json{{"events", Json::array()}}).status,
            400);  // anonymous without a device
  EXPECT_EQ(
      Call("POST", "/api/v1/events", Json{{"device_id", "d"}, {"events", Json::array()}, {"x", 1}})
          .status,
      400);
  EXPECT_EQ(Call("POST", "/api/v1/events", Json{{"device_id", "d"}, {"events", Json::array()}},
                 "not-a-token")
                .status,
            401);
}

// The exports: a shop's orders and events for a date range, streamed (chunked) as CSV or
// NDJSON; every order and every event of the range once, across pages; buyers' personal data
// in full for a role that ships orders, masked for support staff and for an API key without
// export:personal; a key without the export scope is refused.
TEST_F(Insights, ExportsStreamOrdersAndEventsAndMaskPersonalData) {
  auto shop = OpenShop("ka", "导出店");
  auto [product, sku] = CreateProduct(shop, 1200, 100);
  std::string buyer = Register();
  std::vector<std::string> orders;
  for (int i = 0; i < 3; ++i) orders.push_back(Buy(buyer, sku)["id"]);
  PayAndWait(buyer, orders[0]);
  // 600 views: more than one page (500) of the events export.
  for (int b = 0; b < 6; ++b) {
    Json views = Json::array();
    for (int i = 0; i < 100; ++i)
      views.push_back({{"id", "x" + std::to_string(b * 100 + i)}, {"type", "view"}, {"product_id", product}});
    ASSERT_EQ(Call("POST", "/api/v1/events", Json{{"device_id", "dev-x"}, {"events", views}}).status, 202);
  }
  ASSERT_TRUE(app_->insight().CatchUp());

  http::Client client("127.0.0.1", port_);
  using Headers = std::vector<std::pair<std::string, std::string>>;
  auto header = [](const http::Response& r, const std::string& name) {
    for (auto& [k, v] : r.headers)
      if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
    return std::string();
  };
  auto lines = [](const std::string& body, const std::string& eol) {
    size_t n = 0;
    for (size_t at = body.find(eol); at != std::string::npos; at = body.find(eol, at + eol.size())) ++n;
    return n;
  };
  const Headers owner = {{"Authorization", "Bearer " + shop.owner_token}};

  // CSV for the owner: a BOM, Chinese headers, one row per order, the buyer's phone and street.
  auto csv = client.Send("GET", "/api/v1/merchant/exports/orders", "", owner);
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(header(csv, "Transfer-Encoding"), "chunked");
  EXPECT_NE(header(csv, "Content-Disposition").find("attachment; filename=\"orders-"), std::string::npos);
  EXPECT_EQ(csv.body.rfind("\xEF\xBB\xBF订单号,下单时间,状态,", 0), 0u) << csv.body;
  EXPECT_EQ(lines(csv.body, "\r\n"), 1u + orders.size());
  for (const std::string& id : orders) EXPECT_NE(csv.body.find(id), std::string::npos) << id;
  EXPECT_NE(csv.body.find("13800000000"), std::string::npos);
  EXPECT_NE(csv.body.find("世纪大道 100 号"), std::string::npos);
  EXPECT_NE(csv.body.find("待发货"), std::string::npos);
  EXPECT_NE(csv.body.find("待付款"), std::string::npos);
  // A range before the orders: the header only.
  auto empty = client.Send("GET", "/api/v1/merchant/exports/orders?from=2025-01-01&to=2025-01-31", "", owner);
  ASSERT_EQ(empty.status, 200);
  EXPECT_EQ(lines(empty.body, "\r\n"), 1u);
  EXPECT_EQ(client.Send("GET", "/api/v1/merchant/exports/orders?format=xlsx", "", owner).status, 400);

  // NDJSON for support staff: the same orders, masked.
  std::string support = Register("13655550001");
  AddStaff(shop, "13655550001", support, "support");
  auto nd = client.Send("GET", "/api/v1/merchant/exports/orders?format=ndjson", "", {{"Authorization", "Bearer " + support}});
  ASSERT_EQ(nd.status, 200) << nd.body;
  EXPECT_EQ(nd.content_type, "application/x-ndjson");
  std::set<std::string> seen;
  for (size_t at = 0; at < nd.body.size();) {
    size_t eol = nd.body.find('\n', at);
    ASSERT_NE(eol, std::string::npos);
    auto order = ParseJson(std::string_view(nd.body).substr(at, eol - at));
    ASSERT_TRUE(order) << nd.body.substr(at, eol - at);
    seen.insert((*order)["id"].get<std::string>());
    EXPECT_EQ((*order)["address"]["phone"], "138****0000");
    EXPECT_EQ((*order)["address"]["name"], "张**");
    EXPECT_EQ((*order)["address"]["detail"], "***");
    EXPECT_EQ((*order)["address"]["region"], "上海市 浦东新区");
    at = eol + 1;
  }
  EXPECT_EQ(seen, std::set<std::string>(orders.begin(), orders.end()));

  // An API key: export masks; export:personal unmasks; without export the route refuses.
  auto key = [&](const std::vector<std::string>& scopes) {
    auto r = Call("POST", "/api/v1/merchant/api-keys", Json{{"name", "BI"}, {"scopes", scopes}}, shop.owner_token);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body.value("secret", "");
  };
  auto masked = client.Send("GET", "/api/v1/merchant/exports/orders", "", {{"X-Api-Key", key({"export"})}});
  ASSERT_EQ(masked.status, 200) << masked.body;
  EXPECT_EQ(masked.body.find("13800000000"), std::string::npos);
  EXPECT_NE(masked.body.find("138****0000"), std::string::npos);
  auto full = client.Send("GET", "/api/v1/merchant/exports/orders", "", {{"X-Api-Key", key({"export", "export:personal"})}});
  ASSERT_EQ(full.status, 200) << full.body;
  EXPECT_NE(full.body.find("13800000000"), std::string::npos);
  EXPECT_EQ(client.Send("GET", "/api/v1/merchant/exports/orders", "", {{"X-Api-Key", key({"orders:read"})}}).status, 403);

  // Events: every logged event of the shop once, across pages, oldest first; the device id
  // only for the owner.
  auto logged = app_->insight().analytics().Read([&](Reader& rd) {
    return rd.QueryInt("SELECT count(*) FROM log WHERE merchant_id=?", {*ParseId(shop.id)});
  });
  ASSERT_TRUE(logged);
  ASSERT_GT(*logged, 600);
  auto events = client.Send("GET", "/api/v1/merchant/exports/events?format=ndjson", "", owner);
  ASSERT_EQ(events.status, 200);
  EXPECT_EQ(lines(events.body, "\n"), static_cast<size_t>(*logged));
  std::set<std::string> event_ids;
  std::string last_time;
  for (size_t at = 0; at < events.body.size();) {
    size_t eol = events.body.find('\n', at);
    auto e = ParseJson(std::string_view(events.body).substr(at, eol - at));
    ASSERT_TRUE(e);
    event_ids.insert((*e)["event_id"].get<std::string>());
    EXPECT_GE((*e)["occurred_at"].get<std::string>(), last_time);
    last_time = (*e)["occurred_at"].get<std::string>();
    at = eol + 1;
  }
  EXPECT_EQ(event_ids.size(), static_cast<size_t>(*logged));
  EXPECT_NE(events.body.find("\"device_id\":\"dev-x\""), std::string::npos);
  auto support_csv = client.Send("GET", "/api/v1/merchant/exports/events", "", {{"Authorization", "Bearer " + support}});
  ASSERT_EQ(support_csv.status, 200);
  EXPECT_EQ(lines(support_csv.body, "\r\n"), 1u + static_cast<size_t>(*logged));
  EXPECT_EQ(support_csv.body.find("dev-x"), std::string::npos);
}

class InsightsLimited : public ApiTest {
  void Configure(AppOptions& o) override {
    o.events_rate_per_s = 0.01;
  }  // a bucket that never holds one token
};

TEST_F(InsightsLimited, EventsAreRateLimitedPerSource) {
  EXPECT_EQ(
      Call("POST", "/api/v1/events", Json{{"device_id", "d"}, {"events", Json::array()}}).status,
      429);
}

}  // namespace
}  // namespace xd::testing
