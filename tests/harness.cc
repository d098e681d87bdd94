#include "tests/harness.h"

#include <cstdlib>
#include <thread>

#include "base/log.h"
#include "http/api.h"
#include "tests/pg_cluster.h"

namespace xd::testing {

bool ApiTest::OnPostgres() {
  const char* backend = std::getenv("XD_TEST_BACKEND");
  return backend && std::string_view(backend) == "postgres";
}

std::string ApiTest::NewStoreLocation(const std::string& name) {
  if (!OnPostgres()) return (dir_ / name).string();
  // Asked for by name, so a cluster that cannot start fails the run rather than skipping it.
  PgCluster* pg = SharedPgCluster();
  if (!pg) {
    ADD_FAILURE() << "XD_TEST_BACKEND=postgres: " << PgUnavailableReason();
    return "";
  }
  static int schemas = 0;
  std::string schema = "api_" + std::to_string(++schemas) + "_" + name;
  auto url = pg->CreateSchema(schema);
  if (!url) {
    ADD_FAILURE() << url.error().message;
    return "";
  }
  schemas_.push_back(std::move(schema));
  return *url;
}

void ApiTest::SetUp() {
  SetLogLevel(std::getenv("XD_TEST_LOG") ? std::getenv("XD_TEST_LOG") : "warn");
  dir_ = std::filesystem::temp_directory_path() /
         ("xd_api_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  db_ = NewStoreLocation("db");
  ASSERT_FALSE(db_.empty());
  auto app = App::Create(NodeOptions(), clock_);
  ASSERT_TRUE(app) << app.error().message;
  app_ = std::move(*app);
  ASSERT_TRUE(app_->EnsureAdmin("13800000000", "admin123"));
  port_ = app_->Start();
}

AppOptions ApiTest::NodeOptions() {
  AppOptions o;
  o.db_path = db_;
  o.port = 0;
  o.background = true;
  o.timer_poll_ms = 3'600'000;  // timers run only when the test says (RunTimers)
  o.hasher.cost = account::HashCost::kFast;
  // The data platform's file in the test's directory (for PostgreSQL too; a second node of the
  // test shares it, as the nodes of one deployment share one analytics store).
  o.analytics_path = (dir_ / "analytics.db").string();
  // On PostgreSQL the API tests run with a pool of writers (serve defaults to one): commands
  // commit concurrently, as on several nodes, so a check-then-act that only a single writer
  // made safe fails here.
  if (OnPostgres()) o.writers = 3;
  Configure(o);
  return o;
}

std::unique_ptr<App> ApiTest::OpenSecondNode() {
  auto app = App::Create(NodeOptions(), clock_);
  EXPECT_TRUE(app) << app.error().message;
  if (!app) return nullptr;
  (*app)->Start();
  return std::move(*app);
}

void ApiTest::TearDown() {
  if (app_) app_->Stop();
  app_.reset();
  std::filesystem::remove_all(dir_);
  for (const std::string& schema : schemas_) {
    Status dropped = SharedPgCluster()->DropSchema(schema);
    EXPECT_TRUE(dropped) << "dropping " << schema << ": " << dropped.error().message;
  }
}

http::Client::JsonResponse ApiTest::Call(const std::string& method, const std::string& path, const Json& body, const std::string& token,
                                         std::vector<std::pair<std::string, std::string>> headers) {
  thread_local std::unique_ptr<http::Client> client;
  thread_local uint16_t client_port = 0;
  if (!client || client_port != port_) {
    client = NewClient();
    client_port = port_;
  }
  return client->Json(method, path, body, token, std::move(headers));
}

std::string ApiTest::Register(std::string phone, const std::string& nickname) {
  if (phone.empty()) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "158%08d", ++phone_seq_);
    phone = buf;
  }
  auto r = Call("POST", "/api/v1/auth/register", Json{{"phone", phone}, {"password", "secret123"}, {"nickname", nickname}});
  EXPECT_EQ(r.status, 201) << r.body.dump();
  return r.body.value("token", "");
}

std::string ApiTest::AdminToken() {
  if (admin_token_.empty()) {
    auto r = Call("POST", "/api/v1/auth/login", Json{{"phone", "13800000000"}, {"password", "admin123"}});
    EXPECT_EQ(r.status, 200) << r.body.dump();
    admin_token_ = r.body.value("token", "");
  }
  return admin_token_;
}

