// The open platform over real HTTP: API keys (lifecycle, scopes, what a key can never do),
// the ERP inventory/price sync (all or nothing, conservation), webhooks (signed deliveries
// to a receiver in the test, forged/replayed signatures refused by the verifier, retries
// with backoff on the fake clock, exactly-once enqueue across consumers and a restart), and
// 200 concurrent requests with keys.

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "base/limits.h"
#include "http/client.h"
#include "http/server.h"
#include "open/open.h"
#include "tests/harness.h"
#include "tests/receiver.h"
#include "store/testing/sync_gate.h"

namespace xd::testing {
namespace {

bool WaitFor(const std::function<bool()>& pred, int ms = 5000) {
  for (int i = 0; i < ms / 10; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

class Open : public ApiTest {
 protected:
  void Configure(AppOptions& o) override {
    o.open.allow_private_hosts = true;  // the receiver is on 127.0.0.1
    o.open.poll_ms = 10;
    o.open.sender_threads = 2;
    o.webhooks_background = webhooks_background_;
  }
  bool webhooks_background_ = true;

  std::string CreateKey(const Shop& shop, const std::vector<std::string>& scopes, int expect = 201) {
    auto r = Call("POST", "/api/v1/merchant/api-keys", Json{{"name", "ERP"}, {"scopes", scopes}}, shop.owner_token);
    EXPECT_EQ(r.status, expect) << r.body.dump();
    return r.body.value("secret", "");
  }
  // A product with SKUs carrying the merchant's codes; returns the SKU ids.
  std::vector<std::string> ProductWithCodes(const Shop& shop, const std::vector<std::string>& codes, int64_t stock = 10) {
    Json skus = Json::array();
    for (auto& c : codes) skus.push_back(Json{{"spec", {{"规格", c}}}, {"price_fen", 1000}, {"stock", stock}, {"code", c}});
    auto r = Call("POST", "/api/v1/merchant/products", Json{{"title", "ERP 同步测试商品"}, {"status", "on_sale"}, {"skus", skus}},
                  shop.owner_token);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    std::vector<std::string> ids;
    for (auto& s : r.body["skus"]) ids.push_back(s["id"]);
    return ids;
  }
  Json Skus(const Shop& shop) {
    Json out = Json::array();
    auto list = Call("GET", "/api/v1/merchant/products", nullptr, shop.owner_token);
    for (auto& p : list.body["items"]) {
      auto product = Call("GET", "/api/v1/merchant/products/" + p["id"].get<std::string>(), nullptr, shop.owner_token);
      for (auto& s : product.body["skus"]) out.push_back(s);
    }
    return out;
  }
  Json Deliveries(const Shop& shop) { return Call("GET", "/api/v1/merchant/webhook-deliveries", nullptr, shop.owner_token).body["items"]; }
  // Waits until every commit a reader may already see is on disk: consumers read only durable
  // events, and PaidOrder returns as soon as a reader sees the order paid.
  void AwaitDurable() { ASSERT_TRUE(app_->store().WaitDurable(app_->store().visible_commits(), 10'000)); }
  // Runs the webhook consumer and a send pass in this thread until neither finds work: every
  // durable event is turned into deliveries and every delivery due now has been attempted.
  // For tests that stopped the background threads (app_->open().Stop()).
  void DrainWebhooks() {
    AwaitDurable();
    for (int round = 0; round < 100; ++round) {
      auto consumed = app_->open().ConsumeOnce();
      ASSERT_TRUE(consumed) << consumed.error().message;
      auto sent = app_->open().SendDueOnce(100);
      ASSERT_TRUE(sent) << sent.error().message;
      if (*consumed == 0 && *sent == 0) return;
      AwaitDurable();
    }
    ADD_FAILURE() << "the webhook consumer and sender never ran out of work";
  }
  // A paid order of a new buyer for `sku`.
  std::string PaidOrder(const std::string& sku) {
    std::string buyer = Register();
    std::string oid = Buy(buyer, sku)["id"];
    PayAndWait(buyer, oid);
    return oid;
  }
};

TEST_F(Open, KeyLifecycleSecretOnceListHidesItRevokeIs401) {
  Shop shop = OpenShop("ka", "云岭旗舰店");
  CreateProduct(shop, 6800, 10);
  auto created = Call("POST", "/api/v1/merchant/api-keys", Json{{"name", "ERP"}, {"scopes", {"products:read", "orders:read"}}},
                      shop.owner_token);
  ASSERT_EQ(created.status, 201) << created.body.dump();
  std::string key = created.body["secret"];
  EXPECT_EQ(key.rfind("xdk_" + created.body["id"].get<std::string>() + "_", 0), 0u) << key;
  EXPECT_EQ(created.body["revoked"], false);

  auto list = Call("GET", "/api/v1/merchant/api-keys", nullptr, shop.owner_token);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["items"].size(), 1u);
  Json item = list.body["items"][0];
  EXPECT_FALSE(item.contains("secret"));
  EXPECT_EQ(list.body.dump().find(key.substr(12)), std::string::npos) << "the list leaks the secret";
  EXPECT_EQ(item["scopes"], Json({"orders:read", "products:read"}));
  EXPECT_TRUE(item["last_used_at"].is_null());

  // Works as Bearer and as X-Api-Key; records its last use (at most once a minute).
  EXPECT_EQ(Call("GET", "/api/v1/merchant/products", nullptr, key).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders", nullptr, "", {{"X-Api-Key", key}}).status, 200);
  EXPECT_TRUE(WaitFor([&] {
    return !Call("GET", "/api/v1/merchant/api-keys", nullptr, shop.owner_token).body["items"][0]["last_used_at"].is_null();
  }));

  // A tampered or unknown key is 401.
  std::string tampered = key;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(Call("GET", "/api/v1/merchant/products", nullptr, tampered).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/products", nullptr, "xdk_1_short").status, 401);

  auto revoked = Call("DELETE", "/api/v1/merchant/api-keys/" + created.body["id"].get<std::string>(), nullptr, shop.owner_token);
  ASSERT_EQ(revoked.status, 200) << revoked.body.dump();
  EXPECT_EQ(revoked.body["revoked"], true);
  auto after = Call("GET", "/api/v1/merchant/products", nullptr, key);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(after.body["error"]["code"], "UNAUTHENTICATED");
  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders", nullptr, "", {{"X-Api-Key", key}}).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, key).status, 401);  // 401 on any route, not only key routes

  // The OpenAPI document says which routes keys may call.
  auto doc = Call("GET", "/api/v1/openapi.json").body;
  EXPECT_EQ(doc["paths"]["/api/v1/open/inventory"]["post"]["x-api-key-scope"], "inventory:write");
  EXPECT_EQ(doc["paths"]["/api/v1/merchant/orders/{id}/ship"]["post"]["x-api-key-scope"], "orders:write");
  EXPECT_FALSE(doc["paths"]["/api/v1/merchant/api-keys"]["post"].contains("x-api-key-scope"));
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("apiKey"));
  ExpectInvariants();
}

TEST_F(Open, ScopesAreEnforced) {
  Shop shop = OpenShop("ka");
  auto [product, sku] = CreateProduct(shop, 5000, 10);
  std::string oid = PaidOrder(sku);
  std::string orders_read = CreateKey(shop, {"orders:read"});
  std::string products_read = CreateKey(shop, {"products:read"});
  std::string writer = CreateKey(shop, {"orders:write", "inventory:write", "products:write"});

  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders/" + oid, nullptr, orders_read).status, 200);
  auto ship = Call("POST", "/api/v1/merchant/orders/" + oid + "/ship", Json{{"carrier", "顺丰"}, {"tracking_no", "SF1"}}, orders_read);
  EXPECT_EQ(ship.status, 403) << ship.body.dump();
  EXPECT_EQ(ship.body["error"]["reason"], "API_KEY_SCOPE_MISSING");
  EXPECT_EQ(ship.body["error"]["params"]["scope"], "orders:write");
  EXPECT_EQ(ship.body["error"]["message"], "此 API 密钥没有 orders:write 权限");
  EXPECT_EQ(Call("GET", "/api/v1/merchant/products", nullptr, orders_read).status, 403);

  EXPECT_EQ(Call("GET", "/api/v1/merchant/products/" + product, nullptr, products_read).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders", nullptr, products_read).status, 403);
  EXPECT_EQ(Call("PATCH", "/api/v1/merchant/products/" + product, Json{{"status", "off_sale"}}, products_read).status, 403);
  EXPECT_EQ(Call("PATCH", "/api/v1/merchant/skus/" + sku, Json{{"stock", 3}}, products_read).status, 403);
  EXPECT_EQ(Call("POST", "/api/v1/open/inventory", Json{{"items", {{{"sku_id", sku}, {"stock", 3}}}}}, products_read).status, 403);

  EXPECT_EQ(Call("PATCH", "/api/v1/merchant/skus/" + sku, Json{{"stock", 7}}, writer).status, 200);
  auto shipped = Call("POST", "/api/v1/merchant/orders/" + oid + "/ship", Json{{"carrier", "顺丰"}, {"tracking_no", "SF1"}}, writer);
  EXPECT_EQ(shipped.status, 200) << shipped.body.dump();
  EXPECT_EQ(Call("POST", "/api/v1/merchant/orders/" + oid + "/tracking", Json{{"description", "已签收"}, {"delivered", true}}, writer).status, 200);
  // orders:write is not orders:read.
  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders/" + oid, nullptr, writer).status, 403);
  ExpectInvariants();
}

TEST_F(Open, KeysNeverActAsBuyersAdminsKeyManagersOrOtherMerchants) {
  Shop shop = OpenShop("ka", "甲旗舰店");
  Shop other = OpenShop("ka", "乙旗舰店");
  auto [other_product, other_sku] = CreateProduct(other, 5000, 10);
  std::string other_order = PaidOrder(other_sku);
  std::vector<std::string> all;
  for (auto& s : open::kScopes) all.emplace_back(s.name);
  std::string key = CreateKey(shop, all);
  std::string before = Skus(other).dump();

  struct Case {
    std::string method, path;
    Json body;
  };
  std::vector<Case> refused = {
      {"GET", "/api/v1/me", nullptr},
      {"GET", "/api/v1/cart", nullptr},
      {"POST", "/api/v1/cart/items", Json{{"sku_id", other_sku}, {"quantity", 1}}},
      {"POST", "/api/v1/checkout", Json{{"items", {{{"sku_id", other_sku}, {"quantity", 1}}}}, {"address", Address()}}},
      {"GET", "/api/v1/orders", nullptr},
      {"POST", "/api/v1/auth/logout", nullptr},
      {"GET", "/api/v1/admin/merchants", nullptr},
      {"GET", "/api/v1/admin/ledger/check", nullptr},
      {"POST", "/api/v1/merchant/api-keys", Json{{"name", "mint"}, {"scopes", {"orders:read"}}}},
      {"GET", "/api/v1/merchant/api-keys", nullptr},
      {"POST", "/api/v1/merchant/staff-invitations", Json{{"phone", "13900000001"}, {"role", "operator"}}},
      {"GET", "/api/v1/merchant/finance", nullptr},
      {"POST", "/api/v1/merchant/withdrawals", Json{{"amount_fen", 1}}},
      {"PATCH", "/api/v1/merchant", Json{{"name", "改名"}}},
      {"POST", "/api/v1/merchant/coupons", Json{{"kind", "fixed"}, {"amount_fen", 100}, {"total_quota", 1}, {"per_user_limit", 1}}},
  };
  for (auto& c : refused) {
    auto r = Call(c.method, c.path, c.body, key);
    EXPECT_TRUE(r.status == 403 || r.status == 401) << c.method << " " << c.path << " → " << r.status << " " << r.body.dump();
  }
  // Naming another merchant: refused outright; the other merchant's objects are not found.
  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders", nullptr, key, {{"X-Merchant-Id", other.id}}).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders/" + other_order, nullptr, key).status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/merchant/orders/" + other_order + "/ship", Json{{"carrier", "x"}, {"tracking_no", "y"}}, key).status, 404);
  EXPECT_EQ(Call("PATCH", "/api/v1/merchant/skus/" + other_sku, Json{{"stock", 0}}, key).status, 404);
  auto sync = Call("POST", "/api/v1/open/inventory", Json{{"items", {{{"sku_id", other_sku}, {"stock", 0}}}}}, key);
  EXPECT_EQ(sync.status, 404) << sync.body.dump();
  EXPECT_EQ(before, Skus(other).dump());
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + other_order, nullptr, key).status, 403);
  // The key cannot be used as a session token either, even where a session would do.
  EXPECT_EQ(Call("GET", "/api/v1/merchant/webhooks", nullptr, key).status, 200);  // webhooks:manage
  ExpectInvariants();
}

TEST_F(Open, OnlyKaOwnersManageKeysAndWebhooks) {
  Shop c2c = OpenShop("c2c", "个人小店");
  Shop b2c = OpenShop("b2c", "自营店");
  for (auto* s : {&c2c, &b2c}) {
    auto r = Call("POST", "/api/v1/merchant/api-keys", Json{{"name", "ERP"}, {"scopes", {"orders:read"}}}, s->owner_token);
    EXPECT_EQ(r.status, 403) << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], "FORBIDDEN");
    EXPECT_EQ(r.body["error"]["reason"], "OPEN_KA_ONLY");
    EXPECT_EQ(r.body["error"]["params"]["kind"], s == &c2c ? "c2c" : "b2c");
    EXPECT_EQ(r.body["error"]["message"], s == &c2c ? "开放平台（API 密钥、Webhook）仅对品牌商家开放，本店是个人店"
                                                    : "开放平台（API 密钥、Webhook）仅对品牌商家开放，本店是自营店");
    // Listing is every kind's (their POS keys, issue 16): none here.
    auto listed = Call("GET", "/api/v1/merchant/api-keys", nullptr, s->owner_token);
    EXPECT_EQ(listed.status, 200);
    EXPECT_EQ(listed.body["items"].size(), 0u);
    EXPECT_EQ(Call("POST", "/api/v1/merchant/webhooks", Json{{"url", "http://127.0.0.1:9/h"}, {"event_types", {"order.paid"}}},
                   s->owner_token).status, 403);
  }
  // An operator of a ka merchant is not the owner.
  Shop ka = OpenShop("ka");
  std::string op = Register("13671000001", "运营");
  AddStaff(ka, "13671000001", op, "operator");
  EXPECT_EQ(Call("POST", "/api/v1/merchant/api-keys", Json{{"name", "x"}, {"scopes", {"orders:read"}}}, op).status, 403);
  // Bad input: unknown or duplicate scopes, no scopes, long name.
  EXPECT_EQ(Call("POST", "/api/v1/merchant/api-keys", Json{{"name", "x"}, {"scopes", {"root"}}}, ka.owner_token).status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/merchant/api-keys", Json{{"name", "x"}, {"scopes", {"orders:read", "orders:read"}}}, ka.owner_token).status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/merchant/api-keys", Json{{"name", "x"}, {"scopes", Json::array()}}, ka.owner_token).status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/merchant/api-keys", Json{{"name", std::string(limits::kMaxApiKeyNameLen + 1, 'x')}, {"scopes", {"orders:read"}}}, ka.owner_token).status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/api-keys", nullptr, ka.owner_token).body["items"].size(), 0u);
}

TEST_F(Open, InventorySyncIsAllOrNothingAndKeepsConservation) {
  Shop shop = OpenShop("ka");
  auto ids = ProductWithCodes(shop, {"YL-1", "YL-2", "YL-3"});
  std::string key = CreateKey(shop, {"inventory:write"});
  // Two units reserved by an unpaid order, one sold.
  std::string buyer = Register();
  Buy(buyer, ids[0], 2);
  PaidOrder(ids[0]);
  std::string before = Skus(shop).dump();

  // One bad item (unknown code) → 404 naming it, nothing changed.
  auto bad = Call("POST", "/api/v1/open/inventory",
                  Json{{"items", {{{"code", "YL-1"}, {"stock", 100}}, {{"code", "YL-2"}, {"price_fen", 1}}, {{"code", "NOPE"}, {"stock", 1}}}}}, key);
  EXPECT_EQ(bad.status, 404) << bad.body.dump();
  EXPECT_EQ(bad.body["error"]["params"]["item"], 2);
  EXPECT_EQ(bad.body["error"]["message"].get<std::string>().rfind("第 3 项：", 0), 0u) << bad.body.dump();
  EXPECT_EQ(before, Skus(shop).dump());
  // Malformed bodies: 400, nothing changed.
  std::vector<Json> malformed = {
      Json{{"items", Json::array()}},
      Json{{"items", {{{"code", "YL-1"}, {"stock", -1}}}}},
      Json{{"items", {{{"code", "YL-1"}}}}},
      Json{{"items", {{{"code", "YL-1"}, {"sku_id", ids[0]}, {"stock", 1}}}}},
      Json{{"items", {{{"code", "YL-1"}, {"stock", 1}}, {{"sku_id", ids[0]}, {"stock", 2}}}}},
      Json{{"items", {{{"code", "YL-1"}, {"stock", 1}, {"colour", "red"}}}}},
      Json{{"items", {{{"code", "YL-1"}, {"price_fen", 0}}}}},
  };
  Json many = Json::array();
  for (int i = 0; i < 501; ++i) many.push_back(Json{{"code", "YL-1"}, {"stock", 1}});
  malformed.push_back(Json{{"items", many}});
  for (auto& body : malformed) {
    auto r = Call("POST", "/api/v1/open/inventory", body, key);
    EXPECT_EQ(r.status, 400) << body.dump().substr(0, 200) << " → " << r.body.dump();
  }
  EXPECT_EQ(before, Skus(shop).dump());

  // A good sync: absolute available stock, reserved and sold untouched.
  Json first_batch{{"items", {{{"code", "YL-1"}, {"stock", 5}}, {{"sku_id", ids[1]}, {"price_fen", 1290}, {"stock", 0}}, {{"code", "YL-3"}, {"price_fen", 990}}}}};
  auto ok = Call("POST", "/api/v1/open/inventory", first_batch, key, {{"Idempotency-Key", "erp-batch-1"}});
  ASSERT_EQ(ok.status, 200) << ok.body.dump();
  EXPECT_EQ(ok.body["updated"], 3);
  Json skus = Skus(shop);
  std::map<std::string, Json> by_code;
  for (auto& s : skus) by_code[s["code"]] = s;
  EXPECT_EQ(by_code["YL-1"]["stock"], 5);
  EXPECT_EQ(by_code["YL-1"]["reserved"], 2);
  EXPECT_EQ(by_code["YL-1"]["sold"], 1);
  EXPECT_EQ(by_code["YL-2"]["stock"], 0);
  EXPECT_EQ(by_code["YL-2"]["price_fen"], 1290);
  EXPECT_EQ(by_code["YL-3"]["price_fen"], 990);
  EXPECT_EQ(by_code["YL-3"]["stock"], 10);
  // The same Idempotency-Key replays the first answer without applying it again.
  ASSERT_EQ(Call("PATCH", "/api/v1/merchant/skus/" + ids[0], Json{{"stock", 8}}, shop.owner_token).status, 200);
  auto replay = Call("POST", "/api/v1/open/inventory", first_batch, key, {{"Idempotency-Key", "erp-batch-1"}});
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(replay.body, ok.body);
  EXPECT_EQ(Call("GET", "/api/v1/products/" + Call("GET", "/api/v1/merchant/products", nullptr, shop.owner_token).body["items"][0]["id"].get<std::string>()).body["skus"][0]["stock"], 8);
  // Staff with the product permission use the same endpoint with their session.
  EXPECT_EQ(Call("POST", "/api/v1/open/inventory", Json{{"items", {{{"code", "YL-2"}, {"stock", 4}}}}}, shop.owner_token).status, 200);
  // The reserved units can still be paid for and the stock conserved.
  Json report = ExpectInvariants();
  EXPECT_EQ(report["inventory_ok"], true);
}

TEST_F(Open, WebhooksAreSignedAndDeliveredForPaidAndShippedOrders) {
  Receiver receiver;
  Shop shop = OpenShop("ka");
  auto [product, sku] = CreateProduct(shop, 5000, 10);
  auto ep = Call("POST", "/api/v1/merchant/webhooks", Json{{"url", receiver.url()}, {"event_types", {"order.paid", "order.shipped"}}},
                 shop.owner_token);
  ASSERT_EQ(ep.status, 201) << ep.body.dump();
  std::string secret = ep.body["secret"];
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u);
  EXPECT_FALSE(Call("GET", "/api/v1/merchant/webhooks", nullptr, shop.owner_token).body["items"][0].contains("secret"));

