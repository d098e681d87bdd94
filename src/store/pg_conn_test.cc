// PgConn against a private PostgreSQL 15 cluster (tests/pg_cluster.h), one schema per test.
#include "store/internal/pg_conn.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/pg_cluster.h"

namespace xd::internal {
namespace {

class PgConnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = testing::SharedPgCluster();
    if (!cluster_) {
      // Only a machine without the binaries may skip; a cluster that fails to start is a failure.
      if (testing::PgCluster::BinDir().empty()) GTEST_SKIP() << testing::PgUnavailableReason();
      FAIL() << testing::PgUnavailableReason();
    }
    static int n = 0;
    auto url = cluster_->CreateSchema("conn_" + std::to_string(++n));
    ASSERT_TRUE(url) << url.error().message;
    url_ = *url;
    conn_ = Connect();
  }
  std::unique_ptr<PgConn> Connect(size_t cache = 256) {
    auto c = PgConn::Open(url_, cache);
    EXPECT_TRUE(c) << c.error().message;
    return c ? std::move(*c) : nullptr;
  }
  // Ends `victim`'s server session from another connection, like a crash of its backend.
  void KillSession(PgConn &victim) {
    int64_t pid = victim.Query("SELECT pg_backend_pid()")->at(0).Int(0);
    auto admin = Connect();
    ASSERT_TRUE(admin->Query("SELECT pg_terminate_backend(?1::int)", {pid}));
  }

  testing::PgCluster *cluster_ = nullptr;
  std::string url_;
  std::unique_ptr<PgConn> conn_;
};

TEST_F(PgConnTest, BindsAndReadsLikeSqlite) {
  ASSERT_TRUE(
      conn_->ExecScript("CREATE TABLE t(id BIGINT PRIMARY KEY, name TEXT, n INTEGER, flag "
                        "BOOLEAN, doc JSONB, x DOUBLE PRECISION)"));
  // A bool parameter is an integer (as on SQLite): flags are INTEGER columns in both schemas.
  auto ins = conn_->Exec("INSERT INTO t VALUES(?1, ?2, ?3, TRUE, ?4, 2.75)",
                         {int64_t{9'000'000'000'123}, "咖啡", 7, R"({"a":1})"});
  ASSERT_TRUE(ins) << ins.error().message;
  EXPECT_EQ(*ins, 1);
  ASSERT_TRUE(conn_->Run("INSERT INTO t(id, name) VALUES(?, ?)", {2, nullptr}));
  auto rows = conn_->Query(
      "SELECT id, name, n, flag, doc->>'a', SUM(n) OVER () * 1.000, SUM(n) "
      "OVER () FROM t ORDER BY id DESC");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  const Row &r = (*rows)[0];
  EXPECT_EQ(r.Int(0), 9'000'000'000'123);
  EXPECT_EQ(r.Str(1), "咖啡");
  EXPECT_EQ(r.Int(2), 7);
  EXPECT_EQ(r.Int(3), 1);
  EXPECT_EQ(r.Str(4), "1");
  EXPECT_EQ(r.Int(5), 7);  // an integral NUMERIC is an integer
  EXPECT_EQ(r.Int(6), 7);  // SUM of integers is NUMERIC on PostgreSQL
  EXPECT_TRUE((*rows)[1].IsNull(1));
  // A float, or a numeric with a fraction, is refused, not truncated (as SQLite's REAL).
  for (const char *sql : {"SELECT x FROM t WHERE x IS NOT NULL", "SELECT 2.5", "SELECT 2.5::float8"}) {
    auto refused = conn_->Query(sql);
    ASSERT_FALSE(refused) << sql;
    EXPECT_EQ(refused.error().code, ErrorCode::INTERNAL) << sql;
  }
  EXPECT_TRUE((*rows)[1].IsNull(2));
  // A parameter the statement does not mention (a fixed numbering with filters left out) is
  // accepted, whatever its kind.
  auto unused = conn_->Query("SELECT id FROM t WHERE id = ?3 ORDER BY id", {nullptr, "x", int64_t{2}});
  ASSERT_TRUE(unused) << unused.error().message;
  EXPECT_EQ(unused->size(), 1u);
  // A text parameter takes the type of its context (affinity-like); an int stays 64-bit.
  auto q = conn_->Query("SELECT id FROM t WHERE id = ?1", {"2"});
  ASSERT_TRUE(q) << q.error().message;
  ASSERT_EQ(q->size(), 1u);
  auto big = conn_->Query("SELECT ?1 + 1", {int64_t{1} << 40});
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_EQ(big->at(0).Int(0), (int64_t{1} << 40) + 1);
  auto changed = conn_->Exec("UPDATE t SET n = 1");
  ASSERT_TRUE(changed);
  EXPECT_EQ(*changed, 2);
}

