// Foundation over real HTTP: accounts and sessions, merchants of three kinds with staff
// roles, friends, tenant isolation, bad input, the OpenAPI document, health and metrics.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "base/limits.h"
#include "http/async_client.h"
#include "http/client.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

class Foundation : public ApiTest {};

TEST_F(Foundation, RegisterLoginLogoutAndExpiry) {
  auto reg = Call("POST", "/api/v1/auth/register", Json{{"phone", "13612345678"}, {"password", "secret123"}, {"nickname", "小王"}});
  ASSERT_EQ(reg.status, 201) << reg.body.dump();
  EXPECT_TRUE(reg.body["user"]["id"].is_string());  // ids travel as strings
  std::string token = reg.body["token"];
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, token).status, 200);
  EXPECT_EQ(Call("POST", "/api/v1/auth/register", Json{{"phone", "13612345678"}, {"password", "other123"}, {"nickname", "x"}}).body["error"]["code"],
            "ALREADY_EXISTS");
  auto bad = Call("POST", "/api/v1/auth/login", Json{{"phone", "13612345678"}, {"password", "wrong-pass"}});
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.body["error"]["code"], "INVALID_CREDENTIALS");
  auto login = Call("POST", "/api/v1/auth/login", Json{{"phone", "13612345678"}, {"password", "secret123"}});
  ASSERT_EQ(login.status, 200);
  std::string second = login.body["token"];
  EXPECT_EQ(Call("POST", "/api/v1/auth/logout", nullptr, token).status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, token).status, 401);  // logout revokes
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, second).status, 200);
  clock_.AdvanceMs(account::kSessionTtlMs + 1);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, second).status, 401);  // tokens expire
}

TEST_F(Foundation, LogoutRevokesAtOnceWhileTheTokenIsHammered) {
  // Sessions are cached in front of the store; 8 clients keep using 20 tokens while each is
  // logged out. Once a logout is acknowledged, no request with that token may succeed.
  std::vector<std::string> tokens;
  for (int i = 0; i < 20; ++i) tokens.push_back(Register("1362000" + std::to_string(1000 + i)));
  std::vector<std::atomic<bool>> revoked(tokens.size());
  std::atomic<bool> stop{false};
  std::atomic<int> leaks{0}, served{0};
  constexpr int kClients = 8;
  std::vector<std::atomic<int>> answered(kClients);  // requests each client has had answered
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t)
    clients.emplace_back([&, t] {
      auto c = NewClient();
      for (size_t n = t; !stop; n += 3) {
        size_t i = n % tokens.size();
        bool was_revoked = revoked[i].load();  // read before sending: a success must predate it
        int status = c->Json("GET", "/api/v1/me", nullptr, tokens[i]).status;
        if (status == 200) ++served;
        if (status == 200 && was_revoked) ++leaks;
        ++answered[t];
      }
    });
  // Waits (bounded) until every client has had `rounds` more requests answered than now: the
  // last of them was sent after this call began.
  auto every_client_answers = [&](int rounds) {
    std::vector<int> from(kClients);
    for (int t = 0; t < kClients; ++t) from[t] = answered[t].load();
    for (int spin = 0; spin < 10'000; ++spin) {
      bool all = true;
      for (int t = 0; t < kClients; ++t) all = all && answered[t].load() >= from[t] + rounds;
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  };
  // (No ASSERT while the clients run: returning would destroy joinable threads.)
  for (size_t i = 0; i < tokens.size(); ++i) {
    EXPECT_TRUE(every_client_answers(1));  // the tokens are in use between logouts
    int status = Call("POST", "/api/v1/auth/logout", nullptr, tokens[i]).status;
    EXPECT_EQ(status, 204);
    if (status != 204) break;
    revoked[i] = true;
  }
  // Every client sends requests after the last logout (2 rounds: the second was sent after it),
  // with tokens of the cache's recent past.
  EXPECT_TRUE(every_client_answers(2));
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_GT(served.load(), 0);
  EXPECT_EQ(leaks.load(), 0);
  for (auto& t : tokens) EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, t).status, 401);
}

