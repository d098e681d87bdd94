// The store: a narrow interface over one of two backends, chosen by StoreOptions::path —
// SQLite in WAL mode (a file path; the default) or PostgreSQL (`postgresql://…` or
// `postgres://…`; internal/backend.h, docs/scale-out.md). What follows describes SQLite; the
// PostgreSQL backend keeps the same contract (see "On PostgreSQL" below).
//
// Writes go through the WritePipeline: a command is a function over a Tx, submitted from any
// thread; one writer thread runs every queued command in one `BEGIN IMMEDIATE … COMMIT`,
// each inside its own SAVEPOINT (a failing command rolls back alone and gets its error) and
// commits; a sync thread then fdatasyncs the WAL (once for every batch committed since its
// last sync, while the writer runs the next batch) and calls the row listener, the commit
// hooks and each command's completion, in commit order. A completion with success means the
// command's effects are on disk. Readers may see a commit a moment before it is on disk;
// everything the store tells (completions, hooks, the row listener) comes after.
//
// The durable watermark: what leaves the process (webhooks, notifications, consumers' outward
// effects) must only describe what is on disk. `durable_event_seq()` is the newest outbox
// event known synced (consumers read no further); `visible_commits()` read after a Read()
// bounds the commits that read could see, and once `durable_commits()` reaches it, all of
// them are on disk (decision 011).
//
// Reads borrow a read-only connection from a pool; each Read() sees one WAL snapshot.
//
//   store.Submit([&](Tx& tx) -> Status { return tx.Exec("UPDATE ...", {id}).transform([](auto){}); },
//                [](Status s) { ... });
//   auto order = store.Read([&](Reader& r) { return LoadOrder(r, id); });
//
// On PostgreSQL: one writer thread with its own connection runs each batch as BEGIN … COMMIT,
// each command in its SAVEPOINT; with synchronous_commit on, a commit is durable when COMMIT
// returns, so the visible and durable marks move together and completions, hooks follow COMMIT
// in commit order (no sync stage). A serialization failure or deadlock (ABORTED) re-runs the
// command, or the whole batch when COMMIT answers it, a bounded number of times with jitter,
// then answers UNAVAILABLE; so a command may run more than once, only its last run's effects
// commit. A lost connection fails the batch in flight with UNAVAILABLE (never success for what
// may not have committed) and the writer reconnects by itself. Each Read is one REPEATABLE READ
// READ ONLY transaction. WatchRows works with row triggers and LISTEN/NOTIFY
// (internal/pg_store.cc); Backup answers INVALID_STATE (use pg_dump). A statement that fails
// inside a command aborts the rest of that command on PostgreSQL (until its savepoint is rolled
// back), where SQLite carries on: a command must return a statement's error, not swallow it and
// go on.
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <concepts>
#include <type_traits>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/id.h"
#include "base/json.h"
#include "base/result.h"
#include "store/dialect.h"

namespace xd {

// A bound SQL parameter. Strings are borrowed for the duration of the call.
class Param {
 public:
  enum class Kind { kNull, kInt, kText };
  Param(std::nullptr_t) : kind_(Kind::kNull) {}
  Param(int v) : kind_(Kind::kInt), i_(v) {}
  Param(int64_t v) : kind_(Kind::kInt), i_(v) {}
  Param(bool v) : kind_(Kind::kInt), i_(v ? 1 : 0) {}
  Param(const std::string& v) : kind_(Kind::kText), s_(v) {}
  Param(std::string_view v) : kind_(Kind::kText), s_(v) {}
  Param(const char* v) : kind_(Kind::kText), s_(v) {}
  Param(const std::optional<int64_t>& v) : kind_(v ? Kind::kInt : Kind::kNull), i_(v.value_or(0)) {}
  Param(const std::optional<std::string>& v)
      : kind_(v ? Kind::kText : Kind::kNull), s_(v ? std::string_view(*v) : std::string_view()) {}
  Kind kind() const { return kind_; }
  int64_t int_value() const { return i_; }
  std::string_view text() const { return s_; }

