// A private PostgreSQL cluster for tests, from Debian's postgresql-15 binaries: initdb in a fresh
// temp directory (UTF-8; collation C: bytewise order, as SQLite; ctype C.UTF-8: pg_trgm counts
// CJK characters as word characters; trust auth), a free loopback port, the Unix socket inside the
// temp directory, fsync off, started with `pg_ctl start -w`. Nothing outside the temp directory is
// touched. As root, initdb and the server run as the `postgres` system user (initdb refuses root)
// with the directory handed to it.
//
// Cleanup: the destructor stops the server and removes the directory. A watchdog process started
// beside the cluster does the same (immediate shutdown) when this process dies any other way (a
// crash, an abort, SIGKILL), so a failing test never leaves a server behind.
//
//   auto* pg = xd::testing::SharedPgCluster();
//   if (!pg) GTEST_SKIP() << xd::testing::PgUnavailableReason();
//   auto url = pg->CreateSchema("t1");  // a fresh schema in database xd, with pg_trgm
//
// Thread-safety: none; a test drives its cluster from one thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace xd::testing {

class PgCluster {
 public:
  // The directory of initdb/pg_ctl (XD_PG_BINDIR, else /usr/lib/postgresql/15/bin), or empty when
  // the binaries are missing.
  static std::string BinDir();
  // initdb + start; UNAVAILABLE with the reason (and the server log's tail) on failure.
  // `durable`: fsync and full-page writes on, as in production (benchmarks); tests leave them off.
  static Result<std::unique_ptr<PgCluster>> Start(bool durable = false);
  ~PgCluster();
  PgCluster(const PgCluster &) = delete;
  PgCluster &operator=(const PgCluster &) = delete;

  uint16_t port() const { return port_; }
  // The URL of database `db` as the superuser `xd`.
  std::string Url(std::string_view db) const;
  // Creates an empty database with the pg_trgm extension and returns its URL. `name` is a plain
  // identifier ([a-z0-9_]); ALREADY_EXISTS if it exists.
  Result<std::string> CreateDatabase(std::string_view name);
  // A fresh schema `name` in the shared database "xd" (created with pg_trgm on first use), and the
  // URL of a session whose search_path is that schema, then public (pg_trgm's functions). Much
  // cheaper than a database per test (milliseconds, not a file copy).
  Result<std::string> CreateSchema(std::string_view name);
  // Drops schema `name` and everything in it (a test's store, once its nodes are stopped), so a
  // run's disk stays bounded by its largest test rather than the sum of all of them.
  Status DropSchema(std::string_view name);
  // Stops the server (immediate: like a crash, clients see their connections drop) and starts it
  // again on the same port and data. For reconnect tests.
  Status Restart();

 private:
  PgCluster() = default;
  Status StartServer();
  Status StopServer(bool immediate);

  std::string bin_, dir_;
  uint16_t port_ = 0;
  bool running_ = false;
  bool shared_db_ = false;
  int watchdog_fd_ = -1;  // write end of the watchdog's pipe; closing it wakes the watchdog
  pid_t watchdog_pid_ = -1;
};

// One cluster per test process, started on first use and stopped at exit; nullptr when it cannot
// start (then PgUnavailableReason() says why).
PgCluster *SharedPgCluster();
const std::string &PgUnavailableReason();

}  // namespace xd::testing
