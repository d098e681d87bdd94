// Consumers of the outbox (architecture decision 4; issue 12): the webhook feeder today, the
// data platform, live rooms and a message bus next. A consumer sees each event once, in seq
// order, and only once it is durable (Store::durable_event_seq: nothing a crash could take
// back). Its effects in the store commit with its cursor's advance, so they happen exactly
// once across crashes; effects outside the store must be idempotent (keyed by event seq).
//
//   class Feed final : public OutboxConsumer { ... };
//   ConsumerRunner runner(store, feed, /*batch=*/500);
//   runner.RunOnce();   // from the consumer's own thread, in a loop
//
// Thread-safety: one RunOnce at a time per runner; runners of different consumers are
// independent. ConsumerLags may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace xd {

// Of each event's payload: all of it (the default); nothing (`read` false: the envelope — type,
// aggregate, merchant, actor, time — is enough, and the payload stays null); or all but the
// object members named in `skip`, at any depth, dropped while parsing (no tree is built for them).
struct PayloadRead {
  bool read = true;
  std::vector<std::string> skip;
};

class OutboxConsumer {
 public:
  virtual ~OutboxConsumer() = default;
  // The cursor's name (consumer_cursors.name), stable across versions.
  virtual std::string_view name() const = 0;
  // Whether anyone needs events now; when not, the cursor moves to the durable end without
  // reading them (the webhook feeder with no endpoint enabled).
  virtual Result<bool> Wanted(Reader&) { return true; }
  // The event types it reads; empty: every event. The others are skipped in SQL (their
  // payloads are not parsed) and the cursor moves past them all the same.
  virtual std::vector<std::string> EventTypes() const { return {}; }
  // What Prepare reads of the events' payloads (PayloadRead): an order snapshot is ~1.2 KB of
  // JSON, and parsing it into a tree was most of a consumer's CPU (decisions 038, 039).
  virtual PayloadRead Payloads() const { return {}; }
  // Reads what it needs for `events` (in the snapshot the events and the cursor were read
  // in, off the writer thread) and returns the writes to make. The runner runs them in the
  // transaction that advances the cursor, unless the cursor moved meanwhile (then nothing).
  virtual Result<Command> Prepare(Reader& r, const std::vector<Store::Event>& events) = 0;
};

class ConsumerRunner {
 public:
  ConsumerRunner(Store& store, OutboxConsumer& consumer, int batch) : store_(store), consumer_(consumer), batch_(batch) {}

  // One round: reads up to `batch` durable events after the cursor, prepares them and
  // applies them with the cursor's advance. Returns how many events it read (0: caught up,
  // or nothing wanted). CONFLICT when another runner (of this process, or of another node on
  // the same PostgreSQL: its commit is waited for) moved the cursor meanwhile (nothing
  // written; the next round starts from the new cursor).
  Result<int> RunOnce();

 private:
  Store& store_;
  OutboxConsumer& consumer_;
  const int batch_;
  std::mutex mu_;  // one round at a time
};

// How far behind each consumer is: the durable events after its cursor.
struct ConsumerLag {
  std::string name;
  int64_t cursor = 0;
  int64_t lag = 0;
};
Result<std::vector<ConsumerLag>> ConsumerLags(Reader& r, int64_t durable_event_seq);

// Invariants of the outbox for `xiaodian check`: no cursor beyond the last event; retention
// deleted nothing a consumer had not read; every event has a known actor kind and a schema
// version; no event has waited more than a minute for PostgreSQL's outbox relay. Each problem
// is one line.
Result<std::vector<std::string>> CheckOutbox(Reader& r);

}  // namespace xd