 private:
  Kind kind_;
  int64_t i_ = 0;
  std::string_view s_;
};
// The parameters of one statement, borrowed for the call: a braced list (`{id, name}`) or a
// vector built for a statement whose text has a variable number of rows (the analytics log's
// multi-row INSERT). A vector's Params borrow their strings too: keep every text alive until the
// call returns (no temporaries pushed into it).
class Params {
 public:
  Params() = default;
  // A braced list's array lives until the end of the full expression that holds the call, as
  // long as the call itself (C++26's std::span has the same constructor).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  Params(std::initializer_list<Param> list) : data_(list.begin()), size_(list.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  Params(const std::vector<Param>& list) : data_(list.data()), size_(list.size()) {}
  const Param* begin() const { return data_; }
  const Param* end() const { return data_ + size_; }
  size_t size() const { return size_; }

 private:
  const Param* data_ = nullptr;
  size_t size_ = 0;
};

// A list of ids as one JSON array ("[1,2,3]"), bound as a single parameter:
//   r.Query("SELECT ... WHERE order_id IN " + r.dialect().IdsIn("?"), {IdListParam(ids)})
// One SQL text whatever the list's length (the text is the statement cache's key), every value
// bound. SQLite's json_each; PostgreSQL: jsonb_array_elements_text (Dialect::IdsIn).
std::string IdListParam(const std::vector<int64_t>& ids);

// One result row; columns by index in SELECT order.
class Row {
 public:
  struct Cell {
    bool null = true;
    int64_t i = 0;
    std::string s;
  };
  std::vector<Cell> cells;
  int64_t Int(size_t col) const { return cells[col].i; }
  const std::string& Str(size_t col) const { return cells[col].s; }
  bool IsNull(size_t col) const { return cells[col].null; }
  std::optional<int64_t> OptInt(size_t col) const {
    return cells[col].null ? std::nullopt : std::optional<int64_t>(cells[col].i);
  }
  // Parses a TEXT column holding JSON (null column → null Json).
  Json JsonAt(size_t col) const;
};
using Rows = std::vector<Row>;

// Read access: what queries need. Implemented over a read-only connection or inside a Tx.
class Reader {
 public:
  virtual ~Reader() = default;
  virtual Result<Rows> Query(std::string_view sql, Params params = {}) = 0;
  // Each row of a query handed to `fn` as it is read, for reads of many rows that keep only a
  // summary: on SQLite one Row is reused (no allocation per row), elsewhere the rows of Query.
  // The Row is valid only during the call; `fn`'s error stops the query and is returned.
  virtual Status QueryEach(std::string_view sql, Params params,
                           const std::function<Status(const Row&)>& fn);
  // The single row of a query, or nullopt.
  Result<std::optional<Row>> QueryOne(std::string_view sql, Params params = {});
  // The first column of the single row as an integer (0 when there is no row or it is NULL).
  Result<int64_t> QueryInt(std::string_view sql, Params params = {});
  virtual const Clock& clock() const = 0;
  // What differs between the backends' SQL (placeholders aside): JSON access, search,
  // GREATEST/LEAST. Domain code builds its few backend-specific fragments from it.
  virtual const Dialect& dialect() const = 0;
};

// Who acted, recorded on every outbox event a command appends. The HTTP layer sets it from
// the authenticated principal before the command runs; timers, consumers and tools act as
// the system.
struct Actor {
  enum class Kind { kSystem, kUser, kApiKey };
  Kind kind = Kind::kSystem;
  int64_t id = 0;  // the user, or the API key (0 for the system)
};
std::string_view ActorKindName(Actor::Kind kind);
std::optional<Actor::Kind> ActorKindFromName(std::string_view name);

// The envelope of an outbox event, beside its payload (architecture decision 4; issue 12):
// the type ("order.paid"), the payload's schema version (bumped when a field changes
// meaning or goes away; adding a field does not bump it), the aggregate the event is about
// (an order, a product, a user...) and the merchant it belongs to (0: nobody's, e.g. a
// buyer's friend request). The store adds seq, actor and occurred-at.
struct EventHead {
  std::string type;
  int schema_version = 1;
  int64_t aggregate_id = 0;
  int64_t merchant_id = 0;
};

// A typed event: what the owning module declares in its header, one struct per event type,
// whose payload snapshots the facts at the event (amounts, statuses, items), never a pointer
// to state that may change before a consumer reads it. Append it with Emit(tx, event). The
// payload is a Json object, or the object's JSON text when the event writes it with a
// JsonWriter (the order snapshots: no tree built and freed on the writer thread).
template <class E>
concept OutboxEvent = requires(const E& e) {
  { e.Head() } -> std::same_as<EventHead>;
  requires std::same_as<decltype(e.Payload()), Json> || std::same_as<decltype(e.Payload()), std::string>;
};

// Write access inside the pipeline's transaction. Only the writer thread has one.
class Tx : public Reader {
 public:
  // Runs a statement; returns the number of rows changed. Constraint violations are
  // CONFLICT, a full disk UNAVAILABLE.
  virtual Result<int64_t> Exec(std::string_view sql, Params params = {}) = 0;
  // Exec when the change count does not matter.
  Status Run(std::string_view sql, Params params = {}) {
    auto r = Exec(sql, params);
    if (!r) return std::unexpected(r.error());
    return Ok();
  }
  virtual int64_t NewId() = 0;
  int64_t NowMs() const { return clock().NowMs(); }
  // Appends an outbox event in this transaction (decision 4 of the architecture), stamped
  // with the command's actor and the clock. Domain code appends typed events with Emit().
  // AppendEventText takes the payload object as JSON text.
  Status AppendEvent(const EventHead& head, const Json& payload) { return AppendEventText(head, DumpJson(payload)); }
  virtual Status AppendEventText(const EventHead& head, std::string_view payload_json) = 0;
  // The actor of the current command (reset to the system before each command).
  virtual void SetActor(Actor actor) = 0;
  // Schedules a timer (fired through the pipeline at due_ms); returns its id.
  virtual Result<int64_t> AddTimer(std::string_view kind, int64_t due_ms, const Json& payload) = 0;
  virtual Status CancelTimer(int64_t timer_id) = 0;
  // Runs `fn` after this command's transaction commits (not if it rolls back).
  virtual void OnCommit(std::function<void()> fn) = 0;
};

// Which schema a store holds. The trading schema (migrations/, and migrations/pg/ on
// PostgreSQL) is the engine's; the analytics schema (migrations/analytics/, SQLite only) is the
// data platform's event log and projections, a separate file with its own writer so that
// nothing it does waits in the trading write path (insight/insight.h, decision 025). An
// analytics store has no outbox: its Tx refuses AppendEvent and AddTimer (no such tables).
enum class StoreSchema { kTrading, kAnalytics };

struct StoreOptions {
  std::string path;            // file path, or ":memory:"-like temp path for tests
  StoreSchema schema = StoreSchema::kTrading;
  int readers = 4;             // read-only connections in the pool
  // PostgreSQL: writer connections, each group-committing its own batches from the one queue
  // (round trips overlap). SQLite has one writer whatever this says.
  int writers = 1;
  int max_batch = 1000;        // commands per group commit
  size_t max_queue = 200'000;  // queued commands before Submit answers UNAVAILABLE
  bool sync_full = true;       // completions after the WAL is synced; false only for throwaway stores
  // WAL checkpoints run on a background thread (passive: never blocks anyone) once the WAL
  // holds checkpoint_pages; at restart_pages the writer copies what is left itself between
  // batches, so that the WAL starts over (bounds it near restart_pages × 4 KiB).
  int checkpoint_pages = 1000;
  int restart_pages = 8000;
  // Prepared statements kept per connection (least recently used finalized first). SQL
  // text is the cache key, so values are always bound, never pasted into the text.
  size_t statement_cache_capacity = 256;
  // Tests only: called on the sync thread before each round's sync; blocking in it holds
  // commits visible to readers but not durable (the watermark does not move meanwhile).
  std::function<void()> before_sync;
};

struct StoreStats {
  int64_t commands = 0;
  int64_t batches = 0;
  int64_t failed_commands = 0;
  int64_t failed_commits = 0;
  int64_t queue_depth = 0;
  int64_t max_batch_seen = 0;
  int64_t commit_us_total = 0;
  int64_t checkpoints = 0;  // WAL checkpoints run by the background checkpointer
  int64_t wal_frames = 0;   // pages written to the WAL by commits (the write volume)
  int64_t wal_syncs = 0;    // fdatasyncs of the WAL by the sync stage (each covers ≥ 1 batch)
  int64_t cached_statements = 0;  // prepared statements held by the writer and the readers
  // Reader::Query calls (QueryOne/QueryInt included) on the readers and in transactions, so
  // far: how many round trips a read path makes (a page must not cost one per row).
  int64_t queries = 0;
  // PostgreSQL: commands, and batches at COMMIT, run again after a serialization failure or a
  // deadlock (ABORTED).
  int64_t retries = 0;
};

using Command = std::function<Status(Tx&)>;
using Completion = std::function<void(Status)>;

// A row that a commit inserted, updated or deleted in a watched table (Store::WatchRows).
struct RowChange {
  // Changes may have been missed (PostgreSQL: the notification connection was lost): anything
  // in any watched table may have changed.
  static constexpr int kAnyTable = -1;
  int table;        // index into the watched table names, or kAnyTable
  int64_t id;       // the row's INTEGER PRIMARY KEY (SQLite's rowid)
  bool inserted;    // a new row (else updated or deleted)
};
// When a listener hears of a commit's rows (Store::WatchRows); each commit's rows come in
// order kCommitting (SQLite only), kVisible, kDurable.
enum class RowPhase {
  // SQLite: the batch is about to COMMIT (readers do not see it yet); kVisible follows on the
  // same thread even if the COMMIT fails. A cache holds off serving until then, so no reader
  // is served a page older than a commit it could already read itself.
  kCommitting,
  // Readers see the commit from now on (SQLite: right after the COMMIT, before the WAL sync).
  kVisible,
  // The commit is on disk: what leaves the process (a long-poll's answer) may say so.
  kDurable,
};
using RowListener = std::function<void(const std::vector<RowChange>&, RowPhase)>;

class Store {
 public:
  // Opens (creating if needed) the database and applies pending migrations.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options, const Clock& clock);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Queues a command; `done` runs on the writer thread after the commit (keep it short:
  // post elsewhere for real work). Never blocks; UNAVAILABLE when the queue is full.
  void Submit(Command command, Completion done);

