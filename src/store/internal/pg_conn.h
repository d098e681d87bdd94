// One PostgreSQL connection (libpq) with a bounded LRU cache of prepared statements. Not
// thread-safe: a connection belongs to one thread at a time, like SqliteConn.
//
// SQL may be written in SQLite's placeholder style (`?`, `?N`): it is rewritten to `$N` once, when
// the statement is first prepared (store/dialect.h). Parameters go as text; integers are typed int8
// so that arithmetic on them stays 64-bit, text and NULL take the type the server infers from the
// context. Result columns fill Row like SQLite's do: integer, boolean and integral numeric
// columns (SUM of integers) set Cell::i, every other type Cell::s. A floating-point column, or a
// numeric with a fraction, is refused (INTERNAL), as SQLite's store refuses REAL: the schema holds
// integers only (fen, milliseconds), and truncating would hide a bug.
//
// Errors (MapPgError): constraint violations (SQLSTATE class 23) → CONFLICT, as on SQLite;
// serialization failures (40001) and deadlocks (40P01) → ABORTED (the transaction was rolled back
// and may be retried whole); a lost connection, a server shutting down or out of resources →
// UNAVAILABLE; everything else INTERNAL.
//
// Reconnect: a call on a broken connection reconnects first (and forgets the prepared statements,
// which died with the session) — except inside a transaction begun with Begin(): its work is gone
// with the session, so every call answers UNAVAILABLE until Rollback(). Nothing is retried here:
// whether a statement whose reply was lost ran is not knowable, so retrying is the caller's
// (idempotent command's) decision.
//
//   ASSIGN_OR_RETURN(auto conn, PgConn::Open("postgresql://xd@127.0.0.1:5432/xd"));
//   ASSIGN_OR_RETURN(Rows rows, conn->Query("SELECT id FROM users WHERE phone=?1", {phone}));
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/store.h"

namespace xd::internal {

// The project's error for a failed PostgreSQL call: `sqlstate` is the five-character code (may be
// null), `connection_bad` whether the connection died.
Error MapPgError(const char *sqlstate, bool connection_bad, std::string message);

class PgConn {
 public:
  // Connects to `url` (postgresql://user@host:port/db). UNAVAILABLE if the server cannot be
  // reached. `statement_cache` bounds the prepared statements kept (least recently used ones are
  // deallocated).
  static Result<std::unique_ptr<PgConn>> Open(std::string url, size_t statement_cache = 256);
  ~PgConn();
  PgConn(const PgConn &) = delete;
  PgConn &operator=(const PgConn &) = delete;

  Result<Rows> Query(std::string_view sql, Params params = {});
  // Runs a statement; returns the number of rows it changed (or returned).
  Result<int64_t> Exec(std::string_view sql, Params params = {});
  Status Run(std::string_view sql, Params params = {}) { return ToStatus(Exec(sql, params)); }
  // Runs SQL text without parameters (may hold several statements, e.g. a migration).
  Status ExecScript(const std::string &sql);

  // Transaction control; Rollback also clears a transaction lost with its connection.
  Status Begin(std::string_view mode = "");  // e.g. "ISOLATION LEVEL REPEATABLE READ"
  Status Commit();
  Status Rollback();
  bool in_transaction() const { return in_tx_; }
  // The session is gone (or died inside a transaction): the next call outside a transaction
  // reconnects; inside one, roll back first.
  bool broken() const { return lost_in_tx_ || PQstatus(conn_) != CONNECTION_OK; }
  // The server process of this session (0 when not connected): for tests and logs.
  int backend_pid() const { return PQbackendPID(conn_); }

  // One statement of a pipelined batch. Parameters borrow their strings until Pipeline returns.
  struct Statement {
    std::string_view sql;
    std::vector<Param> params;
  };
  struct Outcome {
    Rows rows;
    int64_t changes = 0;
  };
  // Sends every statement in one round trip (libpq pipeline mode, one sync at the end) and returns
  // each one's outcome, in order. The server runs them in order as one implicit transaction unless
  // they hold their own BEGIN/COMMIT; once one fails, the rest are not run and answer ABORTED,
  // and the implicit transaction rolls back (earlier successes included: their outcomes say what
  // ran, not what stayed). A connection failure answers UNAVAILABLE for every statement without
  // an outcome. At most 1000 statements (LIMIT_EXCEEDED): the batch is sent whole before its
  // replies are read.
  std::vector<Result<Outcome>> Pipeline(std::span<const Statement> statements);

  // SQL run on every new session after a reconnect (e.g. LISTEN): what a session holds that
  // dies with it. Not run now; run it yourself on the current session.
  void SetSessionSetup(std::string sql) { session_setup_ = std::move(sql); }
  // The notifications (channel, payload) this session has received so far, oldest first: those
  // of its own commits arrive with the COMMIT's reply (the server sends them before it is ready
  // for the next statement), so they are here once Commit() has returned.
  std::vector<std::pair<std::string, std::string>> TakeNotifications();

  // Counters for tests and metrics.
  int64_t reconnects() const { return reconnects_; }
  int64_t prepares() const { return prepares_; }
  size_t cached_statements() const { return lru_.size(); }

 private:
  struct Prepared {
    std::string key;   // SQL text + parameter kinds
    std::string name;  // server-side statement name
  };
  PgConn(std::string url, PGconn *conn, size_t cache)
      : url_(std::move(url)), conn_(conn), capacity_(cache) {}
  Status EnsureConnected();
  Status RunSessionSetup();  // the session setup, when a new session has not run it yet
  // The cached statement for (sql, kinds), touching it; nullptr if not prepared.
  const Prepared *Lookup(const std::string &key);
  // Adds an entry (evicting the least recently used into `evicted`) and returns it.
  const Prepared &Insert(std::string key, std::vector<std::string> *evicted);
  void Forget(const std::string &key);
  Error LastError(const PGresult *res, std::string_view what);
  Result<PGresult *> Execute(std::string_view sql, Params params);
  void NoteTransactionState();

  std::string url_;
  PGconn *conn_;
  size_t capacity_;
  bool in_tx_ = false;
  bool lost_in_tx_ = false;
  int64_t next_name_ = 0;
  int64_t reconnects_ = 0;
  std::string session_setup_;
  bool setup_pending_ = false;
  int64_t prepares_ = 0;
  std::list<Prepared> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Prepared>::iterator> by_key_;
};

}  // namespace xd::internal
