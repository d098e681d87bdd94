#include "store/store.h"

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "store/consumer.h"
#include "store/internal/sqlite_conn.h"
#include "store/retention.h"
#include "store/timers.h"
#include "store/testing/sync_gate.h"

namespace xd {
namespace {

using xd::testing::SyncGate;

bool WaitUntil(const std::function<bool()>& pred) {
  for (int i = 0; i < 1000 && !pred(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return pred();
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("xd_store_test_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
    ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status {
      return tx.Run("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    }));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = Store::Open({.path = (dir_ / "db").string(), .readers = 2}, clock_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  int64_t Count() {
    return *store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM t"); });
  }

  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, FailingCommandInBatchRollsBackAlone) {
  // Many commands queued at once land in few batches; every third one fails midway.
  constexpr int kN = 300;
  std::vector<std::future<Status>> results;
  for (int i = 1; i <= kN; ++i) {
    auto p = std::make_shared<std::promise<Status>>();
    results.push_back(p->get_future());
    store_->Submit(
        [i](Tx& tx) -> Status {
          RETURN_IF_ERROR(tx.Exec("INSERT INTO t(id, v) VALUES(?, 'a')", {int64_t{i}}));
          RETURN_IF_ERROR(tx.Exec("INSERT INTO t(id, v) VALUES(?, 'b')", {int64_t{i + 100000}}));
          if (i % 3 == 0) return Fail(ErrorCode::RULE_VIOLATION, "third");
          return Ok();
        },
        [p](Status s) { p->set_value(std::move(s)); });
  }
  int ok = 0;
  for (int i = 1; i <= kN; ++i) {
    Status s = results[i - 1].get();
    if (i % 3 == 0) {
      ASSERT_FALSE(s);
      EXPECT_EQ(s.error().code, ErrorCode::RULE_VIOLATION);
    } else {
      ASSERT_TRUE(s);
      ++ok;
    }
  }
  EXPECT_EQ(Count(), 2 * ok);
  auto third = store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM t WHERE id % 3 = 0 AND id < 100000"); });
  EXPECT_EQ(*third, 0);
  EXPECT_LT(store_->stats().batches, kN);  // group commit happened
}

TEST_F(StoreTest, ConstraintViolationIsConflictAndThrowIsContained) {
  ASSERT_TRUE(store_->Execute([](Tx& tx) { return tx.Run("INSERT INTO t VALUES(1,'x')"); }));
  Status dup = store_->Execute([](Tx& tx) { return tx.Run("INSERT INTO t VALUES(1,'y')"); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::CONFLICT);
  Status thrown = store_->Execute([](Tx& tx) -> Status {
    (void)tx.Run("INSERT INTO t VALUES(2,'z')");
    throw std::runtime_error("boom");
  });
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.error().code, ErrorCode::INTERNAL);
  EXPECT_EQ(Count(), 1);
}

TEST_F(StoreTest, OnCommitRunsOnlyForCommittedCommands) {
  std::atomic<int> hooks{0};
  ASSERT_TRUE(store_->Execute([&](Tx& tx) -> Status {
    tx.OnCommit([&] { ++hooks; });
    return Ok();
  }));
  ASSERT_FALSE(store_->Execute([&](Tx& tx) -> Status {
    tx.OnCommit([&] { ++hooks; });
    return Fail(ErrorCode::CONFLICT, "no");
  }));
  EXPECT_EQ(hooks.load(), 1);
}

TEST_F(StoreTest, WatchRowsReportsChangedRowsAfterTheCommitBeforeCompletions) {
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status { return tx.Run("CREATE TABLE u(id INTEGER PRIMARY KEY, v TEXT)"); }));
  std::mutex mu;
  std::vector<std::pair<int, int64_t>> seen;
  std::atomic<int> committed_before_listener{-1};
  ASSERT_TRUE(store_->WatchRows({"u", "t"}, [&](const std::vector<RowChange>& rows) {
    // Readers already see the commit when the listener runs.
    committed_before_listener = static_cast<int>(*store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM t"); }));
    std::lock_guard lock(mu);
    for (auto& r : rows) seen.emplace_back(r.inserted ? r.table + 10 : r.table, r.rowid);  // +10: inserted
  }));
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("INSERT INTO t(id, v) VALUES(7, 'a')"));
    RETURN_IF_ERROR(tx.Run("INSERT INTO u(id, v) VALUES(9, 'b')"));
    return tx.Run("UPDATE t SET v='c' WHERE id=7");
  }));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen, (std::vector<std::pair<int, int64_t>>{{11, 7}, {10, 9}, {1, 7}}));  // table index (+10 inserted), rowid
    seen.clear();
  }
  EXPECT_EQ(committed_before_listener.load(), 1);
  // Unwatched tables, and commands that change nothing, report nothing.
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status { return tx.Run("CREATE TABLE w(id INTEGER PRIMARY KEY)"); }));
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status { return tx.Run("INSERT INTO w(id) VALUES(1)"); }));
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status { return tx.Run("DELETE FROM t WHERE id=7"); }));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<std::pair<int, int64_t>>{{1, 7}}));
}

