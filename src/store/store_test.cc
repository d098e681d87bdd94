#include "store/store.h"

#include <array>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <future>
#include <latch>
#include <thread>

#include <gtest/gtest.h>

#include "base/messages.h"
#include "store/consumer.h"
#include "store/internal/pg_conn.h"
#include "store/internal/sqlite_conn.h"
#include "store/retention.h"
#include "store/timers.h"
#include "store/testing/sync_gate.h"
#include "tests/pg_cluster.h"

namespace xd {
namespace {

using xd::testing::SyncGate;

bool WaitUntil(const std::function<bool()>& pred) {
  for (int i = 0; i < 1000 && !pred(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return pred();
}

// Every backend-neutral test runs on both backends (TEST_P over Backend): SQLite in a temp
// directory, PostgreSQL in a fresh schema of the private cluster this binary starts once
// (tests/pg_cluster.h). Tests of one backend's machinery use SqliteStoreTest or PgStoreTest.
enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "_" + info->name();
    for (char& c : name)
      if (c == '/') c = '_';
    dir_ = std::filesystem::temp_directory_path() / ("xd_store_test_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    if (pg()) {
      auto* cluster = xd::testing::SharedPgCluster();
      if (!cluster) {
        // Only a machine without the binaries may skip; a cluster that fails to start is a failure.
        if (xd::testing::PgCluster::BinDir().empty()) GTEST_SKIP() << xd::testing::PgUnavailableReason();
        FAIL() << xd::testing::PgUnavailableReason();
      }
      static int schemas = 0;
      auto url = cluster->CreateSchema("store_" + std::to_string(++schemas));
      ASSERT_TRUE(url) << url.error().message;
      url_ = *url;
    }
    Reopen();
    ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status {
      return tx.Run("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    }));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  bool pg() const { return GetParam() == Backend::kPostgres; }
  // The store's StoreOptions::path: the SQLite file, or the PostgreSQL URL.
  std::string path() const { return pg() ? url_ : (dir_ / "db").string(); }
  void Reopen() { Reopen({.path = path(), .readers = 2}); }
  void Reopen(const StoreOptions& options) {
    store_.reset();
    auto s = Store::Open(options, clock_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  int64_t Count() {
    return *store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM t"); });
  }

  FakeClock clock_;
  std::filesystem::path dir_;
  std::string url_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

// SQLite's own machinery: the WAL, its checkpoints and syncs, the update hook, the online backup.
class SqliteStoreTest : public StoreTest {};
INSTANTIATE_TEST_SUITE_P(Backends, SqliteStoreTest, ::testing::Values(Backend::kSqlite), BackendName);

// PostgreSQL's failure modes: serialization failures, lost connections.
class PgStoreTest : public StoreTest {};
INSTANTIATE_TEST_SUITE_P(Backends, PgStoreTest, ::testing::Values(Backend::kPostgres), BackendName);

TEST_P(StoreTest, FailingCommandInBatchRollsBackAlone) {
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

TEST_P(StoreTest, ConstraintViolationIsConflictAndThrowIsContained) {
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

TEST_P(StoreTest, OnCommitRunsOnlyForCommittedCommands) {
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

// SQLite: the update hook; PostgreSQL: row triggers' notifications, which the writer's own
// session receives with the COMMIT's reply.
TEST_P(StoreTest, WatchRowsReportsChangedRowsAfterTheCommitBeforeCompletions) {
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status { return tx.Run("CREATE TABLE u(id INTEGER PRIMARY KEY, v TEXT)"); }));
  std::mutex mu;
  std::vector<std::pair<int, int64_t>> seen;
  // What a reader counted in t when the listener heard each phase (-1: not heard).
  std::array<std::atomic<int>, 3> readers_saw{-1, -1, -1};
  std::vector<RowPhase> phases;
  ASSERT_TRUE(store_->WatchRows({"u", "t"}, [&](const std::vector<RowChange>& rows, RowPhase phase) {
    readers_saw[static_cast<int>(phase)] =
        static_cast<int>(*store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM t"); }));
    std::lock_guard lock(mu);
    phases.push_back(phase);
    if (phase != RowPhase::kDurable) return;
    for (auto& r : rows) seen.emplace_back(r.inserted ? r.table + 10 : r.table, r.id);  // +10: inserted
  }));
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("INSERT INTO t(id, v) VALUES(7, 'a')"));
    RETURN_IF_ERROR(tx.Run("INSERT INTO u(id, v) VALUES(9, 'b')"));
    return tx.Run("UPDATE t SET v='c' WHERE id=7");
  }));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen, (std::vector<std::pair<int, int64_t>>{{11, 7}, {10, 9}, {1, 7}}));  // table index (+10 inserted), id
    seen.clear();
    // Both tell a cache before the COMMIT (readers do not see it yet) and right after; then the
    // durable phase (PostgreSQL's COMMIT is durable when it returns). PostgreSQL learns the rows
    // before its COMMIT from the triggers' transaction-local record (it had no kCommitting, so
    // for a moment after each commit the product cache could serve a page older than it).
    EXPECT_EQ(phases, (std::vector<RowPhase>{RowPhase::kCommitting, RowPhase::kVisible, RowPhase::kDurable}));
  }
  EXPECT_EQ(readers_saw[static_cast<int>(RowPhase::kCommitting)].load(), 0);
  EXPECT_EQ(readers_saw[static_cast<int>(RowPhase::kVisible)].load(), 1);
  EXPECT_EQ(readers_saw[static_cast<int>(RowPhase::kDurable)].load(), 1);
  // Unwatched tables, and commands that change nothing, report nothing.
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status { return tx.Run("CREATE TABLE w(id INTEGER PRIMARY KEY)"); }));
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status { return tx.Run("INSERT INTO w(id) VALUES(1)"); }));
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status { return tx.Run("DELETE FROM t WHERE id=7"); }));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<std::pair<int, int64_t>>{{1, 7}}));
}

