// Kill -9 under load: the real server is killed at random moments while clients check out
// and pay (plain orders, a flash sale, group buys); after each restart every order a client saw acknowledged exists with (at least)
// the acknowledged state, and `xiaodian check` passes.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>

#include "base/json.h"
#include "tests/process.h"

namespace xd::testing {
namespace {

TEST(Kill9, AcknowledgedOrdersSurviveKillsUnderLoad) {
  auto dir = std::filesystem::temp_directory_path() / ("xd_kill9_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string db = (dir / "kill9.db").string();
  ASSERT_EQ(std::system((std::string(XIAODIAN_BIN) + " demo-data --db " + db + " > /dev/null 2>&1").c_str()), 0);

  std::mt19937 rng(7);
  std::mutex mu;
  std::map<std::string, std::string> acked;  // order id → the state the client saw (created | paid)
  std::map<std::string, std::string> owner;  // order id → token of its buyer
  int phone = 0;
  std::atomic<int64_t> flash_buyers{0};
  constexpr int kRounds = 20;
  int total_requests = 0;
  for (int round = 0; round < kRounds; ++round) {
    ServerProcess server(XIAODIAN_BIN, db);
    ASSERT_TRUE(server.Start()) << "round " << round;
    // Verify everything acknowledged so far (the previous server died with SIGKILL).
    {
      http::Client c("127.0.0.1", server.port());
      for (auto& [oid, state] : acked) {
        auto r = c.Json("GET", "/api/v1/orders/" + oid, nullptr, owner[oid]);
        ASSERT_EQ(r.status, 200) << "acknowledged order " << oid << " lost after kill " << round;
        std::string now = r.body["status"];
        if (state == "paid") {
          EXPECT_NE(now, "created") << oid;
        }
      }
    }
    http::Client setup("127.0.0.1", server.port());
    auto products = setup.Json("GET", "/api/v1/products?limit=100&sort=newest");
    ASSERT_EQ(products.status, 200);
    std::vector<std::string> skus;
    for (auto& p : products.body["items"]) {
      auto d = setup.Json("GET", "/api/v1/products/" + p["id"].get<std::string>());
      skus.push_back(d.body["skus"][0]["id"]);
    }
    // The demo shop's flash sale and group buy join the load.
    std::string flash_id, flash_sku, group_id, group_sku;
    {
      auto login = setup.Json("POST", "/api/v1/auth/login", Json{{"phone", "13900000001"}, {"password", "demo123"}});
      auto acts = setup.Json("GET", "/api/v1/merchant/activities?limit=50", nullptr, login.body.value("token", ""));
      for (auto& a : acts.body["items"]) {
        if (a["type"] == "flash_sale") flash_id = a["id"], flash_sku = a["sku_id"];
        if (a["type"] == "group_buy") group_id = a["id"], group_sku = a["sku_id"];
      }
      ASSERT_FALSE(flash_id.empty() || group_id.empty()) << acts.body.dump();
    }
    std::atomic<bool> stop{false};
    std::atomic<int> requests{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      char ph[16];
      std::snprintf(ph, sizeof ph, "152%08d", ++phone);
      std::string phone_s = ph;
      clients.emplace_back([&, phone_s, t] {
        http::Client c("127.0.0.1", server.port());
        auto reg = c.Json("POST", "/api/v1/auth/register", Json{{"phone", phone_s}, {"password", "secret123"}, {"nickname", "k"}});
        if (reg.status != 201) return;
        std::string token = reg.body["token"];
        size_t i = t;
        while (!stop) {
          Json address{{"name", "k"}, {"phone", "13800000000"}, {"region", "r"}, {"detail", "d"}};
          Json body{{"items", {{{"sku_id", skus[i++ % skus.size()]}, {"quantity", 1}}}}, {"address", address}};
          if (t == 2) {
            // Flash sale: one unit per buyer, so every attempt is a new buyer.
            auto reg = c.Json("POST", "/api/v1/auth/register",
                              Json{{"phone", std::to_string(17000000000LL + ++flash_buyers)}, {"password", "secret123"}, {"nickname", "f"}});
            if (reg.status != 201) continue;
            token = reg.body["token"];
            body = Json{{"items", {{{"sku_id", flash_sku}, {"quantity", 1}}}}, {"address", address}, {"activity", {{"id", flash_id}}}};
          } else if (t == 3) {
            // Group buy: open a group as its leader.
            body = Json{{"items", {{{"sku_id", group_sku}, {"quantity", 1}}}}, {"address", address}, {"activity", {{"id", group_id}}}};
          }
          auto co = c.Json("POST", "/api/v1/checkout", body, token);
          ++requests;
          if (co.status != 201) continue;
          std::string oid = co.body["orders"][0]["id"];
          {
            std::lock_guard lock(mu);
            acked[oid] = "created";
            owner[oid] = token;
          }
          auto pay = c.Json("POST", "/api/v1/orders/" + oid + "/pay", nullptr, token);
          if (pay.status != 200) continue;
          c.Json("POST", "/api/v1/pay/sandbox/" + pay.body["payment_id"].get<std::string>() + "/complete", nullptr, token);
          auto q = c.Json("POST", "/api/v1/payments/" + pay.body["payment_id"].get<std::string>() + "/query", nullptr, token);
          requests += 2;
          if (q.status == 200 && q.body["status"] == "succeeded") {
            std::lock_guard lock(mu);
            acked[oid] = "paid";
          }
        }
      });
    }
    std::uniform_int_distribution<int> ms(150, 600);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms(rng)));
    server.Kill();  // SIGKILL while requests are in flight
    stop = true;
    for (auto& th : clients) th.join();
    total_requests += requests;
    EXPECT_EQ(RunCheck(XIAODIAN_BIN, db), 0) << "invariants broken after kill " << round;
  }
  size_t paid = 0;
  for (auto& [oid, s] : acked) paid += s == "paid";
  std::printf("kill9: %d kills, %d requests, %zu orders acknowledged (%zu paid), all present; check passed\n", kRounds, total_requests,
              acked.size(), paid);
  EXPECT_GT(acked.size(), 50u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace xd::testing
