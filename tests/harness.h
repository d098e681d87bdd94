// Test harness for API tests over real HTTP: a fresh store, the full app on port 0 with a
// FakeClock, and helpers to register users, open shops, create products, buy and pay. Each test
// gets its own server and store.
//
// The backend: SQLite in a temp dir by default; with XD_TEST_BACKEND=postgres, a fresh schema of
// the private cluster the process starts (tests/pg_cluster.h), so one test binary runs the same
// tests on both (ctest runs each API binary twice: `api_x_test` and `api_x_test_pg`).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "account/account.h"
#include "app/app.h"
#include "http/client.h"

namespace xd::testing {

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Lets a fixture change the app's options before it starts.
  virtual void Configure(AppOptions& options) { (void)options; }
  // Another node on this test's store (PostgreSQL: a second App, as a second process would be),
  // started, with the same options as the first; null (and a test failure) if it cannot open.
  std::unique_ptr<App> OpenSecondNode();
  // The options SetUp's node and OpenSecondNode's share.
  AppOptions NodeOptions();

  // A new client connection (one per thread).
  std::unique_ptr<http::Client> NewClient() const { return std::make_unique<http::Client>("127.0.0.1", port_); }
  http::Client::JsonResponse Call(const std::string& method, const std::string& path, const Json& body = nullptr,
                                  const std::string& token = "", std::vector<std::pair<std::string, std::string>> headers = {});

  // Registers a buyer and returns its token; phone is generated when empty.
  std::string Register(std::string phone = "", const std::string& nickname = "买家");
  std::string AdminToken();
  struct Shop {
    std::string id;
    std::string owner_token;
  };
  // Opens a shop of `kind` (c2c by its owner; b2c/ka by the admin) with an owner account.
  Shop OpenShop(const std::string& kind, const std::string& name = "测试店");
  // Makes a registered user (`phone`, signed in as `token`) staff of `shop` as `role`
  // (operator or support): the owner invites, the user accepts (asserts both).
  void AddStaff(const Shop& shop, const std::string& phone, const std::string& token, const std::string& role);
  // Creates an on-sale product with one SKU; returns {product_id, sku_id}.
  std::pair<std::string, std::string> CreateProduct(const Shop& shop, int64_t price_fen, int64_t stock,
                                                    const std::string& title = "测试咖啡豆 250g");
  Json Address() const;
  // Checkout one SKU → the created order JSON (asserts 201).
  Json Buy(const std::string& token, const std::string& sku_id, int64_t qty = 1);
  // Pays an order through the sandbox and waits until the notification lands (asserts paid).
  Json PayAndWait(const std::string& token, const std::string& order_id);
  // Waits (real time, bounded) until the order reaches `status`.
  Json WaitStatus(const std::string& token, const std::string& order_id, const std::string& status);
  // True when this run's stores are PostgreSQL schemas.
  static bool OnPostgres();
  // A fresh empty store location (a SQLite file in dir_, or a PostgreSQL schema) for a test
  // that opens a second store; `name` is [a-z0-9_].
  std::string NewStoreLocation(const std::string& name);
  // Fires due timers now (after advancing the fake clock).
  void RunTimers();
  // The invariant report; asserts it is ok.
  Json ExpectInvariants();

  FakeClock clock_;
  std::unique_ptr<App> app_;
  uint16_t port_ = 0;
  std::filesystem::path dir_;
  std::string db_;  // this test's store location (AppOptions::db_path)
  std::vector<std::string> schemas_;  // on PostgreSQL: the schemas this test made (dropped after)
  int phone_seq_ = 0;
  std::string admin_token_;
};

}  // namespace xd::testing
