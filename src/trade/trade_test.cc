// Trade's domain logic without the HTTP server: a temp store, the real domain functions, a
// fake clock. Covers after-sales returns (partial, successive, the invariant that catches an
// over-restock) and the order page's bounded reads.
#include "trade/trade.h"

#include <unistd.h>

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "account/account.h"
#include "base/id.h"
#include "base/limits.h"
#include "catalog/catalog.h"
#include "trade/states.h"

namespace xd::trade {
namespace {

class TradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("xd_trade_test_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = Store::Open({.path = (dir_ / "db").string(), .readers = 2, .sync_full = false}, clock_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    sandbox_ = std::make_unique<pay::SandboxProvider>("trade-test-secret", clock_);
    trade_ = std::make_unique<TradeService>(*sandbox_, TradeConfig{});
    buyer_ = Write<int64_t>([](Tx& tx) -> Result<int64_t> {
      ASSIGN_OR_RETURN(account::User u, account::CreateUser(tx, "13700000001", "unused-hash", "买家", false));
      return u.id;
    });
    merchant_ = Write<int64_t>([](Tx& tx) -> Result<int64_t> {
      ASSIGN_OR_RETURN(account::User owner, account::CreateUser(tx, "13900000001", "unused-hash", "店主", false));
      ASSIGN_OR_RETURN(account::Merchant m, account::OpenMerchant(tx, account::Principal{owner.id, false}, "c2c", "测试店", std::nullopt));
      return m.id;
    });
  }
  void TearDown() override {
    trade_.reset();
    sandbox_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  template <class T, class F>
  T Write(F&& f) {
    auto r = store_->ExecuteFor<T>(std::forward<F>(f));
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : T{};
  }
  Status Do(std::function<Status(Tx&)> f) { return store_->Execute(std::move(f)); }

  // A product with one on-sale SKU; returns the SKU id.
  int64_t Sku(int64_t price_fen, int64_t stock) {
    catalog::ProductInput in;
    in.title = "测试商品";
    in.category = "食品";
    in.status = "on_sale";
    in.skus.push_back(catalog::SkuInput{Json::object(), price_fen, stock, ""});
    auto p = Write<catalog::Product>([&](Tx& tx) { return catalog::CreateProduct(tx, merchant_, in); });
    return p.skus.empty() ? 0 : p.skus[0].id;
  }
  int64_t Stock(int64_t sku) {
    return *store_->Read([&](Reader& r) { return r.QueryInt("SELECT stock FROM skus WHERE id=?", {sku}); });
  }
  Order Get(int64_t order_id) {
    auto o = store_->Read([&](Reader& r) { return trade_->GetOrder(r, order_id, std::nullopt, std::nullopt); });
    EXPECT_TRUE(o) << o.error().message;
    return o ? *o : Order{};
  }
  std::vector<std::string> Problems() {
    auto p = store_->Read([&](Reader& r) { return trade_->Check(r); });
    EXPECT_TRUE(p) << p.error().message;
    return p ? *p : std::vector<std::string>{};
  }

  // Checks out `lines` and pays in full with store credit (so refunds complete in the same
  // transaction, with no provider notification to wait for); returns the paid order.
  Order BuyAndPay(std::vector<LineRequest> lines) {
    CheckoutRequest req;
    req.items = std::move(lines);
    req.address = account::Address{0, "张三", "13800000000", "上海市 浦东新区", "世纪大道 100 号"};
    auto orders = Write<std::vector<Order>>([&](Tx& tx) { return trade_->Checkout(tx, buyer_, req); });
    EXPECT_EQ(orders.size(), 1u);
    if (orders.empty()) return {};
    int64_t id = orders[0].id, total = orders[0].total_fen;
    EXPECT_TRUE(Do([&](Tx& tx) -> Status {
      RETURN_IF_ERROR(pay::IssueCard(tx, buyer_, total, "test", buyer_));
      return ToStatus(trade_->Pay(tx, buyer_, id, total));
    }));
    Order o = Get(id);
    EXPECT_EQ(o.status, OrderStatus::kPaid);
    return o;
  }
  Order BuyPayShip(std::vector<LineRequest> lines) {
    Order o = BuyAndPay(std::move(lines));
    EXPECT_TRUE(Do([&](Tx& tx) { return trade_->MarkShipped(tx, merchant_, o.id); }));
    return Get(o.id);
  }

  // Requests a return, has it approved, sent and received; returns the request as received.
  Result<Aftersale> ReturnFlow(int64_t order_id, AftersaleRequest req) {
    ASSIGN_OR_RETURN(Aftersale a, store_->ExecuteFor<Aftersale>([&](Tx& tx) { return trade_->RequestAftersale(tx, buyer_, order_id, req); }));
    RETURN_IF_ERROR(Do([&](Tx& tx) -> Status {
      RETURN_IF_ERROR(trade_->ApproveAftersale(tx, a.id, merchant_));
      return ToStatus(trade_->ReturnGoods(tx, a.id, buyer_, "中通", "ZT1"));
    }));
    return store_->ExecuteFor<Aftersale>([&](Tx& tx) { return trade_->ReceiveReturn(tx, a.id, merchant_); });
  }

  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<pay::SandboxProvider> sandbox_;
  std::unique_ptr<TradeService> trade_;
  int64_t buyer_ = 0, merchant_ = 0;
};

TEST_F(TradeTest, SuccessivePartialReturnsRestockWhatCameBack) {
  int64_t a = Sku(5000, 10), b = Sku(3000, 10);
  Order o = BuyPayShip({{a, 2}, {b, 3}});
  ASSERT_EQ(o.status, OrderStatus::kShipped);
  EXPECT_EQ(Stock(a), 8);
  EXPECT_EQ(Stock(b), 7);

  auto first = ReturnFlow(o.id, {.type = "return_refund", .amount_fen = 5000, .reason = "", .items = {{a, 1}}});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(Stock(a), 9);  // one unit of a came back; b untouched
  EXPECT_EQ(Stock(b), 7);
  EXPECT_EQ(Get(o.id).status, OrderStatus::kShipped);
  EXPECT_EQ(Problems(), std::vector<std::string>{});

  // More than is left is refused; a SKU the order does not hold too.
  auto too_many = store_->ExecuteFor<Aftersale>([&](Tx& tx) {
    return trade_->RequestAftersale(tx, buyer_, o.id, {.type = "return_refund", .amount_fen = 100, .reason = "", .items = {{a, 2}}});
  });
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().code, ErrorCode::RULE_VIOLATION);
  auto foreign = store_->ExecuteFor<Aftersale>([&](Tx& tx) {
    return trade_->RequestAftersale(tx, buyer_, o.id, {.type = "return_refund", .amount_fen = 100, .reason = "", .items = {{a + 999, 1}}});
  });
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::INVALID_FIELD);
  EXPECT_EQ(Get(o.id).status, OrderStatus::kShipped);  // refused requests leave the order as it was