TEST_F(PgConnTest, ConstraintViolationsAreConflicts) {
  ASSERT_TRUE(
      conn_->ExecScript("CREATE TABLE t(id BIGINT PRIMARY KEY, stock "
                        "INTEGER NOT NULL CHECK(stock >= 0))"));
  ASSERT_TRUE(conn_->Run("INSERT INTO t VALUES(1, 1)"));
  auto dup = conn_->Run("INSERT INTO t VALUES(1, 1)");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::CONFLICT);
  auto neg = conn_->Run("UPDATE t SET stock = stock - 2 WHERE id = 1");
  ASSERT_FALSE(neg);
  EXPECT_EQ(neg.error().code, ErrorCode::CONFLICT);
  auto syntax = conn_->Run("UPDATE nowhere SET x = 1");
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().code, ErrorCode::INTERNAL);
  // The connection is still good after errors outside a transaction.
  EXPECT_TRUE(conn_->Query("SELECT 1"));
}

TEST_F(PgConnTest, SerializationFailureIsAborted) {
  ASSERT_TRUE(
      conn_->ExecScript("CREATE TABLE t(id BIGINT PRIMARY KEY, v "
                        "INTEGER); INSERT INTO t VALUES(1, 0)"));
  auto other = Connect();
  ASSERT_TRUE(conn_->Begin("ISOLATION LEVEL REPEATABLE READ"));
  EXPECT_TRUE(conn_->in_transaction());
  ASSERT_TRUE(conn_->Query("SELECT v FROM t WHERE id = 1"));  // takes the snapshot
  ASSERT_TRUE(other->Run("UPDATE t SET v = v + 1 WHERE id = 1"));
  auto lost = conn_->Run("UPDATE t SET v = v + 10 WHERE id = 1");
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::ABORTED) << lost.error().message;
  // A failed transaction cannot be committed by accident.
  EXPECT_FALSE(conn_->Commit());
  EXPECT_FALSE(conn_->in_transaction());
  EXPECT_EQ(conn_->Query("SELECT v FROM t")->at(0).Int(0), 1);
}

