// The PostgreSQL backend of Store (store.h "On PostgreSQL", internal/backend.h).
//
// A small pool of writers (StoreOptions::writers), each a thread with its own connection, takes
// batches from one queue and group-commits like SQLite's writer: a batch is BEGIN; per command
// SAVEPOINT … RELEASE (ROLLBACK TO on its error; the RELEASE travels with the next command's
// SAVEPOINT, or is COMMIT's); COMMIT. Several writers overlap their round trips to the server
// (one connection waits for each statement's reply); commands that touch the same rows
// serialise on PostgreSQL's row locks. A deadlock between two batches is ABORTED for one of them:
// that batch rolls back whole (its earlier commands' locks would make the same deadlock again if
// only the command ran again) and its commands run again, one transaction each (RunWriter).
// With synchronous_commit on (the server's default; never turned off by this code),
// COMMIT returns once the commit record is flushed, so there is no sync stage: each writer runs
// its batch's hooks and completions after its COMMIT. Commits are numbered before COMMIT is
// sent; the durable mark is the highest number below which every commit has returned (writers
// finish out of order).
//
// Failures: a serialization failure or deadlock (ABORTED) inside a command rolls back to its
// savepoint and runs the command again — unless an earlier command of the batch holds locks:
// then the batch rolls back and its commands run one transaction each, and the writer's batches
// shrink until they commit without conflicts (RunWriter); at COMMIT (a deferred constraint, SERIALIZABLE) the whole
// batch runs again; both at most kMaxAttempts times with a jittered backoff and a lock timeout
// doubled per rerun (RerunLockTimeout), then UNAVAILABLE.
// A connection lost before COMMIT returned fails every command of the batch with UNAVAILABLE —
// before COMMIT nothing stayed; at COMMIT the outcome is unknown, and success must never be
// reported for something that may not have committed. The next batch reconnects (PgConn does,
// outside a transaction).
//
// Watched rows (WatchRows): a row trigger on each watched table sends
// pg_notify('xd_rows', '<schema> <table> <i|u> <id> <backend pid>') — delivered at commit, to
// every listening session of every node. Every writer's session listens too (from the start),
// and the server hands it its own commit's notifications with the COMMIT's reply, so this
// node's listener runs on that writer's thread before its completions, as on SQLite. Other nodes' commits reach a listener thread
// (PgListener) a moment after they commit; while its connection is down notifications are lost,
// which it reports as a RowChange of kAnyTable (drop everything).
//
// Node numbers (base/id.h): at start the store leases a free number in node_leases (one never
// leased, or whose lease ran out) under a random holder token; the relay thread renews it every
// quarter lease. Every batch first checks the number is still ours, taking a share lock on its
// row until COMMIT (`FOR SHARE`: the writers do not queue on each other): a node taking numbers
// over skips locked rows, so no other node can take it while a batch that mints with it is open.
// If another node took it meanwhile (this one could not renew for a whole lease), the batch
// leases a new one before any command mints an id.
//
// The outbox in commit order (docs/scale-out.md, "Outbox order"): an identity seq is taken at
// insert, not at commit, so with writers on several nodes a transaction holding seq 41 can
// commit after one holding 42 — behind a consumer that has moved its cursor to 42. So commands
// append events to events_pending, and xd_relay_events() (migration 023) moves committed ones into
// `events` under a per-schema transaction lock, assigning seq there: relays commit one after
// another, and seq order is their commit order. A batch that appended events relays as its last
// statement before COMMIT if the lock is free (its own events then commit already relayed: no
// added latency); if another relay holds it, the events stay pending and a notification wakes the
// relay thread of every node, which takes the lock (waiting for it) and moves them. The relay
// thread also runs every kRelayPollMs, for events a node left pending when it died, and follows
// other nodes' relays (their notifications) to move durable_event_seq().
#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "base/crypto.h"
#include "base/log.h"
#include "base/messages.h"
#include "base/thread_name.h"
#include "store/internal/backend.h"
#include "store/internal/command_queue.h"
#include "store/internal/pg_conn.h"
#include "store/internal/pg_listener.h"
#include "store/internal/pg_schema.h"

namespace xd::internal {
namespace {

// Runs of a command (or of a batch, at COMMIT) when the server answers ABORTED.
constexpr int kMaxAttempts = 5;

// What a command is answered when its conflicts outlasted every attempt: UNAVAILABLE, with the
// catalogue's STORE_BUSY for the user (decision 017: zh unless Accept-Language asks for en) and
// the database's own words only in `message`, for the log.
Error BusyError(const std::string& why) {
  return Error{ErrorCode::UNAVAILABLE, "the database is busy (" + why + ")", Msg::STORE_BUSY, {}};
}

const Dialect& PgDialect() {
  static const Dialect dialect(SqlDialect::kPostgres);
  return dialect;
}

class PgReader final : public Reader {
 public:
  PgReader(PgConn& conn, const Clock& clock, std::atomic<int64_t>& queries)
      : conn_(conn), clock_(clock), queries_(queries) {}
  Result<Rows> Query(std::string_view sql, Params params) override {
    ++queries_;
    return conn_.Query(sql, params);
  }
  const Clock& clock() const override { return clock_; }
  const Dialect& dialect() const override { return PgDialect(); }

