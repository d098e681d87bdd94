// The trade loop over real HTTP: the whole story for c2c, b2c and ka merchants with
// hand-computed balances; concurrency (200 buyers on 50 units); duplicate, out-of-order,
// dropped, forged and replayed notifications; timers; idempotency; store credit.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>

#include "base/crypto.h"
#include "base/id.h"
#include "base/limits.h"
#include "http/api.h"
#include "pay/pay.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

class Trade : public ApiTest {
 protected:
  Json Finance(const Shop& s) { return Call("GET", "/api/v1/merchant/finance", nullptr, s.owner_token).body; }
  void ShipDeliverConfirm(const Shop& s, const std::string& buyer, const std::string& oid) {
    auto ship = Call("POST", "/api/v1/merchant/orders/" + oid + "/ship", Json{{"carrier", "顺丰"}, {"tracking_no", "SF001"}}, s.owner_token);
    ASSERT_EQ(ship.status, 200) << ship.body.dump();
    EXPECT_EQ(ship.body["status"], "shipped");
    auto track = Call("POST", "/api/v1/merchant/orders/" + oid + "/tracking", Json{{"description", "已签收"}, {"delivered", true}}, s.owner_token);
    ASSERT_EQ(track.status, 200) << track.body.dump();
    EXPECT_EQ(Call("GET", "/api/v1/orders/" + oid, nullptr, buyer).body["status"], "delivered");
    auto done = Call("POST", "/api/v1/orders/" + oid + "/confirm", nullptr, buyer);
    ASSERT_EQ(done.status, 200) << done.body.dump();
    EXPECT_EQ(done.body["status"], "completed");
  }
};

// The whole loop for each merchant kind, ending with hand-computed balances:
// price 10000 fen (free shipping at >= 9900). Order A completes; order B is refunded in full.
// c2c: 5% commission → payable 9500, withdrawable after 7 days; b2c: 0% → 10000 after 1 day;
// ka: 3% → 9700 after 3 days. The c2c owner then withdraws 5000 → 4500 left.
TEST_F(Trade, WholeLoopForEveryMerchantKind) {
  struct Case {
    const char* kind;
    int64_t expected_net;
    int64_t hold_days;
  };
  std::vector<Case> cases = {{"c2c", 9500, 7}, {"b2c", 10000, 1}, {"ka", 9700, 3}};
  std::vector<Shop> shops;
  std::string buyer = Register();
  for (auto& c : cases) {
    Shop shop = OpenShop(c.kind, std::string(c.kind) + "店");
    shops.push_back(shop);
    auto [product, sku] = CreateProduct(shop, 10000, 5);
    // The product is public and searchable.
    EXPECT_EQ(Call("GET", "/api/v1/products/" + product).status, 200);
    Json a = Buy(buyer, sku);
    EXPECT_EQ(a["total_fen"], 10000);
    EXPECT_EQ(a["pricing"].back()["subtotal_fen"], 10000);
    PayAndWait(buyer, a["id"]);
    ShipDeliverConfirm(shop, buyer, a["id"]);
    Json b = Buy(buyer, sku);
    PayAndWait(buyer, b["id"]);
    auto as = Call("POST", "/api/v1/orders/" + b["id"].get<std::string>() + "/aftersales",
                   Json{{"type", "refund_only"}, {"amount_fen", 10000}, {"reason", "不想要了"}}, buyer);
    ASSERT_EQ(as.status, 201) << as.body.dump();
    auto approve = Call("POST", "/api/v1/merchant/aftersales/" + as.body["id"].get<std::string>() + "/approve", nullptr, shop.owner_token);
    ASSERT_EQ(approve.status, 200) << approve.body.dump();
    Json refunded = WaitStatus(buyer, b["id"], "refunded");
    EXPECT_EQ(refunded["refunded_fen"], 10000);
    Json f = Finance(shop);
    EXPECT_EQ(f["payable_fen"], c.expected_net) << c.kind;
    EXPECT_EQ(f["withdrawable_fen"], 0) << c.kind;
  }
  ExpectInvariants();
  // Settlement holds per kind: after 1 day only b2c is withdrawable; after 3 also ka; after 7 all.
  clock_.AdvanceMs(1 * 86400000LL + 1000);
  RunTimers();
  EXPECT_EQ(Finance(shops[1])["withdrawable_fen"], 10000);
  EXPECT_EQ(Finance(shops[2])["withdrawable_fen"], 0);
  clock_.AdvanceMs(2 * 86400000LL);
  RunTimers();
  EXPECT_EQ(Finance(shops[2])["withdrawable_fen"], 9700);
  EXPECT_EQ(Finance(shops[0])["withdrawable_fen"], 0);
  clock_.AdvanceMs(4 * 86400000LL);
  RunTimers();
  EXPECT_EQ(Finance(shops[0])["withdrawable_fen"], 9500);
  EXPECT_EQ(Finance(shops[0])["payable_fen"], 0);
  auto w = Call("POST", "/api/v1/merchant/withdrawals", Json{{"amount_fen", 5000}}, shops[0].owner_token);
  ASSERT_EQ(w.status, 201) << w.body.dump();
  auto too_much = Call("POST", "/api/v1/merchant/withdrawals", Json{{"amount_fen", 5000}}, shops[0].owner_token);
  EXPECT_EQ(too_much.status, 422);
  EXPECT_EQ(Finance(shops[0])["withdrawable_fen"], 4500);
  EXPECT_EQ(Finance(shops[0])["withdrawn_fen"], 5000);
  Json report = ExpectInvariants();
  EXPECT_EQ(report["sum_fen"], 0);
  // The platform earned 500 + 0 + 300 in commission, each on its merchant's account.
  auto commission = app_->store().Read([](Reader& r) { return pay::PlatformBalance(r, pay::kCommissionPrefix); });
  EXPECT_EQ(*commission, 800);
  const int64_t commission_of[] = {500, 0, 300};
  for (size_t i = 0; i < shops.size(); ++i) {
    auto of_shop = app_->store().Read([&](Reader& r) { return pay::Balance(r, pay::CommissionAccount(*ParseId(shops[i].id))); });
    EXPECT_EQ(*of_shop, commission_of[i]) << cases[i].kind;
  }
  // Merchant ledger shows the entries.
  auto ledger = Call("GET", "/api/v1/merchant/ledger?account=withdrawable", nullptr, shops[0].owner_token);
  EXPECT_EQ(ledger.body["items"].size(), 2u);
}

// Orders of two shops through every ledger entry that touches escrow, the provider, commission
// or a card hold (payment, card.hold, card.release, refund.card, refund.provider,
// order.complete). Shop A: one order paid at the provider and completed (commission, a held
// settlement), one paid partly with store credit and refunded in full, one paid and left paid.
// Shop B: one paid with store credit only and left paid, one whose payment holds store credit
// (pending), one cancelled while its payment held store credit.
class Ledger : public Trade {
 protected:
  struct TwoShops {
    Shop a, b;
    std::string buyer;
    int64_t a_open_fen = 0, b_open_fen = 0;  // what each shop's paid, open orders hold in escrow
    std::string pending_payment;             // B's payment holding store credit
  };
  TwoShops PayThroughEveryEntry() {
    TwoShops t{OpenShop("c2c", "甲店"), OpenShop("b2c", "乙店"), Register("13655550001")};
    EXPECT_EQ(Call("POST", "/api/v1/admin/cards", Json{{"phone", "13655550001"}, {"amount_fen", 50000}, {"reason", "测试"}}, AdminToken()).status, 201);
    auto sku_a = CreateProduct(t.a, 10000, 10).second;
    auto sku_b = CreateProduct(t.b, 12000, 10).second;
    auto pay = [&](const std::string& oid, int64_t card_fen) {
      auto p = Call("POST", "/api/v1/orders/" + oid + "/pay", Json{{"card_fen", card_fen}}, t.buyer);
      EXPECT_EQ(p.status, 200) << p.body.dump();
      return p.body;
    };
    Json completed = Buy(t.buyer, sku_a);
    PayAndWait(t.buyer, completed["id"]);
    ShipDeliverConfirm(t.a, t.buyer, completed["id"]);
    std::string refunded = Buy(t.buyer, sku_a)["id"];
    Json p = pay(refunded, 2500);
    EXPECT_EQ(Call("POST", "/api/v1/pay/sandbox/" + p["payment_id"].get<std::string>() + "/complete", nullptr, t.buyer).status, 200);
    WaitStatus(t.buyer, refunded, "paid");
    auto as = Call("POST", "/api/v1/orders/" + refunded + "/aftersales",
                   Json{{"type", "refund_only"}, {"amount_fen", 10000}, {"reason", "不想要了"}}, t.buyer);
    EXPECT_EQ(as.status, 201) << as.body.dump();
    EXPECT_EQ(Call("POST", "/api/v1/merchant/aftersales/" + as.body.value("id", "") + "/approve", nullptr, t.a.owner_token).status, 200);
    WaitStatus(t.buyer, refunded, "refunded");
    Json open_a = Buy(t.buyer, sku_a);
    PayAndWait(t.buyer, open_a["id"]);
    t.a_open_fen = open_a["total_fen"];
    Json card_only = Buy(t.buyer, sku_b);
    EXPECT_EQ(pay(card_only["id"], card_only["total_fen"])["status"], "succeeded");
    t.b_open_fen = card_only["total_fen"];
    t.pending_payment = pay(Buy(t.buyer, sku_b)["id"], 1000).value("payment_id", "");  // holds 1000
    std::string cancelled = Buy(t.buyer, sku_b)["id"];
    pay(cancelled, 700);
    EXPECT_EQ(Call("POST", "/api/v1/orders/" + cancelled + "/cancel", nullptr, t.buyer).status, 200);
    return t;
  }
  int64_t BalanceOf(const std::string& account) {
    auto b = app_->store().Read([&](Reader& r) { return pay::Balance(r, account); });
    EXPECT_TRUE(b) << b.error().message;
    return b ? *b : -1;
  }
  int64_t Count(const std::string& sql) {
    auto n = app_->store().Read([&](Reader& r) { return r.QueryInt(sql); });
    EXPECT_TRUE(n) << n.error().message;
    return n ? *n : -1;
  }
  static constexpr const char* kLegacy = "('escrow', 'provider:sandbox', 'commission_revenue', 'card_hold')";
};