  std::string oid = PaidOrder(sku);
  std::string key = CreateKey(shop, {"orders:write"});
  ASSERT_EQ(Call("POST", "/api/v1/merchant/orders/" + oid + "/ship", Json{{"carrier", "顺丰"}, {"tracking_no", "SF9"}}, key).status, 200);
  ASSERT_TRUE(WaitFor([&] { return receiver.got().size() >= 2; })) << receiver.got().size();
  // Nothing else arrives (order.created is not subscribed): with the background threads
  // stopped, the test itself consumes every durable event and sends everything due, so a
  // delivery for any other event would reach the receiver now.
  app_->open().Stop();
  DrainWebhooks();
  auto got = receiver.got();
  ASSERT_EQ(got.size(), 2u);
  app_->open().Start();
  std::set<std::string> types, delivery_ids;
  for (auto& g : got) {
    Json body = Json::parse(g.body);
    types.insert(body["type"]);
    EXPECT_EQ(g.headers["x-xiaodian-event"], body["type"]);
    EXPECT_EQ(body["data"]["order_id"], oid);
    EXPECT_EQ(body["data"]["order"]["id"], oid);
    EXPECT_EQ(body["data"]["merchant_id"], shop.id);
    EXPECT_FALSE(body["id"].get<std::string>().empty());
    EXPECT_FALSE(body["created_at"].get<std::string>().empty());
    delivery_ids.insert(g.headers["x-xiaodian-delivery"]);
    std::string sig = g.headers["x-xiaodian-signature"];
    // The receiver's recipe.
    EXPECT_TRUE(open::VerifyWebhookSignature(secret, sig, g.body, clock_.NowMs())) << sig;
    // Forged body, wrong secret, garbage header: refused.
    auto forged = open::VerifyWebhookSignature(secret, sig, g.body + " ", clock_.NowMs());
    ASSERT_FALSE(forged);
    EXPECT_EQ(forged.error().code, ErrorCode::INVALID_SIGNATURE);
    EXPECT_FALSE(open::VerifyWebhookSignature("whsec_wrong", sig, g.body, clock_.NowMs()));
    EXPECT_FALSE(open::VerifyWebhookSignature(secret, "v1=" + sig.substr(sig.find("v1=") + 3), g.body, clock_.NowMs()));
    EXPECT_FALSE(open::VerifyWebhookSignature(secret, "", g.body, clock_.NowMs()));
    // Replayed later than 5 minutes (or from the future): refused.
    EXPECT_TRUE(open::VerifyWebhookSignature(secret, sig, g.body, clock_.NowMs() + 4 * 60'000));
    EXPECT_FALSE(open::VerifyWebhookSignature(secret, sig, g.body, clock_.NowMs() + 6 * 60'000));
    EXPECT_FALSE(open::VerifyWebhookSignature(secret, sig, g.body, clock_.NowMs() - 6 * 60'000));
  }
  EXPECT_EQ(types, (std::set<std::string>{"order.paid", "order.shipped"}));
  EXPECT_EQ(delivery_ids.size(), 2u);
  // A replayed request with the stale timestamp, after the clock moved on 6 minutes.
  clock_.AdvanceMs(6 * 60'000);
  EXPECT_FALSE(open::VerifyWebhookSignature(secret, got[0].headers["x-xiaodian-signature"], got[0].body, clock_.NowMs()));

  Json deliveries = Deliveries(shop);
  ASSERT_EQ(deliveries.size(), 2u);
  for (auto& d : deliveries) {
    EXPECT_EQ(d["status"], "delivered");
    EXPECT_EQ(d["attempts"], 1);
    EXPECT_EQ(d["last_status_code"], 200);
  }
  // The delivery shows its body as sent.
  auto one = Call("GET", "/api/v1/merchant/webhook-deliveries/" + deliveries[0]["id"].get<std::string>(), nullptr, shop.owner_token);
  EXPECT_EQ(one.body["body"]["type"], deliveries[0]["event_type"]);

  // Rotation: the new secret signs; the old one signs beside it for a grace period.
  auto rotated = Call("POST", "/api/v1/merchant/webhooks/" + ep.body["id"].get<std::string>() + "/rotate-secret", nullptr, shop.owner_token);
  ASSERT_EQ(rotated.status, 200);
  std::string new_secret = rotated.body["secret"];
  EXPECT_NE(new_secret, secret);
  auto redo = Call("POST", "/api/v1/merchant/webhook-deliveries/" + deliveries[0]["id"].get<std::string>() + "/redeliver", nullptr,
                   shop.owner_token);
  ASSERT_EQ(redo.status, 200) << redo.body.dump();
  ASSERT_TRUE(WaitFor([&] { return receiver.got().size() >= 3; }));
  auto third = receiver.got()[2];
  EXPECT_EQ(third.headers["x-xiaodian-delivery"], deliveries[0]["id"]);  // same id: the receiver dedupes
  EXPECT_TRUE(open::VerifyWebhookSignature(new_secret, third.headers["x-xiaodian-signature"], third.body, clock_.NowMs()));
  EXPECT_TRUE(open::VerifyWebhookSignature(secret, third.headers["x-xiaodian-signature"], third.body, clock_.NowMs()));
  ExpectInvariants();
}

// Beyond orders (issue 19): an after-sales request's life, a new member and a live room going
// live and ending reach a subscribed endpoint as their own event types, with the facts of the
// moment; a type nobody subscribed to (aftersale.approved here) does not.
TEST_F(Open, WebhooksCarryAfterSalesMembersAndLiveRooms) {
  Receiver receiver;
  Shop shop = OpenShop("ka");
  auto [product, sku] = CreateProduct(shop, 5000, 10);
  const Json types = {"aftersale.requested", "aftersale.rejected", "member.card_claimed",
                      "live.room_live", "live.room_ended"};
  auto ep = Call("POST", "/api/v1/merchant/webhooks", Json{{"url", receiver.url()}, {"event_types", types}},
                 shop.owner_token);
  ASSERT_EQ(ep.status, 201) << ep.body.dump();
  app_->open().Stop();

  // A refund request, rejected.
  std::string buyer = Register();
  std::string oid = Buy(buyer, sku)["id"];
  PayAndWait(buyer, oid);
  auto as = Call("POST", "/api/v1/orders/" + oid + "/aftersales",
                 Json{{"type", "refund_only"}, {"amount_fen", 1000}, {"reason", "不想要了"}}, buyer);
  ASSERT_EQ(as.status, 201) << as.body.dump();
  const std::string asid = as.body["id"];
  ASSERT_EQ(Call("POST", "/api/v1/merchant/aftersales/" + asid + "/reject", Json{{"reason", "已发货"}},
                 shop.owner_token)
                .status,
            200);
  // A member joins.
  auto programme = Call("PUT", "/api/v1/merchant/member-programme",
                        Json{{"title", "会员卡"},
                             {"levels", {{{"name", "普通会员"}, {"growth_threshold", 0}, {"discount_bps", 500}}}},
                             {"points_per_yuan", 1}},
                        shop.owner_token);
  ASSERT_EQ(programme.status, 200) << programme.body.dump();
  auto claim = Call("POST", "/api/v1/member-cards/claim/" + programme.body["claim_token"].get<std::string>(),
                    nullptr, buyer);
  ASSERT_EQ(claim.status, 200) << claim.body.dump();
  // A live room goes live and ends.
  auto room = Call("POST", "/api/v1/merchant/live/rooms",
                   Json{{"title", "新品直播"},
                        {"stream_url", "https://live.example.com/hls/room.m3u8"},
                        {"products", {{{"sku_id", sku}, {"live_price_fen", 3900}, {"live_stock", 2}}}}},
                   shop.owner_token);
  ASSERT_EQ(room.status, 201) << room.body.dump();
  const std::string room_id = room.body["id"];
  ASSERT_EQ(Call("POST", "/api/v1/merchant/live/rooms/" + room_id + "/start", nullptr, shop.owner_token).status, 200);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/live/rooms/" + room_id + "/end", nullptr, shop.owner_token).status, 200);

  DrainWebhooks();
  std::map<std::string, Json> got;
  for (auto& g : receiver.got()) {
    Json body = Json::parse(g.body);
    EXPECT_EQ(g.headers["x-xiaodian-event"], body["type"]);
    EXPECT_TRUE(open::VerifyWebhookSignature(ep.body["secret"], g.headers["x-xiaodian-signature"], g.body,
                                             clock_.NowMs()));
    EXPECT_FALSE(got.contains(body["type"])) << "twice: " << body["type"];
    got[body["type"]] = body["data"];
  }
  app_->open().Start();
  std::set<std::string> seen;
  for (auto& [type, data] : got) seen.insert(type);
  EXPECT_EQ(seen, (std::set<std::string>{"aftersale.requested", "aftersale.rejected", "member.card_claimed",
                                         "live.room_live", "live.room_ended"}));
  EXPECT_EQ(got["aftersale.requested"]["aftersale_id"], asid);
  EXPECT_EQ(got["aftersale.requested"]["order"]["status"], "refunding");
  EXPECT_EQ(got["aftersale.rejected"]["aftersale"]["status"], "rejected");
  EXPECT_EQ(got["aftersale.rejected"]["order"]["status"], "paid");
  EXPECT_FALSE(got["aftersale.requested"].contains("by"));
  EXPECT_EQ(got["member.card_claimed"]["card_id"], claim.body["card"]["id"]);
  EXPECT_EQ(got["live.room_live"]["room"]["id"], room_id);
  EXPECT_EQ(got["live.room_ended"]["room"]["status"], "ended");
  // Subscribing to a type that is not offered is refused.
  auto bad = Call("POST", "/api/v1/merchant/webhooks",
                  Json{{"url", receiver.url()}, {"event_types", {"bargain.helped"}}}, shop.owner_token);
  EXPECT_EQ(bad.status, 400) << bad.body.dump();
  ExpectInvariants();
}

// Group buys are the shop's events too (issue 19): group.opened, group.succeeded and
// group.failed carry the activity's merchant, so the shop's endpoint receives them and another
// shop's endpoint, subscribed to the same types, receives none.
TEST_F(Open, WebhooksCarryTheShopsGroupBuys) {
  Receiver receiver, others;
  Shop shop = OpenShop("ka", "拼团旗舰店");
  Shop other = OpenShop("ka", "别家旗舰店");
  auto [product, sku] = CreateProduct(shop, 5000, 10);
  (void)product;
  const Json types = {"group.opened", "group.succeeded", "group.failed"};
  auto ep = Call("POST", "/api/v1/merchant/webhooks", Json{{"url", receiver.url()}, {"event_types", types}}, shop.owner_token);
  ASSERT_EQ(ep.status, 201) << ep.body.dump();
  ASSERT_EQ(Call("POST", "/api/v1/merchant/webhooks", Json{{"url", others.url()}, {"event_types", types}}, other.owner_token).status,
            201);
  app_->open().Stop();
  auto act = Call("POST", "/api/v1/merchant/activities",
                  Json{{"type", "group_buy"}, {"sku_id", sku}, {"group_price_fen", 3900}, {"group_size", 2}, {"group_ttl_s", 600},
                       {"starts_at", FormatRfc3339(clock_.NowMs())}, {"ends_at", FormatRfc3339(clock_.NowMs() + 24LL * 3600 * 1000)}},
                  shop.owner_token);
  ASSERT_EQ(act.status, 201) << act.body.dump();
  const std::string aid = act.body["id"];
  auto group_order = [&](const std::string& token, Json activity) {
    auto r = Call("POST", "/api/v1/checkout",
                  Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()}, {"activity", activity}}, token);
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body["orders"][0];
  };
  // A's group forms with B; C's expires alone.
  std::string a = Register(), b = Register(), c = Register();
  Json oa = group_order(a, Json{{"id", aid}});
  PayAndWait(a, oa["id"]);
  PayAndWait(b, group_order(b, Json{{"id", aid}, {"group_id", oa["group_id"]}})["id"]);
  Json oc = group_order(c, Json{{"id", aid}});
  PayAndWait(c, oc["id"]);
  clock_.AdvanceMs(601'000);
  RunTimers();

  DrainWebhooks();
  std::multimap<std::string, Json> got;
  for (auto& g : receiver.got()) {
    Json body = Json::parse(g.body);
    EXPECT_TRUE(open::VerifyWebhookSignature(ep.body["secret"], g.headers["x-xiaodian-signature"], g.body, clock_.NowMs()));
    EXPECT_EQ(body["data"]["merchant_id"], shop.id) << g.body;
    EXPECT_EQ(body["data"]["activity_id"], aid) << g.body;
    got.emplace(body["type"], body["data"]);
  }
  app_->open().Start();
  EXPECT_EQ(got.count("group.opened"), 2u);
  ASSERT_EQ(got.count("group.succeeded"), 1u);
  EXPECT_EQ(got.find("group.succeeded")->second["group_id"], oa["group_id"]);
  ASSERT_EQ(got.count("group.failed"), 1u);
  EXPECT_EQ(got.find("group.failed")->second["group_id"], oc["group_id"]);
  EXPECT_EQ(got.find("group.failed")->second["reason"], "expired");
  EXPECT_TRUE(others.got().empty()) << others.got().size() << " deliveries to another shop";
  ExpectInvariants();
}

// A SKU's low-stock threshold (issue 19, catalog/stock_alerts.h): stock.low reaches the shop's
// endpoint once when available stock falls below it (a checkout's reservation, the shop setting
// the stock), not again for sales below it, and again after the stock was put back above it.
// Another shop can neither set it nor receive it.
TEST_F(Open, StockLowIsSentOnceWhenStockCrossesItsThreshold) {
  Receiver receiver, others;
  Shop shop = OpenShop("ka", "预警店");
  Shop other = OpenShop("ka", "别家预警店");
  auto [product, sku] = CreateProduct(shop, 1000, 10);
  const Json types = {"stock.low"};
  auto ep = Call("POST", "/api/v1/merchant/webhooks", Json{{"url", receiver.url()}, {"event_types", types}}, shop.owner_token);
  ASSERT_EQ(ep.status, 201) << ep.body.dump();
  ASSERT_EQ(Call("POST", "/api/v1/merchant/webhooks", Json{{"url", others.url()}, {"event_types", types}}, other.owner_token).status,
            201);
  app_->open().Stop();
  const std::string path = "/api/v1/merchant/skus/" + sku;
  auto set = Call("PATCH", path, Json{{"low_stock_threshold", 5}}, shop.owner_token);
  ASSERT_EQ(set.status, 200) << set.body.dump();
  EXPECT_EQ(set.body["low_stock_threshold"], 5);
  EXPECT_EQ(Call("PATCH", path, Json{{"low_stock_threshold", 1}}, other.owner_token).status, 404);
  EXPECT_EQ(Call("PATCH", path, Json{{"low_stock_threshold", -1}}, shop.owner_token).status, 400);
  auto page = Call("GET", "/api/v1/merchant/products/" + product, nullptr, shop.owner_token);
  ASSERT_EQ(page.status, 200) << page.body.dump();
  EXPECT_EQ(page.body["skus"][0]["low_stock_threshold"], 5);
  std::string buyer = Register();
  Buy(buyer, sku, 4);  // 10 → 6: above
  Buy(buyer, sku, 2);  // 6 → 4: crosses
  Buy(buyer, sku, 1);  // 4 → 3: already below
  ASSERT_EQ(Call("PATCH", path, Json{{"stock", 20}}, shop.owner_token).status, 200);  // back above: armed
  ASSERT_EQ(Call("PATCH", path, Json{{"stock", 2}}, shop.owner_token).status, 200);   // 20 → 2: crosses
  DrainWebhooks();
  std::vector<Json> got;
  for (auto& g : receiver.got()) {
    EXPECT_TRUE(open::VerifyWebhookSignature(ep.body["secret"], g.headers["x-xiaodian-signature"], g.body, clock_.NowMs()));
    Json body = Json::parse(g.body);
    EXPECT_EQ(body["type"], "stock.low");
    got.push_back(body["data"]);
  }
  app_->open().Start();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["sku_id"], sku);
  EXPECT_EQ(got[0]["product_id"], product);
  EXPECT_EQ(got[0]["merchant_id"], shop.id);
  EXPECT_EQ(got[0]["stock"], 4);
  EXPECT_EQ(got[0]["threshold"], 5);
  EXPECT_EQ(got[1]["stock"], 2);
  EXPECT_TRUE(others.got().empty());
  // Removed (0): no more alerts.
  ASSERT_EQ(Call("PATCH", path, Json{{"low_stock_threshold", 0}, {"stock", 9}}, shop.owner_token).body["low_stock_threshold"], 0);
  ASSERT_EQ(Call("PATCH", path, Json{{"stock", 1}}, shop.owner_token).status, 200);
  app_->open().Stop();
  DrainWebhooks();
  app_->open().Start();
  EXPECT_EQ(receiver.got().size(), 2u);
  ExpectInvariants();
}

TEST_F(Open, FailingReceiverIsRetriedWithBackoffThenDelivered) {
  Receiver receiver;
  receiver.set_status(500);
  Shop shop = OpenShop("ka");
  auto [product, sku] = CreateProduct(shop, 5000, 10);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/webhooks", Json{{"url", receiver.url()}, {"event_types", {"order.paid"}}}, shop.owner_token).status, 201);
  PaidOrder(sku);
  auto attempts = [&] {
    Json d = Deliveries(shop);
    return d.empty() ? 0 : d[0]["attempts"].get<int>();
  };
  ASSERT_TRUE(WaitFor([&] { return attempts() == 1; }));
  Json d = Deliveries(shop)[0];
  EXPECT_EQ(d["status"], "pending");
  EXPECT_EQ(d["last_status_code"], 500);
  // Not before the backoff (10 s on the fake clock): with the background senders stopped, a
  // send pass by the test finds nothing due.
  app_->open().Stop();
  clock_.AdvanceMs(9'000);
  auto early = app_->open().SendDueOnce(100);
  ASSERT_TRUE(early) << early.error().message;
  EXPECT_EQ(*early, 0);
  EXPECT_EQ(attempts(), 1);
  app_->open().Start();
  clock_.AdvanceMs(2'000);
  ASSERT_TRUE(WaitFor([&] { return attempts() == 2; }));
  // Then a minute; the receiver has recovered.
  receiver.set_status(200);
  app_->open().Stop();
  clock_.AdvanceMs(30'000);
  early = app_->open().SendDueOnce(100);
  ASSERT_TRUE(early) << early.error().message;
  EXPECT_EQ(*early, 0);
  EXPECT_EQ(attempts(), 2);
  app_->open().Start();
  clock_.AdvanceMs(31'000);
  ASSERT_TRUE(WaitFor([&] { return Deliveries(shop)[0]["status"] == "delivered"; }));
  EXPECT_EQ(attempts(), 3);
  auto got = receiver.got();
  ASSERT_EQ(got.size(), 3u);
  for (auto& g : got) EXPECT_EQ(g.headers["x-xiaodian-delivery"], got[0].headers["x-xiaodian-delivery"]);

  // A receiver that never recovers: 8 attempts, then failed; redeliver starts over.
  receiver.set_status(503);
  PaidOrder(sku);
  auto latest = [&] { return Deliveries(shop)[0]; };
  ASSERT_TRUE(WaitFor([&] { return latest()["attempts"] == 1; }));
  for (int64_t wait_ms : open::kRetryBackoffMs) {
    int before = latest()["attempts"];
    clock_.AdvanceMs(wait_ms);
    ASSERT_TRUE(WaitFor([&] { return latest()["attempts"].get<int>() == before + 1; })) << latest().dump();
  }
  EXPECT_EQ(latest()["status"], "failed");
  EXPECT_EQ(latest()["attempts"], open::kMaxDeliveryAttempts);
  receiver.set_status(200);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/webhook-deliveries/" + latest()["id"].get<std::string>() + "/redeliver", nullptr,
                 shop.owner_token).status, 200);
  ASSERT_TRUE(WaitFor([&] { return latest()["status"] == "delivered"; }));
  EXPECT_EQ(latest()["attempts"], 1);
  ExpectInvariants();
}

class OpenManual : public Open {
 protected:
  void Configure(AppOptions& o) override {
    webhooks_background_ = false;  // the test runs the consumer and the sender itself
    Open::Configure(o);
  }
};

TEST_F(OpenManual, ExactlyOneDeliveryPerEventAcrossConsumersAndARestart) {
  Receiver receiver;
  Shop shop = OpenShop("ka");
  Shop other = OpenShop("ka", "别家");
  auto [product, sku] = CreateProduct(shop, 5000, 50);
  auto [other_product, other_sku] = CreateProduct(other, 5000, 50);
  // Before any endpoint exists: the cursor jumps past every event, none is read or delivered.
  PaidOrder(sku);
  AwaitDurable();
  auto skipped = app_->open().ConsumeOnce();
  ASSERT_TRUE(skipped) << skipped.error().message;
  EXPECT_EQ(*skipped, 0);
  EXPECT_EQ(*app_->store().Read([](Reader& r) -> Result<bool> {
    ASSIGN_OR_RETURN(int64_t cursor, GetCursor(r, open::kConsumerName));
    ASSIGN_OR_RETURN(int64_t last, LastEventSeq(r));
    return cursor == last && last > 0;
  }), true);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/webhooks", Json{{"url", receiver.url()}, {"event_types", {"order.created", "order.paid"}}},
                 shop.owner_token).status, 201);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/webhooks", Json{{"url", receiver.url()}, {"event_types", {"order.paid"}}}, shop.owner_token).status, 201);
  for (int i = 0; i < 5; ++i) PaidOrder(sku);
  for (int i = 0; i < 3; ++i) PaidOrder(other_sku);  // not ours: no delivery
  AwaitDurable();
  // Four consumers at once, several times over.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) (void)app_->open().ConsumeOnce();
    });
  for (auto& t : threads) t.join();
  auto count = [&] {
    return app_->store().Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM webhook_deliveries"); }).value_or(-1);
  };
  auto distinct = [&] {
    return app_->store().Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM (SELECT DISTINCT endpoint_id, event_seq FROM webhook_deliveries) AS d"); })
        .value_or(-1);
  };
  // Endpoint 1: 5 created + 5 paid; endpoint 2: 5 paid.
  EXPECT_EQ(count(), 15);
  EXPECT_EQ(distinct(), 15);
  // Restart on the same store: the cursor is durable, nothing is enqueued twice.
  app_->Stop();
  app_.reset();
  AppOptions o;
  o.db_path = db_;
  o.port = 0;
  o.timer_poll_ms = 3'600'000;
  Configure(o);
  auto app = App::Create(o, clock_);
  ASSERT_TRUE(app) << app.error().message;
  app_ = std::move(*app);
  port_ = app_->Start();
  auto again = app_->open().ConsumeOnce();
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(count(), 15);
  // Sending twice concurrently sends each delivery once.
  std::vector<std::thread> senders;
  for (int t = 0; t < 8; ++t) senders.emplace_back([&] { (void)app_->open().SendDueOnce(100); });
  for (auto& t : senders) t.join();
  EXPECT_EQ(receiver.got().size(), 15u);
  std::set<std::string> ids;
  for (auto& g : receiver.got()) ids.insert(g.headers["x-xiaodian-delivery"]);
  EXPECT_EQ(ids.size(), 15u);
  ExpectInvariants();
}


// A webhook transport that POSTs like the app's own, except that its first POST waits inside
// the transport until the test releases it: a sender caught mid-send, holding its claim.
class HeldTransport {
 public:
  open::WebhookTransportFactory Factory() {
    return [this]() -> open::WebhookTransport {
      return [this](const open::WebhookRequest& req) {
        if (first_.exchange(false)) {
          entered_.set_value();
          released_.wait();
        }
        http::Client client(req.host, req.port, 5000);
        http::Response r = client.Send("POST", req.target, req.body, req.headers);
        return open::WebhookResponse{r.status, r.status > 0 ? "" : r.body};
      };
    };
  }
  // False when no POST came (bounded, so that a broken sender fails the test, not hangs it).
  bool AwaitEntered() { return entered_future_.wait_for(std::chrono::seconds(10)) == std::future_status::ready; }
  void Release() {
    if (!release_called_.exchange(true)) release_.set_value();
  }

 private:
  std::atomic<bool> first_{true}, release_called_{false};
  std::promise<void> entered_, release_;
  std::future<void> entered_future_ = entered_.get_future();
  std::shared_future<void> released_ = release_.get_future().share();
};

// POSTs per delivery id (X-Xiaodian-Delivery) the receiver got.
std::map<std::string, int> PostsPerDelivery(Receiver& receiver) {
  std::map<std::string, int> out;
  for (auto& g : receiver.got()) ++out[g.headers["x-xiaodian-delivery"]];
  return out;
}

// Many nodes on one PostgreSQL (issue 13): a second App on this test's store is a second node.
class OpenTwoNodes : public OpenManual {
 protected:
  void Configure(AppOptions& o) override {
    OpenManual::Configure(o);
    o.open.consume_batch = 4;  // several batches, so that the nodes' consumers race on each
  }
  // This node's consumer, in this thread, until it has read every durable event.
  void ConsumeAll() {
    AwaitDurable();
    for (int round = 0; round < 100; ++round) {
      auto n = app_->open().ConsumeOnce();
      ASSERT_TRUE(n) << n.error().message;
      if (*n == 0) return;
    }
    ADD_FAILURE() << "the consumer never caught up";
  }
  int64_t Count(const std::string& sql) {
    return app_->store().Read([&](Reader& r) { return r.QueryInt(sql); }).value_or(-1);
  }
};

// Two nodes run the webhook consumer and the senders at once: each delivery is enqueued once
// and POSTed once, no batch of events is applied twice, the cursor ends at the last event. A
// sender caught mid-send holds its claim: the other node's sender skips those deliveries.
TEST_F(OpenTwoNodes, TwoNodesEnqueueAndPostEachDeliveryOnce) {
  if (!OnPostgres()) GTEST_SKIP() << "two nodes on one store: PostgreSQL only (SQLite is one process)";
  Receiver receiver;
  Shop shop = OpenShop("ka");
  auto [product, sku] = CreateProduct(shop, 5000, 100);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/webhooks", Json{{"url", receiver.url()}, {"event_types", {"order.paid"}}}, shop.owner_token).status, 201);
  constexpr int kOrders = 10;
  for (int i = 0; i < kOrders; ++i) PaidOrder(sku);
  AwaitDurable();
  auto node2 = OpenSecondNode();
  ASSERT_TRUE(node2);
  const int64_t cursor_before = *app_->store().Read([](Reader& r) { return GetCursor(r, open::kConsumerName); });
  const int64_t last = *app_->store().Read([](Reader& r) { return LastEventSeq(r); });
  const int64_t events = Count("SELECT count(*) FROM events WHERE seq > " + std::to_string(cursor_before));

  // Both nodes, two threads each, consume and send at once, several rounds.
  std::atomic<int64_t> consumed{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (App* node : {app_.get(), node2.get(), app_.get(), node2.get()})
    threads.emplace_back([&, node] {
      for (int round = 0; round < 8; ++round) {
        auto n = node->open().ConsumeOnce();
        if (n) consumed += *n;
        else if (n.error().code != ErrorCode::CONFLICT) ++failures;  // CONFLICT: the other node had the batch
        if (!node->open().SendDueOnce(2)) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  DrainWebhooks();
  EXPECT_TRUE(node2->open().SendDueOnce(100));
  // Every event was applied by exactly one node's batch (a batch applied twice counts twice).
  EXPECT_EQ(consumed.load(), events);
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_deliveries"), kOrders);
  auto cursor_on = [&](App& node) { return *node.store().Read([](Reader& r) { return GetCursor(r, open::kConsumerName); }); };
  EXPECT_EQ(cursor_on(*app_), last);
  EXPECT_EQ(cursor_on(*node2), last);
  auto posts = PostsPerDelivery(receiver);
  EXPECT_EQ(posts.size(), static_cast<size_t>(kOrders));
  for (auto& [id, n] : posts) EXPECT_EQ(n, 1) << "delivery " << id << " was POSTed " << n << " times";
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_deliveries WHERE status='delivered' AND attempts=1 AND claimed_by IS NULL"), kOrders);

  // Node 1's sender claims the next deliveries and is caught in its first POST; node 2's
  // sender, meanwhile, finds nothing it may send.
  for (int i = 0; i < 4; ++i) PaidOrder(sku);
  ConsumeAll();
  ASSERT_EQ(Count("SELECT count(*) FROM webhook_deliveries WHERE status='pending'"), 4);
  HeldTransport held;
  app_->open().SetTransportFactory(held.Factory());
  std::thread node1_sender([&] {
    auto n = app_->open().SendDueOnce(100);
    EXPECT_TRUE(n) << n.error().message;
    EXPECT_EQ(n.value_or(-1), 4);
  });
  EXPECT_TRUE(held.AwaitEntered());
  auto node2_sent = node2->open().SendDueOnce(100);
  EXPECT_TRUE(node2_sent) << node2_sent.error().message;
  EXPECT_EQ(node2_sent.value_or(-1), 0) << "node 2 sent deliveries node 1 holds";
  held.Release();
  node1_sender.join();
  posts = PostsPerDelivery(receiver);
  EXPECT_EQ(posts.size(), static_cast<size_t>(kOrders + 4));
  for (auto& [id, n] : posts) EXPECT_EQ(n, 1) << "delivery " << id << " was POSTed " << n << " times";
  node2->Stop();
  ExpectInvariants();
}

// A sender that dies (or stalls) holding a claim: once its lease has passed, another sender
// (another node on PostgreSQL; another sender thread on SQLite) claims the delivery and sends
// it again with the same delivery id, and the stalled sender's late outcome is not recorded
// over the new claim's.
TEST_F(OpenTwoNodes, AnExpiredClaimIsTakenOverAndTheLateOutcomeDropped) {
  Receiver receiver;
  Shop shop = OpenShop("ka");
  auto [product, sku] = CreateProduct(shop, 5000, 10);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/webhooks", Json{{"url", receiver.url()}, {"event_types", {"order.paid"}}}, shop.owner_token).status, 201);
  PaidOrder(sku);
  ConsumeAll();
  ASSERT_EQ(Count("SELECT count(*) FROM webhook_deliveries WHERE status='pending'"), 1);
  std::unique_ptr<App> node2 = OnPostgres() ? OpenSecondNode() : nullptr;
  App& other = node2 ? *node2 : *app_;
  HeldTransport held;
  app_->open().SetTransportFactory(held.Factory());
  std::thread stalled([&] { EXPECT_EQ(app_->open().SendDueOnce(1).value_or(-1), 1); });
  EXPECT_TRUE(held.AwaitEntered());
  // While the lease lasts nobody else may send it.
  EXPECT_EQ(other.open().SendDueOnce(100).value_or(-1), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_deliveries WHERE claimed_by IS NOT NULL AND lease_until_ms > 0"), 1);
  clock_.AdvanceMs(app_->open().config().claim_lease_ms);
  // On SQLite `other` is this service again: its transport is the held one, whose one held
  // POST is taken, so this one goes straight out.
  auto taken = other.open().SendDueOnce(100);
  EXPECT_TRUE(taken) << taken.error().message;
  EXPECT_EQ(taken.value_or(-1), 1);
  EXPECT_EQ(receiver.got().size(), 1u);
  held.Release();
  stalled.join();
  auto posts = PostsPerDelivery(receiver);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts.begin()->second, 2);  // at least once on the wire: the same delivery id twice
  // One attempt recorded (the taker's), the claim cleared; the stalled sender's is dropped.
  EXPECT_EQ(Count("SELECT count(*) FROM webhook_deliveries WHERE status='delivered' AND attempts=1 AND claimed_by IS NULL"), 1);
  if (node2) node2->Stop();
  ExpectInvariants();
}


class OpenHeldSync : public OpenManual {
 protected:
  void Configure(AppOptions& o) override {
    OpenManual::Configure(o);
    o.open.durable_wait_ms = 20;  // the sender gives up quickly while the test holds the sync
    o.store_before_sync = [gate = gate_] { gate->Pass(); };
  }
  void TearDown() override {
    gate_->Release();
    OpenManual::TearDown();
  }
  std::shared_ptr<SyncGate> gate_ = std::make_shared<SyncGate>();
};

// Issue 12, defect 7: since the sync stage (decision 010) a reader can see a commit before it
// is on disk. Nothing may leave the process for such a commit: the consumer does not turn a
// visible-but-not-durable event into deliveries, and the sender does not POST a delivery
// whose row is not durable yet (a crash would take it back after the receiver acted on it).
TEST_F(OpenHeldSync, NothingIsSentForACommitThatIsNotOnDiskYet) {
  // PostgreSQL has no such window: a commit is visible when its COMMIT returns, which is after
  // the server flushed it (synchronous_commit), and there is no sync stage to hold.
  if (OnPostgres()) GTEST_SKIP() << "SQLite's sync stage only (decision 010)";
  Receiver receiver;
  Shop shop = OpenShop("ka");
  auto [product, sku] = CreateProduct(shop, 5000, 10);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/webhooks", Json{{"url", receiver.url()}, {"event_types", {"order.paid"}}}, shop.owner_token).status, 201);
  std::string oid = PaidOrder(sku);
  AwaitDurable();
  ASSERT_TRUE(app_->open().ConsumeOnce());
  ASSERT_TRUE(app_->open().SendDueOnce(100));
  ASSERT_EQ(receiver.got().size(), 1u);
  auto deliveries = [&] {
    return app_->store().Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM webhook_deliveries"); }).value_or(-1);
  };

  // An event committed and visible, not on disk: the consumer does not read it.
  gate_->Hold();
  std::promise<Status> appended;
  app_->store().Submit([&](Tx& tx) {
    return tx.AppendEvent({"order.paid", 1, *ParseId(oid), *ParseId(shop.id)}, Json{{"order_id", oid}, {"merchant_id", shop.id}});
  }, [&](Status s) { appended.set_value(std::move(s)); });
  int64_t durable_seq = app_->store().durable_event_seq();
  ASSERT_TRUE(WaitFor([&] { return app_->store().Read([](Reader& r) { return LastEventSeq(r); }).value_or(0) > durable_seq; }));
  auto consumed = app_->open().ConsumeOnce();
  ASSERT_TRUE(consumed) << consumed.error().message;
  EXPECT_EQ(*consumed, 0);
  EXPECT_EQ(deliveries(), 1);
  gate_->Release();
  ASSERT_TRUE(appended.get_future().get());

  // Its delivery committed and visible, not on disk: the sender does not send it.
  gate_->Hold();
  std::thread consumer([&] { EXPECT_TRUE(app_->open().ConsumeOnce()); });
  ASSERT_TRUE(WaitFor([&] { return deliveries() == 2; }));
  auto held = app_->open().SendDueOnce(100);
  EXPECT_EQ(receiver.got().size(), 1u);
  EXPECT_FALSE(held);
  gate_->Release();
  consumer.join();
  auto sent = app_->open().SendDueOnce(100);
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(*sent, 1);
  EXPECT_EQ(receiver.got().size(), 2u);
  ExpectInvariants();
}

TEST_F(Open, TwoHundredConcurrentRequestsWithKeysNoOversell) {
  Shop shop = OpenShop("ka", "爆款旗舰店");
  auto ids = ProductWithCodes(shop, {"HOT", "ERP-A", "ERP-B"}, 100);
  std::string key = CreateKey(shop, {"inventory:write", "orders:read"});
  // The ERP sets the hot SKU to 50 available units.
  ASSERT_EQ(Call("POST", "/api/v1/open/inventory", Json{{"items", {{{"code", "HOT"}, {"stock", 50}}}}}, key).status, 200);
  constexpr int kBuyers = 100, kSyncs = 100;
  std::vector<std::string> tokens;
  for (int i = 0; i < kBuyers; ++i) tokens.push_back(Register());
  std::atomic<int> created{0}, sold_out{0}, synced{0}, other{0};
  std::mutex unexpected_mu;
  std::vector<std::string> unexpected;  // what the requests counted as "other" answered
  auto note = [&](const http::Client::JsonResponse& r) {
    ++other;
    std::lock_guard lock(unexpected_mu);
    unexpected.push_back(std::to_string(r.status) + " " + r.body.dump());
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kBuyers + kSyncs; ++i) {
    threads.emplace_back([&, i] {
      auto client = NewClient();
      if (i % 2 == 0 && i / 2 < kBuyers) {
        int b = i / 2;
        auto r = client->Json("POST", "/api/v1/checkout", Json{{"items", {{{"sku_id", ids[0]}, {"quantity", 1}}}}, {"address", Address()}}, tokens[b]);
        if (r.status == 201) ++created;
        else if (r.status == 409 && r.body["error"]["code"] == "OUT_OF_STOCK") ++sold_out;
        else note(r);
      } else {
        // Price changes on the hot SKU and absolute stock on the others, with a key.
        Json items = {{{"code", "HOT"}, {"price_fen", 1000 + i}}, {{"code", "ERP-A"}, {"stock", i}}, {{"sku_id", ids[2]}, {"stock", 200 - i}}};
        auto r = client->Json("POST", "/api/v1/open/inventory", Json{{"items", items}}, key, {{"Idempotency-Key", "sync-" + std::to_string(i)}});
        if (r.status == 200) ++synced;
        else note(r);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 50);
  EXPECT_EQ(sold_out.load(), kBuyers - 50);
  EXPECT_EQ(synced.load(), kSyncs);
  EXPECT_EQ(other.load(), 0) << ::testing::PrintToString(unexpected);
  std::map<std::string, Json> by_code;
  for (auto& s : Skus(shop)) by_code[s["code"]] = s;
  EXPECT_EQ(by_code["HOT"]["stock"], 0);
  EXPECT_EQ(by_code["HOT"]["reserved"], 50);
  auto orders = Call("GET", "/api/v1/merchant/orders?limit=100", nullptr, key);
  ASSERT_EQ(orders.status, 200);
  EXPECT_EQ(orders.body["items"].size(), 50u);
  ExpectInvariants();
}

TEST(OpenUnit, WebhookUrlsAreHttpWithoutCredentialsOrPrivateHosts) {
  EXPECT_TRUE(open::ParseWebhookUrl("http://erp.example.com/hooks?x=1", false));
  auto u = open::ParseWebhookUrl("http://erp.example.com:8081", false);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 8081);
  EXPECT_EQ(u->target, "/");
  for (const char* bad : {"https://erp.example.com/", "ftp://x.example/", "file:///etc/passwd", "http://user:pw@erp.example.com/",
                          "http://127.0.0.1/", "http://10.1.2.3/", "http://192.168.1.1/", "http://172.20.0.1/", "http://169.254.169.254/latest",
                          "http://localhost:8080/", "http://0.0.0.0/", "http://2130706433/", "http://[::1]/", "http://erp.example.com:0/",
                          "http://erp.example.com:99999/", "http://erp example.com/", "http:///path", "http://erp.example.com/#frag"})
    EXPECT_FALSE(open::ParseWebhookUrl(bad, false)) << bad;
  EXPECT_TRUE(open::ParseWebhookUrl("http://127.0.0.1:9000/hook", true));
}

// Issue 12, defect 8: a delivery tells what was true at its event. Before the envelope, the
// feeder read the order when it ran, so an order.paid delivery enqueued after the order
// shipped said "shipped" (and carried the shipment).
TEST_F(OpenManual, AnOrderPaidDeliveryDescribesThePaidOrderEvenAfterItShipped) {
  Receiver receiver;
  Shop shop = OpenShop("ka");
  auto [product, sku] = CreateProduct(shop, 5000, 10);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/webhooks",
                 Json{{"url", receiver.url()}, {"event_types", {"order.created", "order.paid", "order.shipped"}}}, shop.owner_token)
                .status,
            201);
  std::string buyer = Register();
  std::string oid = Buy(buyer, sku)["id"];
  PayAndWait(buyer, oid);
  std::string key = CreateKey(shop, {"orders:write"});
  ASSERT_EQ(Call("POST", "/api/v1/merchant/orders/" + oid + "/ship", Json{{"carrier", "顺丰"}, {"tracking_no", "SF42"}}, key).status, 200);
  // Only now does the feeder run: the order is shipped by the time it reads anything.
  AwaitDurable();
  while (true) {
    auto n = app_->open().ConsumeOnce();
    ASSERT_TRUE(n) << n.error().message;
    if (*n == 0) break;
  }
  ASSERT_TRUE(app_->open().SendDueOnce(100));
  std::map<std::string, Json> by_type;
  for (auto& g : receiver.got()) {
    Json body = Json::parse(g.body);
    by_type[body["type"]] = body;
  }
  ASSERT_EQ(by_type.size(), 3u) << receiver.got().size();
  Json created = by_type["order.created"], paid = by_type["order.paid"], shipped = by_type["order.shipped"];
  EXPECT_EQ(created["data"]["order"]["status"], "created");
  EXPECT_EQ(paid["data"]["order"]["status"], "paid");
  EXPECT_EQ(paid["data"]["from"], "created");
  EXPECT_TRUE(paid["data"]["order"]["shipment"].is_null()) << paid.dump();
  EXPECT_TRUE(paid["data"]["order"]["shipped_at"].is_null());
  EXPECT_FALSE(paid["data"]["order"]["paid_at"].is_null());
  EXPECT_EQ(paid["data"]["order"]["paid_fen"], paid["data"]["order"]["total_fen"]);
  EXPECT_EQ(paid["data"]["order"]["items"][0]["quantity"], 1);
  EXPECT_EQ(shipped["data"]["order"]["status"], "shipped");
  EXPECT_EQ(shipped["data"]["order"]["shipment"]["tracking_no"], "SF42");
  // The envelope: schema version, aggregate, merchant, who acted, when.
  EXPECT_EQ(paid["schema_version"], 2);
  EXPECT_EQ(paid["aggregate_id"], oid);
  EXPECT_EQ(paid["merchant_id"], shop.id);
  EXPECT_EQ(paid["occurred_at"], paid["created_at"]);
  std::string buyer_id = Call("GET", "/api/v1/me", nullptr, buyer).body["user"]["id"];
  EXPECT_EQ(created["actor"], Json({{"kind", "user"}, {"id", buyer_id}}));
  EXPECT_EQ(shipped["actor"]["kind"], "api_key");  // the ERP's key shipped it
  EXPECT_EQ(ExpectInvariants()["events_ok"], true);
}

TEST(OpenUnit, TheWebhookClientRefusesPrivateAddressesItResolves) {
  Receiver receiver;
  uint16_t port = static_cast<uint16_t>(std::stoi(receiver.url().substr(std::string("http://127.0.0.1:").size())));
  for (const char* host : {"127.0.0.1", "localhost"}) {
    http::Client denied(host, port, 2000);
    denied.DenyPrivateAddresses(true);
    http::Response r = denied.Send("POST", "/hook", "{}");
    EXPECT_EQ(r.status, 0) << host;
    EXPECT_NE(r.body.find("not allowed"), std::string::npos) << r.body;
  }
  EXPECT_TRUE(receiver.got().empty());
  http::Client allowed("localhost", port, 2000);
  EXPECT_EQ(allowed.Send("POST", "/hook", "{}").status, 200);
}

TEST(OpenUnit, SignatureRecipe) {
  std::string body = R"({"id":"1","type":"order.paid"})";
  int64_t now_ms = 1'767'225'600'000;
  std::string header = open::SignatureHeader("whsec_test", now_ms / 1000, body);
  EXPECT_EQ(header.rfind("t=1767225600,v1=", 0), 0u);
  EXPECT_TRUE(open::VerifyWebhookSignature("whsec_test", header, body, now_ms));
  EXPECT_TRUE(open::VerifyWebhookSignature("whsec_test", header + ",v1=00", body, now_ms));  // extra signatures are fine
  EXPECT_FALSE(open::VerifyWebhookSignature("whsec_test", header, body, now_ms + open::kSignatureToleranceMs + 1000));
  std::string other_t = "t=1767225601," + header.substr(header.find("v1="));
  EXPECT_FALSE(open::VerifyWebhookSignature("whsec_test", other_t, body, now_ms));  // the timestamp is signed
}

}  // namespace
}  // namespace xd::testing