TEST_F(Foundation, MerchantKindsAndApproval) {
  std::string buyer = Register();
  auto c2c = Call("POST", "/api/v1/merchants", Json{{"kind", "c2c"}, {"name", "小王的店"}}, buyer);
  ASSERT_EQ(c2c.status, 201);
  EXPECT_EQ(c2c.body["status"], "active");
  EXPECT_EQ(c2c.body["commission_bps"], 500);
  EXPECT_EQ(Call("POST", "/api/v1/merchants", Json{{"kind", "c2c"}, {"name", "第二家"}}, buyer).status, 409);
  auto ka = Call("POST", "/api/v1/merchants", Json{{"kind", "ka"}, {"name", "品牌旗舰店"}}, buyer);
  ASSERT_EQ(ka.status, 201);
  EXPECT_EQ(ka.body["status"], "pending");  // b2c and ka need an admin
  std::string ka_id = ka.body["id"];
  // A pending merchant cannot sell yet.
  auto early = Call("POST", "/api/v1/merchant/products",
                    Json{{"title", "x"}, {"skus", {{{"price_fen", 100}, {"stock", 1}}}}}, buyer, {{"X-Merchant-Id", ka_id}});
  EXPECT_EQ(early.status, 409) << early.body.dump();
  EXPECT_EQ(Call("POST", "/api/v1/admin/merchants/" + ka_id + "/approve", nullptr, buyer).status, 403);
  auto pending = Call("GET", "/api/v1/admin/merchants?status=pending", nullptr, AdminToken());
  ASSERT_EQ(pending.status, 200);
  EXPECT_EQ(pending.body["items"].size(), 1u);
  auto approved = Call("POST", "/api/v1/admin/merchants/" + ka_id + "/approve", nullptr, AdminToken());
  ASSERT_EQ(approved.status, 200);
  EXPECT_EQ(approved.body["status"], "active");
  EXPECT_EQ(approved.body["commission_bps"], 300);
  // Per-merchant override beats the kind default; kind defaults are editable.
  auto patched = Call("PATCH", "/api/v1/admin/merchants/" + ka_id, Json{{"commission_bps", 250}}, AdminToken());
  EXPECT_EQ(patched.body["commission_bps"], 250);
  auto kd = Call("PUT", "/api/v1/admin/kind-defaults/c2c", Json{{"commission_bps", 600}, {"hold_days", 7}, {"max_products", 200}, {"max_order_fen", 5000000}},
                 AdminToken());
  EXPECT_EQ(kd.status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/merchant", nullptr, buyer, {{"X-Merchant-Id", c2c.body["id"]}}).body["commission_bps"], 600);
}

TEST_F(Foundation, StaffRolesArePerRoute) {
  Shop shop = OpenShop("c2c");
  std::string op = Register("13622220001"), sup = Register("13622220002");
  AddStaff(shop, "13622220001", op, "operator");
  AddStaff(shop, "13622220002", sup, "support");
  Json product{{"title", "咖啡"}, {"status", "on_sale"}, {"skus", {{{"price_fen", 100}, {"stock", 1}}}}};
  EXPECT_EQ(Call("POST", "/api/v1/merchant/products", product, op).status, 201);   // operator manages products
  EXPECT_EQ(Call("POST", "/api/v1/merchant/products", product, sup).status, 403);  // support does not
  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders", nullptr, sup).status, 200);     // support reads
  EXPECT_EQ(Call("GET", "/api/v1/merchant/finance", nullptr, op).status, 403);     // finance is the owner's
  EXPECT_EQ(Call("GET", "/api/v1/merchant/finance", nullptr, shop.owner_token).status, 200);
  EXPECT_EQ(Call("POST", "/api/v1/merchant/staff-invitations", Json{{"phone", "13622220002"}, {"role", "operator"}}, op).status, 403);
  auto staff = Call("GET", "/api/v1/merchant/staff", nullptr, shop.owner_token);
  EXPECT_EQ(staff.body["items"].size(), 3u);
}

TEST_F(Foundation, FriendsRequestAcceptRemove) {
  std::string a = Register("13633330001", "甲"), b = Register("13633330002", "乙");
  auto req = Call("POST", "/api/v1/friends/requests", Json{{"phone", "13633330002"}}, a);
  ASSERT_EQ(req.status, 201);
  auto incoming = Call("GET", "/api/v1/friends/requests", nullptr, b);
  ASSERT_EQ(incoming.body["items"].size(), 1u);
  EXPECT_EQ(incoming.body["items"][0]["from"]["nickname"], "甲");
  // Only the addressee may accept.
  EXPECT_EQ(Call("POST", "/api/v1/friends/requests/" + req.body["id"].get<std::string>() + "/accept", nullptr, a).status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/friends/requests/" + req.body["id"].get<std::string>() + "/accept", nullptr, b).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/friends", nullptr, a).body["items"].size(), 1u);
  EXPECT_EQ(Call("GET", "/api/v1/friends", nullptr, b).body["items"][0]["nickname"], "甲");
  std::string b_id = Call("GET", "/api/v1/me", nullptr, b).body["user"]["id"];
  EXPECT_EQ(Call("DELETE", "/api/v1/friends/" + b_id, nullptr, a).status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/friends", nullptr, b).body["items"].size(), 0u);
}

TEST_F(Foundation, TenantIsolation) {
  Shop a = OpenShop("c2c", "甲店"), b = OpenShop("c2c", "乙店");
  auto [b_product, b_sku] = CreateProduct(b, 1000, 10);
  std::string buyer1 = Register(), buyer2 = Register();
  Json order = Buy(buyer1, b_sku);
  std::string oid = order["id"];
  // A's owner naming B's merchant: forbidden.
  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders", nullptr, a.owner_token, {{"X-Merchant-Id", b.id}}).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/products/" + b_product, nullptr, a.owner_token, {{"X-Merchant-Id", b.id}}).status, 403);
  // A's owner through A's own merchant: B's things do not exist.
  EXPECT_EQ(Call("GET", "/api/v1/merchant/products/" + b_product, nullptr, a.owner_token).status, 404);
  EXPECT_EQ(Call("PATCH", "/api/v1/merchant/products/" + b_product, Json{{"title", "hacked"}}, a.owner_token).status, 404);
  EXPECT_EQ(Call("PATCH", "/api/v1/merchant/skus/" + b_sku, Json{{"stock", 0}}, a.owner_token).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders/" + oid, nullptr, a.owner_token).status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/merchant/orders/" + oid + "/ship", Json{{"carrier", "x"}, {"tracking_no", "1"}}, a.owner_token).status, 404);
  // Another buyer sees nothing and changes nothing.
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + oid, nullptr, buyer2).status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/orders/" + oid + "/cancel", nullptr, buyer2).status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/orders/" + oid + "/pay", nullptr, buyer2).status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/orders", nullptr, buyer2).body["items"].size(), 0u);
  // Nothing changed.
  auto p = Call("GET", "/api/v1/merchant/products/" + b_product, nullptr, b.owner_token);
  EXPECT_EQ(p.body["title"], "测试咖啡豆 250g");
  EXPECT_EQ(p.body["skus"][0]["stock"], 9);
  EXPECT_EQ(Call("GET", "/api/v1/orders/" + oid, nullptr, buyer1).body["status"], "created");
  // A buyer is not staff; admin routes are the admin's.
  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders", nullptr, buyer2).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/admin/ledger/check", nullptr, a.owner_token).status, 403);
}

