// Accounts under attack, over real HTTP: password hashing off the I/O threads and bounded,
// login throttling per account and source, idempotency keys bound to their request.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "http/api.h"
#include "tests/harness.h"

namespace xd::testing {
namespace {

class Accounts : public ApiTest {
 protected:
  struct RawResponse {
    int status = 0;
    std::string retry_after;
    Json body;
  };
  // One request on a new connection from `source_ip` (any 127.x.y.z is this machine), so a
  // test can be two clients at two addresses.
  // `port`: another node's (0: this test's server).
  RawResponse PostFrom(const std::string& source_ip, const std::string& path, const Json& body, uint16_t port = 0) {
    RawResponse out;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source_ip.c_str(), &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port ? port : port_);
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      ::close(fd);
      ADD_FAILURE() << "cannot connect from " << source_ip;
      return out;
    }
    std::string payload = body.dump();
    std::string req = "POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n" +
                      "Content-Length: " + std::to_string(payload.size()) + "\r\n\r\n" + payload;
    (void)!::write(fd, req.data(), req.size());
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
    ::close(fd);
    if (got.size() > 12) out.status = std::stoi(got.substr(9, 3));
    if (size_t at = got.find("Retry-After: "); at != std::string::npos)
      out.retry_after = got.substr(at + 13, got.find("\r\n", at) - at - 13);
    if (size_t at = got.find("\r\n\r\n"); at != std::string::npos) out.body = ParseJson(got.substr(at + 4)).value_or(Json());
    return out;
  }
  RawResponse LoginFrom(const std::string& source_ip, const std::string& phone, const std::string& password, uint16_t port = 0) {
    return PostFrom(source_ip, "/api/v1/auth/login", Json{{"phone", phone}, {"password", password}}, port);
  }
  int64_t HashesComputed() { return app_->context().hasher->computed_total(); }
};

// Argon2 never runs on an HTTP I/O thread: with the hasher's one thread busy and its queue
// full, registers and logins are refused at once (503 + Retry-After) while /healthz and a
// register of a taken phone (refused before hashing) are still answered.
class BusyHasher : public Accounts {
 protected:
  void Configure(AppOptions& o) override {
    o.hasher.threads = 1;
    o.hasher.max_queue = 1;
  }
};

TEST_F(BusyHasher, HashingNeverRunsOnTheIoThreads) {
  Register("13633330001");
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  struct Release {  // however the test ends, the pool's thread is let go (TearDown joins it)
    std::promise<void>& p;
    bool done = false;
    void Now() {
      if (!std::exchange(done, true)) p.set_value();
    }
    ~Release() { Now(); }
  } unblock{release};
  account::PasswordHasher& hasher = *app_->context().hasher;
  ASSERT_TRUE(hasher.TrySubmit([&started, released] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();                   // the one thread is busy
  ASSERT_TRUE(hasher.TrySubmit([released] {}));  // and the queue is full
  int64_t computed = HashesComputed();

  auto reg = PostFrom("127.0.0.1", "/api/v1/auth/register", Json{{"phone", "13633330002"}, {"password", "secret123"}, {"nickname", "新"}});
  EXPECT_EQ(reg.status, 503) << reg.body.dump();
  EXPECT_EQ(reg.body["error"]["code"], "UNAVAILABLE");
  EXPECT_EQ(reg.retry_after, "1");
  auto login = LoginFrom("127.0.0.1", "13633330001", "secret123");
  EXPECT_EQ(login.status, 503) << login.body.dump();
  EXPECT_EQ(login.retry_after, "1");
  // A taken phone is refused without hashing; the I/O threads answer everything else.
  auto taken = Call("POST", "/api/v1/auth/register", Json{{"phone", "13633330001"}, {"password", "secret123"}, {"nickname", "x"}});
  EXPECT_EQ(taken.status, 409) << taken.body.dump();
  // Many clients hammering register and login meanwhile: every answer is a refusal, and
  // /healthz is answered among them.
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0}, other{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&, t] {
      auto c = NewClient();
      for (int i = 0; !stop; ++i) {
        auto r = t % 2 ? c->Json("POST", "/api/v1/auth/login", Json{{"phone", "13633330001"}, {"password", "guess" + std::to_string(i)}})
                       : c->Json("POST", "/api/v1/auth/register",
                                 Json{{"phone", "1364444" + std::to_string(1000 + t * 100 + i % 100)}, {"password", "secret123"}, {"nickname", "x"}});
        (r.status == 503 ? refused : other)++;
      }
    });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (refused < 200 && std::chrono::steady_clock::now() < deadline) {
    auto health = Call("GET", "/healthz");
    if (health.status != 200) {
      ADD_FAILURE() << "/healthz → " << health.status;
      break;
    }
  }
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(HashesComputed(), computed);  // nobody hashed while the pool was busy
  EXPECT_GT(hasher.refused_total(), 0);

  unblock.Now();
  // The pool frees up: the same register now goes through.
  for (int i = 0; i < 100 && reg.status != 201; ++i)
    reg = PostFrom("127.0.0.1", "/api/v1/auth/register", Json{{"phone", "13633330002"}, {"password", "secret123"}, {"nickname", "新"}});
  EXPECT_EQ(reg.status, 201) << reg.body.dump();
  EXPECT_EQ(LoginFrom("127.0.0.1", "13633330002", "secret123").status, 200);
}

