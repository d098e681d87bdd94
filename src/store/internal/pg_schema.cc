#include "store/internal/pg_schema.h"

#include <string>

namespace xd::internal {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};
extern const Migration kPgMigrations[];
extern const size_t kPgMigrationCount;

namespace {
// pg_advisory_xact_lock key: "xdmigrat" as 8 bytes; any constant no other code uses.
constexpr int64_t kMigrationLock = 0x78646d6967726174;
}  // namespace

Status ApplyPgMigrations(PgConn& db) {
  RETURN_IF_ERROR(
      db.ExecScript("CREATE TABLE IF NOT EXISTS schema_migrations(version BIGINT PRIMARY KEY, name "
                    "TEXT NOT NULL)"));
  for (size_t i = 0; i < kPgMigrationCount; ++i) {
    const Migration& m = kPgMigrations[i];
    RETURN_IF_ERROR(db.Begin());
    // Another node may be applying the same migration: wait for it, then look again.
    Status s = db.Run("SELECT pg_advisory_xact_lock(?1)", {kMigrationLock});
    Result<Rows> done =
        s ? db.Query("SELECT 1 FROM schema_migrations WHERE version = ?1", {int64_t{m.version}})
          : Result<Rows>(std::unexpected(s.error()));
    if (done && !done->empty()) {
      RETURN_IF_ERROR(db.Rollback());
      continue;
    }
    if (!done) s = std::unexpected(done.error());
    if (s) s = db.ExecScript(m.sql);
    if (s) {
      s = db.Run("INSERT INTO schema_migrations(version, name) VALUES(?1, ?2)",
                 {int64_t{m.version}, m.name});
    }
    if (s) s = db.Commit();
    if (!s) {
      (void)db.Rollback();
      return Fail(s.error().code, std::string("migration ") + m.name + ": " + s.error().message);
    }
  }
  return Ok();
}

}  // namespace xd::internal