 private:
  PgConn& conn_;
  const Clock& clock_;
  std::atomic<int64_t>& queries_;
};

class PgTx final : public Tx {
 public:
  PgTx(PgConn& conn, const Clock& clock, IdGenerator& ids, std::atomic<int64_t>& queries)
      : conn_(conn), clock_(clock), ids_(ids), queries_(queries) {}
  Result<Rows> Query(std::string_view sql, Params params) override {
    ++queries_;
    return conn_.Query(sql, params);
  }
  Result<int64_t> Exec(std::string_view sql, Params params) override { return conn_.Exec(sql, params); }
  const Clock& clock() const override { return clock_; }
  const Dialect& dialect() const override { return PgDialect(); }
  int64_t NewId() override { return ids_.Next(); }
  Status AppendEventText(const EventHead& head, std::string_view payload_json) override {
    RETURN_IF_ERROR(conn_.Run("INSERT INTO events_pending(type, schema_version, aggregate_id, merchant_id, actor_kind, actor_id, "
                              "payload, created_at_ms) VALUES(?,?,?,?,?,?,?,?)",
                              {head.type, head.schema_version, head.aggregate_id, head.merchant_id, ActorKindName(actor_.kind),
                               actor_.id, payload_json, clock_.NowMs()}));
    appended_events_ = true;
    return Ok();
  }
  void SetActor(Actor actor) override { actor_ = actor; }
  Result<int64_t> AddTimer(std::string_view kind, int64_t due_ms, const Json& payload) override {
    int64_t id = ids_.Next();
    RETURN_IF_ERROR(conn_.Exec("INSERT INTO timers(id, kind, due_at_ms, payload, attempts) VALUES(?,?,?,?,0)",
                               {id, kind, due_ms, DumpJson(payload)}));
    return id;
  }
  Status CancelTimer(int64_t timer_id) override { return conn_.Run("DELETE FROM timers WHERE id=?", {timer_id}); }
  void OnCommit(std::function<void()> fn) override { pending_.push_back(std::move(fn)); }

  // As SQLite's TxImpl: the current command's hooks and actor; whether it appended events (they
  // get their seq when relayed).
  std::vector<std::function<void()>> pending_;
  bool appended_events_ = false;
  Actor actor_;

 private:
  PgConn& conn_;
  const Clock& clock_;
  IdGenerator& ids_;
  std::atomic<int64_t>& queries_;
};

// Sleeps a random time in [2^attempt, 2^(attempt+1)) ms: retries of conflicting transactions
// spread out instead of meeting again.
void Backoff(int attempt) {
  thread_local std::mt19937 rng(std::random_device{}());
  const int base = 1 << std::min(attempt, 8);
  std::this_thread::sleep_for(std::chrono::milliseconds(base + static_cast<int>(rng() % static_cast<unsigned>(base))));
}

constexpr const char* kRowChannel = "xd_rows";
constexpr const char* kEventChannel = "xd_events";
// The relay thread's poll when no notification woke it, and the most events one relay moves.
constexpr int kRelayPollMs = 100;
constexpr int64_t kRelayMaxRows = 10'000;
// How long a writer waits for a row lock before its batch gives up and runs again (ABORTED):
// two batches that deadlock — this node's writers, or other nodes' — learn it now instead of
// after deadlock_timeout (1 s by default; only a superuser may lower it).
constexpr int kWriterLockTimeoutMs = 200;

// The lock timeout of a rerun: doubled each time (400, 800, 1600, 3200 ms). A wait that outlasts
// 200 ms is most often plain queueing behind another batch on a hot row (one SKU's stock, one
// merchant's escrow) on a busy machine, not a deadlock; with one timeout for every run, a burst
// on one row answered 503 once five runs had each waited 200 ms. From 1600 ms on a deadlock is
// found by PostgreSQL itself (deadlock_timeout, 1 s) and aborted there, so it still costs a rerun,
// not the whole wait.
std::string RerunLockTimeout(int attempt) {
  return "SET LOCAL lock_timeout = '" + std::to_string(kWriterLockTimeoutMs << std::min(attempt, 4)) + "ms'";
}
// How long a node number stays ours without a write batch renewing it.
constexpr int64_t kNodeLeaseMs = 60'000;

// The trigger function of watched tables (see the top of this file). Every watched table has an
// integer `id` column (its primary key, but for `sessions`, keyed by its token hash).
constexpr const char* kWatchFunction = R"sql(
CREATE OR REPLACE FUNCTION xd_watch_row() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  payload text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    payload := TG_TABLE_SCHEMA || ' ' || TG_TABLE_NAME || ' u ' || OLD.id || ' ' || pg_backend_pid();
  ELSE
    payload := TG_TABLE_SCHEMA || ' ' || TG_TABLE_NAME || CASE WHEN TG_OP = 'INSERT' THEN ' i ' ELSE ' u ' END
               || NEW.id || ' ' || pg_backend_pid();
  END IF;
  PERFORM pg_notify('xd_rows', payload);
  -- The same payloads, one a line, for this transaction to read before its COMMIT (the writer's
  -- kCommitting): transaction-local, and undone with a savepoint rolled back.
  PERFORM set_config('xd.rows', COALESCE(current_setting('xd.rows', true), '') || payload || E'\n', true);
  RETURN NULL;
END
$fn$)sql";

bool PlainIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// What WatchRows set up: read by the writer and the listener thread, fixed once set.
struct RowWatch {
  std::vector<std::string> tables;
  std::string schema;  // this store's (notifications of other schemas in the database are not ours)
  RowListener listener;