  auto second = ReturnFlow(o.id, {.type = "return_refund", .amount_fen = 3000, .reason = "", .items = {{b, 1}}});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(Stock(b), 8);
  // No items: what is left (1 of a, 2 of b).
  auto rest = ReturnFlow(o.id, {.type = "return_refund", .amount_fen = o.total_fen - 8000, .reason = "", .items = {}});
  ASSERT_TRUE(rest) << rest.error().message;
  ASSERT_EQ(rest->items.size(), 2u);
  EXPECT_EQ(Stock(a), 10);
  EXPECT_EQ(Stock(b), 10);
  Order after = Get(o.id);
  EXPECT_EQ(after.status, OrderStatus::kRefunded);
  EXPECT_EQ(after.refunded_fen, o.total_fen);
  EXPECT_EQ(Problems(), std::vector<std::string>{});
}

TEST_F(TradeTest, CheckCatchesARestockBeyondWhatWasReturned) {
  int64_t a = Sku(5000, 10);
  Order o = BuyPayShip({{a, 2}});
  ASSERT_TRUE(ReturnFlow(o.id, {.type = "return_refund", .amount_fen = 5000, .reason = "", .items = {{a, 1}}}));
  ASSERT_EQ(Problems(), std::vector<std::string>{});
  // What the old ReceiveReturn did: the whole order back to stock for a one-unit return.
  ASSERT_TRUE(Do([&](Tx& tx) { return catalog::Restock(tx, a, 1); }));
  auto problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("restocked 2 units but returns brought back 1"), std::string::npos) << problems[0];
}

