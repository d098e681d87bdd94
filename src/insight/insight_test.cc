// The data platform over a trading store on each backend (SQLite; PostgreSQL in a schema of
// the private cluster) and its own analytics file: a generated history of outbox events and
// client batches, projected incrementally at random points, equals its rebuild from the log;
// the BI totals equal an independent count; a scripted user's tags; client batches' rules.
#include "insight/insight.h"
#include "insight/internal/days.h"
#include "insight/merchant_bi.h"
#include "insight/owner.h"

#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "base/clock.h"
#include "tests/pg_cluster.h"

namespace xd::insight {
namespace {

// What an analytics migration leaves for a fill from the log at start (BindToTradingStore).
Status MarkForFill(Tx& tx, const std::string& key) {
  return tx.Run("INSERT INTO meta(key, value) VALUES(?, 'fill') ON CONFLICT(key) DO UPDATE SET value = 'fill'",
                {key});
}

constexpr int64_t kDay = 24LL * 3600 * 1000;

enum class Backend { kSqlite, kPostgres };

class InsightTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info->name();
    for (char& c : name)
      if (c == '/') c = '_';
    dir_ = std::filesystem::temp_directory_path() /
           ("xd_insight_test_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::string path = (dir_ / "db").string();
    if (GetParam() == Backend::kPostgres) {
      auto* cluster = xd::testing::SharedPgCluster();
      if (!cluster) {
        if (xd::testing::PgCluster::BinDir().empty())
          GTEST_SKIP() << xd::testing::PgUnavailableReason();
        FAIL() << xd::testing::PgUnavailableReason();
      }
      static int schemas = 0;
      auto url = cluster->CreateSchema("insight_" + std::to_string(++schemas));
      ASSERT_TRUE(url) << url.error().message;
      path = *url;
    }
    auto trading = Store::Open({.path = path, .readers = 2}, clock_);
    ASSERT_TRUE(trading) << trading.error().message;
    trading_ = std::move(*trading);
    auto analytics = Store::Open(
        {.path = (dir_ / "analytics").string(), .schema = StoreSchema::kAnalytics, .readers = 2},
        clock_);
    ASSERT_TRUE(analytics) << analytics.error().message;
    analytics_ = std::move(*analytics);
    insight_ = std::make_unique<Insight>(*trading_, *analytics_);
  }
  void TearDown() override {
    insight_.reset();
    analytics_.reset();
    trading_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Product(int64_t id, int64_t merchant, const std::string& category) {
    ASSERT_TRUE(trading_->Execute([&](Tx& tx) {
      return tx.Run(
          "INSERT INTO products(id, merchant_id, title, category, status, created_at_ms, "
          "updated_at_ms) VALUES(?,?,?,?,'on_sale',0,0)",
          {id, merchant, "商品" + std::to_string(id), category});
    }));
  }
  // An outbox event as its module would append it, acted by `actor` (0: the system).
  void Emit(const std::string& type, int64_t aggregate, int64_t merchant, int64_t actor,
            const Json& payload) {
    ASSERT_TRUE(trading_->Execute([&](Tx& tx) {
      if (actor) tx.SetActor({Actor::Kind::kUser, actor});
      return tx.AppendEvent({type, 1, aggregate, merchant}, payload);
    }));
  }
  // An order event: the snapshot's items and totals as trade writes them.
  void Order(const std::string& to, int64_t order, int64_t buyer, int64_t merchant, int64_t product,
             int64_t qty, int64_t unit_fen, const std::vector<int64_t>& more_products = {}) {
    Json items = Json::array({{{"product_id", std::to_string(product)},
                               {"quantity", qty},
                               {"line_fen", qty * unit_fen}}});
    for (int64_t p : more_products)  // one of each at the same price
      items.push_back({{"product_id", std::to_string(p)}, {"quantity", 1}, {"line_fen", unit_fen}});
    const int64_t total = (qty + static_cast<int64_t>(more_products.size())) * unit_fen;
    Json snapshot{{"id", std::to_string(order)},
                  {"buyer_id", std::to_string(buyer)},
                  {"merchant_id", std::to_string(merchant)},
                  {"items", items},
                  {"activity", Json::object()}};
    Emit("order." + to, order, merchant, buyer,
         {{"order_id", std::to_string(order)},
          {"buyer_id", std::to_string(buyer)},
          {"merchant_id", std::to_string(merchant)},
          {"to", to},
          {"total_fen", total},
          {"order", snapshot}});
  }
  // Bought together (decision 040): every pair and every buyer's products, as text.
  std::string CoPurchases() {
    std::string out;
    for (const char* sql : {"SELECT * FROM co_purchases ORDER BY product_id, other_id",
                            "SELECT * FROM buyer_products ORDER BY buyer_id, product_id"}) {
      auto rows = analytics_->Read([&](Reader& r) { return r.Query(sql); });
      EXPECT_TRUE(rows) << rows.error().message;
      for (const Row& row : *rows) {
        for (const auto& cell : row.cells) out += std::to_string(cell.i) + "|";
        out += "\n";
      }
      out += "--\n";
    }
    return out;
  }
  Result<IngestReport> Client(int64_t user, const std::string& device, const Json& events) {
    std::promise<Result<IngestReport>> p;
    Json body{{"events", events}};
    if (!device.empty()) body["device_id"] = device;
    Status ok = insight_->CheckClientBatch(body);
    if (!ok) return std::unexpected(ok.error());
    insight_->IngestClientEvents({user, device}, body,
                                 [&](Result<IngestReport> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  // Every projection table, rows in key order, as text.
  std::string Projections() {
    std::string out;
    for (const char* sql :
         {"SELECT * FROM devices ORDER BY device_id",
          "SELECT * FROM merchant_days ORDER BY merchant_id, day",
          "SELECT * FROM merchant_day_visitors ORDER BY merchant_id, day, visitor",
          "SELECT * FROM merchant_day_sketches ORDER BY merchant_id, day, stage",
          "SELECT * FROM merchant_customer_days ORDER BY merchant_id, edge, day",
          "SELECT * FROM merchant_room_days ORDER BY merchant_id, day, room_id",
          "SELECT * FROM merchant_product_days ORDER BY merchant_id, day, product_id",
          "SELECT * FROM merchant_channel_days ORDER BY merchant_id, day, channel",
          "SELECT * FROM merchant_customers ORDER BY merchant_id, user_id",
          "SELECT * FROM merchant_order_gaps ORDER BY merchant_id, day",
          "SELECT * FROM user_facts ORDER BY user_id",
          "SELECT * FROM user_categories ORDER BY user_id, category",
          "SELECT * FROM co_purchases ORDER BY product_id, other_id",
          "SELECT * FROM buyer_products ORDER BY buyer_id, product_id",
          "SELECT * FROM product_sales ORDER BY product_id",
          "SELECT * FROM visitor_feed_merchants ORDER BY visitor, day, feed_id, merchant_id"}) {
      auto rows = analytics_->Read([&](Reader& r) { return r.Query(sql); });
      EXPECT_TRUE(rows) << rows.error().message;
      out += std::string(sql) + "\n";
      for (const Row& row : *rows) {
        for (const auto& cell : row.cells)
          out += (cell.null ? "NULL" : cell.s.empty() ? std::to_string(cell.i) : cell.s) + "|";
        out += "\n";
      }
    }
    return out;
  }

  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> trading_, analytics_;
  std::unique_ptr<Insight> insight_;
};

TEST_P(InsightTest, DaysAreChinaTime) {
  EXPECT_EQ(DayOf(1'767'225'600'000), 20260101);  // 2026-01-01T00:00Z is 08:00 in China
  EXPECT_EQ(DayOf(1'767'225'600'000 - 8 * 3600'000),
            20260101);  // 16:00Z the day before: China midnight
  EXPECT_EQ(DayOf(1'767'225'600'000 - 8 * 3600'000 - 1), 20251231);
  EXPECT_EQ(*DayStartMs(20260101), 1'767'225'600'000 - 8 * 3600'000);
  EXPECT_FALSE(DayStartMs(20260231));
  EXPECT_FALSE(DayStartMs(123));
}

// A seeded history over 20 days: three shops, buyers and anonymous devices, views and
// impressions from clients, carts, orders paid, cancelled and refunded, shares and their opens,
// sign-ins linking devices; buyers buying overlapping products over several orders, some of
// several products, one of them staff of shop 2. Projected at random points (incremental), then
// rebuilt from the log: the same tables, bought-together pairs included (decision 040). The BI
// totals equal the history's own count.
TEST_P(InsightTest, RebuildEqualsIncrementalAndBiEqualsAnIndependentCount) {
  std::mt19937 rng(19);
  const std::vector<std::string> categories{"咖啡", "茶", "零食", "水果"};
  for (int64_t p = 1; p <= 12; ++p) Product(100 + p, 1 + p % 3, categories[p % 4]);
  ASSERT_TRUE(trading_->Execute([](Tx& tx) {  // buyer 8 works for shop 2: its orders there pair nothing
    return tx.Run("INSERT INTO staff(merchant_id, user_id, role, created_at_ms) VALUES(2, 8, 'operator', 0)");
  }));
  std::map<int64_t, int64_t> paid_gmv, paid_orders, refunded;  // per merchant, counted here
  std::map<int64_t, int64_t> views;
  // Per merchant: each buyer's paid days, and the members' paid orders and GMV (buyer 3 claims
  // shop 1's card at step 150).
  std::map<int64_t, std::map<int64_t, std::vector<int64_t>>> paid_days;
  std::map<int64_t, std::pair<int64_t, int64_t>> member_paid;
  const int64_t first_day = DayOf(clock_.NowMs());
  int64_t order_id = 5000, event = 0;
  for (int step = 0; step < 400; ++step) {
    clock_.AdvanceMs(std::uniform_int_distribution<int64_t>(1, 4 * 3600'000)(rng));
    if (step == 150) {
      ASSERT_TRUE(trading_->Execute([&](Tx& tx) {
        return tx.Run("INSERT INTO member_cards(id, merchant_id, programme_id, user_id, card_no, claimed_at_ms) "
                      "VALUES(1, 1, 1, 3, '0000000001', ?)",
                      {clock_.NowMs()});
      }));
    }
    const int64_t buyer = 1 + rng() % 8, product = 101 + rng() % 12,
                  merchant = 1 + (product - 100) % 3;
    const int64_t qty = 1 + rng() % 3, unit = 1000 * (1 + rng() % 30);
    const std::string device = "dev" + std::to_string(rng() % 10);
    switch (rng() % 8) {
      case 0:
      case 1: {  // a client batch: a view (anonymous or signed in) and an impression, on the
                 // feed (of one of three feeds) two times in three
        const bool signed_in = rng() % 2;
        Json events = Json::array({{{"id", "e" + std::to_string(++event)},
                                    {"type", "view"},
                                    {"product_id", std::to_string(product)}},
                                   {{"id", "e" + std::to_string(++event)},
                                    {"type", "impression"},
                                    {"product_id", std::to_string(product)}}});
        if (event % 3 != 0) {
          events[1]["source"] = "feed";
          events[1]["feed_id"] = "feed" + std::to_string(event % 3);
        }
        auto r = Client(signed_in ? buyer : 0, device, events);
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->accepted, 2);
        views[merchant]++;
        break;
      }
      case 2:
        Emit("cart.added", buyer, merchant, buyer,
             {{"user_id", std::to_string(buyer)},
              {"product_id", std::to_string(product)},
              {"quantity", qty},
              {"unit_price_fen", unit}});
        break;
      case 3:
      case 4: {  // an order (sometimes of the shop's other products too), paid most of the time,
                 // sometimes refunded afterwards
        const int64_t id = ++order_id;
        std::vector<int64_t> more;
        if (rng() % 3 == 0) more.push_back(product + 3 > 112 ? product - 9 : product + 3);
        if (rng() % 4 == 0) more.push_back(product + 6 > 112 ? product - 6 : product + 6);
        const int64_t total = (qty + static_cast<int64_t>(more.size())) * unit;
        Order("created", id, buyer, merchant, product, qty, unit, more);
        if (rng() % 4 == 0) {
          Order("cancelled", id, buyer, merchant, product, qty, unit, more);
          break;
        }
        Order("paid", id, buyer, merchant, product, qty, unit, more);
        paid_gmv[merchant] += total;
        paid_orders[merchant]++;
        paid_days[merchant][buyer].push_back(DayOf(clock_.NowMs()));
        if (step >= 150 && merchant == 1 && buyer == 3) {
          member_paid[merchant].first += 1;
          member_paid[merchant].second += total;
        }
        if (rng() % 5 == 0) {
          Emit("refund.succeeded", id + 100000, merchant, buyer,
               {{"order_id", std::to_string(id)},
                {"merchant_id", std::to_string(merchant)},
                {"amount_fen", unit},
                {"order", {{"buyer_id", std::to_string(buyer)}}}});
          refunded[merchant] += unit;
        }
        break;
      }
      case 5: {
        const int64_t viewer = 1 + rng() % 8;
        Emit("share.created", step, 0, buyer,
             {{"share_id", std::to_string(step)},
              {"sharer_id", std::to_string(buyer)},
              {"product_id", std::to_string(product)}});
        Emit("share.opened", step, 0, viewer,
             {{"share_id", std::to_string(step)},
              {"sharer_id", std::to_string(buyer)},
              {"product_id", std::to_string(product)},
              {"viewer_id", std::to_string(viewer)}});
        break;
      }
      case 6: {  // a sign-in on a device: its later anonymous events count for the user
        auto r = Client(buyer, device,
                        Json::array({{{"id", "e" + std::to_string(++event)},
                                      {"type", "search"},
                                      {"query", "咖啡"},
                                      {"result_count", 3}}}));
        ASSERT_TRUE(r) << r.error().message;
        break;
      }
      default:
        if (rng() % 3 == 0) {
          ASSERT_TRUE(insight_->CatchUp());  // incremental, at random points
        }
        break;
    }
  }
  // Live rooms' traffic (merchant_room_days): views, likes and comments in two rooms of shop 1,
  // projected across rounds.
  for (int i = 0; i < 30; ++i) {
    clock_.AdvanceMs(3 * 3600'000);
    const std::string room = std::to_string(700 + i % 2), viewer = std::to_string(1 + i % 8);
    Emit("live.view", 700 + i % 2, 1, 0, {{"room_id", room}, {"user_id", viewer}});
    Emit("live.like", 700 + i % 2, 1, 0, {{"room_id", room}, {"user_id", viewer}, {"count", 1 + i % 4}});
    if (i % 3 == 0)
      Emit("live.comment", 700 + i % 2, 1, 0,
           {{"room_id", room}, {"user_id", viewer}, {"comment_id", std::to_string(9000 + i)}});
    if (i % 7 == 0) {
      ASSERT_TRUE(insight_->CatchUp());
    }
  }
  ASSERT_TRUE(insight_->CatchUp());
  const std::string incremental = Projections();
  {
    auto rooms = analytics_->Read([](Reader& r) {
      return r.QueryOne("SELECT count(DISTINCT room_id), SUM(views), SUM(likes), SUM(comments) "
                        "FROM merchant_room_days WHERE merchant_id = 1");
    });
    ASSERT_TRUE(rooms && *rooms);
    EXPECT_EQ((*rooms)->Int(0), 2);
    EXPECT_EQ((*rooms)->Int(1), 30);
    EXPECT_EQ((*rooms)->Int(2), 73);  // 1 + i % 4 taps, i = 0 … 29
    EXPECT_EQ((*rooms)->Int(3), 10);
  }
  auto problems = insight_->Check();
  ASSERT_TRUE(problems);
  EXPECT_TRUE(problems->empty()) << (problems->empty() ? "" : problems->front());

  ASSERT_TRUE(insight_->Rebuild());
  EXPECT_EQ(Projections(), incremental);

  // The breakdowns' customers, cohorts and members (decision 042) against a count of their own
  // from the history: the whole history, and ranges starting and ending inside it.
  const int64_t last_day = DayOf(clock_.NowMs());
  ASSERT_GT(paid_days[1].size(), 3u);
  for (const auto& [from, to] : std::vector<std::pair<int64_t, int64_t>>{
           {first_day, last_day}, {DayOf(*DayStartMs(first_day) + 9 * 86'400'000LL), last_day},
           {DayOf(*DayStartMs(first_day) + 4 * 86'400'000LL), DayOf(*DayStartMs(first_day) + 17 * 86'400'000LL)}}) {
    const int64_t start = *DayStartMs(from), days = (*DayStartMs(to) - start) / 86'400'000LL + 1;
    for (int64_t merchant = 1; merchant <= 3; ++merchant) {
      auto got = MerchantBreakdowns(*trading_, *analytics_, merchant, from, to);
      ASSERT_TRUE(got) << got.error().message;
      int64_t buyers = 0, new_buyers = 0, new_orders = 0, orders = 0, repeat = 0;
      std::map<int64_t, std::vector<int64_t>> cohorts;  // week → retention
      for (const auto& [buyer, each] : paid_days[merchant]) {
        auto offset = [&](int64_t day) { return (*DayStartMs(day) - start) / 86'400'000LL; };
        const bool is_new = offset(each.front()) >= 0 && offset(each.front()) < days;
        std::set<int64_t> weeks;
        int64_t mine = 0;
        for (int64_t d : each)
          if (offset(d) >= 0 && offset(d) < days) ++mine, weeks.insert(offset(d) / 7);
        orders += mine;
        buyers += mine > 0;
        repeat += mine >= 2;
        if (!is_new) continue;
        ++new_buyers;
        new_orders += mine;
        const int64_t cohort = offset(each.front()) / 7;
        auto& retention = cohorts[cohort];
        if (retention.empty()) retention.assign(static_cast<size_t>((days + 6) / 7 - cohort), 0);
        for (int64_t w : weeks) retention[static_cast<size_t>(w - cohort)] += 1;
      }
      const Json& c = (*got)["customers"];
      EXPECT_EQ(c["buyers"], buyers) << merchant << " " << from << "-" << to << " " << c.dump();
      EXPECT_EQ(c["new_buyers"], new_buyers);
      EXPECT_EQ(c["returning_buyers"], buyers - new_buyers);
      EXPECT_EQ(c["new_orders"], new_orders);
      EXPECT_EQ(c["returning_orders"], orders - new_orders);
      EXPECT_EQ(c["repeat_buyers"], repeat);
      Json want = Json::array();
      for (const auto& [week, retention] : cohorts)
        want.push_back({{"week", internal::DayText(DayOf(start + week * 7 * 86'400'000LL))},
                        {"buyers", retention[0]},
                        {"retention", retention}});
      EXPECT_EQ((*got)["cohorts"], want) << merchant << " " << from << "-" << to;
      if (from == first_day && to == last_day) {
        EXPECT_EQ((*got)["members"]["member"]["orders"], member_paid[merchant].first) << merchant;
        EXPECT_EQ((*got)["members"]["member"]["gmv_fen"], member_paid[merchant].second) << merchant;
        EXPECT_EQ((*got)["members"]["non_member"]["orders"], paid_orders[merchant] - member_paid[merchant].first);
      }
    }
  }
  EXPECT_GT(member_paid[1].first, 0);

  // Bought together, against a count of its own from the log's paid orders (one order at a
  // time, decision 037's rule): buyer 8's orders in shop 2 pair nothing; a pair counts buyers.
  {
    auto paid = analytics_->Read([](Reader& r) {
      return r.Query("SELECT user_id, merchant_id, occurred_at_ms, data FROM log WHERE type = "
                     "'order.paid' ORDER BY id");
    });
    ASSERT_TRUE(paid);
    std::map<std::pair<int64_t, int64_t>, int64_t> first, last;  // (buyer, product) → paid at
    std::map<std::pair<int64_t, int64_t>, std::set<int64_t>> pair_buyers;
    int self = 0;
    for (const Row& row : *paid) {
      const int64_t buyer = row.Int(0), at = row.Int(2);
      const Json data = row.JsonAt(3);
      if (buyer == 8 && row.Int(1) == 2) {
        EXPECT_EQ(data.value("self", false), true);
        ++self;
        continue;
      }
      EXPECT_FALSE(data.contains("self"));
      std::vector<int64_t> mine;
      for (const Json& it : data["items"]) {
        const int64_t p = it["product_id"].get<int64_t>();
        if (std::find(mine.begin(), mine.end(), p) == mine.end()) mine.push_back(p);
      }
      // The buyer's 20 most recently paid products before this order (12 exist: all of them).
      std::set<int64_t> partners(mine.begin(), mine.end());
      for (const auto& [key, t] : last)
        if (key.first == buyer) partners.insert(key.second);
      for (int64_t p : mine) {
        if (first.count({buyer, p})) continue;
        for (int64_t q : partners)
          if (q != p) {
            pair_buyers[{p, q}].insert(buyer);
            pair_buyers[{q, p}].insert(buyer);
          }
      }
      for (int64_t p : mine) {
        first.emplace(std::make_pair(buyer, p), at);
        last[{buyer, p}] = std::max(last[{buyer, p}], at);
      }
    }
    EXPECT_GT(self, 0);
    auto stored = analytics_->Read([](Reader& r) {
      return r.Query("SELECT product_id, other_id, buyers FROM co_purchases");
    });
    ASSERT_TRUE(stored);
    std::map<std::pair<int64_t, int64_t>, int64_t> pairs, expected;
    for (const Row& row : *stored) pairs[{row.Int(0), row.Int(1)}] = row.Int(2);
    for (const auto& [key, buyers] : pair_buyers) expected[key] = static_cast<int64_t>(buyers.size());
    EXPECT_GT(pairs.size(), 20u);
    EXPECT_TRUE(std::any_of(pairs.begin(), pairs.end(), [](const auto& e) { return e.second > 1; }));
    EXPECT_EQ(pairs, expected);
    auto bought = analytics_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM buyer_products"); });
    ASSERT_TRUE(bought);
    EXPECT_EQ(*bought, static_cast<int64_t>(first.size()));
    auto co = insight_->CheckCoPurchases();
    ASSERT_TRUE(co) << co.error().message;
    EXPECT_TRUE(co->empty()) << (co->empty() ? "" : co->front());
  }
  // A file from before analytics migration 056: the pairs refilled from the log's paid orders,
  // the self-purchases marked from the trading store (rows logged before 040 lack the mark).
  const std::string co_purchases = CoPurchases();
  ASSERT_TRUE(analytics_->Execute([](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("DELETE FROM co_purchases"));
    RETURN_IF_ERROR(tx.Run("DELETE FROM buyer_products"));
    RETURN_IF_ERROR(tx.Run("UPDATE log SET data = json_remove(data, '$.self')"));
    return MarkForFill(tx, "co_purchases");
  }));
  auto refilled = BindToTradingStore(*analytics_, "store-a", trading_.get());
  ASSERT_TRUE(refilled) << refilled.error().message;
  EXPECT_EQ(CoPurchases(), co_purchases);
  EXPECT_EQ(Projections(), incremental);
  // A file from before analytics migration 057: the customers' paid days, the days' order gaps
  // and the members' orders filled from the log, the member marks from the trading store.
  ASSERT_TRUE(analytics_->Execute([](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("DELETE FROM merchant_order_gaps"));
    RETURN_IF_ERROR(tx.Run("UPDATE merchant_customers SET paid_days = ''"));
    RETURN_IF_ERROR(tx.Run("UPDATE merchant_days SET member_orders = 0, member_gmv_fen = 0"));
    RETURN_IF_ERROR(tx.Run("UPDATE log SET data = json_remove(data, '$.member')"));
    return MarkForFill(tx, "order_gaps");
  }));
  auto gaps_filled = BindToTradingStore(*analytics_, "store-a", trading_.get());
  ASSERT_TRUE(gaps_filled) << gaps_filled.error().message;
  EXPECT_EQ(Projections(), incremental);
  // A file from before analytics migration 065: what the feed showed each visitor, per feed,
  // filled from the log's feed impressions (the devices linked as they were at the time).
  auto shown_rows = analytics_->Read([](Reader& r) {
    return r.QueryInt("SELECT count(*) FROM visitor_feed_merchants WHERE feed_id <> '' AND visitor LIKE 'u%'");
  });
  ASSERT_TRUE(shown_rows);
  EXPECT_GT(*shown_rows, 0);
  ASSERT_TRUE(analytics_->Execute([](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("DELETE FROM visitor_feed_merchants"));
    return MarkForFill(tx, "feed_shown");
  }));
  auto shown_filled = BindToTradingStore(*analytics_, "store-a", trading_.get());
  ASSERT_TRUE(shown_filled) << shown_filled.error().message;
  EXPECT_EQ(Projections(), incremental);

  // The BI totals over the whole range, against the history's own count.
  const int64_t from = DayOf(1'767'225'600'000 - kDay), to = DayOf(clock_.NowMs());
  for (int64_t m = 1; m <= 3; ++m) {
    auto bi = insight_->MerchantOverview(m, from, to);
    ASSERT_TRUE(bi) << bi.error().message;
    EXPECT_EQ((*bi)["totals"]["gmv_fen"].get<int64_t>(), paid_gmv[m]) << m;
    EXPECT_EQ((*bi)["totals"]["paid_orders"].get<int64_t>(), paid_orders[m]) << m;
    EXPECT_EQ((*bi)["totals"]["refunded_fen"].get<int64_t>(), refunded[m]) << m;
    EXPECT_EQ((*bi)["totals"]["views"].get<int64_t>(), views[m]) << m;
    int64_t series_gmv = 0;
    for (const Json& d : (*bi)["days"]) series_gmv += d["gmv_fen"].get<int64_t>();
    EXPECT_EQ(series_gmv, paid_gmv[m]);
    // The funnel narrows: everyone who paid ordered, everyone who ordered is counted at view.
    const Json& f = (*bi)["funnel"];
    EXPECT_GE(f[0]["visitors"].get<int64_t>(), f[2]["visitors"].get<int64_t>());
    EXPECT_GE(f[2]["visitors"].get<int64_t>(), f[3]["visitors"].get<int64_t>());
    auto csv = insight_->MerchantDaysCsv(m, from, to);
    ASSERT_TRUE(csv);
    EXPECT_EQ(std::count(csv->begin(), csv->end(), '\n'),
              static_cast<long>((*bi)["days"].size()) + 1);
    // Distinct visitors and buyers: a few hundred visitor-days, so counted exactly (decision
    // 038), against a count of the visitor rows; each day's rollup against that day's rows.
    auto count = [&](const std::string& sql) {
      return *analytics_->Read([&](Reader& r) { return r.QueryInt(sql, {m}); });
    };
    EXPECT_FALSE((*bi)["totals"]["visitors_estimated"].get<bool>());
    EXPECT_EQ((*bi)["totals"]["visitors"],
              count("SELECT count(DISTINCT visitor) FROM merchant_day_visitors WHERE merchant_id=?"));
    EXPECT_EQ((*bi)["totals"]["buyers"],
              count("SELECT count(DISTINCT visitor) FROM merchant_day_visitors WHERE "
                    "merchant_id=? AND stage = 4"));
    EXPECT_EQ(f[1]["visitors"],
              count("SELECT count(DISTINCT visitor) FROM merchant_day_visitors WHERE "
                    "merchant_id=? AND stage >= 2"));
    for (const Json& d : (*bi)["days"]) {
      const std::string day = d["day"].get<std::string>();
      const std::string yyyymmdd = day.substr(0, 4) + day.substr(5, 2) + day.substr(8, 2);
      EXPECT_EQ(d["visitors"], count("SELECT count(*) FROM merchant_day_visitors WHERE "
                                     "merchant_id=? AND day=" + yyyymmdd))
          << day;
      EXPECT_EQ(d["buyers"], count("SELECT count(*) FROM merchant_day_visitors WHERE "
                                   "merchant_id=? AND stage = 4 AND day=" + yyyymmdd))
          << day;
    }
  }

  // Segments as of now and 75 days later (the rollup by first and last order day, migration
  // 053), against each customer classified one by one.
  for (int64_t later : {int64_t{0}, 75 * kDay}) {
    clock_.AdvanceMs(later);
    const int64_t now = clock_.NowMs();
    auto customers = analytics_->Read([](Reader& r) {
      return r.Query("SELECT merchant_id, first_paid_ms, last_paid_ms, paid_orders, paid_fen "
                     "FROM merchant_customers");
    });
    ASSERT_TRUE(customers);
    std::map<std::pair<int64_t, std::string>, std::pair<int64_t, int64_t>> expected;
    for (const Row& c : *customers) {
      const std::string segment = DayOf(c.Int(1)) >= DayOf(now - 30 * kDay)  ? "new"
                                  : DayOf(c.Int(2)) < DayOf(now - 90 * kDay) ? "dormant"
                                  : c.Int(3) >= 2                            ? "repeat"
                                                                             : "one_time";
      auto& e = expected[{c.Int(0), segment}];
      e.first += 1;
      e.second += c.Int(4);
    }
    std::set<std::string> seen;
    for (int64_t m = 1; m <= 3; ++m) {
      auto bi = insight_->MerchantOverview(m, DayOf(now), DayOf(now));
      ASSERT_TRUE(bi) << bi.error().message;
      for (const Json& seg : (*bi)["segments"]) {
        const std::string name = seg["segment"].get<std::string>();
        seen.insert(name);
        const std::pair<int64_t, int64_t> want = expected[std::make_pair(m, name)];
        EXPECT_EQ(seg["customers"], want.first) << m << " " << name;
        EXPECT_EQ(seg["paid_fen"], want.second) << m << " " << name;
        expected.erase(std::make_pair(m, name));
      }
    }
    for (const auto& [key, e] : expected) ADD_FAILURE() << key.second << " missing for " << key.first;
    EXPECT_TRUE(seen.count(later == 0 ? "new" : "dormant")) << later;
  }
}

// Distinct visitors over a range of many visitor-days come from the days' sketches: within the
// sketch's error of the truth, said to be estimates, exact for one day and below the exact
// limit. The sketches are the same bytes whether the log was projected in many rounds, rebuilt
// in one, or filled from the visitor rows (migration 053's fill of an existing file).
TEST_P(InsightTest, DistinctVisitorsOverManyDaysAreEstimatedFromDailySketches) {
  const int64_t merchant = 9, start = clock_.NowMs();
  int64_t next_log = 0;
  // Day k (0, 1, 2): visitors v[5000k, 5000k + 10000) view; every tenth of them also carts.
  // 20,000 distinct viewers over 30,000 visitor-days; 2,000 distinct carters over 3,000.
  for (int day = 0; day < 3; ++day) {
    ASSERT_TRUE(analytics_->Execute([&](Tx& tx) -> Status {
      for (int i = 5000 * day; i < 5000 * day + 10000; ++i) {
        const int64_t at = start + day * kDay + i;
        for (const char* type : {"view", "cart.added"}) {
          if (type[0] == 'c' && i % 10 != 0) continue;
          RETURN_IF_ERROR(tx.Run(
              "INSERT INTO log(source_key, type, device_id, merchant_id, product_id, "
              "occurred_at_ms, received_at_ms) VALUES(?,?,?,?,?,?,?)",
              {"t:" + std::to_string(++next_log), type, "v" + std::to_string(i), merchant,
               int64_t{300 + i % 7}, at, at}));
        }
      }
      return Ok();
    }));
    ASSERT_TRUE(insight_->ProjectOnce());  // a round in the middle of the history
  }
  ASSERT_TRUE(insight_->CatchUp());
  auto problems = insight_->Check();
  ASSERT_TRUE(problems);
  EXPECT_TRUE(problems->empty()) << (problems->empty() ? "" : problems->front());
  const std::string incremental = Projections();

  const int64_t d0 = DayOf(start), d1 = DayOf(start + kDay), d2 = DayOf(start + 2 * kDay);
  auto bi = insight_->MerchantOverview(merchant, d0, d2);
  ASSERT_TRUE(bi) << bi.error().message;
  const Json& totals = (*bi)["totals"];
  EXPECT_TRUE(totals["visitors_estimated"].get<bool>());
  EXPECT_TRUE((*bi)["funnel"][0]["estimated"].get<bool>());
  EXPECT_NEAR(totals["visitors"].get<int64_t>(), 20'000, 20'000 * 0.064);  // 4 standard errors
  EXPECT_NE(totals["visitors"].get<int64_t>(), 30'000);                   // not the visitor-days
  EXPECT_NEAR((*bi)["funnel"][1]["visitors"].get<int64_t>(), 2'000, 2'000 * 0.064);
  EXPECT_EQ(totals["buyers"], 0);
  // One day: the day's rollup, exact. Two days (20,000 visitor-days): counted exactly.
  auto one = insight_->MerchantOverview(merchant, d1, d1);
  ASSERT_TRUE(one);
  EXPECT_EQ((*one)["totals"]["visitors"], 10'000);
  EXPECT_EQ((*one)["funnel"][1]["visitors"], 1'000);
  EXPECT_FALSE((*one)["totals"]["visitors_estimated"].get<bool>());
  auto two = insight_->MerchantOverview(merchant, d0, d1);
  ASSERT_TRUE(two);
  EXPECT_EQ((*two)["totals"]["visitors"], 15'000);
  EXPECT_FALSE((*two)["totals"]["visitors_estimated"].get<bool>());

  ASSERT_TRUE(insight_->Rebuild());
  EXPECT_EQ(Projections(), incremental);

  // An analytics file from before migration 053: its days' sketches filled from the visitor rows.
  ASSERT_TRUE(analytics_->Execute([](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("DELETE FROM merchant_day_sketches"));
    return MarkForFill(tx, "sketches");
  }));
  auto bound = BindToTradingStore(*analytics_, "store-a");
  ASSERT_TRUE(bound) << bound.error().message;
  EXPECT_EQ(Projections(), incremental);
}

// One user's scripted life: two paid coffee orders and a tea view, an offline purchase, a
// member level, shares that brought purchases. The tags say so; a month later they are dormant.
TEST_P(InsightTest, TagsOfAScriptedUser) {
  Product(201, 7, "咖啡");
  Product(202, 7, "茶");
  const int64_t me = 42;
  Emit("user.registered", me, 0, me, {{"user_id", "42"}});
  ASSERT_TRUE(
      Client(me, "phone1", Json::array({{{"id", "v1"}, {"type", "view"}, {"product_id", "202"}}})));
  Order("created", 9001, me, 7, 201, 2, 4'000);
  Order("paid", 9001, me, 7, 201, 2, 4'000);
  Order("created", 9002, me, 7, 201, 1, 6'000);
  Order("paid", 9002, me, 7, 201, 1, 6'000);
  Emit("member.points_posted", 1, 7, 0, {{"user_id", "42"}, {"kind", "earn"}, {"level_after", 2}});
  Emit("offline", 2, 7, 0, {});  // not an interaction: ignored
  Emit("member.points_posted", 3, 7, 0,
       {{"user_id", "42"}, {"kind", "pos_purchase"}, {"ref_id", "1"}, {"level_after", 2}});
  for (int i = 0; i < 3; ++i)
    Emit("commission.paid", 9100 + i, 7, 0,
         {{"order_id", std::to_string(9100 + i)},
          {"sharer_id", "42"},
          {"product_id", "201"},
          {"amount_fen", 100}});
  Emit("share.created", 1, 0, me, {{"share_id", "1"}, {"sharer_id", "42"}, {"product_id", "201"}});
  ASSERT_TRUE(insight_->CatchUp());

  auto tags = insight_->UserTags(me);
  ASSERT_TRUE(tags) << tags.error().message;
  const Json& t = *tags;
  EXPECT_TRUE(t["known"].get<bool>());
  EXPECT_EQ(t["interests"][0]["category"], "咖啡");  // two paid orders outweigh one view
  EXPECT_EQ(t["interests"][1]["category"], "茶");
  EXPECT_EQ(t["aov_fen"], 7'000);
  EXPECT_EQ(t["price_band"], "mid");
  EXPECT_EQ(t["rfm"]["frequency"], 2);
  EXPECT_EQ(t["rfm"]["segment"], "promising");
  EXPECT_EQ(t["lifecycle"], "new");
  EXPECT_EQ(t["member_level"], 2);
  EXPECT_EQ(t["online_offline"]["mix"], "omnichannel");
  EXPECT_EQ(t["sharer_influence"]["purchases_brought"], 3);
  EXPECT_EQ(t["sharer_influence"]["level"], "influencer");
  EXPECT_EQ(t["channel"]["main"], "direct");

  clock_.AdvanceMs(120 * kDay);
  tags = insight_->UserTags(me);
  ASSERT_TRUE(tags);
  EXPECT_EQ((*tags)["lifecycle"], "dormant");
  EXPECT_EQ((*tags)["rfm"]["segment"], "hibernating");
  EXPECT_LT((*tags)["interests"][0]["score_milli"].get<int64_t>(),
            1'000);  // decayed over 8 half-lives
  EXPECT_FALSE((*insight_->UserTags(43))["known"].get<bool>());
}

// Client batches: refused events listed by index while the rest are kept; a batch sent again
// adds nothing; a timestamp from the future or long ago is clamped; the merchant is the
// product's, whatever the client says; a batch over the limit is refused whole.
TEST_P(InsightTest, ClientBatchesAreCheckedDeduplicatedAndClamped) {
  Product(301, 9, "茶");
  const int64_t now = clock_.NowMs();
  Json events = Json::array(
      {{{"id", "a1"}, {"type", "view"}, {"product_id", "301"}, {"at_ms", now + 3'600'000}},
       {{"id", "a2"}, {"type", "view"}, {"product_id", "301"}, {"at_ms", int64_t{1}}},
       {{"id", "a3"}, {"type", "teleport"}},
       {{"id", "a4"}, {"type", "view"}, {"product_id", "301"}, {"merchant_id", "8"}},
       {{"type", "view"}},
       {{"id", "a5"}, {"type", "search"}, {"query", "红茶"}, {"result_count", 12}}});
  auto r = Client(0, "dev-x", events);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->accepted, 3);
  ASSERT_EQ(r->rejected.size(), 3u);
  EXPECT_EQ(r->rejected[0]["index"], 2);
  EXPECT_EQ(r->rejected[0]["field"], "type");
  EXPECT_EQ(r->rejected[1]["field"], "merchant_id");
  EXPECT_EQ(r->rejected[2]["field"], "id");
  r = Client(0, "dev-x", events);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->accepted, 0);
  EXPECT_EQ(r->duplicates, 3);
  auto times = analytics_->Read([](Reader& rd) {
    return rd.Query("SELECT occurred_at_ms, merchant_id FROM log WHERE type='view' ORDER BY id");
  });
  ASSERT_TRUE(times);
  ASSERT_EQ(times->size(), 2u);
  EXPECT_EQ(times->at(0).Int(0), now);
  EXPECT_EQ(times->at(1).Int(0), now - config::kMaxClientPastMs);
  EXPECT_EQ(times->at(0).Int(1), 9);

  Json big = Json::array();
  for (int i = 0; i <= config::kMaxClientEvents; ++i)
    big.push_back({{"id", "b" + std::to_string(i)}, {"type", "view"}});
  auto refused = Client(0, "dev-x", big);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::PAYLOAD_TOO_LARGE);
  EXPECT_FALSE(Client(0, "", Json::array()));             // anonymous needs a device
  EXPECT_FALSE(Client(0, "bad device!", Json::array()));  // ids are [A-Za-z0-9_-]

  // Signed in on the device: its later anonymous events are the user's.
  ASSERT_TRUE(Client(5, "dev-x", Json::array()));
  ASSERT_TRUE(
      Client(0, "dev-x", Json::array({{{"id", "c1"}, {"type", "view"}, {"product_id", "301"}}})));
  ASSERT_TRUE(insight_->CatchUp());
  auto visitors = analytics_->Read([](Reader& rd) {
    return rd.Query("SELECT DISTINCT visitor FROM merchant_day_visitors ORDER BY visitor");
  });
  ASSERT_TRUE(visitors);
  ASSERT_EQ(visitors->size(), 2u);
  EXPECT_EQ(visitors->at(0).Str(0), "ddev-x");  // before the sign-in
  EXPECT_EQ(visitors->at(1).Str(0), "u5");
}

// An analytics file opened beside another trading store forgets the first one's log and
// projections (its 'o:<seq>' keys would swallow the new store's events); the same store keeps them.
TEST_P(InsightTest, AnalyticsFileBindsToItsTradingStore) {
  Product(401, 3, "茶");
  ASSERT_TRUE(Client(0, "dev-o", Json::array({{{"id", "o1"}, {"type", "view"}, {"product_id", "401"}}})));
  ASSERT_TRUE(insight_->CatchUp());
  auto first = BindToTradingStore(*analytics_, "store-a");
  ASSERT_TRUE(first);
  EXPECT_FALSE(*first);  // first use: nothing to forget
  auto again = BindToTradingStore(*analytics_, "store-a");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto count = [&](const char* sql) { return *analytics_->Read([&](Reader& r) { return r.QueryInt(sql); }); };
  EXPECT_EQ(count("SELECT count(*) FROM log"), 1);
  auto other = BindToTradingStore(*analytics_, "store-b");
  ASSERT_TRUE(other);
  EXPECT_TRUE(*other);
  EXPECT_EQ(count("SELECT count(*) FROM log"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM merchant_days"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM cursors"), 0);
}

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}
INSTANTIATE_TEST_SUITE_P(Backends, InsightTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace xd::insight
