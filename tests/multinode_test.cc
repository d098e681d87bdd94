// Many nodes on one PostgreSQL (issue 13): three real `xiaodian serve` processes on one private
// cluster, clients spreading checkouts, payments, a flash sale and group buys across them (each
// step of an order on the next node). Phase 1 runs without faults; phase 2 kills one node with
// SIGKILL mid-load and then restarts PostgreSQL (an immediate stop: a crash) mid-load. After
// each phase: `xiaodian check` passes; every order a client saw acknowledged exists with at least
// that state; the flash sale sold no more than its stock; every expiry timer fired once (unpaid
// orders cancelled once each); every webhook delivery reached the receiver, none twice — except,
// in phase 2, one whose first POST came before a fault (at-least-once across a crash: a node
// that died, or lost its database, between the POST and recording it).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "base/clock.h"
#include "base/json.h"
#include "store/store.h"
#include "tests/pg_cluster.h"
#include "tests/process.h"
#include "tests/receiver.h"

namespace xd::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr int kNodes = 3;
constexpr int kUnpaidTimeoutS = 2;
constexpr int kClaimLeaseS = 11;

bool WaitFor(const std::function<bool()>& pred, int seconds) {
  for (auto end = SteadyClock::now() + std::chrono::seconds(seconds); SteadyClock::now() < end;) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

class MultiNode : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = SharedPgCluster();
    if (!cluster_) {
      if (PgCluster::BinDir().empty()) GTEST_SKIP() << PgUnavailableReason();
      FAIL() << PgUnavailableReason();
    }
    auto url = cluster_->CreateDatabase("multinode");
    ASSERT_TRUE(url) << url.error().message;
    url_ = *url;
    ASSERT_EQ(std::system((std::string(XIAODIAN_BIN) + " demo-data --db '" + url_ + "' > /dev/null 2>&1").c_str()), 0);
    for (int i = 0; i < kNodes; ++i) {
      nodes_.push_back(std::make_unique<ServerProcess>(XIAODIAN_BIN, url_));
      ASSERT_TRUE(nodes_.back()->Start({"--unpaid-timeout-s", std::to_string(kUnpaidTimeoutS), "--webhook-allow-private",
                                        "--webhook-claim-lease-s", std::to_string(kClaimLeaseS)}))
          << "node " << i;
      alive_[i] = true;
    }
    auto store = Store::Open({.path = url_, .readers = 1}, clock_);
    ASSERT_TRUE(store) << store.error().message;
    db_ = std::move(*store);

    http::Client c("127.0.0.1", nodes_[0]->port());
    auto login = [&](const std::string& phone) {
      auto r = c.Json("POST", "/api/v1/auth/login", Json{{"phone", phone}, {"password", "demo123"}});
      EXPECT_EQ(r.status, 200) << r.body.dump();
      return r.body.value("token", "");
    };
    // The demo's first shop (c2c) runs the flash sale and the group buy; its seventh (ka: the
    // open platform is for ka merchants) sells the plain orders and has the webhook.
    auto acts = c.Json("GET", "/api/v1/merchant/activities?limit=50", nullptr, login("13900000001"));
    for (auto& a : acts.body["items"]) {
      if (a["type"] == "flash_sale") flash_id_ = a["id"], flash_sku_ = a["sku_id"];
      if (a["type"] == "group_buy") group_id_ = a["id"], group_sku_ = a["sku_id"];
    }
    ASSERT_FALSE(flash_id_.empty() || group_id_.empty()) << acts.body.dump();
    flash_stock_ = Count("SELECT stock_left FROM activities WHERE id = " + flash_id_);
    load_from_ms_ = clock_.NowMs();  // the demo's own unpaid orders expire after the default 15 minutes
    const std::string ka = login("13900000007");
    auto hook = c.Json("POST", "/api/v1/merchant/webhooks",
                       Json{{"url", receiver_.url()}, {"event_types", {"order.created", "order.paid", "order.cancelled"}}}, ka);
    ASSERT_EQ(hook.status, 201) << hook.body.dump();
    auto products = c.Json("GET", "/api/v1/merchant/products?limit=50", nullptr, ka);
    for (auto& p : products.body["items"])
      for (auto& sku : p["skus"]) skus_.push_back(sku["id"]);
    ASSERT_FALSE(skus_.empty()) << products.body.dump();
  }

  // Rows as text, for failure messages.
  std::string Dump(const std::string& sql) {
    auto rows = db_->Read([&](Reader& r) { return r.Query(sql); });
    if (!rows) return rows.error().message;
    std::string out;
    for (auto& row : *rows) {
      for (const auto& cell : row.cells) out += (cell.null ? "NULL" : cell.s.empty() ? std::to_string(cell.i) : cell.s) + " ";
      out += "\n";
    }
    return out;
  }

  int64_t Count(const std::string& sql) {
    auto n = db_->Read([&](Reader& r) { return r.QueryInt(sql); });
    return n ? *n : -1;
  }

  // One client: registers its buyers and runs orders until `stop_`, each step on the next
  // live node. Kinds: 0 plain (every third left unpaid, for the expiry timer), 1 flash sale (a
  // new buyer each time: one per buyer), 2 group opener, 3 group joiner.
  void Client(int kind, int seed) {
    std::map<uint16_t, std::unique_ptr<http::Client>> conns;
    size_t turn = static_cast<size_t>(seed);
    auto call = [&](const std::string& method, const std::string& target, const Json& body, const std::string& token) {
      uint16_t port = 0;
      for (int tries = 0; tries < kNodes && port == 0; ++tries, ++turn)
        if (alive_[turn % kNodes]) port = nodes_[turn % kNodes]->port();
      ++turn;
      auto& conn = conns[port];
      if (!conn) conn = std::make_unique<http::Client>("127.0.0.1", port, 15'000);
      ++requests_;
      auto r = conn->Json(method, target, body, token);
      if (r.status == 0) conn.reset();  // the node died or dropped us: a new connection next time
      // A fault may fail a request, but only as "try again" (503 with a catalogue code), never
      // as an internal error.
      if (r.status >= 500 && r.status != 503) {
        std::lock_guard lock(mu_);
        failures_.push_back(std::to_string(r.status) + " " + method + " " + target + " " + r.body.dump());
      }
      return r;
    };
    auto new_buyer = [&]() -> std::string {
      Json reg{{"phone", std::to_string(15000000000LL + ++phones_)}, {"password", "secret123"}, {"nickname", "n"}};
      auto r = call("POST", "/api/v1/auth/register", reg, "");
      return r.status == 201 ? r.body.value("token", "") : "";
    };
    const Json address{{"name", "多节点"}, {"phone", "13800000000"}, {"region", "上海"}, {"detail", "1号"}};
    std::string token;
    for (int n = 0; !stop_; ++n) {
      // Plain orders keep their buyer; the activities limit each buyer (one flash unit, one seat).
      if (kind != 0 || token.empty()) token = new_buyer();
      if (token.empty()) continue;
      Json body{{"items", {{{"sku_id", skus_[static_cast<size_t>(n + seed) % skus_.size()]}, {"quantity", 1}}}}, {"address", address}};
      if (kind == 1) body = Json{{"items", {{{"sku_id", flash_sku_}, {"quantity", 1}}}}, {"address", address}, {"activity", {{"id", flash_id_}}}};
      std::string joining;
      if (kind == 2 || kind == 3) {
        Json activity{{"id", group_id_}};
        if (kind == 3) {
          std::lock_guard lock(mu_);
          if (groups_.empty()) continue;
          joining = groups_.front();
          groups_.pop_front();
          activity["group_id"] = joining;
        }
        body = Json{{"items", {{{"sku_id", group_sku_}, {"quantity", 1}}}}, {"address", address}, {"activity", activity}};
      }
      auto co = call("POST", "/api/v1/checkout", body, token);
      if (co.status != 201) continue;
      const Json& order = co.body["orders"][0];
      const std::string oid = order["id"];
      {
        std::lock_guard lock(mu_);
        acked_[oid] = {token, "created"};
      }
      if (kind == 0 && n % 3 == 2) continue;  // left unpaid: the expiry timer cancels it
      auto pay = call("POST", "/api/v1/orders/" + oid + "/pay", nullptr, token);
      if (pay.status != 200) continue;
      const std::string payment = pay.body["payment_id"];
      call("POST", "/api/v1/pay/sandbox/" + payment + "/complete", nullptr, token);
      auto q = call("POST", "/api/v1/payments/" + payment + "/query", nullptr, token);
      if (q.status == 200 && q.body["status"] == "succeeded") {
        std::lock_guard lock(mu_);
        acked_[oid].second = "paid";
        ++paid_by_kind_[kind];
        if (kind == 2 && order.contains("group_id")) groups_.push_back(order["group_id"]);
      }
    }
  }

  // Runs the clients while `during` does what it does (sleeps, faults), then stops them.
  void RunLoad(const std::function<void()>& during) {
    stop_ = false;
    std::vector<std::thread> clients;
    for (int kind : {0, 0, 1, 2, 3, 3}) clients.emplace_back([this, kind, seed = static_cast<int>(clients.size())] { Client(kind, seed); });
    during();
    stop_ = true;
    for (auto& t : clients) t.join();
  }

  // What must hold after a phase, once the timers and deliveries it caused have run.
  void Verify(const char* phase, SteadyClock::time_point faults_over) {
    SCOPED_TRACE(phase);
    {
      // The load did its work: plain orders, flash units, groups opened and joined were paid
      // this phase (a load that failed every request would otherwise pass every check below),
      // and no request failed with anything but a 503.
      std::lock_guard lock(mu_);
      const char* kinds[] = {"plain", "flash sale", "group opener", "group joiner"};
      const bool sold_out = Count("SELECT stock_left FROM activities WHERE id = " + flash_id_) == 0;  // in an earlier phase
      for (int kind = 0; kind < 4; ++kind) {
        if (kind != 1 || !sold_out) {
          EXPECT_GT(paid_by_kind_[kind], 0) << "no " << kinds[kind] << " order paid";
        }
      }
      for (auto& f : failures_) ADD_FAILURE() << "a request failed with more than a 503: " << f;
      failures_.clear();
      std::fill(std::begin(paid_by_kind_), std::end(paid_by_kind_), 0);
    }
    // Expiry timers: every unpaid order is cancelled, by one node, once.
    const std::string unpaid = "FROM orders o WHERE o.status = 'created' AND o.created_at_ms >= " + std::to_string(load_from_ms_);
    EXPECT_TRUE(WaitFor([&] { return Count("SELECT count(*) " + unpaid) == 0; }, 30))
        << Count("SELECT count(*) " + unpaid) << " unpaid orders never expired; their timers and payments:\n"
        << Dump("SELECT o.id, t.kind, t.attempts, t.due_at_ms, t.dead_at_ms, t.last_error, p.status FROM orders o "
                "LEFT JOIN timers t ON t.payload LIKE '%' || o.id || '%' LEFT JOIN payments p ON p.order_id = o.id "
                "WHERE o.id IN (SELECT o.id " + unpaid + ") LIMIT 20");
    EXPECT_EQ(Count("SELECT count(*) FROM (SELECT aggregate_id FROM events WHERE type = 'order.cancelled' "
                    "GROUP BY aggregate_id HAVING count(*) > 1) AS twice"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM events WHERE type = 'order.cancelled'"), Count("SELECT count(*) FROM orders WHERE status = 'cancelled'"));
    // Webhooks: every delivery sent and received; twice only across a fault. Waited for as one
    // state: a delivery row the outbox's consumer adds late (it catches up after the database
    // restart) is pending for a moment after every earlier one was delivered (a CI run once read
    // "all delivered", then counted the new row before it was sent: 318 rows, 317 received).
    int64_t deliveries = 0;
    std::map<std::string, std::vector<SteadyClock::time_point>> received;
    auto all_delivered = [&] {
      received.clear();
      for (auto& g : receiver_.got()) received[g.headers["x-xiaodian-delivery"]].push_back(g.at);
      deliveries = Count("SELECT count(*) FROM webhook_deliveries");
      return Count("SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'") == 0 &&
             static_cast<int64_t>(received.size()) == deliveries;
    };
    EXPECT_TRUE(WaitFor(all_delivered, kClaimLeaseS + 30))
        << Count("SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'") << " deliveries not delivered, "
        << received.size() << " of " << deliveries << " received";
    int twice = 0;
    for (auto& [id, at] : received) {
      if (at.size() < 2) continue;
      ++twice;
      EXPECT_LT(at.front(), faults_over) << "delivery " << id << " sent " << at.size() << " times with no fault in between";
    }
    // Nothing acknowledged lost; paid stays paid (or moved on).
    http::Client c("127.0.0.1", nodes_[0]->port());
    std::lock_guard lock(mu_);
    for (auto& [oid, ack] : acked_) {
      auto r = c.Json("GET", "/api/v1/orders/" + oid, nullptr, ack.first);
      ASSERT_EQ(r.status, 200) << "acknowledged order " << oid << " lost";
      if (ack.second == "paid") {
        EXPECT_TRUE(r.body["status"] != "created" && r.body["status"] != "cancelled") << oid << r.body.dump();
      }
    }
    // No oversell: the flash sale's stock never below zero, its seats no more than its stock.
    EXPECT_GE(Count("SELECT stock_left FROM activities WHERE id = " + flash_id_), 0);
    EXPECT_LE(Count("SELECT count(*) FROM orders o JOIN activity_orders a ON a.order_id = o.id WHERE a.activity_id = " + flash_id_ +
                    " AND o.status <> 'cancelled'"),
              flash_stock_);
    EXPECT_EQ(RunCheck(XIAODIAN_BIN, "'" + url_ + "'"), 0) << "xiaodian check failed";
    std::printf("%s: %lld requests, %zu orders acknowledged, %lld paid, %lld expired, %lld webhook deliveries (%d received twice)\n", phase,
                static_cast<long long>(requests_.load()), acked_.size(),
                static_cast<long long>(Count("SELECT count(*) FROM orders WHERE status NOT IN ('created','cancelled')")),
                static_cast<long long>(Count("SELECT count(*) FROM orders WHERE status = 'cancelled'")), static_cast<long long>(deliveries), twice);
  }

  PgCluster* cluster_ = nullptr;
  std::string url_;
  RealClock clock_;
  std::unique_ptr<Store> db_;
  Receiver receiver_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
  std::atomic<bool> alive_[kNodes] = {};
  std::string flash_id_, flash_sku_, group_id_, group_sku_;
  int64_t flash_stock_ = 0, load_from_ms_ = 0;
  std::vector<std::string> skus_;

  std::atomic<bool> stop_{false};
  std::atomic<int64_t> requests_{0}, phones_{0};
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>> acked_;  // order → (buyer token, state seen)
  std::deque<std::string> groups_;                                     // groups opened and paid, to join
  int64_t paid_by_kind_[4] = {};                                       // this phase's paid orders, by client kind
  std::vector<std::string> failures_;                                  // answers over 500 other than 503
};

TEST_F(MultiNode, ThreeNodesKeepEveryInvariantThroughANodeKillAndADatabaseRestart) {
  RunLoad([] { std::this_thread::sleep_for(std::chrono::seconds(3)); });
  Verify("phase 1 (three nodes, no fault)", SteadyClock::time_point::min());

  RunLoad([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    alive_[2] = false;
    nodes_[2]->Kill();  // SIGKILL, requests in flight
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    ASSERT_TRUE(cluster_->Restart());  // immediate stop (a crash) and start, under load
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  });
  const auto faults_over = SteadyClock::now();
  // The survivors reconnected by themselves and serve.
  for (int i = 0; i < 2; ++i) {
    http::Client c("127.0.0.1", nodes_[i]->port());
    EXPECT_TRUE(WaitFor([&] { return c.Send("GET", "/healthz").status == 200; }, 20)) << "node " << i;
  }
  Verify("phase 2 (a node killed, PostgreSQL restarted)", faults_over);
}

}  // namespace
}  // namespace xd::testing
