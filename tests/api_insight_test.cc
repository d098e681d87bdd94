// The data platform over HTTP (issue 19), on each backend: client events in batches with their
// limits, a shop's BI equal to a count over the orders table, the CSV export, a user's tags
// for the admin, and the analytics check in the invariant report.
#include <strings.h>

#include <set>

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