  // Appends the change a notification payload describes, when it is of a watched table of this
  // schema and `keep(pid)` says the sending session's changes are wanted.
  template <class Keep>
  void Parse(const std::string& payload, Keep keep, std::vector<RowChange>* out) const {
    std::string_view rest = payload;
    std::string_view f[5];
    for (auto& field : f) {
      size_t sp = rest.find(' ');
      field = rest.substr(0, sp);
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    }
    if (f[0] != schema) return;
    auto table = std::find(tables.begin(), tables.end(), f[1]);
    if (table == tables.end()) return;
    int64_t id = 0, pid = 0;
    if (!ParseInt64(f[3], &id) || !ParseInt64(f[4], &pid) || !keep(pid)) return;
    out->push_back(RowChange{static_cast<int>(table - tables.begin()), id, f[2] == "i"});
  }
  static bool ParseInt64(std::string_view s, int64_t* out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && p == s.data() + s.size();
  }
};

// One writer of the pool: its thread and connection.
struct Writer {
  std::unique_ptr<PgConn> conn;
  size_t limit = 1;             // the most commands its next batch takes (RunWriter: halved on a conflict)
  bool savepoint_open = false;  // the last command's savepoint, not released yet
  std::atomic<int> pid{0};      // its session's backend pid: its commits' notifications are ours
  std::atomic<int64_t> cached{0};
  std::thread thread;
};

class PgStore final : public Store::Impl {
 public:
  PgStore(const StoreOptions& options, const Clock& clock, IdGenerator& ids) : options_(options), clock_(clock), ids_(ids), queue_(options.max_queue) {}
  ~PgStore() override { Close(); }

  Status Start() {
    const int writers = std::max(1, options_.writers);
    for (int i = 0; i < writers; ++i) {
      auto w = std::make_unique<Writer>();
      ASSIGN_OR_RETURN(w->conn, PgConn::Open(options_.path, options_.statement_cache_capacity));
      // Listening from the start (and again after a reconnect): its own commits' row changes
      // come back with each COMMIT once WatchRows has installed the triggers.
      std::string setup = std::string("LISTEN ") + kRowChannel;
      setup += "; SET lock_timeout = '" + std::to_string(kWriterLockTimeoutMs) + "ms'";
      w->conn->SetSessionSetup(setup);
      RETURN_IF_ERROR(w->conn->ExecScript(setup));
      w->pid = w->conn->backend_pid();
      writers_.push_back(std::move(w));
    }
    PgConn& first = *writers_[0]->conn;
    RETURN_IF_ERROR(ApplyPgMigrations(first));
    holder_ = RandomHex(8);
    RETURN_IF_ERROR(LeaseNode(first));
    renewed_at_ms_ = clock_.NowMs();
    {  // committed before we opened: durable (synchronous_commit)
      ASSIGN_OR_RETURN(Rows last, first.Query("SELECT COALESCE(MAX(seq), 0) FROM events"));
      durable_event_seq_ = last.empty() ? 0 : last[0].Int(0);
    }
    const int n = std::max(1, options_.readers);
    reader_cached_ = std::make_unique<std::atomic<int64_t>[]>(n);
    for (int i = 0; i < n; ++i) {
      ASSIGN_OR_RETURN(auto conn, PgConn::Open(options_.path, options_.statement_cache_capacity));
      readers_.push_back(std::make_unique<PgReader>(*conn, clock_, queries_));
      reader_conns_.push_back(std::move(conn));
      pool_.Add(i);
    }
    {
      ASSIGN_OR_RETURN(Rows schema, first.Query("SELECT current_schema()"));
      if (schema.empty() || schema[0].IsNull(0)) return Fail(ErrorCode::INTERNAL, "no current schema");
      schema_ = schema[0].Str(0);
    }
    ASSIGN_OR_RETURN(relay_conn_, PgConn::Open(options_.path, 8));
    ASSIGN_OR_RETURN(auto relay_listener, PgListener::Open(options_.path, {kEventChannel}));
    for (auto& w : writers_)
      w->thread = std::thread([this, w = w.get()] {
        SetThreadName("xd-writer");
        RunWriter(*w);
      });
    relay_thread_ = std::thread([this, listener = std::move(relay_listener)]() mutable {
      SetThreadName("xd-pg-relay");
      RunRelay(*relay_conn_, *listener);
    });
    return Ok();
  }

  void Submit(Command command, Completion done) override { queue_.Submit(std::move(command), std::move(done)); }