// No global hot rows: each shop's escrow holds its own paid, open orders; no platform-wide
// escrow, provider, commission or card hold row exists; and the check holds each merchant's
// escrow to that merchant's orders (money moved from one shop's escrow to another's by a
// balanced entry keeps every total right and is still found).
TEST_F(Ledger, EscrowIsPerMerchantAndCheckedPerMerchant) {
  TwoShops t = PayThroughEveryEntry();
  const int64_t a = *ParseId(t.a.id), b = *ParseId(t.b.id);
  EXPECT_EQ(BalanceOf(pay::EscrowAccount(a)), t.a_open_fen);
  EXPECT_EQ(BalanceOf(pay::EscrowAccount(b)), t.b_open_fen);
  EXPECT_EQ(BalanceOf(pay::CommissionAccount(a)), 500);  // c2c: 5% of 10000
  EXPECT_EQ(BalanceOf(pay::ProviderAccount(a)), -(10000 + t.a_open_fen));  // the refunded order's provider part went back
  EXPECT_EQ(BalanceOf(pay::ProviderAccount(b)), 0);  // B's buyer paid with store credit only
  auto escrow = app_->store().Read([](Reader& r) { return pay::PlatformBalance(r, pay::kEscrowPrefix); });
  EXPECT_EQ(*escrow, t.a_open_fen + t.b_open_fen);
  EXPECT_EQ(Count(std::string("SELECT count(*) FROM balances WHERE account IN ") + kLegacy), 0);
  EXPECT_EQ(Count(std::string("SELECT count(*) FROM postings WHERE account IN ") + kLegacy), 0);
  ExpectInvariants();
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) {
    return ToStatus(pay::Post(tx, "test.corrupt", 1, {{pay::EscrowAccount(a), -100}, {pay::EscrowAccount(b), 100}}));
  }));
  auto report = http::RunInvariantChecks(app_->context());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE((*report)["ok"].get<bool>());
  EXPECT_EQ((*report)["sum_fen"], 0);
  std::string problems = (*report)["problems"].dump();
  EXPECT_NE(problems.find(pay::EscrowAccount(a) + " holds " + std::to_string(t.a_open_fen - 100)), std::string::npos) << problems;
  EXPECT_NE(problems.find(pay::EscrowAccount(b) + " holds " + std::to_string(t.b_open_fen + 100)), std::string::npos) << problems;
}

// Migration 022 on a store from before it: the same orders, with the ledger as the code before
// 022 wrote it (the platform-wide accounts, no merchant on payments), reopened → every posting is
// on the account the code now writes, the balances are rebuilt, no platform-wide row is left and
// the check passes.
TEST_F(Ledger, StoreFromBeforePerMerchantAccountsUpgrades) {
  TwoShops t = PayThroughEveryEntry();
  for (int i = 0; i < 500 && app_->sandbox().Outstanding() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(app_->sandbox().Outstanding(), 0);
  const std::string families = "substr(account, 1, 7) = 'escrow:' OR substr(account, 1, 17) = 'provider:sandbox:' OR "
                               "substr(account, 1, 19) = 'commission_revenue:' OR substr(account, 1, 10) = 'card_hold:'";
  auto snapshot = [&] {
    auto rows = app_->store().Read([&](Reader& r) -> Result<std::vector<std::string>> {
      std::vector<std::string> out;
      ASSIGN_OR_RETURN(Rows postings, r.Query("SELECT id, account, amount_fen FROM postings ORDER BY id"));
      for (const Row& row : postings) out.push_back("posting " + IdString(row.Int(0)) + " " + row.Str(1) + " " + std::to_string(row.Int(2)));
      ASSIGN_OR_RETURN(Rows balances, r.Query("SELECT account, balance_fen FROM balances ORDER BY account"));
      for (const Row& row : balances) out.push_back("balance " + row.Str(0) + " " + std::to_string(row.Int(1)));
      ASSIGN_OR_RETURN(Rows payments, r.Query("SELECT id, merchant_id FROM payments ORDER BY id"));
      for (const Row& row : payments) out.push_back("payment " + IdString(row.Int(0)) + " of " + IdString(row.Int(1)));
      return out;
    });
    EXPECT_TRUE(rows) << rows.error().message;
    return rows ? *rows : std::vector<std::string>{};
  };
  const std::vector<std::string> now = snapshot();
  ASSERT_GT(Count("SELECT count(*) FROM postings WHERE " + families), 10);
  // The ledger as the code before 022 wrote it.
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) -> Status {
    for (std::string legacy : {"escrow", "provider:sandbox", "commission_revenue", "card_hold"})
      RETURN_IF_ERROR(tx.Run("UPDATE postings SET account = ?1 WHERE substr(account, 1, " + std::to_string(legacy.size() + 1) + ") = ?2",
                             {legacy, legacy + ":"}));
    RETURN_IF_ERROR(tx.Run("DELETE FROM balances WHERE " + families));
    RETURN_IF_ERROR(tx.Run(std::string("INSERT INTO balances(account, balance_fen) SELECT account, SUM(amount_fen) FROM postings "
                                       "WHERE account IN ") + kLegacy + " GROUP BY account"));
    // Migration 025 added merchant_id to this unique index: back to its shape from before, so
    // the column can go (SQLite refuses to drop an indexed column; PostgreSQL drops the index).
    RETURN_IF_ERROR(tx.Run("DROP INDEX payments_one_success"));
    RETURN_IF_ERROR(
        tx.Run("CREATE UNIQUE INDEX payments_one_success ON payments(order_id) WHERE status = "
               "'succeeded'"));
    RETURN_IF_ERROR(tx.Run("ALTER TABLE payments DROP COLUMN merchant_id"));
    return tx.Run("DELETE FROM schema_migrations WHERE version = 22");
  }));
  ASSERT_EQ(Count(std::string("SELECT count(*) FROM balances WHERE account IN ") + kLegacy), 4);
  ASSERT_EQ(Count("SELECT count(*) FROM balances WHERE " + families), 0);
  app_->Stop();
  app_.reset();
  AppOptions o;
  o.db_path = db_;
  o.port = 0;
  o.background = true;
  o.timer_poll_ms = 3'600'000;
  o.hasher.cost = account::HashCost::kFast;
  auto app = App::Create(o, clock_);  // applies 022 again
  ASSERT_TRUE(app) << app.error().message;
  app_ = std::move(*app);
  port_ = app_->Start();
  EXPECT_EQ(Count(std::string("SELECT count(*) FROM balances WHERE account IN ") + kLegacy), 0);
  EXPECT_EQ(Count(std::string("SELECT count(*) FROM postings WHERE account IN ") + kLegacy), 0);
  EXPECT_EQ(snapshot(), now);
  ExpectInvariants();
  // And the upgraded store goes on: the payment that was pending (its merchant filled in by
  // 022) completes on its shop's accounts.
  auto done = Call("POST", "/api/v1/pay/sandbox/" + t.pending_payment + "/complete", nullptr, t.buyer);
  ASSERT_EQ(done.status, 200) << done.body.dump();
  Json paid = Call("POST", "/api/v1/payments/" + t.pending_payment + "/query", nullptr, t.buyer).body;
  EXPECT_EQ(paid["status"], "succeeded") << paid.dump();
  EXPECT_EQ(BalanceOf(pay::EscrowAccount(*ParseId(t.b.id))), 2 * t.b_open_fen);
  ExpectInvariants();
}