TEST_F(StoreTest, ConcurrentSubmittersAllLand) {
  std::vector<std::thread> threads;
  std::atomic<int> acked{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        int64_t id = t * 1000 + i + 1;
        if (store_->Execute([id](Tx& tx) { return tx.Run("INSERT INTO t VALUES(?, 'c')", {id}); }))
          ++acked;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(acked.load(), 1600);
  EXPECT_EQ(Count(), 1600);
}

// Completions and hooks wait for the sync stage: each runs after an fdatasync of the WAL
// that began after its command committed, and they keep commit order across batches.
TEST_F(StoreTest, CompletionsFollowAWalSyncInCommitOrder) {
  constexpr int kThreads = 8, kEach = 250;
  std::mutex mu;
  std::vector<int64_t> committed, hooked, completed;
  std::atomic<int> early{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        int64_t id = t * 1000 + i + 1;
        auto syncs_at_commit = std::make_shared<int64_t>(0);
        store_->Submit(
            [&, id, syncs_at_commit](Tx& tx) -> Status {
              RETURN_IF_ERROR(tx.Run("INSERT INTO t VALUES(?, 'o')", {id}));
              *syncs_at_commit = store_->stats().wal_syncs;
              committed.push_back(id);  // the writer thread only
              tx.OnCommit([&, id] {
                std::lock_guard lock(mu);
                hooked.push_back(id);
              });
              return Ok();
            },
            [&, id, syncs_at_commit](Status s) {
              ASSERT_TRUE(s) << s.error().message;
              if (store_->stats().wal_syncs <= *syncs_at_commit) ++early;
              std::lock_guard lock(mu);
              completed.push_back(id);
            });
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(mu);
      if (completed.size() == kThreads * kEach) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(completed.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(hooked, committed);
  EXPECT_EQ(completed, committed);
  EXPECT_EQ(early.load(), 0) << "a completion ran before the WAL was synced after its commit";
  StoreStats st = store_->stats();
  EXPECT_GT(st.wal_syncs, 0);
  EXPECT_LE(st.wal_syncs, st.batches);  // one sync covers every batch committed before it
}

TEST_F(StoreTest, CheckpointsRunBesideTheWriterAndTheWalStartsOver) {
  // ~12 MiB of rows (~36 MiB of WAL frames) through the WAL, far past the thresholds (100 pages passive, 500 restart): the
  // background checkpointer copies it back while readers and the writer carry on, and the WAL
  // file stops growing because it starts over.
  store_.reset();
  auto s = Store::Open({.path = (dir_ / "db").string(), .readers = 2, .checkpoint_pages = 100, .restart_pages = 500}, clock_);
  ASSERT_TRUE(s) << s.error().message;
  store_ = std::move(*s);
  std::string blob(4000, 'x');
  auto wal_bytes = [&] { return std::filesystem::file_size(dir_ / "db-wal"); };
  uintmax_t peak = 0;
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 500; ++i) {
      int64_t id = round * 1000 + i + 1;
      ASSERT_TRUE(store_->Execute([&, id](Tx& tx) { return tx.Run("INSERT INTO t VALUES(?, ?)", {id, blob}); }));
    }
    EXPECT_EQ(Count(), (round + 1) * 500);
    peak = std::max(peak, wal_bytes());
  }
  for (int i = 0; i < 200 && store_->stats().checkpoints == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(store_->stats().checkpoints, 1);
  // Without restarts the WAL would hold all ~36 MiB of frames; the restarts bound it (the
  // file keeps its high-water mark: how far the writer got while a checkpoint ran).
  EXPECT_LT(peak, uintmax_t{16} << 20) << "peak " << peak;
  RecordProperty("wal_peak_bytes", std::to_string(peak));
  Reopen();
  EXPECT_EQ(Count(), 3000);
}

TEST_F(StoreTest, OutboxEventsAndCursors) {
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.AppendEvent({"order.created"}, Json{{"order_id", "1"}}));
    return tx.AppendEvent({"order.paid"}, Json{{"order_id", "1"}});
  }));
  auto events = store_->ReadEvents(0, 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].head.type, "order.paid");
  ASSERT_TRUE(store_->Execute([&](Tx& tx) { return SetCursor(tx, "tags", (*events)[0].seq); }));
  Reopen();
  auto cursor = store_->Read([](Reader& r) { return GetCursor(r, "tags"); });
  auto rest = store_->ReadEvents(*cursor, 10);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].head.type, "order.paid");
}