  // After every commit that changed rows of `tables` (tables with an integer `id` column: on
  // SQLite their INTEGER PRIMARY KEY, the rowid its update hook reports), calls `listener` with
  // those rows in each RowPhase (on SQLite the first two on the writer thread around the
  // COMMIT, the last on the sync stage), before the commands' completions and commit hooks: a
  // cache in front of the readers can drop what a commit made stale. It may over-report (rows of a command that rolled back to its savepoint). One
  // listener per store; set it before serving. On PostgreSQL other nodes commit too: their
  // changes reach `listener` from another thread a moment after their commit (so the listener
  // must be thread-safe), and kAnyTable when some may have been missed.
  Status WatchRows(std::vector<std::string> tables, RowListener listener);

  // Blocking forms, for tools and tests.
  Status Execute(Command command);
  template <class T, class F>
  Result<T> ExecuteFor(F&& f) {
    std::optional<T> out;
    Status s = Execute([&](Tx& tx) -> Status {
      Result<T> r = f(tx);
      if (!r) return std::unexpected(r.error());
      out = std::move(*r);
      return Ok();
    });
    if (!s) return std::unexpected(s.error());
    return std::move(*out);
  }

  // Runs `fn` with a read-only connection inside one read transaction (one snapshot).
  template <class F>
  auto Read(F&& fn) -> decltype(fn(std::declval<Reader&>())) {
    Lease lease = Borrow();
    return fn(*lease.reader);
  }