// Every command takes the stock rows it changes in one order, ascending by SKU id, over all the
// shops of a checkout (decision 031): then two commands never hold each other's next row (on
// PostgreSQL, with concurrent writers: Races.ACheckoutWaitsForItsLowestSkuHoldingNoOtherStock).
// A trigger records the order the SKUs' rows are updated in: a checkout of four SKUs of two shops
// whose SKUs alternate (named highest first; before, it reserved shop by shop: 0, 2, 1, 3), the
// payment of one shop's order (sale) and the cancel of the other's (release).
TEST_F(Trade, StockRowsAreTakenAscendingBySkuId) {
  Shop shop1 = OpenShop("b2c", "锁序一"), shop2 = OpenShop("b2c", "锁序二");
  std::vector<std::string> skus;  // ascending ids: created in this order
  for (int i = 0; i < 4; ++i)
    skus.push_back(CreateProduct(i % 2 == 0 ? shop1 : shop2, 5000 + i, 100).second);
  std::vector<int64_t> ids;
  for (auto& s : skus) ids.push_back(*ParseId(s));
  ASSERT_TRUE(std::ranges::is_sorted(ids));
  const std::vector<std::string> install =
      OnPostgres() ? std::vector<std::string>{
                         "CREATE TABLE test_stock_log(seq BIGSERIAL PRIMARY KEY, sku_id BIGINT NOT NULL)",
                         "CREATE FUNCTION test_stock_log_row() RETURNS trigger LANGUAGE plpgsql AS "
                         "'BEGIN INSERT INTO test_stock_log(sku_id) VALUES (NEW.id); RETURN NULL; END'",
                         "CREATE TRIGGER test_stock_log AFTER UPDATE ON skus FOR EACH ROW EXECUTE FUNCTION test_stock_log_row()"}
                   : std::vector<std::string>{
                         "CREATE TABLE test_stock_log(seq INTEGER PRIMARY KEY AUTOINCREMENT, sku_id INTEGER NOT NULL)",
                         "CREATE TRIGGER test_stock_log AFTER UPDATE ON skus BEGIN INSERT INTO test_stock_log(sku_id) VALUES (NEW.id); END"};
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) -> Status {
    for (auto& sql : install) RETURN_IF_ERROR(tx.Run(sql));
    return Ok();
  }));
  // The SKUs updated since the last call, in order.
  int64_t seen = 0;
  auto updated = [&] {
    std::vector<int64_t> out;
    auto rows = app_->store().Read([&](Reader& r) {
      return r.Query("SELECT seq, sku_id FROM test_stock_log WHERE seq > ? ORDER BY seq", {seen});
    });
    EXPECT_TRUE(rows) << rows.error().message;
    if (!rows) return out;
    for (auto& row : *rows) {
      seen = row.Int(0);
      out.push_back(row.Int(1));
    }
    return out;
  };
  const std::string buyer = Register();
  Json body{{"items", Json::array()}, {"address", Address()}};
  for (int i = 3; i >= 0; --i) body["items"].push_back(Json{{"sku_id", skus[i]}, {"quantity", 1}});
  auto checkout = Call("POST", "/api/v1/checkout", body, buyer);
  ASSERT_EQ(checkout.status, 201) << checkout.body.dump();
  ASSERT_EQ(checkout.body["orders"].size(), 2u);
  EXPECT_EQ(updated(), ids) << "checkout: reservations";
  std::string of_shop1, of_shop2;
  for (auto& o : checkout.body["orders"])
    (o["merchant_id"] == shop1.id ? of_shop1 : of_shop2) = o["id"];
  PayAndWait(buyer, of_shop1);
  EXPECT_EQ(updated(), (std::vector<int64_t>{ids[0], ids[2]})) << "payment: sales";
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + of_shop2 + "/cancel", nullptr, buyer).status, 200);
  EXPECT_EQ(updated(), (std::vector<int64_t>{ids[1], ids[3]})) << "cancel: releases";
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(
        tx.Run("DROP TRIGGER test_stock_log" + std::string(OnPostgres() ? " ON skus" : "")));
    if (OnPostgres()) RETURN_IF_ERROR(tx.Run("DROP FUNCTION test_stock_log_row()"));
    return tx.Run("DROP TABLE test_stock_log");
  }));
  ExpectInvariants();
}

TEST_F(Trade, TwoHundredBuyersFiftyUnits) {
  Shop shop = OpenShop("b2c", "爆款店");
  auto [product, sku] = CreateProduct(shop, 1990, 50);
  constexpr int kBuyers = 200;
  std::vector<std::string> tokens;
  for (int i = 0; i < kBuyers; ++i) tokens.push_back(Register());
  std::atomic<int> created{0}, sold_out{0}, other{0};
  std::vector<std::string> orders(kBuyers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kBuyers; ++i) {
    threads.emplace_back([&, i] {
      auto client = NewClient();
      // Half the buyers start paying in the checkout request itself, half pay after it.
      const bool pay_at_checkout = i % 2 == 0;
      Json body{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()}};
      if (pay_at_checkout) body["pay"] = Json::object();
      auto r = client->Json("POST", "/api/v1/checkout", body, tokens[i]);
      if (r.status == 201) {
        ++created;
        orders[i] = r.body["orders"][0]["id"];
        Json payment = pay_at_checkout ? r.body["orders"][0]["payment"]
                                       : client->Json("POST", "/api/v1/orders/" + orders[i] + "/pay", nullptr, tokens[i]).body;
        if (payment.contains("payment_id"))
          client->Json("POST", "/api/v1/pay/sandbox/" + payment["payment_id"].get<std::string>() + "/complete", nullptr, tokens[i]);
      } else if (r.status == 409 && r.body["error"]["code"] == "OUT_OF_STOCK") {
        ++sold_out;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 50);
  EXPECT_EQ(sold_out.load(), 150);
  EXPECT_EQ(other.load(), 0);
  int paid = 0;
  for (int i = 0; i < kBuyers; ++i)
    if (!orders[i].empty() && WaitStatus(tokens[i], orders[i], "paid")["status"] == "paid") ++paid;
  EXPECT_EQ(paid, 50);
  auto p = Call("GET", "/api/v1/merchant/products/" + product, nullptr, shop.owner_token);
  EXPECT_EQ(p.body["skus"][0]["stock"], 0);
  EXPECT_EQ(p.body["skus"][0]["sold"], 50);
  EXPECT_EQ(p.body["skus"][0]["reserved"], 0);
  ExpectInvariants();
}

TEST_F(Trade, DuplicateOutOfOrderForgedAndReplayedNotifications) {
  Shop shop = OpenShop("c2c");
  auto [product, sku] = CreateProduct(shop, 5000, 10);
  std::string buyer = Register();
  Json o = Buy(buyer, sku);
  std::string oid = o["id"];
  // The provider is told to drop its notification: capture what it would have sent.
  app_->sandbox().SetMode(pay::NotifyMode::kDrop);
  auto pay = Call("POST", "/api/v1/orders/" + oid + "/pay", nullptr, buyer);
  std::string payment_id = pay.body["payment_id"], prepay = pay.body["prepay_id"];
  ASSERT_EQ(Call("POST", "/api/v1/pay/sandbox/" + payment_id + "/complete", nullptr, buyer).status, 200);
  auto txn = app_->store().Read([&](Reader& r) { return app_->sandbox().Query(r, prepay); });
  ASSERT_TRUE(txn);
  Json body{{"notify_id", "n-test-1"}, {"event", "payment.succeeded"}, {"prepay_id", prepay}, {"out_no", payment_id},
            {"amount_fen", txn->amount_fen}, {"transaction_id", txn->transaction_id}, {"timestamp_ms", clock_.NowMs()}};
  std::string text = DumpJson(body);
  auto client = NewClient();
  auto send = [&](const std::string& b, const std::string& sig) {
    auto r = client->Send("POST", "/api/v1/pay/notify/sandbox", b, {{"Content-Type", "application/json"}, {"X-Sandbox-Signature", sig}});
    return std::make_pair(r.status, Json::parse(r.body, nullptr, false));
  };
  // Forged: wrong signature; tampered amount with the old signature. Rejected, nothing changes.
  EXPECT_EQ(send(text, std::string(64, '0')).first, 401);
  Json tampered = body;
  tampered["amount_fen"] = 1;
  EXPECT_EQ(send(DumpJson(tampered), app_->sandbox().Sign(text)).first, 401);
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + oid, nullptr, buyer).body["status"], "created");
  // The genuine one, twice (a duplicate) and concurrently: one payment.
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&] {
      auto c = NewClient();
      auto r = c->Send("POST", "/api/v1/pay/notify/sandbox", text, {{"Content-Type", "application/json"}, {"X-Sandbox-Signature", app_->sandbox().Sign(text)}});
      if (r.status == 200) ++ok;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 8);  // duplicates are acknowledged so the provider stops retrying
  Json paid = Call("GET", "/api/v1/orders/" + oid, nullptr, buyer).body;
  EXPECT_EQ(paid["status"], "paid");
  EXPECT_EQ(paid["paid_fen"], 5800);  // 5000 + 800 shipping
  // A different notification id for the same payment (the provider resending): still one charge.
  Json again = body;
  again["notify_id"] = "n-test-2";
  auto r2 = send(DumpJson(again), app_->sandbox().Sign(DumpJson(again)));
  EXPECT_EQ(r2.first, 200);
  EXPECT_EQ(r2.second["outcome"], "already_paid");
  // Replayed long after (outside the window): rejected.
  clock_.AdvanceMs(pay::kNotifyMaxAgeMs + 1000);
  Json late = body;
  late["notify_id"] = "n-test-3";
  EXPECT_EQ(send(DumpJson(late), app_->sandbox().Sign(DumpJson(late))).first, 401);
  auto charged = app_->store().Read([&](Reader& r) { return r.QueryInt("SELECT count(*) FROM payments WHERE status='succeeded'"); });
  EXPECT_EQ(*charged, 1);
  ExpectInvariants();
}