// The envelope (issue 12): what a command appends carries its head, the actor the command
// named (reset to the system for the next command) and the clock's time.
TEST_F(StoreTest, EventsCarryTheirEnvelopeAndTheCommandsActor) {
  clock_.SetMs(1'767'225'600'000);
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status {
    tx.SetActor(Actor{Actor::Kind::kApiKey, 77});
    return tx.AppendEvent({"order.paid", 2, 1001, 42}, Json{{"to", "paid"}});
  }));
  ASSERT_TRUE(store_->Execute([](Tx& tx) { return tx.AppendEvent({"user.registered", 1, 5, 0}, Json::object()); }));
  auto events = store_->ReadEvents(0, 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  const Store::Event& paid = (*events)[0];
  EXPECT_EQ(paid.head.type, "order.paid");
  EXPECT_EQ(paid.head.schema_version, 2);
  EXPECT_EQ(paid.head.aggregate_id, 1001);
  EXPECT_EQ(paid.head.merchant_id, 42);
  EXPECT_EQ(paid.actor.kind, Actor::Kind::kApiKey);
  EXPECT_EQ(paid.actor.id, 77);
  EXPECT_EQ(paid.occurred_at_ms, 1'767'225'600'000);
  Json env = paid.Envelope();
  EXPECT_EQ(env["id"], std::to_string(paid.seq));
  EXPECT_EQ(env["aggregate_id"], "1001");
  EXPECT_EQ(env["merchant_id"], "42");
  EXPECT_EQ(env["actor"], Json({{"kind", "api_key"}, {"id", "77"}}));
  EXPECT_EQ(env["occurred_at"], "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(env["data"]["to"], "paid");
  // The next command did not inherit the actor.
  EXPECT_EQ((*events)[1].actor.kind, Actor::Kind::kSystem);
  EXPECT_TRUE((*events)[1].Envelope()["merchant_id"].is_null());
}

// The consumer framework: each durable event once, in order, its effects committed with the
// cursor; a runner that finds the cursor moved writes nothing; lag is what is left to read.
class CountingConsumer final : public OutboxConsumer {
 public:
  std::string_view name() const override { return "test.counter"; }
  Result<Command> Prepare(Reader&, const std::vector<Store::Event>& events) override {
    std::vector<int64_t> seqs;
    for (auto& e : events) seqs.push_back(e.seq);
    return Command([seqs](Tx& tx) -> Status {
      for (int64_t seq : seqs) RETURN_IF_ERROR(tx.Run("INSERT INTO t(id, v) VALUES(?, 'seen')", {seq}));
      return Ok();
    });
  }
};

TEST_F(StoreTest, ConsumerRunnerAppliesEachEventOnceWithItsCursor) {
  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE(store_->Execute([](Tx& tx) { return tx.AppendEvent({"cart.added"}, Json::object()); }));
  CountingConsumer consumer;
  ConsumerRunner runner(*store_, consumer, 3);
  auto lags = store_->Read([&](Reader& r) { return ConsumerLags(r, store_->durable_event_seq()); });
  EXPECT_TRUE(lags->empty());  // no cursor yet
  EXPECT_EQ(*runner.RunOnce(), 3);
  lags = store_->Read([&](Reader& r) { return ConsumerLags(r, store_->durable_event_seq()); });
  ASSERT_EQ(lags->size(), 1u);
  EXPECT_EQ((*lags)[0].name, "test.counter");
  EXPECT_EQ((*lags)[0].lag, 4);
  // Two runners racing over the same cursor: every event lands exactly once.
  ConsumerRunner other(*store_, consumer, 2);
  std::thread a([&] { for (int i = 0; i < 10; ++i) (void)runner.RunOnce(); });
  std::thread b([&] { for (int i = 0; i < 10; ++i) (void)other.RunOnce(); });
  a.join();
  b.join();
  while (*runner.RunOnce() > 0) {
  }
  EXPECT_EQ(Count(), 7);  // a duplicate would have failed the batch on the primary key
  lags = store_->Read([&](Reader& r) { return ConsumerLags(r, store_->durable_event_seq()); });
  EXPECT_EQ((*lags)[0].lag, 0);
  auto problems = store_->Read([](Reader& r) { return CheckOutbox(r); });
  ASSERT_TRUE(problems);
  EXPECT_TRUE(problems->empty()) << (*problems)[0];
}

// Retention deletes only events every consumer has read, and only old ones; the outbox's end
// survives deleting everything; idempotency keys go after their window.
TEST_F(StoreTest, RetentionKeepsWhatAConsumerHasNotReadAndTheOutboxEnd) {
  clock_.SetMs(1'000'000'000);
  for (int i = 0; i < 6; ++i)
    ASSERT_TRUE(store_->Execute([](Tx& tx) { return tx.AppendEvent({"cart.added"}, Json::object()); }));
  auto prune = [&](int64_t keep_ms) {
    return store_->ExecuteFor<int64_t>([&](Tx& tx) { return PruneEvents(tx, keep_ms, 1000); });
  };
  clock_.AdvanceMs(10'000);
  EXPECT_EQ(*prune(0), 0);  // no consumer has read anything: nothing goes
  ASSERT_TRUE(store_->Execute([](Tx& tx) { return SetCursor(tx, "slow", 0); }));
  auto last = *store_->Read([](Reader& r) { return LastEventSeq(r); });
  ASSERT_TRUE(store_->Execute([&](Tx& tx) { return SetCursor(tx, "fast", last); }));
  EXPECT_EQ(*prune(0), 0);  // the slow consumer has read none
  ASSERT_TRUE(store_->Execute([&](Tx& tx) { return SetCursor(tx, "slow", last - 2); }));
  EXPECT_EQ(*prune(60'000), 0);  // read, but younger than the policy
  EXPECT_EQ(*prune(5'000), 4);
  EXPECT_EQ(store_->ReadEvents(0, 10)->size(), 2u);
  ASSERT_TRUE(store_->Execute([&](Tx& tx) { return SetCursor(tx, "slow", last); }));
  EXPECT_EQ(*prune(5'000), 2);
  EXPECT_EQ(*store_->Read([](Reader& r) { return LastEventSeq(r); }), last);  // the end is remembered
  auto problems = store_->Read([](Reader& r) { return CheckOutbox(r); });
  EXPECT_TRUE(problems->empty()) << (*problems)[0];
  // A consumer behind what retention deleted is a problem check reports.
  ASSERT_TRUE(store_->Execute([&](Tx& tx) { return SetCursor(tx, "late", 1); }));
  problems = store_->Read([](Reader& r) { return CheckOutbox(r); });
  ASSERT_EQ(problems->size(), 1u);
  EXPECT_NE((*problems)[0].find("late"), std::string::npos);
  // Idempotency keys older than their window go; younger ones stay.
  ASSERT_TRUE(store_->Execute([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("INSERT INTO idempotency(user_id, scope, key, status, body, created_at_ms) VALUES(1,'s','old',200,'{}',?)",
                           {int64_t{tx.NowMs() - 2 * 86'400'000}}));
    return tx.Run("INSERT INTO idempotency(user_id, scope, key, status, body, created_at_ms) VALUES(1,'s','new',200,'{}',?)", {tx.NowMs()});
  }));
  EXPECT_EQ(*store_->ExecuteFor<int64_t>([](Tx& tx) { return PruneIdempotency(tx, 86'400'000LL, 100); }), 1);
  EXPECT_EQ(*store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM idempotency WHERE key='new'"); }), 1);
}

// Issue 12, defect 7: the durable watermark trails what readers see until the sync stage has
// synced it; consumers read no event above it; a command rolled back does not move it.
TEST_F(StoreTest, DurableWatermarkTrailsVisibleCommitsUntilTheSync) {
  auto gate = std::make_shared<SyncGate>();
  store_.reset();
  auto opened = Store::Open({.path = (dir_ / "db").string(), .readers = 2, .before_sync = [gate] { gate->Pass(); }}, clock_);
  ASSERT_TRUE(opened) << opened.error().message;
  store_ = std::move(*opened);
  ASSERT_TRUE(store_->Execute([](Tx& tx) { return tx.AppendEvent({"order.created"}, Json{{"order_id", "1"}}); }));
  const int64_t first = store_->durable_event_seq();
  EXPECT_GT(first, 0);
  EXPECT_EQ(store_->durable_commits(), store_->visible_commits());
  EXPECT_TRUE(store_->WaitDurable(store_->visible_commits(), 0));

  gate->Hold();
  std::promise<Status> rolled_back, done;
  store_->Submit([](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.AppendEvent({"order.cancelled"}, Json{{"order_id", "9"}}));
    return Fail(ErrorCode::RULE_VIOLATION, "rolled back");
  }, [&](Status s) { rolled_back.set_value(std::move(s)); });
  store_->Submit([](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("INSERT INTO t VALUES(1, 'x')"));
    return tx.AppendEvent({"order.paid"}, Json{{"order_id", "1"}});
  }, [&](Status s) { done.set_value(std::move(s)); });
  // Committed and visible, not on disk: the marks stay where they were.
  ASSERT_TRUE(WaitUntil([&] { return Count() == 1; }));
  EXPECT_EQ(store_->durable_event_seq(), first);
  EXPECT_GT(store_->visible_commits(), store_->durable_commits());
  EXPECT_FALSE(store_->WaitDurable(store_->visible_commits(), 0));
  auto durable_only = store_->Read([&](Reader& r) { return ReadEvents(r, 0, 10, store_->durable_event_seq()); });
  ASSERT_TRUE(durable_only);
  EXPECT_EQ(durable_only->size(), 1u);
  EXPECT_EQ(store_->ReadEvents(0, 10)->size(), 2u);  // a plain read sees it already

  gate->Release();
  EXPECT_FALSE(rolled_back.get_future().get());
  ASSERT_TRUE(done.get_future().get());
  EXPECT_EQ(store_->durable_event_seq(), first + 1);  // the rolled-back event's seq was handed out again
  EXPECT_EQ(store_->durable_commits(), store_->visible_commits());
  EXPECT_TRUE(store_->WaitDurable(store_->visible_commits(), 0));
  Reopen();
  EXPECT_EQ(store_->durable_event_seq(), first + 1);
}

TEST_F(StoreTest, TimersFireWhenDueAndSurviveRestart) {
  ASSERT_TRUE(store_->Execute([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.AddTimer("insert", clock_.NowMs() + 60'000, Json{{"id", 7}}));
    return ToStatus(tx.AddTimer("insert", clock_.NowMs() + 120'000, Json{{"id", 8}}));
  }));
  Reopen();  // nothing is forgotten across restart
  TimerService timers(*store_);
  int failures_left = 1;
  timers.Register("insert", [&](Tx& tx, const Json& p) -> Status {
    if (p["id"] == 8 && failures_left-- > 0) return Fail(ErrorCode::UNAVAILABLE, "transient");
    return tx.Run("INSERT INTO t VALUES(?, 'timer')", {p["id"].get<int64_t>()});
  });
  EXPECT_EQ(*timers.RunDue(), 0);
  clock_.AdvanceMs(61'000);
  EXPECT_EQ(*timers.RunDue(), 1);
  EXPECT_EQ(*timers.RunDue(), 0);  // fires once
  clock_.AdvanceMs(60'000);
  EXPECT_EQ(*timers.RunDue(), 0);  // failed: retried later, not lost
  clock_.AdvanceMs(5'000);
  EXPECT_EQ(*timers.RunDue(), 1);
  EXPECT_EQ(Count(), 2);
}

TEST_F(StoreTest, BackupIsConsistentCopy) {
  for (int i = 1; i <= 50; ++i)
    ASSERT_TRUE(store_->Execute([i](Tx& tx) { return tx.Run("INSERT INTO t VALUES(?, 'b')", {int64_t{i}}); }));
  auto dest = (dir_ / "backup.db").string();
  ASSERT_TRUE(store_->Backup(dest));
  auto copy = Store::Open({.path = dest}, clock_);
  ASSERT_TRUE(copy);
  EXPECT_EQ(*(*copy)->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM t"); }), 50);
}

TEST_F(StoreTest, StatementCacheStaysBoundedAfterManyDistinctStatements) {
  auto conn = internal::SqliteConn::Open((dir_ / "db").string(), true, "NORMAL", 4);
  ASSERT_TRUE(conn) << conn.error().message;
  internal::SqliteConn& c = **conn;
  for (int i = 0; i < 500; ++i) {
    auto rows = c.Query("SELECT ?+" + std::to_string(i), {int64_t{1}});
    ASSERT_TRUE(rows) << rows.error().message;
    EXPECT_EQ((*rows)[0].Int(0), i + 1);
  }
  EXPECT_EQ(c.cached_statements(), 4);
  // An evicted statement is prepared again, a recent one comes from the cache; both right.
  EXPECT_EQ((*c.Query("SELECT ?+0", {int64_t{7}}))[0].Int(0), 7);
  EXPECT_EQ((*c.Query("SELECT ?+499", {int64_t{1}}))[0].Int(0), 500);
  EXPECT_EQ(c.cached_statements(), 4);
}

TEST_F(StoreTest, StoreStatsCountCachedStatementsWithinCapacity) {
  store_.reset();
  auto s = Store::Open({.path = (dir_ / "db").string(), .readers = 1, .statement_cache_capacity = 16}, clock_);
  ASSERT_TRUE(s) << s.error().message;
  store_ = std::move(*s);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(store_->Read([&](Reader& r) { return r.QueryInt("SELECT count(*) + " + std::to_string(i) + " FROM t"); }));
  }
  // The writer and the one reader, each at most 16.
  EXPECT_LE(store_->stats().cached_statements, 32);
  EXPECT_GE(store_->stats().cached_statements, 16);
}

TEST_F(StoreTest, RealValuesAreRefusedNotTruncated) {
  auto r = store_->Read([](Reader& r) { return r.QueryInt("SELECT 2.5"); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::INTERNAL);
  EXPECT_EQ(*store_->Read([](Reader& r) { return r.QueryInt("SELECT 2"); }), 2);
}

}  // namespace
}  // namespace xd
