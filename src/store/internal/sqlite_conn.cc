#include "store/internal/sqlite_conn.h"

#include <mutex>

#include "base/messages.h"

namespace xd::internal {
namespace {

// Process-wide SQLite settings, applied once before the first connection. Memory statistics
// off: with them on, every sqlite3_malloc takes one global mutex that the writer and the
// readers fought over (seen in perf under checkout load). Each connection is used by one
// thread at a time (SQLITE_OPEN_NOMUTEX), so nothing else needs SQLite's own locks.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
  });
}

}  // namespace

Result<std::unique_ptr<SqliteConn>> SqliteConn::Open(const std::string& path, bool read_only,
                                                     std::string_view synchronous,
                                                     size_t statement_cache_capacity) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Fail(ErrorCode::UNAVAILABLE, "cannot open store " + path + ": " + msg);
  }
  auto conn = std::unique_ptr<SqliteConn>(new SqliteConn(db, statement_cache_capacity));
  sqlite3_busy_timeout(db, 10000);
  std::string pragmas = "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;";
  if (!read_only) {
    pragmas += "PRAGMA journal_mode=WAL;";
    pragmas += "PRAGMA synchronous=" + std::string(synchronous) + ";";
  }
  RETURN_IF_ERROR(conn->ExecScript(pragmas));
  return conn;
}

SqliteConn::~SqliteConn() {
  for (Cached& c : lru_) sqlite3_finalize(c.stmt);
  sqlite3_close(db_);
}

Error SqliteConn::ToError(int rc, std::string_view what) {
  int primary = rc & 0xff;
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(db_);
  switch (primary) {
    case SQLITE_CONSTRAINT:
      return Error{ErrorCode::CONFLICT, msg, Msg::DATA_CONFLICT, {}};
    case SQLITE_FULL:
      return Error{ErrorCode::UNAVAILABLE, "storage is full, writes are paused: " + msg, Msg::STORE_FULL, {}};
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
      return Error{ErrorCode::UNAVAILABLE, "storage unavailable: " + msg, Msg::STORE_UNAVAILABLE, {}};
    default:
      return Error{ErrorCode::INTERNAL, msg, std::nullopt, {}};
  }
}

Result<sqlite3_stmt*> SqliteConn::Prepare(std::string_view sql, Params params) {
  sqlite3_stmt* stmt;
  auto it = index_.find(sql);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    stmt = it->second->stmt;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  } else {
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &stmt, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(ToError(rc, "prepare"));
    // Statements run to completion (and are reset) before the next Prepare on this
    // connection, so the least recently used one is never in use here.
    if (lru_.size() >= capacity_) {
      sqlite3_finalize(lru_.back().stmt);
      index_.erase(lru_.back().sql);
      lru_.pop_back();
    }
    lru_.push_front(Cached{std::string(sql), stmt});
    index_.emplace(lru_.front().sql, lru_.begin());
    cached_.store(static_cast<int64_t>(lru_.size()), std::memory_order_relaxed);
  }
  int idx = 1;
  for (const Param& p : params) {
    int rc = SQLITE_OK;
    switch (p.kind()) {
      case Param::Kind::kNull:
        rc = sqlite3_bind_null(stmt, idx);
        break;
      case Param::Kind::kInt:
        rc = sqlite3_bind_int64(stmt, idx, p.int_value());
        break;
      case Param::Kind::kText:
        rc = sqlite3_bind_text(stmt, idx, p.text().data(), static_cast<int>(p.text().size()),
                               SQLITE_TRANSIENT);
        break;
    }
    if (rc != SQLITE_OK) return std::unexpected(ToError(rc, "bind"));
    ++idx;
  }
  return stmt;
}

namespace {

// The current row's column `c` into `cell` (its string's capacity reused).
Status ReadCell(sqlite3_stmt* stmt, int c, Row::Cell& cell, std::string_view sql) {
  switch (sqlite3_column_type(stmt, c)) {
    case SQLITE_NULL:
      cell.null = true;
      cell.i = 0;
      cell.s.clear();
      return Ok();
    case SQLITE_INTEGER:
      cell.null = false;
      cell.i = sqlite3_column_int64(stmt, c);
      cell.s.clear();
      return Ok();
    case SQLITE_FLOAT:
      // The schema holds integers only (money in fen, times in ms): a REAL is a bug in a query or
      // in data written from outside, never something to truncate silently.
      return Fail(ErrorCode::INTERNAL, "column " + std::to_string(c) + " of \"" +
                                           std::string(sql.substr(0, 80)) +
                                           "\" is REAL; the store holds integers only");
    default: {
      cell.null = false;
      cell.i = 0;
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      cell.s.assign(text, sqlite3_column_bytes(stmt, c));
      return Ok();
    }
  }
}

}  // namespace

Result<Rows> SqliteConn::Query(std::string_view sql, Params params) {
  Rows rows;
  RETURN_IF_ERROR(Each(sql, params, [&](Row& row) {
    rows.push_back(std::move(row));
    return Ok();
  }));
  return rows;
}

Status SqliteConn::QueryEach(std::string_view sql, Params params,
                             const std::function<Status(const Row&)>& fn) {
  return Each(sql, params, [&](Row& row) { return fn(row); });
}

template <typename Fn>
Status SqliteConn::Each(std::string_view sql, Params params, const Fn& fn) {
  queries_.fetch_add(1, std::memory_order_relaxed);
  ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
  const int ncol = sqlite3_column_count(stmt);
  Row row;
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    Status ok = rc == SQLITE_ROW ? Ok() : Status(std::unexpected(ToError(rc, "query")));
    if (ok) {
      row.cells.resize(static_cast<size_t>(ncol));  // again after a move: Query hands rows on
      for (int c = 0; c < ncol && ok; ++c) ok = ReadCell(stmt, c, row.cells[static_cast<size_t>(c)], sql);
    }
    if (ok) ok = fn(row);
    if (!ok) {
      sqlite3_reset(stmt);
      return ok;
    }
  }
  sqlite3_reset(stmt);
  return Ok();
}

Result<int64_t> SqliteConn::Exec(std::string_view sql, Params params) {
  ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) return std::unexpected(ToError(rc, "exec"));
  return static_cast<int64_t>(sqlite3_changes64(db_));
}

Status SqliteConn::ExecScript(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    Error e = ToError(rc, "script");
    e.message += " " + msg;
    return std::unexpected(e);
  }
  return Ok();
}

}  // namespace xd::internal