TEST_F(PgConnTest, DeadlockIsAborted) {
  ASSERT_TRUE(
      conn_->ExecScript("CREATE TABLE t(id BIGINT PRIMARY KEY, v "
                        "INTEGER); INSERT INTO t VALUES(1,0),(2,0)"));
  auto other = Connect();
  for (PgConn *c : {conn_.get(), other.get()}) {
    ASSERT_TRUE(c->ExecScript("SET deadlock_timeout = '20ms'"));
    ASSERT_TRUE(c->Begin());
  }
  ASSERT_TRUE(conn_->Run("UPDATE t SET v = 1 WHERE id = 1"));
  ASSERT_TRUE(other->Run("UPDATE t SET v = 1 WHERE id = 2"));
  Status first;
  std::thread t(
      [&] { first = conn_->Run("UPDATE t SET v = 2 WHERE id = 2"); });  // waits for `other`
  // Wait until conn_ is blocked on the lock before closing the cycle.
  auto watcher = Connect();
  for (int i = 0; i < 2000; ++i) {
    auto n = watcher->Query("SELECT count(*) FROM pg_locks WHERE NOT granted");
    if (n && n->at(0).Int(0) > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Status second = other->Run("UPDATE t SET v = 2 WHERE id = 1");
  t.join();
  int aborted = 0;
  for (const Status &s : {first, second}) {
    if (!s) {
      EXPECT_EQ(s.error().code, ErrorCode::ABORTED) << s.error().message;
      ++aborted;
    }
  }
  EXPECT_EQ(aborted, 1);
  (void)conn_->Rollback();
  (void)other->Rollback();
}

TEST_F(PgConnTest, ReconnectsAfterLostSession) {
  ASSERT_TRUE(conn_->ExecScript("CREATE TABLE t(id BIGINT PRIMARY KEY)"));
  ASSERT_TRUE(conn_->Run("INSERT INTO t VALUES(?1)", {1}));
  KillSession(*conn_);
  auto lost = conn_->Query("SELECT count(*) FROM t");
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::UNAVAILABLE) << lost.error().message;
  // The next call reconnects and prepares its statements again.
  auto again = conn_->Run("INSERT INTO t VALUES(?1)", {2});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(conn_->reconnects(), 1);
  EXPECT_EQ(conn_->Query("SELECT count(*) FROM t")->at(0).Int(0), 2);
}

TEST_F(PgConnTest, SessionLostInsideTransactionStaysFailedUntilRollback) {
  ASSERT_TRUE(conn_->ExecScript("CREATE TABLE t(id BIGINT PRIMARY KEY)"));
  ASSERT_TRUE(conn_->Begin());
  ASSERT_TRUE(conn_->Run("INSERT INTO t VALUES(1)"));
  KillSession(*conn_);
  auto lost = conn_->Run("INSERT INTO t VALUES(2)");
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::UNAVAILABLE);
  // Not silently reconnected in autocommit mode: the transaction's first insert is gone.
  auto still = conn_->Run("INSERT INTO t VALUES(3)");
  ASSERT_FALSE(still);
  EXPECT_EQ(still.error().code, ErrorCode::UNAVAILABLE);
  EXPECT_FALSE(conn_->Commit());
  ASSERT_TRUE(conn_->Rollback());
  auto n = conn_->Query("SELECT count(*) FROM t");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->at(0).Int(0), 0);
}

TEST_F(PgConnTest, ReconnectsAfterServerRestart) {
  ASSERT_TRUE(conn_->ExecScript("CREATE TABLE t(id BIGINT PRIMARY KEY)"));
  ASSERT_TRUE(conn_->Run("INSERT INTO t VALUES(?1)", {1}));
  ASSERT_TRUE(cluster_->Restart());
  auto lost = conn_->Run("INSERT INTO t VALUES(?1)", {2});
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::UNAVAILABLE) << lost.error().message;
  auto again = conn_->Run("INSERT INTO t VALUES(?1)", {2});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(conn_->Query("SELECT count(*) FROM t")->at(0).Int(0), 2);
}

TEST_F(PgConnTest, StatementCacheIsBoundedLru) {
  auto small = Connect(/*cache=*/4);
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(small->Query("SELECT " + std::to_string(i) + " + ?1", {i}));
  EXPECT_EQ(small->cached_statements(), 4u);
  EXPECT_EQ(small->prepares(), 10);
  // The server holds only the cached ones (this count(*) is one of them): evicted statements were
  // deallocated.
  EXPECT_EQ(small->Query("SELECT count(*) FROM pg_prepared_statements")->at(0).Int(0), 4);
  EXPECT_EQ(small->prepares(), 11);
  // A recent one is a hit; the first was evicted and is prepared again.
  ASSERT_TRUE(small->Query("SELECT 9 + ?1", {1}));
  EXPECT_EQ(small->prepares(), 11);
  ASSERT_TRUE(small->Query("SELECT 0 + ?1", {1}));
  EXPECT_EQ(small->prepares(), 12);
  EXPECT_EQ(small->cached_statements(), 4u);
}

TEST_F(PgConnTest, PipelineRunsABatchInOneRoundTrip) {
  ASSERT_TRUE(conn_->ExecScript("CREATE TABLE t(id BIGINT PRIMARY KEY, v TEXT NOT NULL)"));
  std::vector<std::string> texts;
  for (int i = 0; i < 50; ++i) texts.push_back("v" + std::to_string(i));
  std::vector<PgConn::Statement> batch;
  for (int i = 0; i < 50; ++i) batch.push_back({"INSERT INTO t VALUES(?1, ?2)", {i, texts[i]}});
  batch.push_back({"SELECT count(*), max(v) FROM t", {}});
  auto out = conn_->Pipeline(batch);
  ASSERT_EQ(out.size(), 51u);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(out[i]) << out[i].error().message;
    EXPECT_EQ(out[i]->changes, 1);
  }
  ASSERT_TRUE(out[50]);
  EXPECT_EQ(out[50]->rows.at(0).Int(0), 50);
  EXPECT_EQ(out[50]->rows.at(0).Str(1), "v9");
  // The connection is usable normally afterwards, with its statements cached.
  auto n = conn_->Query("SELECT count(*) FROM t");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->at(0).Int(0), 50);
}