// An unknown phone is answered after the same hashing as a wrong password, and is throttled
// the same way, so neither the time nor the answers tell which phones exist.
TEST_F(Accounts, UnknownPhoneIsAnsweredLikeAWrongPassword) {
  Register("13633331111");
  int64_t before = HashesComputed();
  auto wrong = LoginFrom("127.0.0.1", "13633331111", "wrong-pass");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(HashesComputed(), before + 1);
  auto unknown = LoginFrom("127.0.0.1", "13633332222", "wrong-pass");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body["error"], wrong.body["error"]);
  EXPECT_EQ(HashesComputed(), before + 2);  // the unknown phone cost a hash too
  for (int i = 1; i < account::kFreeLoginAttempts; ++i) {
    EXPECT_EQ(LoginFrom("127.0.0.1", "13633331111", "wrong-pass").status, 401);
    EXPECT_EQ(LoginFrom("127.0.0.1", "13633332222", "wrong-pass").status, 401);
  }
  auto known_locked = LoginFrom("127.0.0.1", "13633331111", "wrong-pass");
  auto unknown_locked = LoginFrom("127.0.0.1", "13633332222", "wrong-pass");
  EXPECT_EQ(known_locked.status, 429);
  EXPECT_EQ(unknown_locked.status, 429);
  EXPECT_EQ(known_locked.retry_after, unknown_locked.retry_after);
}

// Parallel wrong guesses are counted in the write before any is evaluated: no more than the
// free attempts get an answer about the password.
TEST_F(Accounts, ParallelGuessesNeverExceedTheFreeAttempts) {
  Register("13633334444");
  constexpr int kGuessers = 24;
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  std::map<int, int> answers;
  std::vector<std::thread> guessers;
  for (int i = 0; i < kGuessers; ++i)
    guessers.emplace_back([&, i] {
      auto c = NewClient();
      c->Json("GET", "/healthz");  // connected before the start
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return go; });
      }
      int status = c->Json("POST", "/api/v1/auth/login", Json{{"phone", "13633334444"}, {"password", "guess" + std::to_string(i)}}).status;
      std::lock_guard lock(mu);
      ++answers[status];
    });
  {
    std::lock_guard lock(mu);
    go = true;
  }
  cv.notify_all();
  for (auto& t : guessers) t.join();
  EXPECT_EQ(answers, (std::map<int, int>{{401, account::kFreeLoginAttempts}, {429, kGuessers - account::kFreeLoginAttempts}}));
  // The right password from the same source waits too.
  EXPECT_EQ(LoginFrom("127.0.0.1", "13633334444", "secret123").status, 429);
}