// Issue 12, defect 3. The repro: checkout with a store-credit part, post a `payment.failed`
// signed with the (then built-in) sandbox secret — the credit went back to the buyer — then
// complete the sandbox payment: the order was `paid` for less than its total.
TEST_F(Trade, ForgedFailureCannotMakeAnOrderPaidForLessThanItsTotal) {
  Shop shop = OpenShop("c2c");
  auto [product, sku] = CreateProduct(shop, 10000, 10);  // free shipping: the total is 10000
  std::string buyer = Register("13655557777");
  ASSERT_EQ(Call("POST", "/api/v1/admin/cards", Json{{"phone", "13655557777"}, {"amount_fen", 3000}, {"reason", "游戏奖励"}}, AdminToken()).status, 201);
  app_->sandbox().SetMode(pay::NotifyMode::kDrop);  // only the notifications this test posts land
  std::string oid = Buy(buyer, sku)["id"];
  auto p1 = Call("POST", "/api/v1/orders/" + oid + "/pay", Json{{"card_fen", 3000}}, buyer);
  ASSERT_EQ(p1.status, 200) << p1.body.dump();
  std::string payment_id = p1.body["payment_id"], prepay = p1.body["prepay_id"];
  std::string failed = DumpJson(Json{{"notify_id", "n-forged-1"}, {"event", "payment.failed"}, {"prepay_id", prepay},
                                     {"out_no", payment_id}, {"amount_fen", 7000}, {"transaction_id", ""}, {"timestamp_ms", clock_.NowMs()}});
  auto notify = [&](const std::string& body, const std::string& sig) {
    return NewClient()->Send("POST", "/api/v1/pay/notify/sandbox", body, {{"Content-Type", "application/json"}, {"X-Sandbox-Signature", sig}});
  };
  // The old built-in secret signs nothing any more.
  EXPECT_EQ(notify(failed, HmacSha256Hex(Sha256("xiaodian-sandbox-secret"), failed)).status, 401);
  // Even with the store's real secret (leaked), a failure the provider did not record is refused.
  auto leaked = notify(failed, app_->sandbox().Sign(failed));
  EXPECT_EQ(leaked.status, 422) << leaked.body;
  EXPECT_EQ(Call("GET", "/api/v1/me/cards", nullptr, buyer).body["balance_fen"], 0);  // the credit is still held
  EXPECT_EQ(Call("GET", "/api/v1/pay/sandbox/" + payment_id, nullptr, buyer).body["status"], "pending");
  // The repro's last step: the buyer completes the payment. It was never failed, so the
  // order is paid its whole total (before the fix: paid_fen 7000, the credit back with the buyer).
  ASSERT_EQ(Call("POST", "/api/v1/pay/sandbox/" + payment_id + "/complete", nullptr, buyer).status, 200);
  EXPECT_EQ(Call("POST", "/api/v1/payments/" + payment_id + "/query", nullptr, buyer).body["status"], "succeeded");
  Json paid = Call("GET", "/api/v1/orders/" + oid, nullptr, buyer).body;
  EXPECT_EQ(paid["status"], "paid");
  EXPECT_EQ(paid["paid_fen"], 10000);
  EXPECT_EQ(paid["card_paid_fen"], 3000);
  EXPECT_EQ(Call("GET", "/api/v1/me/cards", nullptr, buyer).body["balance_fen"], 0);

  // A payment that is no longer pending (closed: its order was cancelled, which returns any
  // held credit) cannot be completed or failed at the sandbox cashier.
  std::string oid2 = Buy(buyer, sku)["id"];
  auto p2 = Call("POST", "/api/v1/orders/" + oid2 + "/pay", nullptr, buyer);
  ASSERT_EQ(p2.status, 200) << p2.body.dump();
  std::string p2_id = p2.body["payment_id"], prepay2 = p2.body["prepay_id"];
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + oid2 + "/cancel", nullptr, buyer).status, 200);
  auto stale = Call("POST", "/api/v1/pay/sandbox/" + p2_id + "/complete", nullptr, buyer);
  EXPECT_EQ(stale.status, 409) << stale.body.dump();
  EXPECT_EQ(Call("POST", "/api/v1/pay/sandbox/" + p2_id + "/fail", nullptr, buyer).status, 409);
  // A success notification for it (the provider never completed it) is refused too.
  std::string succeeded = DumpJson(Json{{"notify_id", "n-forged-2"}, {"event", "payment.succeeded"}, {"prepay_id", prepay2},
                                        {"out_no", p2_id}, {"amount_fen", 10000}, {"transaction_id", "4200x"}, {"timestamp_ms", clock_.NowMs()}});
  EXPECT_EQ(notify(succeeded, app_->sandbox().Sign(succeeded)).status, 422);
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + oid2, nullptr, buyer).body["status"], "cancelled");
  ExpectInvariants();
}

// The sandbox secret is the store's own: generated at random when none is configured, the
// same after a restart, different in another store; a configured secret wins.
TEST_F(Trade, SandboxSecretIsPerStoreAndSurvivesRestarts) {
  const std::string body = R"({"probe":1})";
  std::string before = app_->sandbox().Sign(body);
  app_->Stop();
  app_.reset();
  AppOptions o;
  o.db_path = db_;
  o.port = 0;
  o.background = false;
  auto again = App::Create(o, clock_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->sandbox().Sign(body), before);
  (*again)->Stop();
  o.db_path = NewStoreLocation("other");
  auto other = App::Create(o, clock_);
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_NE((*other)->sandbox().Sign(body), before);
  EXPECT_NE((*other)->sandbox().Sign(body), HmacSha256Hex(Sha256("xiaodian-sandbox-secret"), body));
  (*other)->Stop();
  o.sandbox_secret = "configured";
  auto configured = App::Create(o, clock_);
  ASSERT_TRUE(configured) << configured.error().message;
  EXPECT_EQ((*configured)->sandbox().Sign(body), HmacSha256Hex(Sha256("configured"), body));
}

