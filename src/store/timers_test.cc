// Durable timers: retries with backoff, death after the last attempt or for an unknown kind
// (visible, reported by the check, never fired again by itself), and revival by RetryTimer.
#include "store/timers.h"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "tests/pg_cluster.h"

namespace xd {
namespace {

// Every test runs on both backends: SQLite in a temp directory, PostgreSQL in a fresh schema of
// the private cluster this binary starts once (tests/pg_cluster.h).
enum class Backend { kSqlite, kPostgres };

class TimersTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name)
      if (c == '/') c = '_';
    dir_ = std::filesystem::temp_directory_path() / ("xd_timers_test_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::string path = (dir_ / "db").string();
    if (GetParam() == Backend::kPostgres) {
      auto* cluster = xd::testing::SharedPgCluster();
      if (!cluster) {
        if (xd::testing::PgCluster::BinDir().empty()) GTEST_SKIP() << xd::testing::PgUnavailableReason();
        FAIL() << xd::testing::PgUnavailableReason();
      }
      static int schemas = 0;
      auto url = cluster->CreateSchema("timers_" + std::to_string(++schemas));
      ASSERT_TRUE(url) << url.error().message;
      path = *url;
    }
    path_ = path;
    auto s = Store::Open({.path = path, .readers = 2, .sync_full = false}, clock_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    timers_ = std::make_unique<TimerService>(*store_);
  }
  void TearDown() override {
    timers_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  int64_t Add(const std::string& kind) {
    auto id = store_->ExecuteFor<int64_t>([&](Tx& tx) { return tx.AddTimer(kind, tx.NowMs(), Json{{"n", 1}}); });
    EXPECT_TRUE(id);
    return id.value_or(0);
  }
  // Advances the clock past any backoff and fires what is due.
  int Poll() {
    clock_.AdvanceMs(3'600'000);
    auto n = timers_->RunDue();
    EXPECT_TRUE(n) << n.error().message;
    return n.value_or(-1);
  }
  std::vector<DeadTimer> Dead() { return *store_->Read([](Reader& r) { return DeadTimers(r, 100); }); }
  std::vector<std::string> Problems() { return *store_->Read([](Reader& r) { return CheckTimers(r); }); }

  FakeClock clock_;
  std::filesystem::path dir_;
  std::string path_;  // the store's location
  std::unique_ptr<Store> store_;
  std::unique_ptr<TimerService> timers_;
};

INSTANTIATE_TEST_SUITE_P(Backends, TimersTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return std::string(info.param == Backend::kSqlite ? "Sqlite" : "Postgres");
                         });

TEST_P(TimersTest, ATimerThatAlwaysFailsDiesVisiblyAndCanBeRetried) {
  int calls = 0;
  bool fixed = false;
  timers_->Register("test.flaky", [&](Tx&, const Json&) -> Status {
    ++calls;
    if (!fixed) return Fail(ErrorCode::UNAVAILABLE, "downstream is down");
    return Ok();
  });
  int64_t id = Add("test.flaky");
  for (int i = 0; i < kMaxTimerAttempts; ++i) EXPECT_EQ(Poll(), 0);
  EXPECT_EQ(calls, kMaxTimerAttempts);
  // Dead: listed with its error, reported by the check, counted, and never fired again.
  auto dead = Dead();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].id, id);
  EXPECT_EQ(dead[0].kind, "test.flaky");
  EXPECT_EQ(dead[0].attempts, kMaxTimerAttempts);
  EXPECT_EQ(dead[0].last_error, "downstream is down");
  EXPECT_EQ(dead[0].payload, (Json{{"n", 1}}));
  auto problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("test.flaky"), std::string::npos);
  EXPECT_EQ(timers_->deaths(), 1);
  EXPECT_EQ(timers_->failures(), kMaxTimerAttempts);
  EXPECT_EQ(Poll(), 0);
  EXPECT_EQ(calls, kMaxTimerAttempts);
  // Retried once the cause is fixed: it fires and is gone.
  fixed = true;
  ASSERT_TRUE(store_->Execute([&](Tx& tx) { return RetryTimer(tx, id); }));
  EXPECT_EQ(Poll(), 1);
  EXPECT_TRUE(Dead().empty());
  EXPECT_TRUE(Problems().empty());
  // Only a dead timer can be retried.
  auto again = store_->Execute([&](Tx& tx) { return RetryTimer(tx, id); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::NOT_FOUND);
}

TEST_P(TimersTest, AnUnknownKindDiesAtOnceInsteadOfBeingRetriedForever) {
  int64_t id = Add("test.nobody_handles_this");
  EXPECT_EQ(Poll(), 0);
  auto dead = Dead();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].id, id);
  EXPECT_EQ(dead[0].attempts, 1);
  EXPECT_EQ(dead[0].last_error, "unknown timer kind");
  EXPECT_EQ(timers_->failures(), 1);
  EXPECT_EQ(Poll(), 0);
  EXPECT_EQ(timers_->failures(), 1);  // not looked at again
  EXPECT_EQ(Problems().size(), 1u);
}

TEST_P(TimersTest, AFailureBacksOffAndASuccessLaterClearsIt) {
  int calls = 0;
  timers_->Register("test.once", [&](Tx&, const Json&) -> Status {
    return ++calls == 1 ? Status(Fail(ErrorCode::UNAVAILABLE, "first try fails")) : Ok();
  });
  Add("test.once");
  EXPECT_EQ(timers_->RunDue().value_or(-1), 0);
  EXPECT_EQ(timers_->RunDue().value_or(-1), 0);  // backing off: not due yet
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Poll(), 1);
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(Dead().empty());
}

// Many nodes on one PostgreSQL: two stores (two nodes' writers) poll the same due timers at the
// same time; each timer fires once in all. A second fire would hit the primary key of `fired`
// and count as a failure. The claim skips a timer another node holds (SKIP LOCKED) instead of
// waiting for that node's commit.
TEST_P(TimersTest, TwoNodesPollingTogetherFireEachTimerOnce) {
  if (GetParam() != Backend::kPostgres) GTEST_SKIP() << "several nodes share a store on PostgreSQL only";
  ASSERT_TRUE(store_->Execute([](Tx& tx) { return tx.Run("CREATE TABLE fired(n BIGINT PRIMARY KEY)"); }));
  auto other_store = Store::Open({.path = path_, .readers = 2}, clock_);
  ASSERT_TRUE(other_store) << other_store.error().message;
  TimerService other(**other_store);
  auto fire = [](Tx& tx, const Json& payload) { return tx.Run("INSERT INTO fired(n) VALUES(?)", {payload.at("n").get<int64_t>()}); };
  timers_->Register("count", fire);
  other.Register("count", fire);
  constexpr int kTimers = 300;
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status {
    for (int i = 0; i < kTimers; ++i) {
      auto id = tx.AddTimer("count", tx.NowMs(), Json{{"n", i}});
      if (!id) return std::unexpected(id.error());
    }
    return Ok();
  }));
  clock_.AdvanceMs(1);
  Result<int> a = 0, b = 0;
  std::thread node_b([&] { b = other.RunDue(); });
  a = timers_->RunDue();
  node_b.join();
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(*a + *b, kTimers);
  EXPECT_EQ(timers_->failures() + other.failures(), 0);
  EXPECT_EQ(*store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM fired"); }), kTimers);
  EXPECT_EQ(*store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM timers"); }), 0);
}

}  // namespace
}  // namespace xd
