// The store's backends behind Store's public API (store.h): Store owns the options, the clock
// and the id generator, and forwards everything else to one Store::Impl, chosen by Store::Open
// from StoreOptions::path — `postgresql://…` or `postgres://…` opens PgStore
// (internal/pg_store.cc), anything else SqliteStore (internal/sqlite_store.cc). The contract
// each backend keeps is the one store.h describes: commands in commit order, completions and
// hooks after the commit is durable, the watermark never ahead of what is durable, each Read one
// snapshot.
//
// Thread-safety: as Store's; every method may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace xd {

struct Store::Impl {
  virtual ~Impl() = default;
  virtual void Submit(Command command, Completion done) = 0;
  virtual Status WatchRows(std::vector<std::string> tables, RowListener listener) = 0;
  // Drains the queue, stops the threads. Idempotent.
  virtual void Close() = 0;
  virtual StoreStats stats() const = 0;
  virtual bool writable() const = 0;
  virtual int64_t visible_commits() const = 0;
  virtual int64_t durable_commits() const = 0;
  virtual int64_t durable_event_seq() const = 0;
  virtual Status WaitDurable(int64_t commits, int timeout_ms) = 0;
  // A reader inside a read transaction (one snapshot), and its index for Release; blocks while
  // every reader is lent out.
  virtual Reader* Acquire(int* index) = 0;
  // Ends the read transaction of reader `index` and returns it to the pool.
  virtual void Release(int index) = 0;
  virtual Status Backup(const std::string& dest_path) = 0;
};

namespace internal {

// True for the URLs that name a PostgreSQL database (postgresql:// or postgres://).
bool IsPostgresUrl(std::string_view path);

Result<std::unique_ptr<Store::Impl>> OpenSqliteStore(const StoreOptions& options, const Clock& clock,
                                                     IdGenerator& ids);
Result<std::unique_ptr<Store::Impl>> OpenPgStore(const StoreOptions& options, const Clock& clock,
                                                 IdGenerator& ids);

}  // namespace internal
}  // namespace xd