// Many nodes (PostgreSQL): a buyer's long poll sits on node A while the payment starts and
// lands on node B. Node A hears B's commits (Store::WatchRows over LISTEN/NOTIFY): starting
// the payment changes the order's row but not its status, so the pages wait on; the
// notification on B answers every one of them "paid" — none by its deadline.
TEST_F(Trade, LongPollOnOneNodeIsAnsweredByAPaymentOnAnother) {
  if (!OnPostgres()) GTEST_SKIP() << "several nodes share a store on PostgreSQL only";
  Shop shop = OpenShop("c2c");
  auto [product, sku] = CreateProduct(shop, 5000, 10);
  std::string buyer = Register();
  std::string oid = Buy(buyer, sku)["id"];
  auto node_b = OpenSecondNode();
  ASSERT_TRUE(node_b);
  http::Client b("127.0.0.1", node_b->port());
  node_b->sandbox().SetMode(pay::NotifyMode::kDrop);  // the test sends B's notification itself
  constexpr int kPages = 20;
  std::string wait = "/api/v1/orders/" + oid + "?wait_while=created&wait_ms=" + std::to_string(limits::kMaxOrderWaitMs);
  std::vector<std::thread> pages;
  std::atomic<int> saw_paid{0};
  for (int i = 0; i < kPages; ++i)
    pages.emplace_back([&] {
      auto r = NewClient()->Json("GET", wait, nullptr, buyer);
      if (r.status == 200 && r.body["status"] == "paid") ++saw_paid;
      else ADD_FAILURE() << r.status << " " << r.body.dump().substr(0, 300);
    });
  for (int i = 0; i < 500 && app_->context().order_watch->waiting() < kPages; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(app_->context().order_watch->waiting(), static_cast<size_t>(kPages));
  uint64_t timed_out = app_->context().order_watch->timed_out();
  auto pay = b.Json("POST", "/api/v1/orders/" + oid + "/pay", nullptr, buyer);
  ASSERT_EQ(pay.status, 200) << pay.body.dump();
  std::string payment_id = pay.body["payment_id"], prepay = pay.body["prepay_id"];
  ASSERT_EQ(b.Json("POST", "/api/v1/pay/sandbox/" + payment_id + "/complete", nullptr, buyer).status, 200);
  auto txn = node_b->store().Read([&](Reader& r) { return node_b->sandbox().Query(r, prepay); });
  ASSERT_TRUE(txn);
  std::string text = DumpJson(Json{{"notify_id", "n-nodes-1"}, {"event", "payment.succeeded"}, {"prepay_id", prepay},
                                   {"out_no", payment_id}, {"amount_fen", txn->amount_fen},
                                   {"transaction_id", txn->transaction_id}, {"timestamp_ms", clock_.NowMs()}});
  auto r = b.Send("POST", "/api/v1/pay/notify/sandbox", text,
                  {{"Content-Type", "application/json"}, {"X-Sandbox-Signature", node_b->sandbox().Sign(text)}});
  ASSERT_EQ(r.status, 200) << r.body;
  for (auto& t : pages) t.join();
  EXPECT_EQ(saw_paid.load(), kPages);  // none answered "created" when the payment started
  EXPECT_EQ(app_->context().order_watch->timed_out(), timed_out);
  node_b->Stop();
}

TEST_F(Trade, LongPollAnswersWhenTheOrderLeavesTheStatus) {
  Shop shop = OpenShop("c2c");
  auto [product, sku] = CreateProduct(shop, 5000, 10);
  std::string buyer = Register(), other = Register();
  std::string oid = Buy(buyer, sku)["id"];
  std::string wait = "/api/v1/orders/" + oid + "?wait_while=created&wait_ms=";
  // Bad waits are refused; another buyer's order is not found, at once.
  EXPECT_EQ(Call("GET", wait + std::to_string(limits::kMaxOrderWaitMs + 1), nullptr, buyer).status, 400);
  EXPECT_EQ(Call("GET", wait + "abc", nullptr, buyer).status, 400);
  EXPECT_EQ(Call("GET", wait + "5000", nullptr, other).status, 404);
  // Nothing happens: the answer comes when wait_ms runs out, with the order unchanged.
  uint64_t timed_out = app_->context().order_watch->timed_out();
  auto idle = Call("GET", wait + "300", nullptr, buyer);
  EXPECT_EQ(app_->context().order_watch->timed_out(), timed_out + 1);
  EXPECT_EQ(idle.status, 200);
  EXPECT_EQ(idle.body["status"], "created");
  // 100 buyers' pages wait on the order; the notification is held back (dropped) so that
  // they are really waiting when it lands; every one of them is answered "paid" at once.
  app_->sandbox().SetMode(pay::NotifyMode::kDrop);
  auto pay = Call("POST", "/api/v1/orders/" + oid + "/pay", nullptr, buyer);
  std::string payment_id = pay.body["payment_id"], prepay = pay.body["prepay_id"];
  std::vector<std::thread> waiters;
  std::atomic<int> saw_paid{0}, answered{0};
  for (int i = 0; i < 100; ++i)
    waiters.emplace_back([&] {
      auto c = NewClient();
      auto r = c->Json("GET", wait + "10000", nullptr, buyer);
      ++answered;
      if (r.status == 200 && r.body["status"] == "paid") ++saw_paid;
    });
  ASSERT_EQ(Call("POST", "/api/v1/pay/sandbox/" + payment_id + "/complete", nullptr, buyer).status, 200);
  for (int i = 0; i < 100 && app_->context().order_watch->waiting() < 100; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(answered.load(), 0);
  auto txn = app_->store().Read([&](Reader& r) { return app_->sandbox().Query(r, prepay); });
  ASSERT_TRUE(txn);
  std::string text = DumpJson(Json{{"notify_id", "n-wait-1"}, {"event", "payment.succeeded"}, {"prepay_id", prepay},
                                   {"out_no", payment_id}, {"amount_fen", txn->amount_fen},
                                   {"transaction_id", txn->transaction_id}, {"timestamp_ms", clock_.NowMs()}});
  timed_out = app_->context().order_watch->timed_out();
  auto r = NewClient()->Send("POST", "/api/v1/pay/notify/sandbox", text,
                             {{"Content-Type", "application/json"}, {"X-Sandbox-Signature", app_->sandbox().Sign(text)}});
  ASSERT_EQ(r.status, 200) << r.body;
  for (auto& t : waiters) t.join();
  EXPECT_EQ(saw_paid.load(), 100);
  EXPECT_EQ(app_->context().order_watch->timed_out(), timed_out);  // woken by the change, none by its deadline
  EXPECT_EQ(app_->context().order_watch->waiting(), 0u);
  // Already out of the status: answered at once, without waiting for the deadline.
  EXPECT_EQ(Call("GET", wait + "10000", nullptr, buyer).body["status"], "paid");
  EXPECT_EQ(app_->context().order_watch->timed_out(), timed_out);
  // Neither that answer nor the refused one leaves a waiter behind in the watch.
  EXPECT_EQ(Call("GET", wait + "10000", nullptr, other).status, 404);
  EXPECT_EQ(app_->context().order_watch->waiting(), 0u);
  ExpectInvariants();
}

TEST_F(Trade, DroppedNotificationIsFoundByTheQueryPathAndLateOnesChangeNothing) {
  Shop shop = OpenShop("c2c");
  auto [product, sku] = CreateProduct(shop, 3000, 10);
  std::string buyer = Register();
  // Dropped: the order-query path finds the payment.
  app_->sandbox().SetMode(pay::NotifyMode::kDrop);
  Json o = Buy(buyer, sku);
  auto pay = Call("POST", "/api/v1/orders/" + o["id"].get<std::string>() + "/pay", nullptr, buyer);
  Call("POST", "/api/v1/pay/sandbox/" + pay.body["payment_id"].get<std::string>() + "/complete", nullptr, buyer);
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + o["id"].get<std::string>(), nullptr, buyer).body["status"], "created");
  auto q = Call("POST", "/api/v1/payments/" + pay.body["payment_id"].get<std::string>() + "/query", nullptr, buyer);
  EXPECT_EQ(q.body["status"], "succeeded");
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + o["id"].get<std::string>(), nullptr, buyer).body["status"], "paid");
  // Dropped and never queried: the unpaid timer asks the provider before cancelling.
  Json o2 = Buy(buyer, sku);
  auto pay2 = Call("POST", "/api/v1/orders/" + o2["id"].get<std::string>() + "/pay", nullptr, buyer);
  Call("POST", "/api/v1/pay/sandbox/" + pay2.body["payment_id"].get<std::string>() + "/complete", nullptr, buyer);
  clock_.AdvanceMs(16 * 60 * 1000);
  RunTimers();
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + o2["id"].get<std::string>(), nullptr, buyer).body["status"], "paid");
  // Twice and late: one payment each.
  app_->sandbox().SetMode(pay::NotifyMode::kTwice);
  Json o3 = Buy(buyer, sku);
  PayAndWait(buyer, o3["id"]);
  app_->sandbox().SetMode(pay::NotifyMode::kLate, 200);
  Json o4 = Buy(buyer, sku);
  PayAndWait(buyer, o4["id"]);
  // Every notification sent so far has been answered: the late one and o3's duplicate landed.
  for (int i = 0; i < 1000 && app_->sandbox().Outstanding() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(app_->sandbox().Outstanding(), 0);
  auto charged = app_->store().Read([&](Reader& r) { return r.QueryInt("SELECT count(*) FROM payments WHERE status='succeeded'"); });
  EXPECT_EQ(*charged, 4);
  ExpectInvariants();
}

TEST_F(Trade, UnpaidOrdersCancelAfterFifteenMinutesAndReleaseStock) {
  Shop shop = OpenShop("c2c");
  auto [product, sku] = CreateProduct(shop, 1000, 3);
  std::string buyer = Register();
  Json o = Buy(buyer, sku, 3);
  EXPECT_EQ(Call("GET", "/api/v1/products/" + product).body["skus"][0]["stock"], 0);
  std::string other = Register();
  auto none = Call("POST", "/api/v1/checkout", Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()}}, other);
  EXPECT_EQ(none.status, 409);
  EXPECT_EQ(none.body["error"]["code"], "OUT_OF_STOCK");
  clock_.AdvanceMs(14 * 60 * 1000);
  RunTimers();
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + o["id"].get<std::string>(), nullptr, buyer).body["status"], "created");
  clock_.AdvanceMs(2 * 60 * 1000);
  RunTimers();
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + o["id"].get<std::string>(), nullptr, buyer).body["status"], "cancelled");
  EXPECT_EQ(Call("GET", "/api/v1/products/" + product).body["skus"][0]["stock"], 3);
  // Paying after cancellation is refused; paying on an old cashier page is refunded in full.
  EXPECT_EQ(Call("POST", "/api/v1/orders/" + o["id"].get<std::string>() + "/pay", nullptr, buyer).status, 409);
  ExpectInvariants();
}

TEST_F(Trade, PaidOnAnOldPageAfterCancellationIsRefunded) {
  Shop shop = OpenShop("c2c");
  auto [product, sku] = CreateProduct(shop, 2000, 3);
  std::string buyer = Register();
  Json o = Buy(buyer, sku);
  std::string oid = o["id"];
  auto pay = Call("POST", "/api/v1/orders/" + oid + "/pay", nullptr, buyer);
  ASSERT_EQ(Call("POST", "/api/v1/orders/" + oid + "/cancel", nullptr, buyer).status, 200);
  // The buyer still completes the stale prepay at the provider.
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) { return app_->sandbox().Complete(tx, pay.body["prepay_id"], true); }));
  Json refunded = WaitStatus(buyer, oid, "refunded");
  EXPECT_EQ(refunded["refunded_fen"], 2800);  // 2000 + 800 shipping
  ExpectInvariants();
}

TEST_F(Trade, IdempotencyKeyReturnsTheFirstResult) {
  Shop shop = OpenShop("c2c");
  auto [product, sku] = CreateProduct(shop, 1000, 10);
  std::string buyer = Register();
  Json body{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()}};
  std::vector<std::thread> ts;
  std::vector<std::string> ids(10);
  for (int i = 0; i < 10; ++i)
    ts.emplace_back([&, i] {
      auto r = NewClient()->Json("POST", "/api/v1/checkout", body, buyer, {{"Idempotency-Key", "k-1"}});
      if (r.status == 201) ids[i] = r.body["orders"][0]["id"];
    });
  for (auto& t : ts) t.join();
  for (auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(Call("GET", "/api/v1/orders", nullptr, buyer).body["items"].size(), 1u);
  auto p1 = Call("POST", "/api/v1/orders/" + ids[0] + "/pay", nullptr, buyer, {{"Idempotency-Key", "p-1"}});
  auto p2 = Call("POST", "/api/v1/orders/" + ids[0] + "/pay", nullptr, buyer, {{"Idempotency-Key", "p-1"}});
  EXPECT_EQ(p1.body, p2.body);
  EXPECT_EQ(Call("GET", "/api/v1/products/" + product).body["skus"][0]["stock"], 9);
}