TEST_F(TradeTest, CheckCatchesAnOrderLineReturnedBeyondItsQuantity) {
  int64_t a = Sku(5000, 10);
  Order o = BuyPayShip({{a, 1}});
  auto as = ReturnFlow(o.id, {.type = "return_refund", .amount_fen = 1000, .reason = "", .items = {}});
  ASSERT_TRUE(as);
  ASSERT_TRUE(Do([&](Tx& tx) { return tx.Run("UPDATE aftersale_items SET quantity=2 WHERE aftersale_id=?", {as->id}); }));
  bool found = false;
  for (auto& p : Problems()) found = found || p.find("2 units returned of 1 bought") != std::string::npos;
  EXPECT_TRUE(found);
}


// Counts the queries a read makes.
class CountingReader final : public Reader {
 public:
  explicit CountingReader(Reader& inner) : inner_(inner) {}
  Result<Rows> Query(std::string_view sql, Params params = {}) override {
    ++queries;
    return inner_.Query(sql, params);
  }
  const Clock& clock() const override { return inner_.clock(); }
  const Dialect& dialect() const override { return inner_.dialect(); }
  int queries = 0;

 private:
  Reader& inner_;
};

// Defect 15: a page of orders took 1 + 2 queries per order (each order and its lines read
// again one by one).
TEST_F(TradeTest, AnOrderPageTakesTwoQueriesWhateverItsSize) {
  int64_t a = Sku(1000, 500), b = Sku(2000, 500);
  std::vector<int64_t> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(BuyAndPay({{a, 1 + i % 3}, {b, 1}}).id);
  ids.push_back(BuyAndPay({{b, 2}}).id);
  ASSERT_TRUE(store_->Read([&](Reader& inner) -> Status {
    CountingReader r(inner);
    auto page = trade_->ListOrders(r, buyer_, std::nullopt, "", 20, 0);
    EXPECT_TRUE(page);
    EXPECT_EQ(r.queries, 2);  // the orders, then all their lines
    EXPECT_EQ(page->size(), 20u);
    auto rest = trade_->ListOrders(r, buyer_, std::nullopt, "paid", 100, page->back().id);
    EXPECT_TRUE(rest);
    EXPECT_EQ(r.queries, 4);
    EXPECT_EQ(page->size() + rest->size(), ids.size());
    // Each order as the page shows it is the order as read alone.
    for (auto* list : {&*page, &*rest})
      for (auto& o : *list) {
        auto alone = trade_->GetOrder(inner, o.id, buyer_, std::nullopt);
        EXPECT_TRUE(alone);
        EXPECT_EQ(ToJson(o), ToJson(*alone));
      }
    EXPECT_EQ(page->front().id, ids.back());  // newest first
    return Ok();
  }));
}