ApiTest::Shop ApiTest::OpenShop(const std::string& kind, const std::string& name) {
  char phone[16];
  std::snprintf(phone, sizeof phone, "159%08d", ++phone_seq_);
  std::string owner = Register(phone, name + "店主");
  http::Client::JsonResponse r;
  if (kind == "c2c") {
    r = Call("POST", "/api/v1/merchants", Json{{"kind", kind}, {"name", name}}, owner);
  } else {
    r = Call("POST", "/api/v1/merchants", Json{{"kind", kind}, {"name", name}, {"owner_phone", phone}}, AdminToken());
  }
  EXPECT_EQ(r.status, 201) << r.body.dump();
  EXPECT_EQ(r.body.value("status", ""), "active");
  return Shop{r.body.value("id", ""), owner};
}

void ApiTest::AddStaff(const Shop& shop, const std::string& phone, const std::string& token, const std::string& role) {
  auto invited = Call("POST", "/api/v1/merchant/staff-invitations", Json{{"phone", phone}, {"role", role}}, shop.owner_token,
                      {{"X-Merchant-Id", shop.id}});
  ASSERT_EQ(invited.status, 201) << invited.body.dump();
  auto accepted = Call("POST", "/api/v1/me/staff-invitations/" + invited.body.value("id", "") + "/accept", nullptr, token);
  ASSERT_EQ(accepted.status, 200) << accepted.body.dump();
}

std::pair<std::string, std::string> ApiTest::CreateProduct(const Shop& shop, int64_t price_fen, int64_t stock, const std::string& title) {
  auto r = Call("POST", "/api/v1/merchant/products",
                Json{{"title", title}, {"category", "食品"}, {"status", "on_sale"},
                     {"skus", {{{"spec", {{"规格", "标准"}}}, {"price_fen", price_fen}, {"stock", stock}}}}},
                shop.owner_token, {{"X-Merchant-Id", shop.id}});
  EXPECT_EQ(r.status, 201) << r.body.dump();
  return {r.body.value("id", ""), r.body["skus"][0].value("id", "")};
}

Json ApiTest::Address() const {
  return Json{{"name", "张三"}, {"phone", "13800000000"}, {"region", "上海市 浦东新区"}, {"detail", "世纪大道 100 号"}};
}

Json ApiTest::Buy(const std::string& token, const std::string& sku_id, int64_t qty) {
  auto r = Call("POST", "/api/v1/checkout", Json{{"items", {{{"sku_id", sku_id}, {"quantity", qty}}}}, {"address", Address()}}, token);
  EXPECT_EQ(r.status, 201) << r.body.dump();
  return r.body.contains("orders") ? r.body["orders"][0] : Json();
}

Json ApiTest::PayAndWait(const std::string& token, const std::string& order_id) {
  auto pay = Call("POST", "/api/v1/orders/" + order_id + "/pay", nullptr, token);
  EXPECT_EQ(pay.status, 200) << pay.body.dump();
  std::string payment_id = pay.body.value("payment_id", "");
  auto done = Call("POST", "/api/v1/pay/sandbox/" + payment_id + "/complete", nullptr, token);
  EXPECT_EQ(done.status, 200) << done.body.dump();
  return WaitStatus(token, order_id, "paid");
}

Json ApiTest::WaitStatus(const std::string& token, const std::string& order_id, const std::string& status) {
  Json last;
  std::string path = "/api/v1/orders/" + order_id;
  for (int i = 0; i < 20; ++i) {
    auto r = Call("GET", path, nullptr, token);
    last = r.body;
    if (r.status != 200) break;
    if (r.body.value("status", "") == status) return r.body;
    // The order's long poll: answered when it leaves its current status (or after 250 ms).
    path = "/api/v1/orders/" + order_id + "?wait_ms=250&wait_while=" + r.body.value("status", "");
  }
  ADD_FAILURE() << "order " << order_id << " never reached " << status << ": " << last.dump();
  return last;
}

void ApiTest::RunTimers() {
  auto r = app_->timers().RunDue(100000);
  ASSERT_TRUE(r) << r.error().message;
}

Json ApiTest::ExpectInvariants() {
  auto report = http::RunInvariantChecks(app_->context());
  EXPECT_TRUE(report) << report.error().message;
  if (!report) return Json();
  EXPECT_TRUE((*report)["ok"].get<bool>()) << report->dump(2);
  return *report;
}

}  // namespace xd::testing