TEST_F(Trade, CheckoutCanStartPaymentInTheSameRequest) {
  Shop a = OpenShop("c2c", "甲店"), b = OpenShop("b2c", "乙店");
  auto [pa, sa] = CreateProduct(a, 5000, 10);
  auto [pb, sb] = CreateProduct(b, 3000, 10);
  std::string buyer = Register("13655557777");
  Json lines = {{{"sku_id", sa}, {"quantity", 1}}, {{"sku_id", sb}, {"quantity", 1}}};
  // One request: both shops' orders, each with its own pending sandbox payment.
  Json body{{"items", lines}, {"address", Address()}, {"pay", Json::object()}};
  auto r = Call("POST", "/api/v1/checkout", body, buyer, {{"Idempotency-Key", "cp-1"}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  ASSERT_EQ(r.body["orders"].size(), 2u);
  for (auto& o : r.body["orders"]) {
    EXPECT_EQ(o["status"], "created");
    EXPECT_EQ(o["payment"]["status"], "pending");
    EXPECT_EQ(o["payment"]["amount_fen"], o["total_fen"]);
    EXPECT_EQ(o["payment"]["order_id"], o["id"]);
    EXPECT_EQ(o["payment_id"], o["payment"]["payment_id"]);
    EXPECT_TRUE(o["payment"]["prepay_id"].get<std::string>().starts_with("wx"));
    // Paying again later returns the same pending payment, not a second one.
    auto again = Call("POST", "/api/v1/orders/" + o["id"].get<std::string>() + "/pay", nullptr, buyer);
    EXPECT_EQ(again.body["payment_id"], o["payment"]["payment_id"]);
  }
  // A retry with the same key answers the same orders and payments.
  EXPECT_EQ(Call("POST", "/api/v1/checkout", body, buyer, {{"Idempotency-Key", "cp-1"}}).body, r.body);
  for (auto& o : r.body["orders"]) {
    Call("POST", "/api/v1/pay/sandbox/" + o["payment"]["payment_id"].get<std::string>() + "/complete", nullptr, buyer);
    EXPECT_EQ(WaitStatus(buyer, o["id"], "paid")["status"], "paid");
  }
  // Store credit at checkout needs one shop; refused whole, nothing written.
  ASSERT_EQ(Call("POST", "/api/v1/admin/cards", Json{{"phone", "13655557777"}, {"amount_fen", 9000}, {"reason", "补偿"}}, AdminToken()).status, 201);
  auto two = Call("POST", "/api/v1/checkout", Json{{"items", lines}, {"address", Address()}, {"pay", {{"card_fen", 100}}}}, buyer);
  EXPECT_EQ(two.status, 400);
  EXPECT_EQ(two.body["error"]["code"], "INVALID_FIELD");
  EXPECT_EQ(Call("GET", "/api/v1/orders", nullptr, buyer).body["items"].size(), 2u);
  EXPECT_EQ(Call("GET", "/api/v1/products/" + pa).body["skus"][0]["stock"], 9);
  EXPECT_EQ(Call("GET", "/api/v1/me/cards", nullptr, buyer).body["balance_fen"], 9000);
  // Credit covering the whole order (5000 + 800 shipping) pays it at once.
  auto card = Call("POST", "/api/v1/checkout",
                   Json{{"items", {{{"sku_id", sa}, {"quantity", 1}}}}, {"address", Address()}, {"pay", {{"card_fen", 5800}}}}, buyer);
  ASSERT_EQ(card.status, 201) << card.body.dump();
  EXPECT_EQ(card.body["orders"][0]["status"], "paid");
  EXPECT_EQ(card.body["orders"][0]["payment"]["status"], "succeeded");
  EXPECT_EQ(card.body["orders"][0]["card_paid_fen"], 5800) << card.body.dump();
  EXPECT_EQ(Call("GET", "/api/v1/me/cards", nullptr, buyer).body["balance_fen"], 3200);
  // Malformed "pay" is refused with the field named.
  auto bad = Call("POST", "/api/v1/checkout", Json{{"items", lines}, {"address", Address()}, {"pay", {{"card_fen", -1}}}}, buyer);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["params"]["field"], "pay.card_fen") << bad.body.dump();
  EXPECT_EQ(bad.body["error"]["message"], "购物卡支付金额不能小于 0") << bad.body.dump();
  ExpectInvariants();
}

TEST_F(Trade, ProductPageCacheNeverShowsWhatACommitChanged) {
  Shop shop = OpenShop("c2c", "缓存店");
  auto [product, sku] = CreateProduct(shop, 1000, 200);
  auto page = [&, product = product] { return Call("GET", "/api/v1/products/" + product); };
  EXPECT_EQ(page().body["skus"][0]["stock"], 200);
  EXPECT_EQ(page().body["skus"][0]["stock"], 200);  // served from the cache
  std::string buyer = Register();
  Buy(buyer, sku);
  EXPECT_EQ(page().body["skus"][0]["stock"], 199);
  ASSERT_EQ(Call("PATCH", "/api/v1/merchant/skus/" + sku, Json{{"price_fen", 1200}}, shop.owner_token, {{"X-Merchant-Id", shop.id}}).status, 200);
  EXPECT_EQ(page().body["skus"][0]["price_fen"], 1200);
  ASSERT_EQ(Call("PATCH", "/api/v1/merchant/products/" + product, Json{{"title", "新标题"}}, shop.owner_token, {{"X-Merchant-Id", shop.id}}).status, 200);
  EXPECT_EQ(page().body["title"], "新标题");
  // The shop suspended: its page is gone at once; active again: back.
  ASSERT_EQ(Call("PATCH", "/api/v1/admin/merchants/" + shop.id, Json{{"status", "suspended"}}, AdminToken()).status, 200);
  EXPECT_EQ(page().status, 404);
  ASSERT_EQ(Call("PATCH", "/api/v1/admin/merchants/" + shop.id, Json{{"status", "active"}}, AdminToken()).status, 200);
  EXPECT_EQ(page().status, 200);
  // An order on a product nobody has viewed leaves the cached page in place (its SKU is on
  // no cached page); the next read is a hit.
  auto hits = [&] {
    std::string m = NewClient()->Send("GET", "/metrics").body;
    const std::string needle = "\nxd_product_cache_hits_total ";
    size_t at = m.find(needle);
    return at == std::string::npos ? int64_t{-1} : std::stoll(m.substr(at + needle.size()));
  };
  auto [other_product, other_sku] = CreateProduct(shop, 500, 10, "没人看的商品");
  page();
  int64_t before = hits();
  Buy(buyer, other_sku);
  page();
  EXPECT_EQ(hits(), before + 1);

  // Readers hammer the page while 100 orders take stock: no reader ever sees the stock go
  // back up (a stale page cached after a newer commit would), and the last page is exact.
  constexpr int kBuyers = 4, kOrdersEach = 25, kReaders = 6;
  std::vector<std::string> buyers;
  for (int i = 0; i < kBuyers; ++i) buyers.push_back(Register());
  std::atomic<bool> done{false};
  std::atomic<int> went_up{0}, reads{0}, bad{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i)
    threads.emplace_back([&, product = product] {
      auto client = NewClient();
      int64_t last = 1 << 30;
      while (!done) {
        auto r = client->Json("GET", "/api/v1/products/" + product);
        if (r.status != 200) {
          ++bad;
          continue;
        }
        int64_t stock = r.body["skus"][0]["stock"];
        if (stock > last) ++went_up;
        last = stock;
        ++reads;
      }
    });
  std::vector<std::thread> writers;
  for (int b = 0; b < kBuyers; ++b)
    writers.emplace_back([&, b, sku = sku] {
      auto client = NewClient();
      for (int k = 0; k < kOrdersEach; ++k) {
        auto r = client->Json("POST", "/api/v1/checkout", Json{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()}}, buyers[b]);
        if (r.status != 201) ++bad;
      }
    });
  for (auto& t : writers) t.join();
  done = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(went_up.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(page().body["skus"][0]["stock"], 199 - kBuyers * kOrdersEach);
  auto mine = Call("GET", "/api/v1/merchant/products/" + product, nullptr, shop.owner_token, {{"X-Merchant-Id", shop.id}});
  EXPECT_EQ(mine.body["skus"][0]["stock"], 199 - kBuyers * kOrdersEach);
  // Taken down by the platform: gone from the public page.
  ASSERT_EQ(Call("POST", "/api/v1/admin/products/" + product + "/takedown", nullptr, AdminToken()).status, 200);
  EXPECT_EQ(page().status, 404);
  auto metrics = NewClient()->Send("GET", "/metrics");
  EXPECT_NE(metrics.body.find("xd_product_cache_hits_total"), std::string::npos);
}

TEST_F(Trade, CartCheckoutSplitsByMerchantAtomically) {
  Shop a = OpenShop("c2c", "甲店"), b = OpenShop("b2c", "乙店");
  auto [pa, sa] = CreateProduct(a, 5000, 10);
  auto [pb, sb] = CreateProduct(b, 3000, 1);
  std::string buyer = Register();
  auto c1 = Call("POST", "/api/v1/cart/items", Json{{"sku_id", sa}, {"quantity", 2}}, buyer);
  ASSERT_EQ(c1.status, 201);
  auto c2 = Call("POST", "/api/v1/cart/items", Json{{"sku_id", sb}, {"quantity", 2}}, buyer);  // more than in stock
  Json cart = Call("GET", "/api/v1/cart", nullptr, buyer).body;
  ASSERT_EQ(cart["items"].size(), 2u);
  Json ids = Json::array();
  for (auto& it : cart["items"]) ids.push_back(it["id"]);
  auto fail = Call("POST", "/api/v1/checkout", Json{{"cart_item_ids", ids}, {"address", Address()}}, buyer);
  EXPECT_EQ(fail.status, 409);  // all or none: A's stock is untouched
  EXPECT_EQ(Call("GET", "/api/v1/products/" + pa).body["skus"][0]["stock"], 10);
  ASSERT_EQ(Call("PATCH", "/api/v1/cart/items/" + cart["items"][0]["id"].get<std::string>(), Json{{"quantity", 1}}, buyer).status, 200);
  auto preview = Call("POST", "/api/v1/checkout/preview", Json{{"cart_item_ids", ids}, {"address", Address()}}, buyer);
  ASSERT_EQ(preview.status, 200) << preview.body.dump();
  EXPECT_EQ(preview.body["orders"].size(), 2u);
  auto ok = Call("POST", "/api/v1/checkout", Json{{"cart_item_ids", ids}, {"address", Address()}}, buyer);
  ASSERT_EQ(ok.status, 201) << ok.body.dump();
  EXPECT_EQ(ok.body["orders"].size(), 2u);  // one order per merchant
  // 10000 ships free; 3000 pays 800 shipping.
  int64_t sum = 0;
  for (auto& o : ok.body["orders"]) sum += o["total_fen"].get<int64_t>();
  EXPECT_EQ(sum, 10000 + 3000 + 800);
  EXPECT_EQ(Call("GET", "/api/v1/cart", nullptr, buyer).body["items"].size(), 0u);
  // The checkout's answer is the orders as stored: every field it shows reads back the same.
  for (auto& o : ok.body["orders"]) {
    Json stored = Call("GET", "/api/v1/orders/" + o["id"].get<std::string>(), nullptr, buyer).body;
    for (auto& [key, value] : o.items()) EXPECT_EQ(value, stored[key]) << key;
  }
}

TEST_F(Trade, StoreCreditPaysPartlyAndIsNeverSpentTwice) {
  Shop shop = OpenShop("c2c");
  auto [product, sku] = CreateProduct(shop, 10000, 10);
  std::string buyer = Register("13655556666");
  ASSERT_EQ(Call("POST", "/api/v1/admin/cards", Json{{"phone", "13655556666"}, {"amount_fen", 3000}, {"reason", "游戏奖励"}}, AdminToken()).status, 201);
  Json o1 = Buy(buyer, sku), o2 = Buy(buyer, sku);
  auto p1 = Call("POST", "/api/v1/orders/" + o1["id"].get<std::string>() + "/pay", Json{{"card_fen", 3000}}, buyer);
  ASSERT_EQ(p1.status, 200);
  EXPECT_EQ(p1.body["amount_fen"], 7000);
  auto p2 = Call("POST", "/api/v1/orders/" + o2["id"].get<std::string>() + "/pay", Json{{"card_fen", 3000}}, buyer);
  EXPECT_EQ(p2.status, 422);  // the credit is held by the first payment
  EXPECT_EQ(Call("GET", "/api/v1/me/cards", nullptr, buyer).body["balance_fen"], 0);
  Call("POST", "/api/v1/pay/sandbox/" + p1.body["payment_id"].get<std::string>() + "/complete", nullptr, buyer);
  Json paid = WaitStatus(buyer, o1["id"], "paid");
  EXPECT_EQ(paid["card_paid_fen"], 3000);
  // A partial refund returns provider money first.
  auto as = Call("POST", "/api/v1/orders/" + o1["id"].get<std::string>() + "/aftersales", Json{{"type", "refund_only"}, {"amount_fen", 8000}}, buyer);
  Call("POST", "/api/v1/merchant/aftersales/" + as.body["id"].get<std::string>() + "/approve", nullptr, shop.owner_token);
  Json after = WaitStatus(buyer, o1["id"], "paid");
  EXPECT_EQ(after["refunded_fen"], 8000);
  EXPECT_EQ(Call("GET", "/api/v1/me/cards", nullptr, buyer).body["balance_fen"], 1000);
  ExpectInvariants();
}

TEST_F(Trade, ReturnAndRefundRestocksAndSilenceApproves) {
  Shop shop = OpenShop("ka", "品牌店");
  auto [product, sku] = CreateProduct(shop, 20000, 5);
  std::string buyer = Register();
  Json o = Buy(buyer, sku, 2);
  std::string oid = o["id"];
  PayAndWait(buyer, oid);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/orders/" + oid + "/ship", Json{{"carrier", "顺丰"}, {"tracking_no", "SF9"}}, shop.owner_token).status, 200);
  auto as = Call("POST", "/api/v1/orders/" + oid + "/aftersales", Json{{"type", "return_refund"}, {"amount_fen", 40000}, {"reason", "尺码不合适"}}, buyer);
  ASSERT_EQ(as.status, 201) << as.body.dump();
  std::string asid = as.body["id"];
  // The merchant stays silent: after the timeout the request is approved.
  clock_.AdvanceMs(3LL * 86400000 + 1000);
  RunTimers();
  EXPECT_EQ(Call("GET", "/api/v1/aftersales/" + asid, nullptr, buyer).body["status"], "awaiting_return");
  ASSERT_EQ(Call("POST", "/api/v1/aftersales/" + asid + "/return", Json{{"carrier", "中通"}, {"tracking_no", "ZT1"}}, buyer).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/products/" + product).body["skus"][0]["stock"], 3);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/aftersales/" + asid + "/receive", nullptr, shop.owner_token).status, 200);
  WaitStatus(buyer, oid, "refunded");
  EXPECT_EQ(Call("GET", "/api/v1/products/" + product).body["skus"][0]["stock"], 5);
  ExpectInvariants();
}