  Status WatchRows(std::vector<std::string> tables, RowListener listener) override {
    if (watch_.load()) return Fail(ErrorCode::INVALID_STATE, "one row listener per store");
    for (const auto& t : tables)
      if (!PlainIdentifier(t)) return Fail(ErrorCode::INVALID_FIELD, "not a plain table name: " + t);
    auto watch = std::make_unique<RowWatch>();
    {  // The triggers, on a connection of its own (the writers' belong to their threads). Nodes
       // starting together take turns (the advisory lock ends with the session).
      ASSIGN_OR_RETURN(auto admin, PgConn::Open(options_.path, 8));
      RETURN_IF_ERROR(admin->ExecScript("SELECT pg_advisory_lock(hashtext('xd_watch_rows'))"));
      RETURN_IF_ERROR(admin->ExecScript(kWatchFunction));
      for (const auto& t : tables) {
        ASSIGN_OR_RETURN(Rows have, admin->Query("SELECT 1 FROM pg_trigger WHERE tgname = 'xd_watch_rows' AND tgrelid = to_regclass(?)", {t}));
        if (have.empty())
          RETURN_IF_ERROR(admin->ExecScript("CREATE TRIGGER xd_watch_rows AFTER INSERT OR UPDATE OR DELETE ON " + t +
                                            " FOR EACH ROW EXECUTE FUNCTION xd_watch_row()"));
      }
      watch->schema = schema_;
    }
    ASSIGN_OR_RETURN(auto remote, PgListener::Open(options_.path, {kRowChannel}));
    watch->tables = std::move(tables);
    watch->listener = std::move(listener);
    watch_owned_ = std::move(watch);
    watch_ = watch_owned_.get();  // the writers listen already; from now on they pass changes on
    listener_thread_ = std::thread([this, remote = std::move(remote)]() mutable {
      SetThreadName("xd-pg-rows");
      RunRemoteRows(*remote);
    });
    return Ok();
  }

  void Close() override {
    queue_.Close();
    for (auto& w : writers_)
      if (w->thread.joinable()) w->thread.join();
    if (listener_thread_.joinable()) listener_thread_.join();
    if (relay_thread_.joinable()) relay_thread_.join();
    // Give our node number back (every writer has stopped): a node restarting takes it again at
    // once instead of a new one (numbers are 256; a lease would otherwise hold it for a minute).
    if (relay_conn_ && !released_node_) {
      released_node_ = true;
      (void)relay_conn_->Run("UPDATE node_leases SET lease_until_ms = 0 WHERE id = ?1 AND holder = ?2", {int64_t{ids_.node()}, holder_});
    }
  }

  StoreStats stats() const override {
    StoreStats s;
    s.commands = commands_;
    s.batches = batches_;
    s.failed_commands = failed_commands_;
    s.failed_commits = failed_commits_;
    s.max_batch_seen = max_batch_seen_;
    s.commit_us_total = commit_us_total_;
    s.retries = retries_;
    for (auto& w : writers_) s.cached_statements += w->cached;
    for (size_t i = 0; i < reader_conns_.size(); ++i) s.cached_statements += reader_cached_[i];
    s.queries = queries_;
    s.queue_depth = static_cast<int64_t>(queue_.depth());
    return s;
  }
  bool writable() const override { return writable_; }
  int64_t visible_commits() const override { return commits_started_; }
  int64_t durable_commits() const override { return durable_commits_; }
  int64_t durable_event_seq() const override { return durable_event_seq_; }