// The cart holds 1..kMaxLineQuantity units per line whichever way it is filled: the domain
// refuses what the route would (a caller without the route cannot put 1000 in), and adding to
// a full line caps it.
TEST_F(TradeTest, ACartLineStaysWithinTheQuantityLimit) {
  int64_t sku = Sku(100, 10);
  auto quantity = [&] {
    auto cart = store_->Read([&](Reader& r) { return trade_->Cart(r, buyer_); });
    EXPECT_TRUE(cart);
    return cart && (*cart)["items"].size() == 1 ? (*cart)["items"][0]["quantity"].get<int64_t>() : -1;
  };
  auto too_many = Do([&](Tx& tx) { return trade_->AddToCart(tx, buyer_, sku, limits::kMaxLineQuantity + 1); });
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().code, ErrorCode::INVALID_FIELD);
  ASSERT_TRUE(Do([&](Tx& tx) { return trade_->AddToCart(tx, buyer_, sku, limits::kMaxLineQuantity); }));
  ASSERT_TRUE(Do([&](Tx& tx) { return trade_->AddToCart(tx, buyer_, sku, 1); }));
  EXPECT_EQ(quantity(), limits::kMaxLineQuantity);
  auto item = store_->Read([&](Reader& r) { return r.QueryInt("SELECT id FROM cart_items WHERE user_id=?", {buyer_}); });
  ASSERT_TRUE(item);
  for (int64_t bad : {int64_t{0}, limits::kMaxLineQuantity + 1}) {
    auto set = Do([&](Tx& tx) { return trade_->SetCartQuantity(tx, buyer_, *item, bad); });
    ASSERT_FALSE(set) << bad;
    EXPECT_EQ(set.error().code, ErrorCode::INVALID_FIELD);
  }
  EXPECT_EQ(quantity(), limits::kMaxLineQuantity);
}

// ---- the transition tables ----

TEST(TradeStates, StringsRoundTripAndKeepTheirSpelling) {
  for (OrderStatus s : AllOrderStatuses()) EXPECT_EQ(OrderStatusFromString(ToString(s)), s);
  for (AftersaleStatus s : AllAftersaleStatuses()) EXPECT_EQ(AftersaleStatusFromString(ToString(s)), s);
  EXPECT_EQ(ToString(OrderStatus::kCreated), "created");
  EXPECT_EQ(ToString(OrderStatus::kRefunding), "refunding");
  EXPECT_EQ(ToString(OrderSubStatus::kNone), "");
  EXPECT_EQ(ToString(OrderSubStatus::kGiftPending), "gift_pending");
  EXPECT_EQ(ToString(AftersaleStatus::kAwaitingReturn), "awaiting_return");
  EXPECT_EQ(OrderStatusFromString("PAID"), std::nullopt);
  EXPECT_EQ(OrderSubStatusFromString("grouping"), OrderSubStatus::kGrouping);
}

TEST(TradeStates, TheTablesAllowTheLifecycleAndNothingElse) {
  using O = OrderStatus;
  EXPECT_TRUE(CanMove(O::kCreated, O::kPaid));
  EXPECT_TRUE(CanMove(O::kCreated, O::kCancelled));
  EXPECT_TRUE(CanMove(O::kPaid, O::kShipped));
  EXPECT_TRUE(CanMove(O::kShipped, O::kCompleted));
  EXPECT_TRUE(CanMove(O::kDelivered, O::kRefunding));
  EXPECT_TRUE(CanMove(O::kRefunding, O::kDelivered));  // a partial refund or a rejected request
  EXPECT_TRUE(CanMove(O::kCancelled, O::kRefunding));  // paid on an old page
  EXPECT_FALSE(CanMove(O::kCreated, O::kShipped));
  EXPECT_FALSE(CanMove(O::kPaid, O::kCompleted));
  EXPECT_FALSE(CanMove(O::kRefunding, O::kCompleted));
  for (O s : AllOrderStatuses()) {
    EXPECT_FALSE(CanMove(O::kCompleted, s));
    EXPECT_FALSE(CanMove(O::kRefunded, s));
    EXPECT_FALSE(CanMove(s, s)) << ToString(s);
  }
  EXPECT_TRUE(CanMove(OrderSubStatus::kNone, OrderSubStatus::kGrouping));
  EXPECT_TRUE(CanMove(OrderSubStatus::kGiftPending, OrderSubStatus::kNone));
  EXPECT_FALSE(CanMove(OrderSubStatus::kGrouping, OrderSubStatus::kGiftPending));
  using A = AftersaleStatus;
  EXPECT_TRUE(CanMove(A::kPending, A::kAwaitingReturn));
  EXPECT_TRUE(CanMove(A::kReturned, A::kRejected));
  EXPECT_FALSE(CanMove(A::kAwaitingReturn, A::kRefunding));  // the goods must come back first
  EXPECT_FALSE(CanMove(A::kRefunded, A::kRejected));
}