// Two partial returns of one order: each restocks exactly the units it names (the first used
// to restock the whole order, and the second then failed with 500, leaving the order stuck
// in refunding). Returning more than is left is refused; the old shape (no items) returns
// what is left.
TEST_F(Trade, PartialReturnsRestockExactlyWhatCameBack) {
  Shop shop = OpenShop("b2c");
  auto [product, sku] = CreateProduct(shop, 10000, 5);
  std::string buyer = Register();
  Json o = Buy(buyer, sku, 2);
  std::string oid = o["id"];
  PayAndWait(buyer, oid);
  ASSERT_EQ(Call("POST", "/api/v1/merchant/orders/" + oid + "/ship", Json{{"carrier", "顺丰"}, {"tracking_no", "SF7"}}, shop.owner_token).status, 200);
  auto stock = [&] { return Call("GET", "/api/v1/products/" + product).body["skus"][0]["stock"].get<int64_t>(); };
  auto return_flow = [&](const Json& request) {
    auto as = Call("POST", "/api/v1/orders/" + oid + "/aftersales", request, buyer);
    EXPECT_EQ(as.status, 201) << as.body.dump();
    std::string asid = as.body["id"];
    EXPECT_EQ(Call("POST", "/api/v1/merchant/aftersales/" + asid + "/approve", nullptr, shop.owner_token).status, 200);
    EXPECT_EQ(Call("POST", "/api/v1/aftersales/" + asid + "/return", Json{{"carrier", "中通"}, {"tracking_no", "ZT2"}}, buyer).status, 200);
    auto received = Call("POST", "/api/v1/merchant/aftersales/" + asid + "/receive", nullptr, shop.owner_token);
    EXPECT_EQ(received.status, 200) << received.body.dump();
    return received.body;
  };
  EXPECT_EQ(stock(), 3);
  auto too_many = Call("POST", "/api/v1/orders/" + oid + "/aftersales",
                       Json{{"type", "return_refund"}, {"amount_fen", 10000}, {"items", {{{"sku_id", sku}, {"quantity", 3}}}}}, buyer);
  EXPECT_EQ(too_many.status, 422) << too_many.body.dump();
  Json first = return_flow(Json{{"type", "return_refund"}, {"amount_fen", 10000}, {"items", {{{"sku_id", sku}, {"quantity", 1}}}}});
  ASSERT_EQ(first["items"].size(), 1u);
  EXPECT_EQ(first["items"][0]["quantity"], 1);
  EXPECT_EQ(stock(), 4);  // one unit back, not two
  Json after_first = WaitStatus(buyer, oid, "shipped");
  EXPECT_EQ(after_first["refunded_fen"], 10000);
  ExpectInvariants();
  // The old request shape: no items = what is left (one unit).
  Json second = return_flow(Json{{"type", "return_refund"}, {"amount_fen", 10000}});
  EXPECT_EQ(second["items"][0]["quantity"], 1);
  EXPECT_EQ(stock(), 5);
  WaitStatus(buyer, oid, "refunded");
  ExpectInvariants();
}

