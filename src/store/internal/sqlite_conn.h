// One SQLite connection with a prepared-statement cache. Not thread-safe: a connection
// belongs to one thread at a time (the writer, or whoever leased it from the pool).
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store.h"

namespace xd::internal {

class SqliteConn {
 public:
  // `synchronous` is the PRAGMA's value for a writable connection: "NORMAL" (the store
  // syncs the WAL itself, see Store) or "OFF" (throwaway stores).
  static Result<std::unique_ptr<SqliteConn>> Open(const std::string& path, bool read_only,
                                                  std::string_view synchronous);
  ~SqliteConn();

  Result<Rows> Query(std::string_view sql, Params params);
  Result<int64_t> Exec(std::string_view sql, Params params);
  Status Run(std::string_view sql, Params params) {
    auto r = Exec(sql, params);
    if (!r) return std::unexpected(r.error());
    return Ok();
  }
  // Runs SQL text without parameters (may hold several statements).
  Status ExecScript(const std::string& sql);
  sqlite3* raw() { return db_; }

 private:
  explicit SqliteConn(sqlite3* db) : db_(db) {}
  Result<sqlite3_stmt*> Prepare(std::string_view sql, Params params);
  Error ToError(int rc, std::string_view what);

  // Heterogeneous lookup: finding a cached statement allocates nothing.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
};

}  // namespace xd::internal
