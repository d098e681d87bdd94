// The SQLite backend of Store (store.h, internal/backend.h): WAL mode, one writer thread that
// group-commits queued commands (each in its SAVEPOINT), a sync stage that fdatasyncs the WAL and
// then announces the batches in commit order, a background checkpointer, a pool of read-only
// connections.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "base/log.h"
#include "base/thread_name.h"
#include "store/internal/backend.h"
#include "store/internal/command_queue.h"
#include "store/internal/sqlite_conn.h"

namespace xd::internal {

// Migrations, embedded at build time from src/store/migrations/NNN_name.sql.
struct Migration {
  int version;
  const char* name;
  const char* sql;
};
extern const Migration kMigrations[];
extern const size_t kMigrationCount;
extern const Migration kAnalyticsMigrations[];
extern const size_t kAnalyticsMigrationCount;

namespace {

const Dialect& SqliteDialect() {
  static const Dialect dialect(SqlDialect::kSqlite);
  return dialect;
}

class ConnReader final : public Reader {
 public:
  ConnReader(SqliteConn& conn, const Clock& clock) : conn_(conn), clock_(clock) {}
  Result<Rows> Query(std::string_view sql, Params params) override { return conn_.Query(sql, params); }
  Status QueryEach(std::string_view sql, Params params, const std::function<Status(const Row&)>& fn) override {
    return conn_.QueryEach(sql, params, fn);
  }
  const Clock& clock() const override { return clock_; }
  const Dialect& dialect() const override { return SqliteDialect(); }

 private:
  SqliteConn& conn_;
  const Clock& clock_;
};

class TxImpl final : public Tx {
 public:
  TxImpl(SqliteConn& conn, const Clock& clock, IdGenerator& ids) : conn_(conn), clock_(clock), ids_(ids) {}
  Result<Rows> Query(std::string_view sql, Params params) override { return conn_.Query(sql, params); }
  Status QueryEach(std::string_view sql, Params params, const std::function<Status(const Row&)>& fn) override {
    return conn_.QueryEach(sql, params, fn);
  }
  Result<int64_t> Exec(std::string_view sql, Params params) override { return conn_.Exec(sql, params); }
  const Clock& clock() const override { return clock_; }
  const Dialect& dialect() const override { return SqliteDialect(); }
  int64_t NewId() override { return ids_.Next(); }
  Status AppendEventText(const EventHead& head, std::string_view payload_json) override {
    RETURN_IF_ERROR(conn_.Run("INSERT INTO events(type, schema_version, aggregate_id, merchant_id, actor_kind, actor_id, payload, "
                              "created_at_ms) VALUES(?,?,?,?,?,?,?,?)",
                              {head.type, head.schema_version, head.aggregate_id, head.merchant_id,
                               ActorKindName(actor_.kind), actor_.id, payload_json, clock_.NowMs()}));
    last_event_seq_ = sqlite3_last_insert_rowid(conn_.raw());
    return Ok();
  }
  void SetActor(Actor actor) override { actor_ = actor; }
  Result<int64_t> AddTimer(std::string_view kind, int64_t due_ms, const Json& payload) override {
    int64_t id = ids_.Next();
    RETURN_IF_ERROR(conn_.Exec("INSERT INTO timers(id, kind, due_at_ms, payload, attempts) VALUES(?,?,?,?,0)",
                               {id, kind, due_ms, DumpJson(payload)}));
    return id;
  }
  Status CancelTimer(int64_t timer_id) override {
    return conn_.Run("DELETE FROM timers WHERE id=?", {timer_id});
  }
  void OnCommit(std::function<void()> fn) override { pending_.push_back(std::move(fn)); }

  // Hooks of the current command; moved to the batch's list when the command succeeds.
  std::vector<std::function<void()>> pending_;
  // The newest event the current command appended (0: none); the batch keeps it only when the
  // command succeeds (a rolled-back seq is handed out again).
  int64_t last_event_seq_ = 0;
  // Who the current command acts for (reset before each command).
  Actor actor_;