TEST_P(StoreTest, ConcurrentSubmittersAllLand) {
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
// that began after its command committed, and they keep commit order across batches (on
// PostgreSQL: after COMMIT returned, same order).
TEST_P(StoreTest, CompletionsFollowAWalSyncInCommitOrder) {
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
              if (!pg() && store_->stats().wal_syncs <= *syncs_at_commit) ++early;
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
  if (!pg()) {  // PostgreSQL's COMMIT returns once the commit is flushed: no sync stage to count
    EXPECT_GT(st.wal_syncs, 0);
    EXPECT_LE(st.wal_syncs, st.batches);  // one sync covers every batch committed before it
  }
}

// SQLite only: WAL checkpoints.
TEST_P(SqliteStoreTest, CheckpointsRunBesideTheWriterAndTheWalStartsOver) {
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

TEST_P(StoreTest, OutboxEventsAndCursors) {
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
TEST_P(StoreTest, EventsCarryTheirEnvelopeAndTheCommandsActor) {
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

TEST_P(StoreTest, ConsumerRunnerAppliesEachEventOnceWithItsCursor) {
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

// A consumer of some event types is handed only those, in order, and its cursor passes the
// others: to the last one it was handed while a batch is full, to the durable end once not.
class TypedConsumer final : public OutboxConsumer {
 public:
  std::string_view name() const override { return "test.typed"; }
  std::vector<std::string> EventTypes() const override { return {"order.paid", "order.refunded"}; }
  Result<Command> Prepare(Reader&, const std::vector<Store::Event>& events) override {
    for (auto& e : events) seen.push_back(e.head.type + ":" + e.payload.value("n", ""));
    return Command();
  }
  std::vector<std::string> seen;
};

TEST_P(StoreTest, ATypedConsumerReadsItsTypesAndItsCursorPassesTheRest) {
  int n = 0;
  for (const char* type : {"cart.added", "order.paid", "order.created", "order.paid", "order.refunded", "cart.added"})
    ASSERT_TRUE(store_->Execute([&](Tx& tx) { return tx.AppendEvent({type}, Json{{"n", std::to_string(n++)}}); }));
  TypedConsumer consumer;
  ConsumerRunner runner(*store_, consumer, 2);
  auto cursor = [&] { return *store_->Read([](Reader& r) { return GetCursor(r, "test.typed"); }); };
  EXPECT_EQ(*runner.RunOnce(), 2);  // a full batch: the cursor is at the second one handed over
  EXPECT_EQ(consumer.seen, (std::vector<std::string>{"order.paid:1", "order.paid:3"}));
  auto events = store_->ReadEvents(0, 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 6u);
  EXPECT_EQ(cursor(), (*events)[3].seq);
  EXPECT_EQ(*runner.RunOnce(), 1);  // the last of its types, then the end
  EXPECT_EQ(consumer.seen.back(), "order.refunded:4");
  EXPECT_EQ(cursor(), (*events)[5].seq);
  EXPECT_EQ(*runner.RunOnce(), 0);
  EXPECT_EQ(consumer.seen.size(), 3u);
}

// What a consumer reads of the payloads: all of it by default; nothing when it asks for none
// (the envelope still there); all but the named members, at any depth, when it skips some.
class PayloadConsumer final : public OutboxConsumer {
 public:
  explicit PayloadConsumer(PayloadRead read) : read_(std::move(read)) {}
  std::string_view name() const override { return "test.payloads"; }
  PayloadRead Payloads() const override { return read_; }
  Result<Command> Prepare(Reader&, const std::vector<Store::Event>& events) override {
    for (auto& e : events) seen.push_back(e);
    return Command();
  }
  std::vector<Store::Event> seen;

 private:
  PayloadRead read_;
};

TEST_P(StoreTest, AConsumerReadsThePayloadsItAsksFor) {
  const Json payload{{"order_id", "7"},
                     {"order", {{"address", {{"detail", "世纪大道100号"}}},
                                {"items", Json::array({{{"product_id", "9"}, {"title", "咖啡"}, {"quantity", 2}}})}}}};
  ASSERT_TRUE(store_->Execute([&](Tx& tx) { return tx.AppendEvent({"order.paid", 1, 7, 3}, payload); }));
  Json got;
  auto read = [&](PayloadRead how) {
    PayloadConsumer consumer(std::move(how));
    ASSERT_TRUE(store_->Execute([](Tx& tx) { return SetCursor(tx, "test.payloads", 0); }));
    ConsumerRunner runner(*store_, consumer, 10);
    EXPECT_EQ(*runner.RunOnce(), 1);
    ASSERT_EQ(consumer.seen.size(), 1u);
    const Store::Event& e = consumer.seen[0];
    EXPECT_EQ(e.head.type, "order.paid");
    EXPECT_EQ(e.head.aggregate_id, 7);
    EXPECT_EQ(e.head.merchant_id, 3);
    got = e.payload;
  };
  read({});
  EXPECT_EQ(got, payload);
  read({.read = false});
  EXPECT_TRUE(got.is_null());
  read({.skip = {"address", "title"}});
  Json without = payload;
  without["order"].erase("address");
  without["order"]["items"][0].erase("title");
  EXPECT_EQ(got, without);
}

// Retention runs in bounded batches and comes back soon while a run deletes a full batch: an
// outbox growing faster than one batch an interval is pruned down, the oldest first, and a run
// stops at the first young event.
TEST_P(StoreTest, RetentionCatchesUpInBoundedRuns) {
  clock_.SetMs(1'000'000'000);
  auto append = [&](int n) {
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(store_->Execute([](Tx& tx) { return tx.AppendEvent({"cart.added"}, Json::object()); }));
  };
  append(7);
  clock_.AdvanceMs(60'000);
  append(3);
  auto last = *store_->Read([](Reader& r) { return LastEventSeq(r); });
  ASSERT_TRUE(store_->Execute([&](Tx& tx) { return SetCursor(tx, "all", last); }));
  const RetentionPolicy policy{.events_ms = 30'000, .interval_ms = 3'600'000, .catch_up_ms = 1'000, .batch = 3};
  std::vector<int64_t> runs, delays;
  for (int i = 0; i < 4; ++i) {
    auto n = store_->ExecuteFor<int64_t>([&](Tx& tx) { return PruneEvents(tx, policy.events_ms, policy.batch); });
    ASSERT_TRUE(n);
    runs.push_back(*n);
    delays.push_back(NextRetentionDelayMs(policy, {0, *n}));
  }
  EXPECT_EQ(runs, (std::vector<int64_t>{3, 3, 1, 0}));  // the seven old ones, three at a time
  EXPECT_EQ(delays, (std::vector<int64_t>{1'000, 1'000, 3'600'000, 3'600'000}));
  EXPECT_EQ(store_->ReadEvents(0, 10)->size(), 3u);  // the young ones stay
}

// Retention deletes only events every consumer has read, and only old ones; the outbox's end
// survives deleting everything; idempotency keys go after their window.
TEST_P(StoreTest, RetentionKeepsWhatAConsumerHasNotReadAndTheOutboxEnd) {
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
// SQLite only: holds the sync stage (before_sync); PostgreSQL has none, its marks move together
// after COMMIT (PgStoreTest.DurableMarksMoveTogetherAfterCommit).
TEST_P(SqliteStoreTest, DurableWatermarkTrailsVisibleCommitsUntilTheSync) {
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

TEST_P(StoreTest, TimersFireWhenDueAndSurviveRestart) {
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

// SQLite only: online backup (PostgreSQL: pg_dump).
TEST_P(SqliteStoreTest, BackupIsConsistentCopy) {
  for (int i = 1; i <= 50; ++i)
    ASSERT_TRUE(store_->Execute([i](Tx& tx) { return tx.Run("INSERT INTO t VALUES(?, 'b')", {int64_t{i}}); }));
  auto dest = (dir_ / "backup.db").string();
  ASSERT_TRUE(store_->Backup(dest));
  auto copy = Store::Open({.path = dest}, clock_);
  ASSERT_TRUE(copy);
  EXPECT_EQ(*(*copy)->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM t"); }), 50);
}

// SQLite only: SqliteConn's cache (pg_conn_test covers PgConn's).
TEST_P(SqliteStoreTest, StatementCacheStaysBoundedAfterManyDistinctStatements) {
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

TEST_P(StoreTest, StoreStatsCountCachedStatementsWithinCapacity) {
  store_.reset();
  auto s = Store::Open({.path = path(), .readers = 1, .statement_cache_capacity = 16}, clock_);
  ASSERT_TRUE(s) << s.error().message;
  store_ = std::move(*s);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(store_->Read([&](Reader& r) { return r.QueryInt("SELECT count(*) + " + std::to_string(i) + " FROM t"); }));
  }
  // The writer and the one reader, each at most 16.
  EXPECT_LE(store_->stats().cached_statements, 32);
  EXPECT_GE(store_->stats().cached_statements, 16);
}

TEST_P(StoreTest, RealValuesAreRefusedNotTruncated) {
  auto r = store_->Read([](Reader& r) { return r.QueryInt("SELECT 2.5"); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::INTERNAL);
  EXPECT_EQ(*store_->Read([](Reader& r) { return r.QueryInt("SELECT 2"); }), 2);
}

// The dialect's fragments mean the same on both backends: the text match (a substring of
// title or body, ASCII case ignored), id lists bound as one JSON array, and JSON fields.
TEST_P(StoreTest, DialectFragmentsMeanTheSameOnBothBackends) {
  // JSON columns are JSONB on PostgreSQL, TEXT on SQLite (as in the migrations).
  std::string json_table = std::string("CREATE TABLE j(id BIGINT PRIMARY KEY, v ") + (pg() ? "JSONB" : "TEXT") + " NOT NULL)";
  ASSERT_TRUE(store_->Execute([&](Tx& tx) -> Status {
    const Dialect& d = tx.dialect();
    RETURN_IF_ERROR(tx.Run(json_table));
    struct Doc { int64_t id; const char* title; const char* body; };
    for (Doc doc : {Doc{1, "云南小粒咖啡豆 250g", "饮品 产地 云南"}, Doc{2, "Arabica Coffee Beans", "drinks"},
                    Doc{3, "手工红茶", "饮品 产地 Yunnan 咖啡豆风味"}, Doc{4, "茶具", "器具"}}) {
      // t.v plays the product's own columns, which short queries scan on SQLite.
      RETURN_IF_ERROR(tx.Run("INSERT INTO t(id, v) VALUES(?, ?)", {doc.id, std::string(doc.title) + " " + doc.body}));
      RETURN_IF_ERROR(tx.Run("INSERT INTO j(id, v) VALUES(?, ?)", {doc.id, std::string(R"({"limit":)") + std::to_string(doc.id) + "}"}));
      RETURN_IF_ERROR(tx.Run(d.IndexText("products_fts", "product_id"), {doc.id, doc.title, doc.body}));
    }
    // Re-indexing replaces: the old text no longer matches.
    RETURN_IF_ERROR(tx.Run(d.UnindexText("products_fts", "product_id"), {int64_t{4}}));
    RETURN_IF_ERROR(tx.Run("UPDATE t SET v = '紫砂茶壶 器具' WHERE id = 4"));
    return tx.Run(d.IndexText("products_fts", "product_id"), {int64_t{4}, "紫砂茶壶", "器具"});
  }));
  auto search = [&](const std::string& q) {
    return *store_->Read([&](Reader& r) -> Result<std::vector<int64_t>> {
      auto m = r.dialect().MatchText("products_fts", "product_id", "p.id", "p.v", q, 1);
      std::string sql = "SELECT p.id FROM t p " + m.join + " WHERE " + m.where + " ORDER BY p.id";
      Result<Rows> rows = m.params.size() > 1 ? r.Query(sql, {m.params[0], m.params[1]}) : r.Query(sql, {m.params[0]});
      if (!rows) return std::unexpected(rows.error());
      std::vector<int64_t> ids;
      for (auto& row : *rows) ids.push_back(row.Int(0));
      return ids;
    });
  };
  EXPECT_EQ(search("咖啡豆"), (std::vector<int64_t>{1, 3}));  // title or body
  EXPECT_EQ(search("coffee bean"), (std::vector<int64_t>{2}));  // ASCII case ignored
  EXPECT_EQ(search("yunnan"), (std::vector<int64_t>{3}));
  EXPECT_EQ(search("茶具"), (std::vector<int64_t>{}));  // re-indexed away
  EXPECT_EQ(search("紫砂茶"), (std::vector<int64_t>{4}));
  EXPECT_EQ(search("咖啡"), (std::vector<int64_t>{1, 3}));  // short: a scan on SQLite
  EXPECT_EQ(search("红"), (std::vector<int64_t>{3}));
  EXPECT_EQ(search("100%"), (std::vector<int64_t>{}));  // LIKE metacharacters are literal
  auto picked = store_->Read([](Reader& r) {
    return r.QueryInt("SELECT SUM(id) FROM t WHERE id IN " + r.dialect().IdsIn("?"), {IdListParam({1, 3, 9})});
  });
  EXPECT_EQ(*picked, 4);
  auto limits = store_->Read([](Reader& r) {
    return r.QueryInt("SELECT SUM(" + r.dialect().JsonInt("v", "limit") + ") FROM j WHERE " +
                      r.dialect().JsonInt("v", "limit") + " >= ?", {int64_t{2}});
  });
  EXPECT_EQ(*limits, 9);
}

// Another node's commits reach the listener a moment later, from another thread; when the
// notification connection drops, the listener hears kAnyTable (anything may have changed), and
// hears the other node again once it has reconnected.
TEST_P(PgStoreTest, WatchRowsHearsOtherNodesAndSaysWhenItMayHaveMissedSome) {
  std::mutex mu;
  std::vector<std::pair<int, int64_t>> seen;
  ASSERT_TRUE(store_->WatchRows({"t"}, [&](const std::vector<RowChange>& rows, RowPhase phase) {
    if (phase != RowPhase::kDurable) return;
    std::lock_guard lock(mu);
    for (auto& r : rows) seen.emplace_back(r.table, r.id);
  }));
  auto other = Store::Open({.path = path(), .readers = 1}, clock_);
  ASSERT_TRUE(other) << other.error().message;
  auto saw = [&](std::pair<int, int64_t> change) {
    return WaitUntil([&] {
      std::lock_guard lock(mu);
      return std::find(seen.begin(), seen.end(), change) != seen.end();
    });
  };
  ASSERT_TRUE((*other)->Execute([](Tx& tx) { return tx.Run("INSERT INTO t(id, v) VALUES(5, 'x')"); }));
  EXPECT_TRUE(saw({0, 5}));
  // Drop the listener's session (the only one whose last statement was its LISTEN).
  ASSERT_TRUE(store_->Execute([](Tx& tx) {
    return tx.Run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND pid <> pg_backend_pid() AND state = 'idle' AND query LIKE 'LISTEN%'");
  }));
  EXPECT_TRUE(saw({RowChange::kAnyTable, 0}));
  ASSERT_TRUE((*other)->Execute([](Tx& tx) { return tx.Run("UPDATE t SET v = 'y' WHERE id = 5"); }));
  ASSERT_TRUE((*other)->Execute([](Tx& tx) { return tx.Run("INSERT INTO t(id, v) VALUES(6, 'z')"); }));
  EXPECT_TRUE(saw({0, 6}));
}

// Many nodes mint ids without a coordinator: each process leases its own node number (8 bits
// of every id). Two stores on one schema hold different numbers; a store whose number was taken
// over while it was idle (its lease ran out and another node started) leases a new one in its
// next batch, before any of that batch's commands mints an id.
TEST_P(PgStoreTest, EachNodeMintsIdsUnderItsOwnLeasedNumber) {
  auto other = Store::Open({.path = path(), .readers = 1}, clock_);
  ASSERT_TRUE(other) << other.error().message;
  auto mint = [](Store& s) { return *s.ExecuteFor<int64_t>([](Tx& tx) -> Result<int64_t> { return tx.NewId(); }); };
  const int mine = IdGenerator::NodeOf(mint(*store_)), theirs = IdGenerator::NodeOf(mint(**other));
  EXPECT_NE(mine, theirs);
  EXPECT_EQ(mine, store_->ids().node());
  EXPECT_EQ(*store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM node_leases"); }), 2);
  // Another node takes our number over.
  ASSERT_TRUE((*other)->Execute([mine](Tx& tx) {
    return tx.Run("UPDATE node_leases SET holder = 'another node' WHERE id = ?", {int64_t{mine}});
  }));
  int64_t id = mint(*store_);
  const int now_mine = IdGenerator::NodeOf(id);
  EXPECT_NE(now_mine, mine);
  EXPECT_NE(now_mine, theirs);
  EXPECT_EQ(*store_->Read([&](Reader& r) {
    return r.QueryInt("SELECT count(*) FROM node_leases WHERE id = ? AND holder <> 'another node'", {int64_t{now_mine}});
  }), 1);
}

// The outbox's order is commit order across nodes (issue 13): node A appends an event and holds
// its transaction open; node B appends one and commits; a consumer reads B's event and moves its
// cursor past it; then A commits. A's event must come after the cursor. With seq taken at insert
// (before the relay), A's event had the smaller seq and the consumer never saw it.
TEST_P(PgStoreTest, OutboxOrderIsCommitOrderAcrossNodes) {
  auto other = Store::Open({.path = path(), .readers = 1}, clock_);
  ASSERT_TRUE(other) << other.error().message;
  std::promise<void> appended, release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<Status> a_done;
  store_->Submit(
      [&](Tx& tx) -> Status {
        RETURN_IF_ERROR(tx.AppendEvent({"a.first_appended"}, Json::object()));
        appended.set_value();
        released.wait();
        return Ok();
      },
      [&](Status s) { a_done.set_value(std::move(s)); });
  appended.get_future().wait();
  // A's command waits until this is released: released on every way out of the test (an assertion
  // that returned early used to leave A's writer blocked and the suite hung until its timeout).
  bool released_once = false;
  auto release_a = [&] {
    if (!released_once) release.set_value();
    released_once = true;
  };
  std::future<Status> a_result = a_done.get_future();
  struct Guard {  // and A's completion has run before the promises it writes go out of scope
    std::function<void()> fn;
    ~Guard() { fn(); }
  } guard{[&] {
    release_a();
    if (a_result.valid()) a_result.wait();
  }};
  ASSERT_TRUE((*other)->Execute([](Tx& tx) { return tx.AppendEvent({"b.committed_first"}, Json::object()); }));
  // A consumer on B: reads what is there, moves its cursor past it. B's event is relayed by its
  // own batch when the relay lock is free, else by a relay thread a moment later (a node's
  // periodic relay may hold the lock just then): wait for it.
  std::vector<Store::Event> seen;
  EXPECT_TRUE(WaitUntil([&] {
    auto got = (*other)->ReadEvents(0, 10);
    if (got) seen = std::move(*got);
    return !seen.empty();
  }));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.at(0).head.type, "b.committed_first");
  const int64_t cursor = seen.at(0).seq;
  release_a();
  ASSERT_TRUE(a_result.get());
  std::vector<Store::Event> after;
  EXPECT_TRUE(WaitUntil([&] {
    auto got = (*other)->ReadEvents(cursor, 10);
    if (got) after = std::move(*got);
    return !after.empty();
  }));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].head.type, "a.first_appended");
  // Both nodes' durable marks reach it (B's through A's relay notification).
  EXPECT_TRUE(WaitUntil([&] { return store_->durable_event_seq() == after[0].seq && (*other)->durable_event_seq() == after[0].seq; }));
  EXPECT_EQ(*store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM events_pending"); }), 0);
}

// `xiaodian check` reports events no relay has moved for a minute (on PostgreSQL the relay
// thread of any running node moves them within milliseconds, so the row is planted on SQLite,
// where nothing moves it; the query is the same on both).
TEST_P(SqliteStoreTest, CheckReportsEventsNoRelayMoved) {
  ASSERT_TRUE(store_->Execute([](Tx& tx) {
    return tx.Run("INSERT INTO events_pending(type, schema_version, aggregate_id, merchant_id, actor_kind, actor_id, payload, "
                  "created_at_ms) VALUES('stuck', 1, 0, 0, 'system', 0, '{}', ?)", {tx.NowMs()});
  }));
  EXPECT_TRUE(store_->Read([](Reader& r) { return CheckOutbox(r); })->empty());
  clock_.AdvanceMs(61'000);
  auto problems = store_->Read([](Reader& r) { return CheckOutbox(r); });
  ASSERT_EQ(problems->size(), 1u);
  EXPECT_NE((*problems)[0].find("no node is relaying"), std::string::npos);
}

// Events another relay held the lock for, or a node left pending when it died, are moved by the
// relay thread of any node.
TEST_P(PgStoreTest, PendingEventsLeftByAnotherNodeAreRelayed) {
  ASSERT_TRUE(store_->Execute([](Tx& tx) {
    return tx.Run("INSERT INTO events_pending(type, schema_version, aggregate_id, merchant_id, actor_kind, actor_id, payload, "
                  "created_at_ms) VALUES('left.behind', 1, 0, 0, 'system', 0, '{}', 0)");
  }));
  std::vector<Store::Event> events;
  EXPECT_TRUE(WaitUntil([&] {
    auto got = store_->ReadEvents(0, 10);
    if (got) events = std::move(*got);
    return !events.empty();
  }));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].head.type, "left.behind");
  EXPECT_TRUE(WaitUntil([&] { return store_->durable_event_seq() == events[0].seq; }));
}

// A store that closes gives its node number back: the next process to start takes it at once
// (numbers are few; a lease would otherwise hold it for a minute).
TEST_P(PgStoreTest, AClosedStoreGivesItsNodeNumberBack) {
  const int mine = store_->ids().node();
  Reopen();
  EXPECT_EQ(store_->ids().node(), mine);
  EXPECT_EQ(*store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM node_leases"); }), 1);
}

TEST_P(PgStoreTest, BackupIsRefused) {
  Status backup = store_->Backup((dir_ / "copy.db").string());
  ASSERT_FALSE(backup);
  EXPECT_NE(backup.error().message.find("pg_dump"), std::string::npos);
}

// With synchronous_commit on, a commit is durable when COMMIT returns: the marks move together,
// before the completion; a rolled-back event does not move the event mark.
TEST_P(PgStoreTest, DurableMarksMoveTogetherAfterCommit) {
  std::atomic<int64_t> durable_in_completion{-1};
  std::promise<void> done;
  store_->Submit([](Tx& tx) { return tx.AppendEvent({"order.created"}, Json{{"order_id", "1"}}); },
                 [&](Status s) {
                   EXPECT_TRUE(s);
                   durable_in_completion = store_->durable_event_seq();
                   done.set_value();
                 });
  done.get_future().wait();
  const int64_t first = durable_in_completion.load();
  EXPECT_GT(first, 0);
  EXPECT_EQ(store_->durable_event_seq(), first);
  EXPECT_EQ(store_->durable_commits(), store_->visible_commits());
  EXPECT_TRUE(store_->WaitDurable(store_->visible_commits(), 0));
  EXPECT_FALSE(store_->Execute([](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.AppendEvent({"order.cancelled"}, Json::object()));
    return Fail(ErrorCode::RULE_VIOLATION, "rolled back");
  }));
  EXPECT_EQ(store_->durable_event_seq(), first);
  ASSERT_TRUE(store_->Execute([](Tx& tx) { return tx.AppendEvent({"order.paid"}, Json::object()); }));
  const int64_t second = store_->durable_event_seq();
  EXPECT_GT(second, first);  // an identity seq rolled back is skipped, not handed out again
  EXPECT_EQ(store_->ReadEvents(0, 10)->size(), 2u);
  Reopen();
  EXPECT_EQ(store_->durable_event_seq(), second);
}

// What a user is shown for a store failure (decision 017): the catalogue's key `reason`, zh by
// default and en when asked, never the database's words; `message` is English, for the log.
void ExpectCatalogued(const Error& e, Msg reason) {
  ASSERT_TRUE(e.reason.has_value()) << "no catalogue key: a user reads the generic text; message: " << e.message;
  EXPECT_EQ(MsgName(*e.reason), MsgName(reason));
  EXPECT_EQ(Render(e, Lang::kZh), Template(reason, Lang::kZh));
  EXPECT_EQ(Render(e, Lang::kEn), Template(reason, Lang::kEn));
  for (unsigned char c : e.message) EXPECT_LT(c, 0x80) << "the log text mixes languages: " << e.message;
}

// A serialization failure inside a command rolls back to its savepoint and runs it again; one
// that keeps failing is answered UNAVAILABLE after a bounded number of runs, and leaves nothing.
TEST_P(PgStoreTest, SerializationFailureInACommandIsRetriedThenUnavailable) {
  ASSERT_TRUE(store_->Execute([](Tx& tx) {
    return tx.Run("CREATE FUNCTION raise_conflict() RETURNS int LANGUAGE plpgsql AS $$ BEGIN "
                  "RAISE EXCEPTION 'test conflict' USING ERRCODE = 'serialization_failure'; END $$");
  }));
  int runs = 0;
  ASSERT_TRUE(store_->Execute([&](Tx& tx) -> Status {
    RETURN_IF_ERROR(tx.Run("INSERT INTO t VALUES(1, 'retried')"));
    if (++runs <= 2) RETURN_IF_ERROR(tx.Run("SELECT raise_conflict()"));
    return Ok();
  }));
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(Count(), 1);  // the failed runs' inserts were rolled back
  EXPECT_GE(store_->stats().retries, 2);
  runs = 0;
  Status doomed = store_->Execute([&](Tx& tx) -> Status {
    ++runs;
    RETURN_IF_ERROR(tx.Run("INSERT INTO t VALUES(2, 'doomed')"));
    return tx.Run("SELECT raise_conflict()");
  });
  ASSERT_FALSE(doomed);
  EXPECT_EQ(doomed.error().code, ErrorCode::UNAVAILABLE);
  ExpectCatalogued(doomed.error(), Msg::STORE_BUSY);
  EXPECT_GT(runs, 1);
  EXPECT_LE(runs, 10);
  EXPECT_EQ(Count(), 1);
  EXPECT_TRUE(store_->writable());  // the batch committed; only the command failed
}

// A deadlock (or any ABORTED) in a command after an earlier command of its batch succeeded: the
// transaction keeps the earlier command's row locks, so running only the failing command again
// would meet the same deadlock. The whole batch rolls back and runs again; nothing is doubled.
TEST_P(PgStoreTest, AnAbortAfterAnEarlierCommandRerunsTheWholeBatch) {
  ASSERT_TRUE(store_->Execute([](Tx& tx) {
    return tx.Run("CREATE FUNCTION raise_deadlock() RETURNS int LANGUAGE plpgsql AS $$ BEGIN "
                  "RAISE EXCEPTION 'test deadlock' USING ERRCODE = 'deadlock_detected'; END $$");
  }));
  // Hold the writer so that the next two commands queue and are taken as one batch.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<Status> held, first, second;
  store_->Submit([released](Tx&) -> Status { released.wait(); return Ok(); }, [&](Status s) { held.set_value(std::move(s)); });
  int first_runs = 0, second_runs = 0;
  store_->Submit([&](Tx& tx) { ++first_runs; return tx.Run("INSERT INTO t VALUES(1, 'first')"); },
                 [&](Status s) { first.set_value(std::move(s)); });
  store_->Submit(
      [&](Tx& tx) -> Status {
        RETURN_IF_ERROR(tx.Run("INSERT INTO t VALUES(2, 'second')"));
        if (++second_runs == 1) RETURN_IF_ERROR(tx.Run("SELECT raise_deadlock()"));
        return Ok();
      },
      [&](Status s) { second.set_value(std::move(s)); });
  release.set_value();
  ASSERT_TRUE(held.get_future().get());
  ASSERT_TRUE(first.get_future().get());
  ASSERT_TRUE(second.get_future().get());
  EXPECT_EQ(first_runs, 2);  // rolled back with the batch and run again
  EXPECT_EQ(second_runs, 2);
  EXPECT_EQ(Count(), 2);
}

// Two writers of one store (StoreOptions::writers) whose batches lock two rows in opposite
// orders deadlock; PostgreSQL aborts one, which rolls back whole and runs again: every command
// succeeds, none twice. Retried in place (the command alone) the victim met the same deadlock
// until it gave up with UNAVAILABLE.
TEST_P(PgStoreTest, WritersWhoseBatchesDeadlockBothCommit) {
  ASSERT_TRUE(store_->Execute([](Tx& tx) { return tx.Run("INSERT INTO t VALUES(1, '0'), (2, '0')"); }));
  Reopen({.path = path(), .readers = 1, .writers = 2, .max_batch = 2});
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    // Each writer takes one blocker, then the two pairs queued behind them as two batches of
    // two: (row 1, row 2) and (row 2, row 1). The first command of each pair waits until both
    // have their first lock, so the second commands deadlock.
    std::promise<void> go;
    std::shared_future<void> started = go.get_future().share();
    std::latch firsts(2);
    std::vector<std::future<Status>> done;
    auto submit = [&](Command c) {
      auto p = std::make_shared<std::promise<Status>>();
      done.push_back(p->get_future());
      store_->Submit(std::move(c), [p](Status s) { p->set_value(std::move(s)); });
    };
    for (int i = 0; i < 2; ++i) {  // one at a time, so that each writer takes one
      std::promise<void> running;
      submit([&](Tx&) -> Status {
        running.set_value();
        started.wait();
        return Ok();
      });
      running.get_future().wait();
    }
    std::atomic<int> runs{0};
    auto touch = [&](int64_t row, bool first) {
      auto once = std::make_shared<std::atomic<bool>>(false);
      return [&, row, first, once](Tx& tx) -> Status {
        ++runs;
        RETURN_IF_ERROR(tx.Run("UPDATE t SET v = (CAST(v AS BIGINT) + 1)::text WHERE id = ?", {row}));
        if (first && !once->exchange(true)) {  // only the first run waits for the other pair
          firsts.count_down();
          firsts.wait();
        }
        return Ok();
      };
    };
    submit(touch(1, true));
    submit(touch(2, false));
    submit(touch(2, true));
    submit(touch(1, false));
    go.set_value();
    for (auto& f : done) {
      Status s = f.get();
      EXPECT_TRUE(s) << "round " << round << ": " << s.error().message;
    }
    EXPECT_GE(runs.load(), 4);
  }
  EXPECT_EQ(*store_->Read([](Reader& r) { return r.QueryInt("SELECT SUM(CAST(v AS BIGINT)) FROM t"); }), 4 * kRounds);
  EXPECT_GE(store_->stats().retries, kRounds);
}

// A serialization failure at COMMIT (here a deferred constraint trigger; in production a
// SERIALIZABLE conflict) runs the whole batch again; a batch that cannot commit is answered
// UNAVAILABLE and nothing of it stays.
TEST_P(PgStoreTest, SerializationFailureAtCommitRetriesTheBatchThenUnavailable) {
  ASSERT_TRUE(store_->Execute([](Tx& tx) -> Status {
    // Sequences are not transactional: the budget of failures survives the rollbacks.
    RETURN_IF_ERROR(tx.Run("CREATE SEQUENCE commit_failures"));
    RETURN_IF_ERROR(tx.Run("CREATE TABLE flaky(id BIGINT PRIMARY KEY)"));
    RETURN_IF_ERROR(tx.Run("CREATE TABLE doomed(id BIGINT PRIMARY KEY)"));
    RETURN_IF_ERROR(tx.Run(
        "CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_TABLE_NAME = 'doomed' OR nextval('commit_failures') <= 2 THEN "
        "RAISE EXCEPTION 'conflict at commit' USING ERRCODE = 'serialization_failure'; END IF; RETURN NULL; END $$"));
    RETURN_IF_ERROR(tx.Run("CREATE CONSTRAINT TRIGGER flaky_check AFTER INSERT ON flaky DEFERRABLE INITIALLY DEFERRED "
                           "FOR EACH ROW EXECUTE FUNCTION fail_commit()"));
    return tx.Run("CREATE CONSTRAINT TRIGGER doomed_check AFTER INSERT ON doomed DEFERRABLE INITIALLY DEFERRED "
                  "FOR EACH ROW EXECUTE FUNCTION fail_commit()");
  }));
  int runs = 0;
  std::atomic<int> hooks{0};
  ASSERT_TRUE(store_->Execute([&](Tx& tx) -> Status {
    ++runs;
    tx.OnCommit([&] { ++hooks; });
    return tx.Run("INSERT INTO flaky VALUES(1)");
  }));
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(hooks.load(), 1);  // once, for the run that committed
  EXPECT_EQ(*store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM flaky"); }), 1);
  const int64_t failed_before = store_->stats().failed_commits;
  Status doomed = store_->Execute([&](Tx& tx) -> Status {
    tx.OnCommit([&] { ++hooks; });
    return tx.Run("INSERT INTO doomed VALUES(1)");
  });
  ASSERT_FALSE(doomed);
  EXPECT_EQ(doomed.error().code, ErrorCode::UNAVAILABLE);
  ExpectCatalogued(doomed.error(), Msg::STORE_BUSY);
  EXPECT_EQ(hooks.load(), 1);
  EXPECT_EQ(store_->stats().failed_commits, failed_before + 1);
  EXPECT_FALSE(store_->writable());
  EXPECT_EQ(*store_->Read([](Reader& r) { return r.QueryInt("SELECT count(*) FROM doomed"); }), 0);
  ASSERT_TRUE(store_->Execute([](Tx& tx) { return tx.Run("INSERT INTO t VALUES(5, 'after')"); }));
  EXPECT_TRUE(store_->writable());
}

// The writer's session killed in the middle of a batch (pg_terminate_backend, as a crashed
// backend or a failover would): every command of that batch is answered UNAVAILABLE, none of
// it stays, and the next command runs on a new session without anyone's help.
TEST_P(PgStoreTest, AKilledConnectionMidBatchFailsItsCommandsAndTheStoreRecovers) {
  auto admin = internal::PgConn::Open(url_);
  ASSERT_TRUE(admin) << admin.error().message;
  // A first command holds the writer while the next three queue up: they form one batch.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<Status> first;
  std::promise<void> running;
  store_->Submit([&running, released](Tx& tx) -> Status {
    running.set_value();
    released.wait();
    return tx.Run("INSERT INTO t VALUES(1, 'before')");
  }, [&](Status s) { first.set_value(std::move(s)); });
  running.get_future().wait();  // the writer took it alone; what follows queues behind it
  std::vector<std::promise<Status>> results(3);
  store_->Submit([](Tx& tx) { return tx.Run("INSERT INTO t VALUES(2, 'same batch, before the kill')"); },
                 [&](Status s) { results[0].set_value(std::move(s)); });
  store_->Submit(
      [&](Tx& tx) -> Status {
        ASSIGN_OR_RETURN(int64_t pid, tx.QueryInt("SELECT pg_backend_pid()"));
        EXPECT_TRUE((*admin)->Query("SELECT pg_terminate_backend(?1::int)", {pid}));
        for (int i = 0; i < 1000; ++i) {  // until the session is gone
          auto alive = (*admin)->Query("SELECT count(*) FROM pg_stat_activity WHERE pid = ?1::int", {pid});
          if (alive && alive->at(0).Int(0) == 0) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return tx.Run("INSERT INTO t VALUES(3, 'the killed one')");
      },
      [&](Status s) { results[1].set_value(std::move(s)); });
  store_->Submit([](Tx& tx) { return tx.Run("INSERT INTO t VALUES(4, 'same batch, after the kill')"); },
                 [&](Status s) { results[2].set_value(std::move(s)); });
  release.set_value();
  ASSERT_TRUE(first.get_future().get());
  for (auto& r : results) {
    Status s = r.get_future().get();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::UNAVAILABLE) << s.error().message;
    ExpectCatalogued(s.error(), Msg::STORE_UNAVAILABLE);
  }
  EXPECT_FALSE(store_->writable());
  ASSERT_TRUE(store_->Execute([](Tx& tx) { return tx.Run("INSERT INTO t VALUES(5, 'after')"); }));
  EXPECT_TRUE(store_->writable());
  auto ids = *store_->Read([](Reader& r) { return r.Query("SELECT id FROM t ORDER BY id"); });
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].Int(0), 1);
  EXPECT_EQ(ids[1].Int(0), 5);
}

// Under load, the writer's session killed again and again: every command acknowledged is
// there, every failure is UNAVAILABLE, and the store carries on by itself. Readers' sessions
// are killed too: a read fails UNAVAILABLE at worst, and the next one works.
TEST_P(PgStoreTest, NoAcknowledgedWriteIsLostWhenSessionsAreKilledUnderLoad) {
  auto admin = internal::PgConn::Open(url_);
  ASSERT_TRUE(admin) << admin.error().message;
  // The store's sessions carry a name of their own, kept across reconnects: the victims.
  Reopen({.path = url_ + "&application_name=xd_victim", .readers = 2});
  constexpr int kThreads = 4, kEach = 300;
  std::mutex mu;
  std::vector<int64_t> acked;
  std::atomic<int> unavailable{0}, other{0}, finished{0};
  std::string other_error;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<void>> waits;
      for (int i = 0; i < kEach; ++i) {
        int64_t id = t * 10'000 + i + 1;
        auto p = std::make_shared<std::promise<void>>();
        waits.push_back(p->get_future());
        store_->Submit([id](Tx& tx) { return tx.Run("INSERT INTO t VALUES(?, 'load')", {id}); },
                       [&, id, p](Status s) {
                         {
                           std::lock_guard lock(mu);
                           if (s) {
                             acked.push_back(id);
                           } else if (s.error().code == ErrorCode::UNAVAILABLE) {
                             ++unavailable;
                           } else {
                             ++other;
                             other_error = s.error().message;
                           }
                         }
                         p->set_value();
                       });
        if (i % 20 == 19) waits.back().wait();  // keeps batches small and many
      }
      for (auto& w : waits) w.wait();
      ++finished;
    });
  }
  int kills = 0;
  while (finished < kThreads && kills < 6) {
    // The writer's session and the readers'.
    auto killed = (*admin)->Query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'xd_victim'");
    ASSERT_TRUE(killed) << killed.error().message;
    ++kills;
    size_t seen;
    {
      std::lock_guard lock(mu);
      seen = acked.size();
    }
    // Wait for progress after the kill before the next one (the store reconnected).
    for (int i = 0; i < 2000 && finished < kThreads; ++i) {
      {
        std::lock_guard lock(mu);
        if (acked.size() > seen + 50) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(other.load(), 0) << other_error;
  EXPECT_GE(kills, 1);
  // A read may meet a dead session once; the next one reconnects.
  (void)store_->Read([](Reader& r) { return r.QueryInt("SELECT 1"); });
  auto rows = store_->Read([](Reader& r) { return r.Query("SELECT id FROM t"); });
  ASSERT_TRUE(rows) << rows.error().message;
  std::set<int64_t> stored;
  for (auto& row : *rows) stored.insert(row.Int(0));
  std::lock_guard lock(mu);
  for (int64_t id : acked) EXPECT_TRUE(stored.count(id)) << "acknowledged id " << id << " is missing";
  EXPECT_EQ(acked.size() + unavailable.load(), static_cast<size_t>(kThreads * kEach));
  RecordProperty("kills", kills);
  RecordProperty("unavailable", unavailable.load());
  ASSERT_TRUE(store_->Execute([](Tx& tx) { return tx.Run("INSERT INTO t VALUES(999999, 'after')"); }));
}

}  // namespace
}  // namespace xd