// A timer no handler knows dies at its first poll instead of failing silently forever: it
// shows in /metrics, the admin list and the invariant check, and the admin can retry it.
TEST_F(Trade, DeadTimersAreVisibleAndRetryable) {
  ASSERT_TRUE(app_->store().Execute([&](Tx& tx) { return ToStatus(tx.AddTimer("test.unknown_kind", tx.NowMs(), Json{{"x", 1}})); }));
  RunTimers();
  auto dead = Call("GET", "/api/v1/admin/timers/dead", nullptr, AdminToken());
  ASSERT_EQ(dead.status, 200) << dead.body.dump();
  ASSERT_EQ(dead.body["items"].size(), 1u);
  EXPECT_EQ(dead.body["items"][0]["kind"], "test.unknown_kind");
  EXPECT_EQ(dead.body["items"][0]["last_error"], "unknown timer kind");
  std::string id = dead.body["items"][0]["id"];
  EXPECT_EQ(Call("GET", "/api/v1/admin/timers/dead", nullptr, Register()).status, 403);
  EXPECT_NE(NewClient()->Send("GET", "/metrics").body.find("xd_timers_dead 1\n"), std::string::npos);
  auto report = http::RunInvariantChecks(app_->context());
  ASSERT_TRUE(report);
  EXPECT_FALSE((*report)["ok"].get<bool>());
  EXPECT_FALSE((*report)["timers_ok"].get<bool>());
  // Retried: due again (and, still unknown, dead again after the next poll).
  EXPECT_EQ(Call("POST", "/api/v1/admin/timers/" + id + "/retry", nullptr, AdminToken()).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/admin/timers/dead", nullptr, AdminToken()).body["items"].size(), 0u);
  EXPECT_EQ(Call("POST", "/api/v1/admin/timers/" + id + "/retry", nullptr, AdminToken()).status, 404);
  RunTimers();
  EXPECT_EQ(Call("GET", "/api/v1/admin/timers/dead", nullptr, AdminToken()).body["items"].size(), 1u);
}

TEST_F(Trade, AutoConfirmAfterTenDays) {
  Shop shop = OpenShop("b2c");
  auto [product, sku] = CreateProduct(shop, 1000, 5);
  std::string buyer = Register();
  Json o = Buy(buyer, sku);
  PayAndWait(buyer, o["id"]);
  Call("POST", "/api/v1/merchant/orders/" + o["id"].get<std::string>() + "/ship", Json{{"carrier", "EMS"}, {"tracking_no", "E1"}}, shop.owner_token);
  clock_.AdvanceMs(10LL * 86400000 + 1000);
  RunTimers();
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + o["id"].get<std::string>(), nullptr, buyer).body["status"], "completed");
  ExpectInvariants();
}

TEST_F(Trade, SearchFindsChineseTitles) {
  Shop shop = OpenShop("c2c");
  CreateProduct(shop, 6800, 5, "云南保山小粒咖啡豆");
  CreateProduct(shop, 3900, 5, "安吉白茶礼盒");
  CreateProduct(shop, 9900, 5, "埃塞俄比亚咖啡豆");
  auto q3 = Call("GET", "/api/v1/products?q=%E5%92%96%E5%95%A1%E8%B1%86");  // 咖啡豆 (trigram index)
  EXPECT_EQ(q3.body["items"].size(), 2u);
  auto q2 = Call("GET", "/api/v1/products?q=%E7%99%BD%E8%8C%B6");  // 白茶 (two characters: scan)
  EXPECT_EQ(q2.body["items"].size(), 1u);
  auto cheap = Call("GET", "/api/v1/products?q=%E5%92%96%E5%95%A1%E8%B1%86&sort=price_asc&max_price_fen=7000");
  ASSERT_EQ(cheap.body["items"].size(), 1u);
  EXPECT_EQ(cheap.body["items"][0]["min_price_fen"], 6800);
  auto page1 = Call("GET", "/api/v1/products?limit=2&sort=price_asc");
  ASSERT_EQ(page1.body["items"].size(), 2u);
  auto page2 = Call("GET", "/api/v1/products?limit=2&sort=price_asc&cursor=" + page1.body["next_cursor"].get<std::string>());
  EXPECT_EQ(page2.body["items"].size(), 1u);
  EXPECT_TRUE(page2.body["next_cursor"].is_null());
}

// Issue 12, defect 15: an order list read each order's shipment, its tracking events and its
// latest after-sales request (with that request's items) one order at a time — about four
// queries per order, a hundred per page. The page now loads them for all its orders at once:
// the queries a list page costs do not grow with its length, and every item is what the
// single-order route answers for that order.
class TradeOrderList : public Trade {
 protected:
  void Configure(AppOptions& o) override {
    // No consumer polls the store while queries are counted: neither the webhook sender nor the
    // data platform's (the co-purchase consumer reads the outbox every 500 ms).
    o.webhooks_background = false;
    o.analytics_background = false;
  }
};

TEST_F(TradeOrderList, AListPageCostsTheSameQueriesWhateverItsLength) {
  Shop shop = OpenShop("b2c");
  auto [product, sku] = CreateProduct(shop, 1000, 100);
  std::string buyer = Register();
  constexpr int kOrders = 20;
  for (int i = 0; i < kOrders; ++i) {
    std::string oid = Buy(buyer, sku)["id"];
    PayAndWait(buyer, oid);
    const std::string order = "/api/v1/merchant/orders/" + oid;
    switch (i % 4) {
      case 0:  // paid, nothing more
        break;
      case 1:  // shipped, with tracking
        ASSERT_EQ(Call("POST", order + "/ship",
                       Json{{"carrier", "顺丰"}, {"tracking_no", "SF" + std::to_string(i)}},
                       shop.owner_token)
                      .status,
                  200);
        ASSERT_EQ(Call("POST", order + "/tracking",
                       Json{{"description", "到达杭州"}, {"delivered", false}}, shop.owner_token)
                      .status,
                  200);
        ASSERT_EQ(Call("POST", order + "/tracking",
                       Json{{"description", "派送中"}, {"delivered", false}}, shop.owner_token)
                      .status,
                  200);
        break;
      case 2: {  // shipped, a return requested with its items
        ASSERT_EQ(Call("POST", order + "/ship",
                       Json{{"carrier", "中通"}, {"tracking_no", "ZT" + std::to_string(i)}},
                       shop.owner_token)
                      .status,
                  200);
        auto as = Call("POST", "/api/v1/orders/" + oid + "/aftersales",
                       Json{{"type", "return_refund"},
                            {"amount_fen", 500},
                            {"items", {{{"sku_id", sku}, {"quantity", 1}}}}},
                       buyer);
        ASSERT_EQ(as.status, 201) << as.body.dump();
        break;
      }
      case 3: {  // a refund request rejected, then a second one: the list shows the second
        auto first =
            Call("POST", "/api/v1/orders/" + oid + "/aftersales",
                 Json{{"type", "refund_only"}, {"amount_fen", 300}, {"reason", "第一次"}}, buyer);
        ASSERT_EQ(first.status, 201) << first.body.dump();
        auto rejected =
            Call("POST",
                 "/api/v1/merchant/aftersales/" + first.body["id"].get<std::string>() + "/reject",
                 Json{{"reason", "不符合"}}, shop.owner_token);
        ASSERT_EQ(rejected.status, 200) << rejected.body.dump();
        auto second =
            Call("POST", "/api/v1/orders/" + oid + "/aftersales",
                 Json{{"type", "refund_only"}, {"amount_fen", 200}, {"reason", "第二次"}}, buyer);
        ASSERT_EQ(second.status, 201) << second.body.dump();
        break;
      }
    }
  }
  // Nothing else reads the store while queries are counted: the provider's notifications have
  // all been answered (timers run only when the test says, the webhook consumer is off).
  for (int i = 0; i < 1000 && app_->sandbox().Outstanding() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(app_->sandbox().Outstanding(), 0);

  // Queries one list request costs (the fewest of three tries: anything else reading the store
  // meanwhile can only add).
  auto queries = [&](const std::string& path, const std::string& token, size_t expect_items) {
    int64_t fewest = INT64_MAX;
    for (int attempt = 0; attempt < 3; ++attempt) {
      int64_t before = app_->store().stats().queries;
      auto list = Call("GET", path, nullptr, token);
      int64_t used = app_->store().stats().queries - before;
      EXPECT_EQ(list.status, 200) << list.body.dump();
      EXPECT_EQ(list.body["items"].size(), expect_items);
      fewest = std::min(fewest, used);
    }
    return fewest;
  };
  int64_t merchant_2 = queries("/api/v1/merchant/orders?limit=2", shop.owner_token, 2);
  int64_t merchant_20 = queries("/api/v1/merchant/orders?limit=20", shop.owner_token, 20);
  EXPECT_EQ(merchant_20, merchant_2)
      << "a merchant page of 20 orders costs more queries than a page of 2";
  int64_t buyer_2 = queries("/api/v1/orders?limit=2", buyer, 2);
  int64_t buyer_20 = queries("/api/v1/orders?limit=20", buyer, 20);
  EXPECT_EQ(buyer_20, buyer_2) << "a buyer page of 20 orders costs more queries than a page of 2";
  // The page, its lines, shipments, tracking, requests, their items, and the caller (8 today).
  EXPECT_LE(merchant_2, 12);

  // Every item is what the single-order routes answer for it (each reads its own order).
  Json merchant_list =
      Call("GET", "/api/v1/merchant/orders?limit=20", nullptr, shop.owner_token).body["items"];
  Json buyer_list = Call("GET", "/api/v1/orders?limit=20", nullptr, buyer).body["items"];
  ASSERT_EQ(merchant_list.size(), static_cast<size_t>(kOrders));
  ASSERT_EQ(buyer_list, merchant_list);
  int shipped = 0, with_aftersale = 0, with_items = 0;
  for (auto& item : merchant_list) {
    std::string oid = item["id"];
    EXPECT_EQ(item, Call("GET", "/api/v1/merchant/orders/" + oid, nullptr, shop.owner_token).body)
        << oid;
    if (!item["shipment"].is_null()) ++shipped;
    if (!item["aftersale"].is_null()) {
      ++with_aftersale;
      if (!item["aftersale"]["items"].empty()) ++with_items;
      if (item["aftersale"]["type"] == "refund_only") {
        EXPECT_EQ(item["aftersale"]["reason"], "第二次");
      }
    }
  }
  EXPECT_EQ(shipped, kOrders / 2);
  EXPECT_EQ(with_aftersale, kOrders / 2);
  EXPECT_EQ(with_items, kOrders / 4);
}

}  // namespace
}  // namespace xd::testing