 private:
  SqliteConn& conn_;
  const Clock& clock_;
  IdGenerator& ids_;
};

// A committed (or failed) batch on its way out: what runs once its commit is durable.
struct Finished {
  bool committed = false;
  bool commit_failed = false;  // COMMIT itself failed (disk full, I/O error)
  std::vector<RowChange> rows;
  std::vector<std::function<void()>> hooks;
  std::vector<Queued> batch;
  std::vector<Status> results;
  int64_t commit_no = 0;       // this batch's number in commit order (0: it never reached COMMIT)
  int64_t last_event_seq = 0;  // the newest event it committed (0: none)
};

class SqliteStore final : public Store::Impl {
 public:
  SqliteStore(const StoreOptions& options, const Clock& clock, IdGenerator& ids) : options(options), clock(clock), ids(ids), queue(options.max_queue) {}
  ~SqliteStore() override { Close(); }
  Status Start();
  void RunWriter();
  void Submit(Command command, Completion done) override;
  Status WatchRows(std::vector<std::string> tables, RowListener listener) override;
  void Close() override;
  StoreStats stats() const override;
  bool writable() const override { return writable_; }
  int64_t visible_commits() const override { return commits_started; }
  int64_t durable_commits() const override { return durable_commits_; }
  int64_t durable_event_seq() const override { return durable_event_seq_; }
  Status WaitDurable(int64_t commits, int timeout_ms) override;
  Reader* Acquire(int* index) override;
  void Release(int index) override;
  Status Backup(const std::string& dest_path) override;

  const StoreOptions options;
  const Clock& clock;
  IdGenerator& ids;

  std::unique_ptr<SqliteConn> writer;
  std::vector<std::unique_ptr<SqliteConn>> reader_conns;
  std::vector<std::unique_ptr<ConnReader>> readers;
  ReaderPool pool;
  CommandQueue queue;
  std::thread thread;

  std::atomic<int64_t> commands{0}, batches{0}, failed_commands{0}, failed_commits{0},
      max_batch_seen{0}, commit_us_total{0}, checkpoints{0};
  std::atomic<bool> writable_{true};

  // The checkpointer: copies WAL frames back into the database on its own connection and
  // thread, so the writer never stalls on a checkpoint (it used to: SQLite's automatic
  // checkpoint runs inside the COMMIT that crosses the threshold, with its fsyncs).
  std::unique_ptr<SqliteConn> checkpoint_conn;
  std::thread checkpoint_thread;
  std::mutex checkpoint_mu;
  std::condition_variable checkpoint_cv;
  bool checkpoint_wanted = false, checkpoint_stop = false;
  int checkpoint_pages = 1000, restart_pages = 8000;
  std::atomic<int> wal_pages{0};  // frames in the WAL after the last commit
  // Writer thread only: the WAL's size at the last commit, and the size that wakes the
  // checkpointer next.
  int wal_size_seen = 0, next_checkpoint_at = 1000;

  // Store::WatchRows: the tables are the writer thread's (set by a command, read by the update
  // hook); the listener is under sync_mu: the writer calls it around each COMMIT
  // (kCommitting, kVisible), the sync thread after the sync (kDurable).
  std::vector<std::string> watched_tables;
  std::shared_ptr<const RowListener> row_listener;
  std::vector<RowChange> changed_rows;
  std::atomic<int64_t> wal_frames{0};  // frames (pages) appended by all commits

  // The sync stage: the writer commits with synchronous=NORMAL (SQLite does not fsync) and
  // hands each batch to this thread, which fdatasyncs the WAL once for every batch queued
  // since its last sync, then runs their row listener, hooks and completions in commit
  // order. The writer meanwhile runs the next batch instead of waiting for the disk.
  std::thread sync_thread;
  std::mutex sync_mu;
  std::condition_variable sync_cv;
  std::deque<Finished> sync_queue;
  bool sync_stop = false;
  int wal_fd = -1;  // sync thread only: the WAL, opened at the first sync
  std::atomic<int64_t> syncs{0};
  std::function<void()> before_sync;  // StoreOptions::before_sync