TEST(TradeStates, InvariantListsComeFromTheTable) {
  EXPECT_EQ(OrderStatusSql(PaidInFull), "'paid','shipped','delivered','completed'");
  EXPECT_EQ(OrderStatusSql(EscrowHolds), "'created','paid','shipped','delivered','cancelled','refunding','refunded'");
  EXPECT_EQ(AftersaleStatusSql(GoodsReceived), "'refunding','refunded'");
  EXPECT_EQ(AftersaleStatusSql(ClaimsItems), "'pending','awaiting_return','returned','refunding','refunded'");
}

TEST_F(TradeTest, AMoveTheTableDoesNotListIsRefused) {
  int64_t a = Sku(1000, 10);
  Order o = BuyAndPay({{a, 1}});
  // Confirming a paid, unshipped order would move paid → completed.
  auto s = Do([&](Tx& tx) { return trade_->Confirm(tx, o.id, buyer_); });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::INVALID_STATE);
  // Releasing a wait the order is not in.
  auto r = Do([&](Tx& tx) { return trade_->ReleaseWait(tx, o.id, OrderSubStatus::kGrouping); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::INVALID_STATE);
  // A refund request cannot be sent back as goods.
  auto as = store_->ExecuteFor<Aftersale>([&](Tx& tx) {
    return trade_->RequestAftersale(tx, buyer_, o.id, {.type = "refund_only", .amount_fen = 100, .reason = "", .items = {}});
  });
  ASSERT_TRUE(as) << as.error().message;
  auto back = Do([&](Tx& tx) { return ToStatus(trade_->ReturnGoods(tx, as->id, buyer_, "中通", "1")); });
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code, ErrorCode::INVALID_STATE);
  EXPECT_EQ(Get(o.id).status, OrderStatus::kRefunding);
  EXPECT_EQ(Problems(), std::vector<std::string>{});
}

// A status the tables do not know (the store written by something else) is refused loudly,
// naming the text, wherever the order is read: never taken for some other status, never moved.
TEST_F(TradeTest, AnUnknownStoredStatusIsRefusedWhenTheOrderIsLoaded) {
  Order o = BuyAndPay({{Sku(1000, 10), 1}});
  auto refused = [&](const Status& s, const std::string& text) {
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::INTERNAL);
    EXPECT_NE(s.error().message.find("'" + text + "'"), std::string::npos) << s.error().message;
  };
  // sub_status has no CHECK in the schema: any text can be stored.
  ASSERT_TRUE(Do([&](Tx& tx) { return tx.Run("UPDATE orders SET sub_status='waiting_forever' WHERE id=?", {o.id}); }));
  refused(ToStatus(store_->Read([&](Reader& r) { return trade_->GetOrder(r, o.id, buyer_, std::nullopt); })), "waiting_forever");
  refused(ToStatus(store_->Read([&](Reader& r) { return trade_->ListOrders(r, buyer_, std::nullopt, "", 20, 0); })),
          "waiting_forever");
  refused(Do([&](Tx& tx) { return trade_->MarkShipped(tx, merchant_, o.id); }), "waiting_forever");
  // The status itself, past the schema's CHECK (as a store written by another program would be).
  ASSERT_TRUE(Do([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("PRAGMA ignore_check_constraints=1"));
    RETURN_IF_ERROR(tx.Run("UPDATE orders SET status='PAID', sub_status='' WHERE id=?", {o.id}));
    return tx.Run("PRAGMA ignore_check_constraints=0");
  }));
  refused(ToStatus(store_->Read([&](Reader& r) { return trade_->BuyerOrderStatus(r, o.id, buyer_); })), "PAID");
  refused(Do([&](Tx& tx) { return trade_->Confirm(tx, o.id, buyer_); }), "PAID");
  auto raw = store_->Read([&](Reader& r) { return r.QueryOne("SELECT status FROM orders WHERE id=?", {o.id}); });
  ASSERT_TRUE(raw && *raw);
  EXPECT_EQ((*raw)->Str(0), "PAID");  // refused before anything was written
}

}  // namespace
}  // namespace xd::trade