TEST_F(Foundation, BadInputGetsClearErrorsAndTheServerStaysUp) {
  std::string token = Register();
  auto client = NewClient();
  auto expect = [&](http::Response r, int status, const char* code) {
    EXPECT_EQ(r.status, status) << r.body;
    Json j = Json::parse(r.body, nullptr, false);
    EXPECT_EQ(j["error"]["code"], code) << r.body;
  };
  std::vector<std::pair<std::string, std::string>> json_auth = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}};
  expect(client->Send("POST", "/api/v1/auth/register", "{\"phone\":", {{"Content-Type", "application/json"}}), 400, "INVALID_JSON");
  expect(client->Send("POST", "/api/v1/auth/register", R"({"phone":13800000000,"password":"x","nickname":"y"})",
                      {{"Content-Type", "application/json"}}), 400, "INVALID_FIELD");
  expect(client->Send("POST", "/api/v1/auth/register", R"({"phone":"13800001111","password":"secret123","nickname":"y","admin":true})",
                      {{"Content-Type", "application/json"}}), 400, "UNKNOWN_FIELD");
  expect(client->Send("POST", "/api/v1/auth/register", "{\"phone\":\"1380000\xff\xfe\",\"password\":\"x\",\"nickname\":\"y\"}",
                      {{"Content-Type", "application/json"}}), 400, "INVALID_JSON");
  expect(client->Send("POST", "/api/v1/cart/items", std::string(5000, '[') + std::string(5000, ']'), json_auth), 400, "INVALID_JSON");
  expect(client->Send("POST", "/api/v1/cart/items", R"({"sku_id":"1","quantity":-5})", json_auth), 400, "INVALID_FIELD");
  expect(client->Send("POST", "/api/v1/cart/items", R"({"quantity":1})", json_auth), 400, "MISSING_FIELD");
  expect(client->Send("POST", "/api/v1/cart/items", "[1,2,3]", json_auth), 400, "INVALID_JSON");
  expect(client->Send("GET", "/api/v1/me"), 401, "UNAUTHENTICATED");
  expect(client->Send("GET", "/api/v1/me", "", {{"Authorization", "Bearer nonsense"}}), 401, "UNAUTHENTICATED");
  expect(client->Send("GET", "/api/v1/orders/not-a-number", "", {{"Authorization", "Bearer " + token}}), 404, "NOT_FOUND");
  expect(client->Send("DELETE", "/api/v1/checkout"), 405, "METHOD_NOT_ALLOWED");
  expect(client->Send("GET", "/api/v1/nowhere"), 404, "NOT_FOUND");
  std::string page_limit = "/api/v1/products?limit=";
  EXPECT_EQ(client->Send("GET", page_limit + std::to_string(limits::kMaxPageSize)).status, 200);
  expect(client->Send("GET", page_limit + std::to_string(limits::kMaxPageSize + 1)), 400, "INVALID_FIELD");
  auto huge = NewClient()->Send("POST", "/api/v1/auth/register", std::string(limits::kMaxRequestBodyBytes + 1, 'a'),
                                {{"Content-Type", "application/json"}});
  EXPECT_EQ(huge.status, 413) << huge.body;
  // SQL injection strings are stored as text.
  auto nick = Call("POST", "/api/v1/auth/register", Json{{"phone", "13644445555"}, {"password", "secret123"}, {"nickname", "'; DROP TABLE users; --"}});
  ASSERT_EQ(nick.status, 201);
  EXPECT_EQ(nick.body["user"]["nickname"], "'; DROP TABLE users; --");
  // Nothing half-written, and the server still serves.
  EXPECT_EQ(Call("GET", "/healthz").body["status"], "ok");
  EXPECT_EQ(Call("GET", "/api/v1/cart", nullptr, token).body["items"].size(), 0u);
  ExpectInvariants();
}