  const Clock& clock() const { return clock_; }
  IdGenerator& ids() { return ids_; }
  StoreStats stats() const;
  // False while commits fail (disk full, I/O errors); true again after the next good commit.
  bool writable() const;
  // The durable watermark (see the top of this file). Commits are numbered from 1 in commit
  // order; `visible_commits()` counts those a reader may already see (read it after the read),
  // `durable_commits()` those on disk (with every commit before them).
  int64_t visible_commits() const;
  int64_t durable_commits() const;
  // The newest outbox event that is on disk (at open: the newest event in the store).
  int64_t durable_event_seq() const;
  // Waits until durable_commits() >= commits, at most timeout_ms; UNAVAILABLE after that.
  Status WaitDurable(int64_t commits, int timeout_ms);
  const std::string& path() const { return options_.path; }
  // Stops the writer after draining the queue. Idempotent.
  void Close();

  // An outbox event as stored: its envelope and payload. Events written before the envelope
  // existed (migration 018) have schema version 1, aggregate and merchant 0, the system as
  // actor.
  struct Event {
    int64_t seq = 0;
    EventHead head;
    Actor actor;
    int64_t occurred_at_ms = 0;
    Json payload;
    // {"id","type","schema_version","aggregate_id","merchant_id","actor":{kind,id},
    //  "occurred_at","data":payload}: the shape consumers outside the process receive.
    Json Envelope() const;
  };
  // Reads events after `after_seq` (outbox), at most `limit`.
  Result<std::vector<Event>> ReadEvents(int64_t after_seq, int limit);