namespace xd::trade {
namespace {

// Issue 12, defect 8: each order event snapshots the order as its transaction left it, so a
// consumer reading order.paid after the order shipped still learns what paying did.
TEST_F(TradeTest, OrderEventsSnapshotTheOrderAtTheirTransition) {
  int64_t sku = Sku(5000, 10);
  Order o = BuyPayShip({{sku, 2}});
  ASSERT_EQ(o.status, OrderStatus::kShipped);
  auto events = store_->Read([](Reader& r) { return ReadEvents(r, 0, 1000); });
  ASSERT_TRUE(events);
  std::map<std::string, Store::Event> by_type;
  for (auto& e : *events)
    if (e.head.type.rfind("order.", 0) == 0) by_type[e.head.type] = e;
  ASSERT_EQ(by_type.count("order.created") + by_type.count("order.paid") + by_type.count("order.shipped"), 3u);
  for (auto& [type, e] : by_type) {
    EXPECT_EQ(e.head.aggregate_id, o.id) << type;
    EXPECT_EQ(e.head.merchant_id, merchant_) << type;
    EXPECT_EQ(e.head.schema_version, 2) << type;
    EXPECT_EQ(e.payload["order"]["status"], type.substr(6)) << type;
    EXPECT_EQ(e.payload["order"]["items"][0]["quantity"], 2) << type;
  }
  const Json& paid = by_type["order.paid"].payload["order"];
  EXPECT_EQ(paid["paid_fen"], 10000);
  EXPECT_FALSE(paid["paid_at"].is_null());
  EXPECT_TRUE(paid["shipped_at"].is_null());
  EXPECT_FALSE(by_type["order.shipped"].payload["order"]["shipped_at"].is_null());
  EXPECT_TRUE(by_type["order.created"].payload["from"].is_null());
  EXPECT_EQ(by_type["order.paid"].payload["from"], "created");
  EXPECT_TRUE(Problems().empty());
}

// The snapshot an order event carries is written as text, not built as a Json tree; it must
// hold what the API shows for the order (ToJson) plus what observers add, field for field.
TEST_F(TradeTest, OrderSnapshotTextIsTheApiOrder) {
  Order o = BuyAndPay({{Sku(5000, 10), 2}, {Sku(1999, 10), 1}});
  o.address_json = DumpJson(Json{{"name", "张三 \"小张\""}, {"detail", "路\n1 号"}});
  o.activity = Json{{"type", "group_buy"}, {"group_id", "77"}};
  o.cancelled_at_ms = o.created_at_ms + 5;
  auto text = store_->Read([&](Reader& r) { return trade_->DescribeOrder(r, o); });
  ASSERT_TRUE(text);
  auto snapshot = ParseJson(*text);
  ASSERT_TRUE(snapshot) << *text;
  EXPECT_EQ(*snapshot, ToJson(o));  // no observer registered here
  EXPECT_EQ((*snapshot)["group_id"], "77");
  EXPECT_EQ((*snapshot)["items"].size(), 2u);
}

// `xiaodian check` catches an order event whose snapshot is of another state (what the old
// feeder effectively sent).
TEST_F(TradeTest, CheckCatchesAnOrderEventWhoseSnapshotIsOfAnotherState) {
  Order o = BuyAndPay({{Sku(5000, 10), 1}});
  EXPECT_TRUE(Problems().empty());
  Json forged{{"order_id", IdString(o.id)}, {"to", "paid"}, {"order", {{"id", IdString(o.id)}, {"status", "shipped"}}}};
  ASSERT_TRUE(Do([&](Tx& tx) { return tx.AppendEvent({"order.paid", 2, o.id, merchant_}, forged); }));
  auto problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("snapshot of another state"), std::string::npos) << problems[0];
}

}  // namespace
}  // namespace xd::trade