TEST_F(Foundation, OpenApiListsEveryRouteAndErrorCode) {
  auto doc = Call("GET", "/api/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body["openapi"], "3.0.3");
  for (auto [path, method] : std::vector<std::pair<std::string, std::string>>{
           {"/api/v1/auth/register", "post"}, {"/api/v1/auth/login", "post"}, {"/api/v1/merchants", "post"},
           {"/api/v1/merchant/products", "post"}, {"/api/v1/products/{id}", "get"}, {"/api/v1/cart/items", "post"},
           {"/api/v1/checkout", "post"}, {"/api/v1/orders/{id}/pay", "post"}, {"/api/v1/pay/notify/sandbox", "post"},
           {"/api/v1/pay/sandbox/{payment_id}/complete", "post"}, {"/api/v1/orders/{id}", "get"},
           {"/api/v1/admin/ledger/check", "get"}, {"/healthz", "get"}, {"/metrics", "get"}}) {
    EXPECT_TRUE(doc.body["paths"].contains(path) && doc.body["paths"][path].contains(method)) << method << " " << path;
  }
  auto codes = doc.body["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"];
  EXPECT_NE(std::find(codes.begin(), codes.end(), "OUT_OF_STOCK"), codes.end());
  // The document is generated from the router's own route table, so a served route cannot
  // be missing from it; check it is the whole table, not a hand-kept subset.
  size_t ops = 0;
  for (auto& [path, item] : doc.body["paths"].items()) ops += item.size();
  EXPECT_GT(ops, 50u);
  auto metrics = NewClient()->Send("GET", "/metrics");
  EXPECT_NE(metrics.body.find("xd_pipeline_batches_total"), std::string::npos);
  EXPECT_NE(metrics.body.find("xd_http_requests_total"), std::string::npos);
}

TEST_F(Foundation, AddressBook) {
  std::string t = Register();
  auto a = Call("POST", "/api/v1/me/addresses", Address(), t);
  ASSERT_EQ(a.status, 201);
  EXPECT_EQ(Call("GET", "/api/v1/me/addresses", nullptr, t).body["items"].size(), 1u);
  std::string other = Register();
  EXPECT_EQ(Call("DELETE", "/api/v1/me/addresses/" + a.body["id"].get<std::string>(), nullptr, other).status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/me/addresses/" + a.body["id"].get<std::string>(), nullptr, t).status, 204);
}

// The asynchronous client (the sandbox provider's transport): 200 posts through at most 4
// connections all get their answer, each exactly once; a request beyond the pool waits its turn.
TEST_F(Foundation, AsyncClientQueuesBeyondItsConnectionsAndAnswersEachOnce) {
  std::mutex mu;
  std::condition_variable cv;
  std::map<int, int> answers;  // status → count
  int done = 0;
  {
    http::AsyncClient client("127.0.0.1", port_, 4, "xd-test-io");
    for (int i = 0; i < 200; ++i) {
      std::string body = i % 2 ? "{}" : R"({"notify_id":"x"})";
      client.Post("/api/v1/pay/notify/sandbox", body, {{"X-Sandbox-Signature", "bad"}}, [&](int status) {
        std::lock_guard lock(mu);
        ++answers[status];
        ++done;
        cv.notify_all();
      });
    }
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return done == 200; })) << done << " answered";
  }
  EXPECT_EQ(answers, (std::map<int, int>{{401, 200}}));  // a forged signature, every time
  // Nothing listens on this port: the answer is 0, not a hang.
  std::promise<int> refused;
  {
    http::AsyncClient nowhere("127.0.0.1", 1, 1, "xd-test-io", 2000);
    nowhere.Post("/", "{}", {}, [&](int status) { refused.set_value(status); });
    auto f = refused.get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_EQ(f.get(), 0);
  }
}