// Guessing from one address slows that address down, exponentially; it does not lock the
// owner (the admin included) out from another address, and the owner's success clears only
// the owner's own count.
TEST_F(Accounts, BackoffIsPerAccountAndSource) {
  Register("13633335555");
  for (const std::string phone : {"13633335555", "13800000000"}) {
    for (int i = 0; i < account::kFreeLoginAttempts; ++i) EXPECT_EQ(LoginFrom("127.0.0.1", phone, "guess").status, 401);
    auto locked = LoginFrom("127.0.0.1", phone, phone == "13800000000" ? "admin123" : "secret123");
    EXPECT_EQ(locked.status, 429) << locked.body.dump();
    EXPECT_EQ(locked.body["error"]["code"], "LOCKED");
    EXPECT_EQ(locked.retry_after, std::to_string(account::kLoginBackoffBaseMs / 1000));
  }
  // The owner and the admin, elsewhere, are not locked out.
  EXPECT_EQ(LoginFrom("127.0.0.2", "13633335555", "secret123").status, 200);
  EXPECT_EQ(LoginFrom("127.0.0.2", "13800000000", "admin123").status, 200);
  EXPECT_EQ(LoginFrom("127.0.0.1", "13633335555", "secret123").status, 429);  // the guesser still waits
  // Each further failure doubles the wait.
  clock_.AdvanceMs(account::kLoginBackoffBaseMs);
  EXPECT_EQ(LoginFrom("127.0.0.1", "13633335555", "guess").status, 401);
  auto longer = LoginFrom("127.0.0.1", "13633335555", "guess");
  EXPECT_EQ(longer.status, 429);
  EXPECT_EQ(longer.retry_after, std::to_string(2 * account::kLoginBackoffBaseMs / 1000));
  clock_.AdvanceMs(2 * account::kLoginBackoffBaseMs);
  EXPECT_EQ(LoginFrom("127.0.0.1", "13633335555", "secret123").status, 200);  // success clears the count
  for (int i = 0; i < account::kFreeLoginAttempts - 1; ++i) EXPECT_EQ(LoginFrom("127.0.0.1", "13633335555", "guess").status, 401);
}

// One source can be counting failures on a bounded number of phones; the counts expire.
TEST_F(Accounts, LoginStateIsBoundedPerSource) {
  for (int i = 0; i < account::kMaxLoginPhonesPerSource; ++i)
    ASSERT_EQ(LoginFrom("127.0.0.3", "1365555" + std::to_string(1000 + i), "guess").status, 401) << i;
  auto full = LoginFrom("127.0.0.3", "13655559999", "guess");
  EXPECT_EQ(full.status, 429);
  EXPECT_EQ(LoginFrom("127.0.0.4", "13655559999", "guess").status, 401);  // other sources are not affected
  clock_.AdvanceMs(account::kLoginWindowMs);
  EXPECT_EQ(LoginFrom("127.0.0.3", "13655559999", "guess").status, 401);
  auto rows = app_->store().Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM login_throttle"); });
  ASSERT_TRUE(rows);
  EXPECT_LE(*rows, account::kMaxLoginPhonesPerSource + 2 - 8);  // expired counts are deleted as attempts come
}