  // Online backup to `dest_path` (consistent snapshot while serving).
  Status Backup(const std::string& dest_path);

  // The backend (internal/backend.h).
  struct Impl;

 private:
  // A borrowed reader, returned to the pool once, by the destructor: neither copyable nor
  // movable (a copy returned the connection twice). Borrow() hands it out by guaranteed
  // elision.
  struct Lease {
    Store* store;
    Reader* reader;
    int index;
    Lease(Store* s, Reader* r, int i) : store(s), reader(r), index(i) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
  };
  Lease Borrow();
  Store(const StoreOptions& options, const Clock& clock);

  StoreOptions options_;
  const Clock& clock_;
  IdGenerator ids_;
  std::unique_ptr<Impl> impl_;
};

// Consumer cursors of the outbox: a consumer applies events and advances its cursor in the
// same transaction, so effects happen exactly once across crashes.
Result<int64_t> GetCursor(Reader& r, std::string_view consumer);
Status SetCursor(Tx& tx, std::string_view consumer, int64_t seq);
// Events after `after_seq` up to `up_to_seq` (a consumer passes Store::durable_event_seq()),
// at most `limit`, in this reader's snapshot (or transaction), so a consumer can read events
// and its cursor from one snapshot.
Result<std::vector<Store::Event>> ReadEvents(Reader& r, int64_t after_seq, int limit, int64_t up_to_seq = INT64_MAX);
// The newest event's seq (0 when there is none).
Result<int64_t> LastEventSeq(Reader& r);

// Appends a typed event (see OutboxEvent). An event passed as an rvalue may move its snapshot
// into the payload (an `Payload() &&` overload) instead of copying it: order snapshots are
// ~1.5 KB of JSON built on the writer thread for every order event.
template <class E>
  requires OutboxEvent<std::remove_cvref_t<E>>
Status Emit(Tx& tx, E&& event) {
  if constexpr (std::same_as<decltype(event.Payload()), std::string>) {
    return tx.AppendEventText(event.Head(), event.Payload());
  } else {
    return tx.AppendEvent(event.Head(), std::forward<E>(event).Payload());
  }
}

}  // namespace xd
