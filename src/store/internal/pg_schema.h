// The PostgreSQL schema: applies the embedded migrations/pg/*.sql in version order. Not thread-safe
// (one connection); safe across processes: several nodes starting at once serialize on an advisory
// lock and each migration is applied once.
#pragma once

#include "store/internal/pg_conn.h"

namespace xd::internal {

// Applies every migration not yet recorded in schema_migrations, each in its own transaction
// together with its record. Returns the first failure (its migration rolled back).
Status ApplyPgMigrations(PgConn& db);

}  // namespace xd::internal