TEST(LoginSource, IPv6CountsBySlash64) {
  EXPECT_EQ(account::LoginSource("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(account::LoginSource("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(account::LoginSource("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
}

// Errors a user meets in the shop are in the UI's language: zh by default, en when the
// request's Accept-Language prefers it; each carries its stable code, a reason and params.
TEST_F(Accounts, ErrorsSpeakTheRequestsLanguage) {
  const std::vector<std::pair<std::string, std::string>> en = {{"Accept-Language", "en-US,en;q=0.9,zh;q=0.5"}};
  const std::vector<std::pair<std::string, std::string>> zh_first = {{"Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8"}};
  std::string me = Register("13633338888", "小明");
  auto expect = [](const http::Client::JsonResponse& r, int status, const std::string& code, const std::string& reason,
                   const std::string& message) {
    EXPECT_EQ(r.status, status) << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], code) << r.body.dump();
    EXPECT_EQ(r.body["error"]["reason"], reason) << r.body.dump();
    EXPECT_EQ(r.body["error"]["message"], message) << r.body.dump();
  };

  // Wrong password.
  Json wrong{{"phone", "13633338888"}, {"password", "not-my-password"}};
  expect(Call("POST", "/api/v1/auth/login", wrong), 401, "INVALID_CREDENTIALS", "WRONG_PASSWORD", "手机号或密码错误");
  expect(Call("POST", "/api/v1/auth/login", wrong, "", en), 401, "INVALID_CREDENTIALS", "WRONG_PASSWORD",
         "Wrong phone number or password");

  // A phone that is already registered.
  Json taken{{"phone", "13633338888"}, {"password", "secret123"}, {"nickname", "又一个"}};
  expect(Call("POST", "/api/v1/auth/register", taken), 409, "ALREADY_EXISTS", "PHONE_TAKEN", "该手机号已注册");
  expect(Call("POST", "/api/v1/auth/register", taken, "", zh_first), 409, "ALREADY_EXISTS", "PHONE_TAKEN", "该手机号已注册");
  expect(Call("POST", "/api/v1/auth/register", taken, "", en), 409, "ALREADY_EXISTS", "PHONE_TAKEN",
         "This phone number is already registered");

  // A password too short: the limits travel as params.
  Json short_password{{"phone", "13633339999"}, {"password", "123"}, {"nickname", "短"}};
  auto too_short = Call("POST", "/api/v1/auth/register", short_password);
  expect(too_short, 400, "INVALID_FIELD", "PASSWORD_LENGTH", "密码应为 6–64 位");
  EXPECT_EQ(too_short.body["error"]["params"], (Json{{"min", 6}, {"max", 64}}));
  expect(Call("POST", "/api/v1/auth/register", short_password, "", en), 400, "INVALID_FIELD", "PASSWORD_LENGTH",
         "The password must be 6 to 64 characters");

  // Befriending yourself.
  Json self{{"phone", "13633338888"}};
  expect(Call("POST", "/api/v1/friends/requests", self, me), 422, "RULE_VIOLATION", "BEFRIEND_SELF", "不能添加自己为好友");
  expect(Call("POST", "/api/v1/friends/requests", self, me, en), 422, "RULE_VIOLATION", "BEFRIEND_SELF",
         "You cannot befriend yourself");

  // A validation error names the field by its label, never raw; params carry the raw name.
  auto missing = Call("POST", "/api/v1/auth/register", Json{{"phone", "13633339999"}, {"password", "secret123"}});
  expect(missing, 400, "MISSING_FIELD", "FIELD_REQUIRED", "请填写昵称");
  EXPECT_EQ(missing.body["error"]["params"]["field"], "nickname");
  expect(Call("POST", "/api/v1/auth/register", Json{{"phone", "13633339999"}, {"password", "secret123"}}, "", en), 400,
         "MISSING_FIELD", "FIELD_REQUIRED", "nickname is required");
  // An unknown language is answered in zh; so is an unknown route.
  expect(Call("POST", "/api/v1/auth/login", wrong, "", {{"Accept-Language", "fr-FR,de;q=0.9"}}), 401, "INVALID_CREDENTIALS",
         "WRONG_PASSWORD", "手机号或密码错误");
  expect(Call("GET", "/api/v1/no-such-route"), 404, "NOT_FOUND", "ROUTE_NOT_FOUND", "接口不存在");
}

// Nobody joins a merchant's staff without saying yes: the owner invites, the invited user
// sees the invitation in their own session and accepts or declines it.
TEST_F(Accounts, StaffJoinOnlyByAcceptingAnInvitation) {
  Shop shop = OpenShop("c2c");
  std::string invitee = Register("13633336666", "被邀请人"), stranger = Register("13633337777", "路人");
  EXPECT_EQ(Call("POST", "/api/v1/merchant/staff", Json{{"phone", "13633336666"}, {"role", "operator"}}, shop.owner_token).status / 100, 4);
  auto invited = Call("POST", "/api/v1/merchant/staff-invitations", Json{{"phone", "13633336666"}, {"role", "operator"}}, shop.owner_token);
  ASSERT_EQ(invited.status, 201) << invited.body.dump();
  EXPECT_EQ(invited.body["status"], "pending");
  std::string id = invited.body["id"];
  // Invited is not staff: the invitee's console is unchanged.
  EXPECT_TRUE(Call("GET", "/api/v1/me", nullptr, invitee).body["merchants"].empty());
  EXPECT_EQ(Call("GET", "/api/v1/merchant/orders", nullptr, invitee, {{"X-Merchant-Id", shop.id}}).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/staff", nullptr, shop.owner_token).body["items"].size(), 1u);
  EXPECT_EQ(Call("GET", "/api/v1/merchant/staff-invitations", nullptr, shop.owner_token).body["items"][0]["user"]["phone"], "13633336666");
  // The invitee sees it; nobody else can answer it.
  auto mine = Call("GET", "/api/v1/me/staff-invitations", nullptr, invitee);
  ASSERT_EQ(mine.body["items"].size(), 1u);
  EXPECT_EQ(mine.body["items"][0]["merchant"]["id"], shop.id);
  EXPECT_EQ(mine.body["items"][0]["role"], "operator");
  EXPECT_TRUE(Call("GET", "/api/v1/me/staff-invitations", nullptr, stranger).body["items"].empty());
  EXPECT_EQ(Call("POST", "/api/v1/me/staff-invitations/" + id + "/accept", nullptr, stranger).status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/me/staff-invitations/" + id + "/accept", nullptr, shop.owner_token).status, 404);
  // Declined: still not staff, and the invitation is answered for good.
  EXPECT_EQ(Call("POST", "/api/v1/me/staff-invitations/" + id + "/decline", nullptr, invitee).body["status"], "declined");
  EXPECT_EQ(Call("POST", "/api/v1/me/staff-invitations/" + id + "/accept", nullptr, invitee).status, 404);
  EXPECT_TRUE(Call("GET", "/api/v1/me", nullptr, invitee).body["merchants"].empty());
  // Invited again and withdrawn by the owner: nothing to accept.
  std::string again = Call("POST", "/api/v1/merchant/staff-invitations", Json{{"phone", "13633336666"}, {"role", "support"}}, shop.owner_token).body["id"];
  EXPECT_EQ(Call("DELETE", "/api/v1/merchant/staff-invitations/" + again, nullptr, shop.owner_token).status, 204);
  EXPECT_EQ(Call("POST", "/api/v1/me/staff-invitations/" + again + "/accept", nullptr, invitee).status, 404);
  // Accepted: staff with the invited role.
  std::string third = Call("POST", "/api/v1/merchant/staff-invitations", Json{{"phone", "13633336666"}, {"role", "support"}}, shop.owner_token).body["id"];
  auto accepted = Call("POST", "/api/v1/me/staff-invitations/" + third + "/accept", nullptr, invitee);
  EXPECT_EQ(accepted.status, 200) << accepted.body.dump();
  auto me = Call("GET", "/api/v1/me", nullptr, invitee).body;
  ASSERT_EQ(me["merchants"].size(), 1u);
  EXPECT_EQ(me["merchants"][0]["role"], "support");
  EXPECT_TRUE(Call("GET", "/api/v1/merchant/staff-invitations", nullptr, shop.owner_token).body["items"].empty());
  // The owner cannot be invited, nor anyone as owner.
  EXPECT_EQ(Call("POST", "/api/v1/merchant/staff-invitations", Json{{"phone", "13633337777"}, {"role", "owner"}}, shop.owner_token).status, 400);
  ExpectInvariants();
}

TEST_F(Accounts, IdempotencyKeyIsBoundToItsRequest) {
  Shop shop = OpenShop("c2c");
  auto [product, sku] = CreateProduct(shop, 1000, 10);
  std::string buyer = Register();
  Json one{{"items", {{{"sku_id", sku}, {"quantity", 1}}}}, {"address", Address()}};
  auto first = Call("POST", "/api/v1/checkout", one, buyer, {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(first.status, 201) << first.body.dump();
  // The same key with a different body is refused, not answered with the first order.
  Json three = one;
  three["items"][0]["quantity"] = 3;
  auto other = Call("POST", "/api/v1/checkout", three, buyer, {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(other.status, 422) << other.body.dump();
  EXPECT_EQ(other.body["error"]["code"], "IDEMPOTENCY_MISMATCH");
  // The same request again (its JSON spelled differently) replays the first answer.
  auto client = NewClient();
  std::string respelled = "{ \"address\": " + Address().dump() + ",\n  \"items\": [{\"quantity\": 1, \"sku_id\": \"" + sku + "\"}] }";
  auto replay = client->Send("POST", "/api/v1/checkout", respelled,
                             {{"Authorization", "Bearer " + buyer}, {"Content-Type", "application/json"}, {"Idempotency-Key", "k-1"}});
  EXPECT_EQ(replay.status, 201) << replay.body;
  EXPECT_EQ(ParseJson(replay.body).value_or(Json()), first.body);
  EXPECT_EQ(Call("GET", "/api/v1/orders", nullptr, buyer).body["items"].size(), 1u);
  EXPECT_EQ(Call("GET", "/api/v1/products/" + product).body["skus"][0]["stock"], 9);
}

}  // namespace
}  // namespace xd::testing

namespace xd::testing {
namespace {

// Many nodes on one PostgreSQL (issue 13): a second App on this test's store is a second node,
// with its own session cache and its own writer. Sessions, sign-in limits and lockouts must
// hold across them as on one.
class AccountsTwoNodes : public Accounts {
 protected:
  // Waits (real time, bounded: another node's commit reaches this one a moment later) until
  // `done` holds; false if it never does.
  static bool Await(const std::function<bool()>& done) {
    for (int i = 0; i < 1000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return done();
  }
};

// A logout on node A is honoured by node B, which had the session cached, without waiting out
// the cache's TTL (the fake clock never moves here): B's cache drops the session when A's
// deletion commits. Fails on a per-node cache invalidated by the logging-out node alone.
TEST_F(AccountsTwoNodes, LogoutOnOneNodeIsRefusedOnAnotherAtOnce) {
  if (!OnPostgres()) GTEST_SKIP() << "two nodes on one store: PostgreSQL only (SQLite is one process)";
  auto node_b = OpenSecondNode();
  ASSERT_TRUE(node_b);
  http::Client b("127.0.0.1", node_b->port());
  std::string token = Register("13644440001"), other = Register("13644440002");
  ASSERT_EQ(b.Json("GET", "/api/v1/me", nullptr, token).status, 200);  // cached on B
  ASSERT_EQ(b.Json("GET", "/api/v1/me", nullptr, other).status, 200);
  ASSERT_EQ(Call("POST", "/api/v1/auth/logout", nullptr, token).status, 204);
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, token).status, 401);  // A: before its reply
  EXPECT_TRUE(Await([&] { return b.Json("GET", "/api/v1/me", nullptr, token).status == 401; }))
      << "node B still accepts a token logged out on node A";
  EXPECT_EQ(b.Json("GET", "/api/v1/me", nullptr, other).status, 200);  // only that session
  // And the other way round, for a session B signed in itself.
  auto login = b.Json("POST", "/api/v1/auth/login", Json{{"phone", "13644440002"}, {"password", "secret123"}});
  ASSERT_EQ(login.status, 200) << login.body.dump();
  std::string on_b = login.body["token"];
  ASSERT_EQ(Call("GET", "/api/v1/me", nullptr, on_b).status, 200);  // cached on A
  ASSERT_EQ(b.Json("POST", "/api/v1/auth/logout", nullptr, on_b).status, 204);
  EXPECT_TRUE(Await([&] { return Call("GET", "/api/v1/me", nullptr, on_b).status == 401; }));
  node_b->Stop();
}

// Losing the notification connection drops every cached session (any may have been logged out
// on another node meanwhile): the store reports kAnyTable and the app passes it to the cache.
TEST_F(AccountsTwoNodes, LostNotificationsDropEveryCachedSession) {
  if (!OnPostgres()) GTEST_SKIP() << "SQLite's update hook loses nothing";
  std::string token = Register("13644440003");
  ASSERT_EQ(Call("GET", "/api/v1/me", nullptr, token).status, 200);  // cached
  http::SessionCache& cache = *app_->context().sessions;
  ASSERT_TRUE(cache.Get(token, clock_.NowMs()));
  // Drop the listener's session (the only one whose last statement was its LISTEN).
  ASSERT_TRUE(app_->store().Execute([](Tx& tx) {
    return tx.Run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND pid <> pg_backend_pid() AND state = 'idle' AND query LIKE 'LISTEN%'");
  }));
  EXPECT_TRUE(Await([&] { return !cache.Get(token, clock_.NowMs()); }));
  EXPECT_EQ(Call("GET", "/api/v1/me", nullptr, token).status, 200);  // read from the store again
}

// A staff member removed on node A is refused on node B at once, though B has their session
// cached: roles are read with every staff request, never cached with the session.
TEST_F(AccountsTwoNodes, StaffRemovedOnOneNodeIsRefusedOnAnother) {
  if (!OnPostgres()) GTEST_SKIP() << "two nodes on one store: PostgreSQL only (SQLite is one process)";
  auto node_b = OpenSecondNode();
  ASSERT_TRUE(node_b);
  http::Client b("127.0.0.1", node_b->port());
  Shop shop = OpenShop("c2c");
  std::string staff = Register("13644440004", "店员");
  AddStaff(shop, "13644440004", staff, "operator");
  auto me = Call("GET", "/api/v1/me", nullptr, staff);
  std::string staff_id = me.body["user"]["id"];
  ASSERT_EQ(b.Json("GET", "/api/v1/merchant/orders", nullptr, staff).status, 200);  // session cached on B
  ASSERT_EQ(Call("DELETE", "/api/v1/merchant/staff/" + staff_id, nullptr, shop.owner_token).status / 100, 2);
  EXPECT_EQ(b.Json("GET", "/api/v1/merchant/orders", nullptr, staff).status, 403);
  EXPECT_EQ(b.Json("POST", "/api/v1/merchant/products", Json{{"title", "x"}}, staff).status, 403);
  node_b->Stop();
}

// Wrong passwords for one phone from one source, sent to two nodes at once, are counted as on
// one node: exactly the free attempts are answered about the password, every other waits.
// Fails with a read-then-write count (two nodes read the same count and write the same next
// one: more guesses answered, and some not counted at all).
TEST_F(AccountsTwoNodes, WrongPasswordsSplitAcrossTwoNodesLockAsOnOne) {
  if (!OnPostgres()) GTEST_SKIP() << "two nodes on one store: PostgreSQL only (SQLite is one process)";
  auto node_b = OpenSecondNode();
  ASSERT_TRUE(node_b);
  constexpr int kRounds = 6;
  constexpr int kGuessers = 16;
  for (int round = 0; round < kRounds; ++round) {
    std::string phone = "1364445" + std::to_string(1000 + round);
    Register(phone);
    std::mutex mu;
    std::condition_variable cv;
    bool go = false;
    std::map<int, int> answers;
    std::vector<std::thread> guessers;
    for (int i = 0; i < kGuessers; ++i)
      guessers.emplace_back([&, i] {
        http::Client c("127.0.0.1", i % 2 ? node_b->port() : port_);
        c.Json("GET", "/healthz");  // connected before the start
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return go; });
        }
        int status = c.Json("POST", "/api/v1/auth/login", Json{{"phone", phone}, {"password", "guess" + std::to_string(i)}}).status;
        std::lock_guard lock(mu);
        ++answers[status];
      });
    {
      std::lock_guard lock(mu);
      go = true;
    }
    cv.notify_all();
    for (auto& t : guessers) t.join();
    EXPECT_EQ(answers, (std::map<int, int>{{401, account::kFreeLoginAttempts}, {429, kGuessers - account::kFreeLoginAttempts}}))
        << "round " << round;
    auto failures = app_->store().Read([&](Reader& r) {
      return r.QueryInt("SELECT failures FROM login_throttle WHERE phone=?", {phone});
    });
    EXPECT_EQ(failures.value_or(-1), account::kFreeLoginAttempts) << "round " << round;
  }
  // Sequential guesses alternating between the nodes: the same.
  Register("13644459999");
  for (int i = 0; i < account::kFreeLoginAttempts; ++i)
    EXPECT_EQ(LoginFrom("127.0.0.1", "13644459999", "guess", i % 2 ? node_b->port() : 0).status, 401) << i;
  EXPECT_EQ(LoginFrom("127.0.0.1", "13644459999", "secret123", node_b->port()).status, 429);
  EXPECT_EQ(LoginFrom("127.0.0.1", "13644459999", "secret123").status, 429);
  node_b->Stop();
}

// Sign-ins per source are limited to the configured number per window, however many nodes
// serve them: counted in one table row on PostgreSQL, in memory on SQLite (one node).
class LimitedSignIn : public AccountsTwoNodes {
 protected:
  static constexpr int64_t kLogins = 6;
  static constexpr int64_t kRegistrations = 3;
  void Configure(AppOptions& o) override {
    o.route_limits.login = {.max = kLogins, .window_ms = 60'000};
    o.route_limits.registration = {.max = kRegistrations, .window_ms = 3'600'000};
  }
};

// Fails on a per-node count: each of two nodes admits the limit, twice it in all.
TEST_F(LimitedSignIn, LoginLimitAcrossTwoNodesIsTheConfiguredLimit) {
  std::unique_ptr<App> node_b = OnPostgres() ? OpenSecondNode() : nullptr;
  const uint16_t b_port = node_b ? node_b->port() : 0;  // SQLite: one node, the same limit
  clock_.AdvanceMs(60'000 - clock_.NowMs() % 60'000);  // at the start of a window
  std::map<int, int> answers;
  for (int i = 0; i < 2 * kLogins; ++i) {
    // Unknown phones, each once: the per-phone throttle never speaks, only the route limit.
    auto r = LoginFrom("127.0.0.5", "1364446" + std::to_string(1000 + i), "guess", i % 2 ? b_port : 0);
    ++answers[r.status];
    if (r.status == 429) {
      EXPECT_EQ(r.body["error"]["code"], "RATE_LIMITED");
      EXPECT_EQ(r.retry_after, "60");
    }
  }
  EXPECT_EQ(answers, (std::map<int, int>{{401, kLogins}, {429, kLogins}}));
  // Other sources have their own count; the next window starts afresh.
  EXPECT_EQ(LoginFrom("127.0.0.6", "13644469999", "guess", b_port).status, 401);
  clock_.AdvanceMs(60'000);
  EXPECT_EQ(LoginFrom("127.0.0.5", "13644469998", "guess", b_port).status, 401);
  EXPECT_EQ(LoginFrom("127.0.0.5", "13644469997", "guess").status, 401);
  if (node_b) node_b->Stop();
}

TEST_F(LimitedSignIn, RegistrationLimitAcrossTwoNodesIsTheConfiguredLimit) {
  std::unique_ptr<App> node_b = OnPostgres() ? OpenSecondNode() : nullptr;
  const uint16_t b_port = node_b ? node_b->port() : 0;
  clock_.AdvanceMs(3'600'000 - clock_.NowMs() % 3'600'000);
  std::map<int, int> answers;
  for (int i = 0; i < 2 * kRegistrations; ++i) {
    Json body{{"phone", "1364447" + std::to_string(1000 + i)}, {"password", "secret123"}, {"nickname", "新"}};
    ++answers[PostFrom("127.0.0.7", "/api/v1/auth/register", body, i % 2 ? b_port : 0).status];
  }
  EXPECT_EQ(answers, (std::map<int, int>{{201, kRegistrations}, {429, kRegistrations}}));
  if (node_b) node_b->Stop();
}

// The table of counts stays bounded: every count forgets up to two rows of ended windows.
TEST_F(LimitedSignIn, EndedWindowsAreForgotten) {
  if (!OnPostgres()) GTEST_SKIP() << "counted in memory on SQLite";
  for (int i = 0; i < 4; ++i) LoginFrom("127.0.1." + std::to_string(i), "13644480000", "guess");
  auto rows = [&] { return app_->store().Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM rate_buckets"); }).value_or(-1); };
  EXPECT_EQ(rows(), 4);
  clock_.AdvanceMs(3'600'000 + 60'000);  // past the longest window
  LoginFrom("127.0.2.1", "13644480000", "guess");
  EXPECT_EQ(rows(), 3);
  LoginFrom("127.0.2.1", "13644480000", "guess");
  LoginFrom("127.0.2.2", "13644480000", "guess");
  EXPECT_EQ(rows(), 2);  // two left, the ended ones gone
}

}  // namespace
}  // namespace xd::testing