  Status WaitDurable(int64_t commits, int timeout_ms) override {
    std::unique_lock lock(durable_mu_);
    if (durable_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return durable_commits_ >= commits; })) return Ok();
    return Fail(ErrorCode::UNAVAILABLE, "the store has not committed recent commands yet");
  }

  Reader* Acquire(int* index) override {
    int idx = pool_.Take();
    PgConn& conn = *reader_conns_[idx];
    // One snapshot for the whole Read. A session that died while idle (a server restart) is
    // noticed by this BEGIN; the second try reconnects. If that fails too, the reader's
    // queries answer UNAVAILABLE.
    constexpr std::string_view kMode = "ISOLATION LEVEL REPEATABLE READ READ ONLY";
    if (!conn.Begin(kMode) && !conn.in_transaction()) (void)conn.Begin(kMode);
    *index = idx;
    return readers_[idx].get();
  }

  void Release(int index) override {
    PgConn& conn = *reader_conns_[index];
    if (conn.in_transaction() || conn.broken()) {
      if (!conn.Commit()) (void)conn.Rollback();
    }
    reader_cached_[index] = static_cast<int64_t>(conn.cached_statements());
    pool_.Put(index);
  }

  Status Backup(const std::string&) override {
    return Fail(ErrorCode::INVALID_STATE, "Backup is for SQLite stores; back up PostgreSQL with pg_dump (or a base backup)");
  }

 private:
  // One command in its savepoint, again while the server answers ABORTED. A command that
  // succeeded leaves its savepoint for the next command to release in the same round trip as
  // it opens its own ("RELEASE cmd; SAVEPOINT cmd"); COMMIT releases the batch's last one. One
  // round trip per command instead of two (bench/README, "PostgreSQL beside SQLite").
  // `holds_locks`: an earlier command of the batch succeeded, so the transaction keeps its row
  // locks whatever this one does. Then an ABORTED (a deadlock, most likely with another writer's
  // batch) is returned as it is: run again here, it would wait for the same locks and deadlock
  // again; the caller rolls the whole batch back (releasing them) and runs it again.
  Status RunCommand(Writer& w, PgTx& tx, Queued& q, bool holds_locks) {
    PgConn& conn = *w.conn;
    for (int attempt = 0;; ++attempt) {
      std::string open_savepoint = w.savepoint_open ? "RELEASE cmd; SAVEPOINT cmd" : "SAVEPOINT cmd";
      if (attempt > 0) open_savepoint += "; " + RerunLockTimeout(attempt);
      RETURN_IF_ERROR(conn.ExecScript(open_savepoint));
      w.savepoint_open = true;
      tx.pending_.clear();
      tx.appended_events_ = false;
      tx.actor_ = Actor{};
      Status s = Ok();
      try {
        s = q.command(tx);
      } catch (const std::exception& e) {
        s = Fail(ErrorCode::INTERNAL, std::string("command threw: ") + e.what());
      }
      if (s || conn.broken()) return s;
      (void)conn.ExecScript("ROLLBACK TO cmd; RELEASE cmd");
      w.savepoint_open = false;
      if (s.error().code != ErrorCode::ABORTED || holds_locks) return s;
      if (attempt + 1 >= kMaxAttempts) {
        return std::unexpected(BusyError(s.error().message));
      }
      retries_++;
      Backoff(attempt);
    }
  }

  struct BatchOutcome {
    bool committed = false;
    bool split = false;  // a lock conflict with another writer: rolled back, to run in parts
    std::vector<Status> results;
    std::vector<std::function<void()>> hooks;
    int64_t event_seq = 0;
    int64_t commit_no = 0;  // the visible mark taken for its last COMMIT (0: none issued)
    bool told_visible = false;  // the watch heard kCommitting and kVisible around the COMMIT
  };

  // What the triggers recorded in this transaction (xd.rows), as the listener's rows.
  Result<std::vector<RowChange>> RowsBeforeCommit(PgConn& conn) {
    std::vector<RowChange> rows;
    RowWatch* watch = watch_.load();
    if (!watch) return rows;
    ASSIGN_OR_RETURN(Rows got, conn.Query("SELECT COALESCE(current_setting('xd.rows', true), '')"));
    const std::string record = got.empty() ? std::string() : got[0].Str(0);
    std::string_view rest = record;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      watch->Parse(std::string(rest.substr(0, nl)), [](int64_t) { return true; }, &rows);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
    return rows;
  }

  // The batch in one transaction: see the top of this file.
  BatchOutcome RunBatch(Writer& w, PgTx& tx, std::vector<Queued>& batch) {
    PgConn& conn = *w.conn;
    BatchOutcome out;
    auto fail_all = [&](const Error& e) {
      out.results.assign(batch.size(), std::unexpected(e));
      out.hooks.clear();
    };
    for (int attempt = 0;; ++attempt) {
      out.results.clear();
      out.hooks.clear();
      out.event_seq = 0;
      out.told_visible = false;
      Status begun = conn.Begin();
      // A session that died between batches shows here; BEGIN again on a new one.
      if (!begun && !conn.in_transaction()) begun = conn.Begin();
      w.savepoint_open = false;
      w.pid = conn.backend_pid();
      if (begun) begun = HoldNode(conn);
      if (begun && attempt > 0) begun = conn.ExecScript(RerunLockTimeout(attempt));
      if (!begun) {
        (void)conn.Rollback();
        fail_all(begun.error());
        return out;
      }
      bool lost = false, relay = false, holds_locks = false, rerun = false;
      for (auto& q : batch) {
        Status s = lost ? Status(Ok()) : RunCommand(w, tx, q, holds_locks);
        if (!lost && conn.broken()) lost = true;
        if (!s && s.error().code == ErrorCode::ABORTED) {
          rerun = true;  // see RunCommand
          break;
        }
        if (s && !lost) {
          for (auto& h : tx.pending_) out.hooks.push_back(std::move(h));
          relay |= tx.appended_events_;
          holds_locks = true;
        }
        out.results.push_back(std::move(s));
        tx.pending_.clear();
      }
      if (rerun && !lost) {
        (void)conn.Rollback();
        tx.pending_.clear();
        if (batch.size() > 1) {  // RunWriter runs its commands one transaction each
          out.results.clear();
          out.hooks.clear();
          out.split = true;
          return out;
        }
        if (attempt + 1 < kMaxAttempts) {
          retries_++;
          Backoff(attempt);
          continue;
        }
        fail_all(BusyError("a lock conflict with another writer, batch retried " + std::to_string(kMaxAttempts) + " times"));
        return out;
      }
      if (lost) {
        (void)conn.Rollback();
        spdlog::error("event=pg_connection_lost phase=batch commands={}", batch.size());
        fail_all(Error{ErrorCode::UNAVAILABLE, "database connection lost before commit: nothing was committed", Msg::STORE_UNAVAILABLE, {}});
        return out;
      }
      Status committed = relay ? RelayInBatch(conn, &out) : Status(Ok());
      // The watched rows this transaction changed, told before its COMMIT (kCommitting: a cache
      // holds off serving) and right after it, committed or not (kVisible: it invalidates them
      // and serves again), as SQLite's writer does: no page read before the commit is served
      // once readers can see it. Read from the triggers' transaction-local record (xd.rows):
      // the notifications themselves arrive only with the COMMIT's reply.
      std::vector<RowChange> committing;
      if (committed) {
        Result<std::vector<RowChange>> rows = RowsBeforeCommit(conn);
        if (rows) committing = std::move(*rows);
        else committed = std::unexpected(rows.error());
      }
      if (!committing.empty()) watch_.load()->listener(committing, RowPhase::kCommitting);
      out.commit_no = NumberCommit();  // before any reader can see it
      if (committed) committed = conn.Commit();
      if (!committing.empty()) {
        watch_.load()->listener(committing, RowPhase::kVisible);
        out.told_visible = true;
      }
      if (committed) {
        out.committed = true;
        return out;
      }
      const bool broken = conn.broken();
      (void)conn.Rollback();
      FinishCommit(out.commit_no);  // nothing of it is visible: nobody waits for it
      out.commit_no = 0;
      if (committed.error().code == ErrorCode::ABORTED && attempt + 1 < kMaxAttempts) {
        spdlog::warn("event=pg_commit_retry attempt={} error=\"{}\"", attempt + 1, committed.error().message);
        retries_++;
        Backoff(attempt);
        continue;
      }
      spdlog::error("event=commit_failed error=\"{}\"", committed.error().message);
      if (broken) {
        fail_all(Error{ErrorCode::UNAVAILABLE, "database connection lost at COMMIT: the outcome is unknown", Msg::STORE_OUTCOME_UNKNOWN, {}});
      } else if (committed.error().code == ErrorCode::ABORTED) {
        fail_all(BusyError(committed.error().message));
      } else {
        fail_all(committed.error());
      }
      return out;
    }
  }

  // The batch's events, relayed in its own transaction when no other relay holds the lock (see
  // the top of this file); `out->event_seq` is then the newest seq once COMMIT returns.
  Status RelayInBatch(PgConn& conn, BatchOutcome* out) {
    ASSIGN_OR_RETURN(Rows rows, conn.Query("SELECT xd_relay_events(false, ?1)", {kRelayMaxRows}));
    if (!rows.empty() && rows[0].Int(0) > 0) out->event_seq = rows[0].Int(0);
    return Ok();
  }

  // Moves pending events when woken by a notification (another relay held the lock, or moved
  // events: the durable mark follows) or every kRelayPollMs. Its own connections: the relay
  // waits for the lock, which the writer never does.
  void RunRelay(PgConn& conn, PgListener& listener) {
    const std::string prefix = schema_ + " ";
    bool failing = false;  // logged once per outage, not every poll
    for (;;) {
      if (queue_.closed()) return;
      auto got = listener.Wait(kRelayPollMs);
      bool pending = !got || got->lost || got->notifications.empty();
      int64_t newest = 0;
      if (got) {
        for (const auto& n : got->notifications) {
          if (!n.payload.starts_with(prefix)) continue;  // another schema's (tests share a database)
          std::string_view rest = std::string_view(n.payload).substr(prefix.size());
          int64_t seq = 0;
          auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), seq);
          if (ec == std::errc() && p == rest.data() + rest.size()) newest = std::max(newest, seq);
          else pending = true;
        }
      }
      if (pending) {
        Status begun = conn.Begin();
        Result<Rows> rows = begun ? conn.Query("SELECT xd_relay_events(true, ?1)", {kRelayMaxRows}) : Result<Rows>(std::unexpected(begun.error()));
        Status committed = rows ? conn.Commit() : Status(std::unexpected(rows.error()));
        if (committed && !rows->empty()) newest = std::max(newest, (*rows)[0].Int(0));
        if (!committed) {
          (void)conn.Rollback();
          if (!failing && !queue_.closed()) spdlog::warn("event=outbox_relay_failed error=\"{}\"", committed.error().message);
        }
        failing = !committed;
      }
      if (newest > 0) RaiseDurableEventSeq(newest);
      RenewNode(conn);
    }
  }

  void RaiseDurableEventSeq(int64_t seq) {
    std::lock_guard lock(durable_mu_);
    if (seq > durable_event_seq_) durable_event_seq_ = seq;
  }

  // Other sessions' (nodes') commits to watched rows, a moment after they commit. Ours come to
  // the writer (OwnRowChanges); the rest, and a lost connection, come here.
  void RunRemoteRows(PgListener& remote) {
    for (;;) {
      if (queue_.closed()) return;
      auto got = remote.Wait(200);
      if (!got) continue;  // down: Wait has waited; the batch after the reconnect says lost
      std::vector<RowChange> rows;
      if (got->lost) rows.push_back(RowChange{RowChange::kAnyTable, 0, false});
      RowWatch* watch = watch_.load();
      for (const auto& n : got->notifications)
        watch->Parse(n.payload, [this](int64_t pid) { return !OurWriter(pid); }, &rows);
      if (!rows.empty()) {  // another node's commit: visible and durable already
        // kCommitting first all the same: a listener pairs each kVisible with the kCommitting
        // before it (the product cache's Hold/Release), and this node's writers hold it too.
        watch->listener(rows, RowPhase::kCommitting);
        watch->listener(rows, RowPhase::kVisible);
        watch->listener(rows, RowPhase::kDurable);
      }
    }
  }

  // The watched rows this session's last commit changed (its own notifications; others' are
  // the listener thread's).
  std::vector<RowChange> OwnRowChanges(PgConn& conn) {
    std::vector<RowChange> rows;
    RowWatch* watch = watch_.load();
    const int64_t own = conn.backend_pid();
    for (const auto& [channel, payload] : conn.TakeNotifications())
      if (watch) watch->Parse(payload, [own](int64_t pid) { return pid == own; }, &rows);
    return rows;
  }

  bool OurWriter(int64_t pid) const {
    for (const auto& w : writers_)
      if (w->pid.load() == pid) return true;
    return false;
  }

  // Commit numbers (the watermark; see the top of this file).
  int64_t NumberCommit() {
    std::lock_guard lock(durable_mu_);
    const int64_t n = ++commits_started_;
    committing_.insert(n);
    return n;
  }
  void FinishCommit(int64_t n) {
    if (n == 0) return;
    {
      std::lock_guard lock(durable_mu_);
      committing_.erase(n);
      durable_commits_ = committing_.empty() ? commits_started_.load() : *committing_.begin() - 1;
    }
    durable_cv_.notify_all();
  }

  // A free node number for this process (see the top of this file), on the writer's
  // connection: at start, or inside a batch whose renewal found the number taken.
  Status LeaseNode(PgConn& conn) {
    const int64_t now = clock_.NowMs();
    for (int attempt = 0; attempt < 5; ++attempt) {
      ASSIGN_OR_RETURN(Rows got, conn.Query("UPDATE node_leases SET holder = ?1, lease_until_ms = ?2 WHERE id = "
                                                "(SELECT id FROM node_leases WHERE lease_until_ms < ?3 ORDER BY id LIMIT 1 "
                                                "FOR UPDATE SKIP LOCKED) RETURNING id",
                                                {holder_, now + kNodeLeaseMs, now}));
      if (got.empty()) {  // none free: a new number (two nodes racing for it: one retries)
        ASSIGN_OR_RETURN(got, conn.Query("INSERT INTO node_leases(id, holder, lease_until_ms) "
                                             "SELECT COALESCE(MAX(id) + 1, 0), ?1, ?2 FROM node_leases "
                                             "HAVING COALESCE(MAX(id) + 1, 0) <= ?3 ON CONFLICT DO NOTHING RETURNING id",
                                             {holder_, now + kNodeLeaseMs, int64_t{IdGenerator::kMaxNode}}));
      }
      if (!got.empty()) {
        ids_.SetNode(static_cast<int>(got[0].Int(0)));
        spdlog::info("event=node_leased node={}", got[0].Int(0));
        return Ok();
      }
    }
    return Fail(ErrorCode::UNAVAILABLE, "no free node number (" + std::to_string(IdGenerator::kMaxNode + 1) +
                                            " nodes hold leases)");
  }

  // The batch's first statement: keeps our node number ours until COMMIT (a share lock: other
  // nodes skip locked rows when they take numbers over), or leases another.
  Status HoldNode(PgConn& conn) {
    for (;;) {
      const int node = ids_.node();
      ASSIGN_OR_RETURN(Rows ours, conn.Query("SELECT 1 FROM node_leases WHERE id = ?1 AND holder = ?2 FOR SHARE", {int64_t{node}, holder_}));
      if (!ours.empty()) return Ok();
      std::lock_guard lock(lease_mu_);
      if (ids_.node() != node) continue;  // another writer leased a new one meanwhile: hold that
      spdlog::warn("event=node_lease_lost node={}", node);
      return LeaseNode(conn);
    }
  }

  // Extends our lease (the relay thread, every quarter lease). It may wait for batches holding
  // the row's share lock; a lock timeout leaves it for the next poll.
  void RenewNode(PgConn& conn) {
    const int64_t now = clock_.NowMs();
    if (now - renewed_at_ms_ < kNodeLeaseMs / 4) return;
    Status s = conn.Begin();
    if (s) s = conn.ExecScript("SET LOCAL lock_timeout = '1s'");
    Result<int64_t> renewed = s ? conn.Exec("UPDATE node_leases SET lease_until_ms = ?1 WHERE id = ?2 AND holder = ?3",
                                            {now + kNodeLeaseMs, int64_t{ids_.node()}, holder_})
                                : Result<int64_t>(std::unexpected(s.error()));
    if (renewed) s = conn.Commit();
    else s = std::unexpected(renewed.error());
    if (!s) {
      (void)conn.Rollback();
      return;
    }
    renewed_at_ms_ = now;
    if (*renewed == 0) spdlog::warn("event=node_lease_lost node={} (the next batch leases another)", ids_.node());
  }

  // Batches adapt to contention: a batch that met a lock conflict with another writer (a
  // deadlock, or a wait past the lock timeout: most often queueing on a hot row — one flash-sale
  // SKU, one shop's escrow balance — behind another writer's or node's batch) is rolled back and
  // its commands run one transaction each, and the writer's next batches take half as many
  // commands; each batch that commits without one doubles the limit again, up to max_batch. A
  // batch holds every row its commands locked until its COMMIT, so on hot rows big batches make
  // every other writer wait for all of their commands and time out; one-command transactions
  // take the rows in the one lock order (decision 031), hold them for one command, and cannot
  // deadlock with each other.
  void RunWriter(Writer& w) {
    PgConn& conn = *w.conn;
    PgTx tx(conn, clock_, ids_, queries_);
    const size_t max_batch = static_cast<size_t>(std::max(1, options_.max_batch));
    w.limit = max_batch;
    std::vector<Queued> batch;
    for (;;) {
      if (!queue_.TakeBatch(w.limit, &batch)) return;
      auto start = std::chrono::steady_clock::now();
      BatchOutcome out = RunBatch(w, tx, batch);
      if (out.split) {
        retries_++;  // its commands run again
        w.limit = std::max<size_t>(1, batch.size() / 2);
        for (auto& q : batch) {
          std::vector<Queued> one;
          one.push_back(std::move(q));
          BatchOutcome alone = RunBatch(w, tx, one);
          Finish(w, one, alone, start);
          start = std::chrono::steady_clock::now();
        }
      } else {
        if (out.committed) w.limit = std::min(max_batch, w.limit * 2);
        Finish(w, batch, out, start);
      }
      batch.clear();
    }
  }

  // After a batch's transaction: the counters, the watched rows, the commit marks, then its
  // hooks and completions.
  void Finish(Writer& w, std::vector<Queued>& batch, BatchOutcome& out, std::chrono::steady_clock::time_point start) {
    PgConn& conn = *w.conn;
    commit_us_total_ += std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    batches_++;
    commands_ += static_cast<int64_t>(batch.size());
    if (static_cast<int64_t>(batch.size()) > max_batch_seen_) max_batch_seen_ = static_cast<int64_t>(batch.size());
    w.cached = static_cast<int64_t>(conn.cached_statements());
    if (!out.committed) failed_commits_++;
    {
      std::vector<RowChange> rows = OwnRowChanges(conn);
      if (out.committed && !rows.empty()) {  // a PostgreSQL COMMIT is durable when it returns
        if (!out.told_visible) watch_.load()->listener(rows, RowPhase::kVisible);
        watch_.load()->listener(rows, RowPhase::kDurable);
      }
    }
    // Writable: the last batch committed (healthz answers 503 until one does again).
    writable_ = out.committed;
    // Before the hooks and completions: what they announce is below the marks.
    FinishCommit(out.commit_no);
    if (out.committed && out.event_seq > 0) RaiseDurableEventSeq(out.event_seq);
    for (auto& h : out.hooks) h();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!out.results[i]) failed_commands_++;
      if (batch[i].done) batch[i].done(std::move(out.results[i]));
    }
  }

  const StoreOptions options_;
  const Clock& clock_;
  IdGenerator& ids_;

  std::vector<std::unique_ptr<Writer>> writers_;  // fixed after Start
  std::vector<std::unique_ptr<PgConn>> reader_conns_;
  std::vector<std::unique_ptr<PgReader>> readers_;
  ReaderPool pool_;
  CommandQueue queue_;

  std::string holder_;  // this process's token in node_leases
  bool released_node_ = false;  // Close's
  std::string schema_;  // this store's (notifications name it: tests share a database)
  std::unique_ptr<PgConn> relay_conn_;  // the relay thread's
  std::thread relay_thread_;
  std::mutex lease_mu_;        // one writer leases a new node number at a time
  int64_t renewed_at_ms_ = 0;  // the relay thread's (and Start's)
  std::unique_ptr<RowWatch> watch_owned_;  // set once by WatchRows
  std::atomic<RowWatch*> watch_{nullptr};   // read by the writers and the listener thread
  std::thread listener_thread_;

  std::atomic<int64_t> commands_{0}, batches_{0}, failed_commands_{0}, failed_commits_{0}, max_batch_seen_{0},
      commit_us_total_{0}, retries_{0}, queries_{0};
  std::unique_ptr<std::atomic<int64_t>[]> reader_cached_;  // per reader, updated at Release
  std::atomic<bool> writable_{true};

  // The watermark: numbered before each COMMIT; durable once that COMMIT and every one numbered
  // before it have returned (a failed COMMIT made nothing visible, so its number is passed too:
  // nobody waits for it forever). `committing_`: numbers whose COMMIT has not returned yet.
  std::atomic<int64_t> commits_started_{0}, durable_commits_{0}, durable_event_seq_{0};
  std::set<int64_t> committing_;
  std::mutex durable_mu_;
  std::condition_variable durable_cv_;
};

}  // namespace

Result<std::unique_ptr<Store::Impl>> OpenPgStore(const StoreOptions& options, const Clock& clock, IdGenerator& ids) {
  auto store = std::make_unique<PgStore>(options, clock, ids);
  RETURN_IF_ERROR(store->Start());
  return std::unique_ptr<Store::Impl>(std::move(store));
}

}  // namespace xd::internal