  // The durable watermark. The writer numbers each COMMIT before issuing it (so a reader that
  // sees a commit also sees its number counted); the sync stage advances the durable marks
  // after each successful sync. A failed sync leaves them, and the next round syncs even
  // with nothing new, so that the marks never pass a commit that is not on disk.
  std::atomic<int64_t> commits_started{0}, durable_commits_{0}, durable_event_seq_{0};
  bool unsynced = false;  // sync thread only: a sync failed since the last good one
  std::mutex durable_mu;
  std::condition_variable durable_cv;
};

// SQLite calls this for every row a statement on the writer inserts, updates or deletes.
void OnRowChange(void* arg, int op, const char*, const char* table, sqlite3_int64 rowid) {
  auto* im = static_cast<SqliteStore*>(arg);
  for (size_t i = 0; i < im->watched_tables.size(); ++i)
    if (im->watched_tables[i] == table) im->changed_rows.push_back(RowChange{static_cast<int>(i), rowid, op == SQLITE_INSERT});
}

// SQLite calls this after each commit with the WAL's size in frames (pages).
int OnWalCommit(void* arg, sqlite3*, const char*, int pages) {
  auto* im = static_cast<SqliteStore*>(arg);
  int before = im->wal_size_seen;
  im->wal_size_seen = pages;
  im->wal_pages = pages;
  im->wal_frames += pages >= before ? pages - before : pages;  // smaller: the WAL started over
  // Every checkpoint_pages new frames, not after every commit past the mark: a page written
  // by many commits in between (stock rows, balances, the right edge of each index) is then
  // copied into the database once, not once per commit.
  if (pages < before) im->next_checkpoint_at = im->checkpoint_pages;
  if (pages < im->next_checkpoint_at) return SQLITE_OK;
  im->next_checkpoint_at = pages + im->checkpoint_pages;
  {
    std::lock_guard lock(im->checkpoint_mu);
    im->checkpoint_wanted = true;
  }
  im->checkpoint_cv.notify_one();
  return SQLITE_OK;
}

// fdatasync of the WAL: every frame of every commit so far is on disk when it returns.
Status SyncWal(SqliteStore& im, const std::string& wal_path) {
  if (im.wal_fd < 0) {
    im.wal_fd = ::open(wal_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (im.wal_fd < 0) return Fail(ErrorCode::UNAVAILABLE, "cannot open " + wal_path + " to sync it: " + std::strerror(errno));
    // The WAL's directory entry is durable only once its directory is synced.
    std::string dir = std::filesystem::path(wal_path).parent_path().string();
    int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      (void)::fsync(dir_fd);
      ::close(dir_fd);
    }
  }
  if (::fdatasync(im.wal_fd) != 0) return Fail(ErrorCode::UNAVAILABLE, std::string("cannot sync the WAL: ") + std::strerror(errno));
  im.syncs++;
  return Ok();
}

// The sync thread: see SqliteStore::sync_queue.
void RunSyncStage(SqliteStore& im, const std::string& wal_path, bool durable) {
  std::deque<Finished> work;
  std::shared_ptr<const RowListener> listener;
  for (;;) {
    {
      std::unique_lock lock(im.sync_mu);
      im.sync_cv.wait(lock, [&] { return im.sync_stop || !im.sync_queue.empty(); });
      if (im.sync_queue.empty()) return;  // stopping, and everything handed over is done
      work.swap(im.sync_queue);
      listener = im.row_listener;
    }
    if (im.before_sync) im.before_sync();
    Status synced = Ok();
    if (durable && (im.unsynced || std::any_of(work.begin(), work.end(), [](const Finished& f) { return f.committed; })))
      synced = SyncWal(im, wal_path);
    im.unsynced = !synced;
    if (!synced) spdlog::error("event=wal_sync_failed error=\"{}\"", synced.error().message);
    if (synced) {  // before the hooks and completions: what they announce is below the marks
      int64_t commit_no = 0, event_seq = 0;
      for (auto& f : work) {
        commit_no = std::max(commit_no, f.commit_no);
        event_seq = std::max(event_seq, f.last_event_seq);
      }
      {
        std::lock_guard lock(im.durable_mu);
        if (commit_no > im.durable_commits_) im.durable_commits_ = commit_no;
        if (event_seq > im.durable_event_seq_) im.durable_event_seq_ = event_seq;
      }
      im.durable_cv.notify_all();
    }
    for (auto& f : work) {
      // Writable: the last commit went through and is on disk (healthz answers 503 until then).
      if (f.committed) im.writable_ = static_cast<bool>(synced);
      if (f.commit_failed) im.writable_ = false;
      if (f.committed && !synced) {  // committed but maybe not on disk: no one is told it succeeded
        f.hooks.clear();
        for (auto& r : f.results)
          if (r) r = std::unexpected(synced.error());
      }
      // Caches drop what changed even if the sync failed: the rows are committed.
      if (!f.rows.empty() && listener) (*listener)(f.rows, RowPhase::kDurable);
      for (auto& h : f.hooks) h();
      for (size_t i = 0; i < f.batch.size(); ++i) {
        if (!f.results[i]) im.failed_commands++;
        if (f.batch[i].done) f.batch[i].done(std::move(f.results[i]));
      }
    }
    work.clear();
  }
}

Status ApplyMigrations(SqliteConn& db, StoreSchema schema) {
  const bool analytics = schema == StoreSchema::kAnalytics;
  const Migration* migrations = analytics ? kAnalyticsMigrations : kMigrations;
  const size_t count = analytics ? kAnalyticsMigrationCount : kMigrationCount;
  RETURN_IF_ERROR(db.ExecScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, name TEXT NOT NULL)"));
  ASSIGN_OR_RETURN(Rows done, db.Query("SELECT version FROM schema_migrations", {}));
  std::vector<int64_t> applied;
  for (auto& r : done) applied.push_back(r.Int(0));
  for (size_t i = 0; i < count; ++i) {
    const auto& m = migrations[i];
    if (std::find(applied.begin(), applied.end(), m.version) != applied.end()) continue;
    RETURN_IF_ERROR(db.ExecScript("BEGIN IMMEDIATE"));
    Status s = db.ExecScript(m.sql);
    if (s) s = db.Run("INSERT INTO schema_migrations(version, name) VALUES(?,?)", {int64_t{m.version}, m.name});
    if (!s) {
      (void)db.ExecScript("ROLLBACK");
      return Fail(s.error().code, std::string("migration ") + m.name + ": " + s.error().message);
    }
    RETURN_IF_ERROR(db.ExecScript("COMMIT"));
    spdlog::info("event=migration_applied version={} name={}", m.version, m.name);
  }
  return Ok();
}

Status SqliteStore::Start() {
  SqliteStore& im = *this;
  // Durable stores sync the WAL in the sync stage, not in SQLite's COMMIT.
  const std::string_view synchronous = options.sync_full ? "NORMAL" : "OFF";
  ASSIGN_OR_RETURN(im.writer, SqliteConn::Open(options.path, false, synchronous, options.statement_cache_capacity));
  RETURN_IF_ERROR(ApplyMigrations(*im.writer, options.schema));
  for (int i = 0; i < std::max(1, options.readers); ++i) {
    ASSIGN_OR_RETURN(auto conn, SqliteConn::Open(options.path, true, synchronous, options.statement_cache_capacity));
    im.readers.push_back(std::make_unique<ConnReader>(*conn, clock));
    im.reader_conns.push_back(std::move(conn));
    im.pool.Add(i);
  }
  ASSIGN_OR_RETURN(im.checkpoint_conn, SqliteConn::Open(options.path, false, synchronous, options.statement_cache_capacity));
  im.checkpoint_pages = options.checkpoint_pages;
  im.next_checkpoint_at = options.checkpoint_pages;
  im.restart_pages = std::max(options.restart_pages, options.checkpoint_pages);
  RETURN_IF_ERROR(im.writer->ExecScript("PRAGMA wal_autocheckpoint=0"));
  sqlite3_wal_hook(im.writer->raw(), &OnWalCommit, &im);
  im.before_sync = options.before_sync;
  if (options.schema == StoreSchema::kTrading) {  // what the store holds at open is on disk (or is all that is left of it)
    ASSIGN_OR_RETURN(Rows last, im.writer->Query("SELECT COALESCE(MAX(seq), 0) FROM events", {}));
    im.durable_event_seq_ = last.empty() ? 0 : last[0].Int(0);
  }
  im.checkpoint_thread = std::thread([&im] {
    SetThreadName("xd-ckpt");
    std::unique_lock lock(im.checkpoint_mu);
    for (;;) {
      im.checkpoint_cv.wait(lock, [&] { return im.checkpoint_wanted || im.checkpoint_stop; });
      if (im.checkpoint_stop) return;
      im.checkpoint_wanted = false;
      lock.unlock();
      // PASSIVE: copies what no reader still needs and blocks no one.
      int log_frames = 0, done_frames = 0;
      int rc = sqlite3_wal_checkpoint_v2(im.checkpoint_conn->raw(), "main", SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done_frames);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        spdlog::warn("event=checkpoint_failed rc={} error=\"{}\"", rc, sqlite3_errmsg(im.checkpoint_conn->raw()));
      im.checkpoints++;
      lock.lock();
    }
  });
  im.sync_thread = std::thread([&im, wal = options.path + "-wal", durable = options.sync_full] {
    SetThreadName("xd-sync");
    RunSyncStage(im, wal, durable);
  });
  im.thread = std::thread([this] {
    SetThreadName("xd-writer");
    RunWriter();
  });
  return Ok();
}

void SqliteStore::RunWriter() {
  SqliteStore& im = *this;
  TxImpl tx(*im.writer, clock, ids);
  std::vector<Queued> batch;
  std::vector<Status> results;
  std::vector<std::function<void()>> hooks;
  for (;;) {
    if (!im.queue.TakeBatch(static_cast<size_t>(std::max(1, options.max_batch)), &batch)) return;
    auto start = std::chrono::steady_clock::now();
    results.clear();
    hooks.clear();
    Status begun = im.writer->Run("BEGIN IMMEDIATE", {});
    int64_t batch_event_seq = 0;
    for (auto& q : batch) {
      if (!begun) {
        results.push_back(begun);
        continue;
      }
      Status s = im.writer->Run("SAVEPOINT cmd", {});
      if (s) {
        tx.pending_.clear();
        tx.last_event_seq_ = 0;
        tx.actor_ = Actor{};
        try {
          s = q.command(tx);
        } catch (const std::exception& e) {
          s = Fail(ErrorCode::INTERNAL, std::string("command threw: ") + e.what());
        }
        if (s) {
          s = im.writer->Run("RELEASE cmd", {});
        }
        if (!s) {
          (void)im.writer->Exec("ROLLBACK TO cmd", {});
          (void)im.writer->Exec("RELEASE cmd", {});
        } else {
          for (auto& h : tx.pending_) hooks.push_back(std::move(h));
          batch_event_seq = std::max(batch_event_seq, tx.last_event_seq_);
        }
      }
      results.push_back(std::move(s));
    }
    Finished out;
    if (begun) {
      // Caches in front of the readers hear of the rows before the COMMIT makes them visible
      // and right after (RowPhase): a cached page from before this commit is never served
      // once a reader can see the commit. (Told only after the WAL sync, readers saw new stock
      // for a whole disk flush while the cache served the old page.)
      const RowListener* tell = im.row_listener && !im.changed_rows.empty() ? im.row_listener.get() : nullptr;
      if (tell) (*tell)(im.changed_rows, RowPhase::kCommitting);
      out.commit_no = ++im.commits_started;  // counted before any reader can see it
      Status committed = im.writer->Run("COMMIT", {});
      if (tell) (*tell)(im.changed_rows, RowPhase::kVisible);
      if (!committed) {
        (void)im.writer->ExecScript("ROLLBACK");
        im.failed_commits++;
        out.commit_failed = true;
        hooks.clear();
        for (auto& r : results)
          if (r) r = std::unexpected(committed.error());
        spdlog::error("event=commit_failed error=\"{}\"", committed.error().message);
      } else {
        out.committed = true;
        out.rows = std::move(im.changed_rows);
        out.last_event_seq = batch_event_seq;
      }
      im.changed_rows.clear();
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    im.commit_us_total += us;
    im.batches++;
    im.commands += static_cast<int64_t>(batch.size());
    if (static_cast<int64_t>(batch.size()) > im.max_batch_seen) im.max_batch_seen = static_cast<int64_t>(batch.size());
    // The WAL starts over only when a write transaction begins with every frame copied
    // back, which the background checkpointer rarely manages while writes keep coming. So
    // past restart_pages the writer copies the few frames left itself, between batches
    // (the background has done the bulk); its next transaction then restarts the WAL.
    if (im.wal_pages >= im.restart_pages) {
      (void)sqlite3_wal_checkpoint_v2(im.writer->raw(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      im.wal_pages = 0;
      im.checkpoints++;
    }
    out.hooks = std::move(hooks);
    out.batch = std::move(batch);
    out.results = std::move(results);
    {
      std::lock_guard lock(im.sync_mu);
      im.sync_queue.push_back(std::move(out));
    }
    im.sync_cv.notify_one();
    batch.clear();
    results.clear();
    hooks.clear();
  }
}

void SqliteStore::Submit(Command command, Completion done) { queue.Submit(std::move(command), std::move(done)); }

Status SqliteStore::WatchRows(std::vector<std::string> tables, RowListener listener) {
  SqliteStore* im = this;
  // Installed by a command, so the writer's connection is only ever touched by its thread.
  std::promise<Status> p;
  auto f = p.get_future();
  Submit(
      [im, &tables, &listener](Tx&) -> Status {
        im->watched_tables = std::move(tables);
        auto shared = std::make_shared<const RowListener>(std::move(listener));
        {
          std::lock_guard lock(im->sync_mu);  // the sync thread takes it with each round of work
          im->row_listener = std::move(shared);
        }
        sqlite3_update_hook(im->writer->raw(), &OnRowChange, im);
        return Ok();
      },
      [&p](Status s) { p.set_value(std::move(s)); });
  return f.get();
}

void SqliteStore::Close() {
  queue.Close();
  if (thread.joinable()) thread.join();
  {
    std::lock_guard lock(sync_mu);
    sync_stop = true;
  }
  sync_cv.notify_one();
  if (sync_thread.joinable()) sync_thread.join();
  if (wal_fd >= 0) {
    ::close(wal_fd);
    wal_fd = -1;
  }
  {
    std::lock_guard lock(checkpoint_mu);
    checkpoint_stop = true;
  }
  checkpoint_cv.notify_one();
  if (checkpoint_thread.joinable()) checkpoint_thread.join();
}

StoreStats SqliteStore::stats() const {
  StoreStats s;
  s.commands = commands;
  s.batches = batches;
  s.failed_commands = failed_commands;
  s.failed_commits = failed_commits;
  s.max_batch_seen = max_batch_seen;
  s.commit_us_total = commit_us_total;
  s.checkpoints = checkpoints;
  s.wal_frames = wal_frames;
  s.wal_syncs = syncs;
  s.cached_statements = writer->cached_statements();
  s.queries = writer->queries();
  for (const auto& conn : reader_conns) {
    s.cached_statements += conn->cached_statements();
    s.queries += conn->queries();
  }
  s.queue_depth = static_cast<int64_t>(queue.depth());
  return s;
}

Status SqliteStore::WaitDurable(int64_t commits, int timeout_ms) {
  std::unique_lock lock(durable_mu);
  if (durable_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return durable_commits_ >= commits; }))
    return Ok();
  return Fail(ErrorCode::UNAVAILABLE, "the store has not synced recent commits to disk");
}

Reader* SqliteStore::Acquire(int* index) {
  int idx = pool.Take();
  (void)reader_conns[idx]->Run("BEGIN", {});  // cached statements: no parse per read
  *index = idx;
  return readers[idx].get();
}

void SqliteStore::Release(int index) {
  (void)reader_conns[index]->Run("COMMIT", {});
  pool.Put(index);
}

Status SqliteStore::Backup(const std::string& dest_path) {
  int index = 0;
  Acquire(&index);
  struct Return {
    SqliteStore* self;
    int index;
    ~Return() { self->Release(index); }
  } give_back{this, index};
  sqlite3* dest = nullptr;
  if (sqlite3_open(dest_path.c_str(), &dest) != SQLITE_OK) {
    sqlite3_close(dest);
    return Fail(ErrorCode::UNAVAILABLE, "cannot open backup destination " + dest_path);
  }
  sqlite3_backup* b = sqlite3_backup_init(dest, "main", reader_conns[index]->raw(), "main");
  if (!b) {
    std::string msg = sqlite3_errmsg(dest);
    sqlite3_close(dest);
    return Fail(ErrorCode::INTERNAL, "backup init: " + msg);
  }
  int rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  sqlite3_close(dest);
  if (rc != SQLITE_DONE) return Fail(ErrorCode::UNAVAILABLE, "backup failed: " + std::string(sqlite3_errstr(rc)));
  return Ok();
}

}  // namespace

Result<std::unique_ptr<Store::Impl>> OpenSqliteStore(const StoreOptions& options, const Clock& clock, IdGenerator& ids) {
  auto store = std::make_unique<SqliteStore>(options, clock, ids);
  RETURN_IF_ERROR(store->Start());
  return std::unique_ptr<Store::Impl>(std::move(store));
}

}  // namespace xd::internal