TEST_F(PgConnTest, PipelineFailureRollsBackTheBatchAndSkipsTheRest) {
  ASSERT_TRUE(conn_->ExecScript("CREATE TABLE t(id BIGINT PRIMARY KEY)"));
  std::vector<PgConn::Statement> batch = {
      {"INSERT INTO t VALUES(?1)", {1}},
      {"INSERT INTO t VALUES(?1)", {1}},  // duplicate
      {"INSERT INTO t VALUES(?1)", {3}},
      {"INSERT INTO t VALUES(?1) RETURNING id", {4}},  // never prepared: its prepare is skipped too
  };
  auto out = conn_->Pipeline(batch);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(out[0]);
  ASSERT_FALSE(out[1]);
  EXPECT_EQ(out[1].error().code, ErrorCode::CONFLICT);
  ASSERT_FALSE(out[2]);
  EXPECT_EQ(out[2].error().code, ErrorCode::ABORTED);
  ASSERT_FALSE(out[3]);
  EXPECT_EQ(out[3].error().code, ErrorCode::ABORTED);
  // One implicit transaction: the first insert went with the failure.
  EXPECT_EQ(conn_->Query("SELECT count(*) FROM t")->at(0).Int(0), 0);
  // The skipped statement's prepare did not run, so it is not cached as prepared.
  auto later = conn_->Query("INSERT INTO t VALUES(?1) RETURNING id", {4});
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_EQ(later->at(0).Int(0), 4);
}

TEST_F(PgConnTest, PipelineWithExplicitTransactionAndLostSession) {
  ASSERT_TRUE(conn_->ExecScript("CREATE TABLE t(id BIGINT PRIMARY KEY)"));
  std::vector<PgConn::Statement> batch = {{"BEGIN", {}},
                                          {"INSERT INTO t VALUES(?1)", {1}},
                                          {"INSERT INTO t VALUES(?1)", {2}},
                                          {"COMMIT", {}}};
  for (auto &r : conn_->Pipeline(batch)) ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(conn_->in_transaction());
  KillSession(*conn_);
  std::vector<PgConn::Statement> next = {{"INSERT INTO t VALUES(?1)", {3}}};
  auto out = conn_->Pipeline(next);
  ASSERT_FALSE(out[0]);
  EXPECT_EQ(out[0].error().code, ErrorCode::UNAVAILABLE) << out[0].error().message;
  out = conn_->Pipeline(next);
  ASSERT_TRUE(out[0]) << out[0].error().message;
  EXPECT_EQ(conn_->Query("SELECT count(*) FROM t")->at(0).Int(0), 3);
}

TEST(MapPgError, Codes) {
  EXPECT_EQ(MapPgError("23505", false, "dup").code, ErrorCode::CONFLICT);
  EXPECT_EQ(MapPgError("23514", false, "check").code, ErrorCode::CONFLICT);
  EXPECT_EQ(MapPgError("40001", false, "ser").code, ErrorCode::ABORTED);
  EXPECT_EQ(MapPgError("40P01", false, "dead").code, ErrorCode::ABORTED);
  EXPECT_EQ(MapPgError("57P01", false, "shutdown").code, ErrorCode::UNAVAILABLE);
  EXPECT_EQ(MapPgError("53100", false, "disk full").code, ErrorCode::UNAVAILABLE);
  EXPECT_EQ(MapPgError("08006", false, "conn").code, ErrorCode::UNAVAILABLE);
  EXPECT_EQ(MapPgError("42P01", false, "no table").code, ErrorCode::INTERNAL);
  EXPECT_EQ(MapPgError(nullptr, true, "gone").code, ErrorCode::UNAVAILABLE);
  EXPECT_EQ(MapPgError("23505", true, "gone").code, ErrorCode::UNAVAILABLE);
}

}  // namespace
}  // namespace xd::internal