// A server that answers each connection's first request with keep-alive, then hangs up
// (as a server does with an idle connection): the client's next request on that connection
// fails and is retried once on a new one, so the caller still gets its answer.
TEST(AsyncClient, RetriesOnceWhenAReusedConnectionWasClosed) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 8), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::atomic<int> accepted{0}, hung_up{0};
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      pollfd pfd{listener, POLLIN, 0};
      if (::poll(&pfd, 1, 5000) != 1) return;  // no connection within 5 s: the test fails, never hangs
      int fd = ::accept(listener, nullptr, nullptr);
      if (fd < 0) return;
      ++accepted;
      std::string got;
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos) {  // the body is empty: headers end the request
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n";
      (void)!::write(fd, answer.data(), answer.size());
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
      ++hung_up;
    }
  });
  http::AsyncClient client("127.0.0.1", ntohs(addr.sin_port), 1, "xd-test-io", 5000);
  auto post = [&] {
    std::promise<int> status;
    client.Post("/", "", {}, [&](int s) { status.set_value(s); });
    auto f = status.get_future();
    return f.wait_for(std::chrono::seconds(8)) == std::future_status::ready ? f.get() : -1;
  };
  EXPECT_EQ(post(), 200);
  // The client got its answer before the server closed: wait until the server has hung up, so
  // the next request goes out on a connection that is closed at the other end.
  for (int i = 0; i < 5000 && hung_up.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(hung_up.load(), 1);
  EXPECT_EQ(post(), 200);
  EXPECT_EQ(accepted.load(), 2);
  server.join();
  ::close(listener);
}

class RateLimited : public ApiTest {
 protected:
  void Configure(AppOptions& o) override {
    o.user_rate_per_s = 5;  // burst 10
    o.ip_rate_per_s = 40;   // burst 40
  }
};

TEST_F(RateLimited, PerUserAndPerIpLimitsAnswer429) {
  std::string token = Register();
  int limited = 0, ok = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = Call("GET", "/api/v1/me", nullptr, token);
    if (r.status == 429) {
      ++limited;
      EXPECT_EQ(r.body["error"]["code"], "RATE_LIMITED");
    } else if (r.status == 200) {
      ++ok;
    }
  }
  EXPECT_GE(ok, 9);
  EXPECT_GE(limited, 5);
  // Another user is not affected by the first one's limit.
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, Register()).status, 200);
  // Per IP: a burst of anonymous requests runs out.
  int ip_limited = 0;
  for (int i = 0; i < 80; ++i) ip_limited += Call("GET", "/healthz").status == 429;
  EXPECT_GT(ip_limited, 0);
}

}  // namespace
}  // namespace xd::testing
