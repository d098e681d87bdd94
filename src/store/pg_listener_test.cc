// PgListener against the private cluster: notifications arrive after commit, in commit order,
// never from a rolled-back transaction, and a lost connection is reported, then recovered.
#include "store/internal/pg_listener.h"

#include <gtest/gtest.h>

#include <chrono>

#include "store/internal/pg_conn.h"
#include "tests/pg_cluster.h"

namespace xd::internal {
namespace {

class PgListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto* cluster = testing::SharedPgCluster();
    if (!cluster) {
      if (testing::PgCluster::BinDir().empty()) GTEST_SKIP() << testing::PgUnavailableReason();
      FAIL() << testing::PgUnavailableReason();
    }
    static int n = 0;
    auto url = cluster->CreateSchema("listen_" + std::to_string(++n));
    ASSERT_TRUE(url) << url.error().message;
    url_ = *url;
    auto l = PgListener::Open(url_, {"xd_rows"});
    ASSERT_TRUE(l) << l.error().message;
    listener_ = std::move(*l);
  }
  std::unique_ptr<PgConn> Connect() {
    auto c = PgConn::Open(url_);
    EXPECT_TRUE(c) << c.error().message;
    return std::move(*c);
  }
  // Collects payloads until `last` arrives (bounded by a deadline, not a sleep); `lost` is set if
  // any Wait reported a lost connection.
  std::vector<std::string> CollectUntil(const std::string& last, bool* lost = nullptr) {
    std::vector<std::string> got;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      auto b = listener_->Wait(100);
      if (!b) continue;
      if (b->lost && lost) *lost = true;
      for (auto& n : b->notifications) {
        EXPECT_EQ(n.channel, "xd_rows");
        got.push_back(n.payload);
      }
      if (!got.empty() && got.back() == last) break;
    }
    return got;
  }

  std::string url_;
  std::unique_ptr<PgListener> listener_;
};

TEST_F(PgListenerTest, DeliversAfterCommitInCommitOrder) {
  auto a = Connect(), b = Connect(), c = Connect();
  ASSERT_TRUE(a->Begin());
  ASSERT_TRUE(a->Query("SELECT pg_notify('xd_rows', 'a1')"));
  auto early = listener_->Wait(0);
  ASSERT_TRUE(early);
  EXPECT_TRUE(early->notifications.empty());                   // not before the commit
  ASSERT_TRUE(b->Query("SELECT pg_notify('xd_rows', 'b1')"));  // commits first
  ASSERT_TRUE(a->Query("SELECT pg_notify('xd_rows', 'a2')"));
  ASSERT_TRUE(c->Begin());
  ASSERT_TRUE(c->Query("SELECT pg_notify('xd_rows', 'rolled back')"));
  ASSERT_TRUE(c->Rollback());
  ASSERT_TRUE(a->Commit());
  ASSERT_TRUE(b->Query("SELECT pg_notify('xd_rows', 'end')"));
  EXPECT_EQ(CollectUntil("end"), (std::vector<std::string>{"b1", "a1", "a2", "end"}));
}

TEST_F(PgListenerTest, ReportsALostConnectionAndListensAgain) {
  auto admin = Connect();
  ASSERT_TRUE(admin->Query("SELECT pg_notify('xd_rows', 'before')"));
  EXPECT_EQ(CollectUntil("before"), (std::vector<std::string>{"before"}));
  // End the listener's session the way a server restart would.
  auto killed = admin->Query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND "
      "pid <> pg_backend_pid()");
  ASSERT_TRUE(killed) << killed.error().message;
  ASSERT_GE(killed->size(), 1u);
  bool lost = false;
  // Keep notifying until the re-established LISTEN hears one: the ones sent while it was down
  // are gone, which is exactly what `lost` tells the caller.
  std::vector<std::string> got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got.empty() && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(admin->Query("SELECT pg_notify('xd_rows', 'after')"));
    auto b = listener_->Wait(100);
    if (!b) continue;
    lost = lost || b->lost;
    for (auto& n : b->notifications) got.push_back(n.payload);
  }
  EXPECT_TRUE(lost);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front(), "after");
}

}  // namespace
}  // namespace xd::internal
