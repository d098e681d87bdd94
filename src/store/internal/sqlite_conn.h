// One SQLite connection with a bounded prepared-statement cache. Not thread-safe: a
// connection belongs to one thread at a time (the writer, or whoever leased it from the pool);
// only cached_statements() may be read from any thread.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store.h"

namespace xd::internal {

class SqliteConn {
 public:
  // `synchronous` is the PRAGMA's value for a writable connection: "NORMAL" (the store
  // syncs the WAL itself, see Store) or "OFF" (throwaway stores).
  // `statement_cache_capacity` bounds the prepared statements kept (least recently used
  // ones are finalized first); at least 1.
  static Result<std::unique_ptr<SqliteConn>> Open(const std::string& path, bool read_only,
                                                  std::string_view synchronous,
                                                  size_t statement_cache_capacity);
  ~SqliteConn();

  Result<Rows> Query(std::string_view sql, Params params);
  // Reader::QueryEach: one Row reused for every row (no allocation per row once its strings
  // have grown); `fn`'s error stops the query and is returned.
  Status QueryEach(std::string_view sql, Params params, const std::function<Status(const Row&)>& fn);
  Result<int64_t> Exec(std::string_view sql, Params params);
  Status Run(std::string_view sql, Params params) {
    auto r = Exec(sql, params);
    if (!r) return std::unexpected(r.error());
    return Ok();
  }
  // Runs SQL text without parameters (may hold several statements).
  Status ExecScript(const std::string& sql);
  sqlite3* raw() { return db_; }
  // Prepared statements held now (≤ the capacity). Any thread.
  int64_t cached_statements() const { return cached_.load(std::memory_order_relaxed); }
  // Query() calls so far (StoreStats::queries). Any thread.
  int64_t queries() const { return queries_.load(std::memory_order_relaxed); }

 private:
  SqliteConn(sqlite3* db, size_t capacity) : db_(db), capacity_(capacity < 1 ? 1 : capacity) {}
  // Steps the statement, the current row in one reused Row handed to `fn(Row&)` (Query moves it).
  template <typename Fn>
  Status Each(std::string_view sql, Params params, const Fn& fn);
  Result<sqlite3_stmt*> Prepare(std::string_view sql, Params params);
  Error ToError(int rc, std::string_view what);

  // The cache is an LRU list (most recent first) indexed by SQL text; the index's keys view
  // the list nodes' strings, which never move. A hit allocates nothing. The bound matters:
  // SQL text is the key, so a caller that pasted values into it (it must not: bind them)
  // would otherwise grow memory by one statement per distinct value.
  struct Cached {
    std::string sql;
    sqlite3_stmt* stmt;
  };
  sqlite3* db_;
  size_t capacity_;
  std::list<Cached> lru_;
  std::unordered_map<std::string_view, std::list<Cached>::iterator> index_;
  std::atomic<int64_t> cached_{0};
  std::atomic<int64_t> queries_{0};  // written by the owning thread only: no contention
};

}  // namespace xd::internal
