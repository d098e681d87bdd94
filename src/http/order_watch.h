// Long-polling of order status: a buyer's "waiting for the payment result" page asks
// `GET /api/v1/orders/{id}?wait_while=created&wait_ms=N` and gets the answer the moment the
// order leaves that status (or after N ms), instead of polling in a loop. The store reports
// every committed change to an `orders` row (Store::WatchRows: this node's commits, and on
// PostgreSQL other nodes' too), and the watch wakes the order's waiters, whose replies are
// built on the watch's own thread — never on the single writer's. A change is any change to
// the row: the waiter looks at the status and waits again if it is still the same.
//
// Thread-safety: every method may be called from any thread. Waiting is bounded: at most
// `max_waiters` at once (beyond that a waiter fires at once, i.e. degrades to a plain read)
// and each for at most its deadline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "trade/trade.h"

namespace xd::http {

class OrderWatch {
 public:
  using Clock = std::chrono::steady_clock;
  // A registered waiter; `fire` runs at most once, on the watch's thread (or on the caller's
  // thread when the watch is stopped or full).
  class Waiter {
   public:
    // True for the one caller that gets to fire (or cancel) this waiter.
    bool Claim() { return !claimed_.exchange(true); }

   private:
    friend class OrderWatch;
    std::atomic<bool> claimed_{false};
    int64_t order_id_ = 0;
    std::pair<Clock::time_point, uint64_t> key_;  // in by_deadline_
    std::function<void()> fire_;
  };

  explicit OrderWatch(size_t max_waiters = 20000);
  ~OrderWatch();
  OrderWatch(const OrderWatch&) = delete;
  OrderWatch& operator=(const OrderWatch&) = delete;

  // Calls `fire` once when `order_id` changes status (after the change is durable) or at
  // `deadline`, whichever comes first. The caller registers first, then looks at the order:
  // if it has already changed, it Claim()s the waiter, Cancel()s it and answers itself (a
  // change that commits after the registration fires the waiter, so none is missed).
  std::shared_ptr<Waiter> Wait(int64_t order_id, Clock::time_point deadline, std::function<void()> fire);
  // Forgets a waiter its caller has claimed (no-op if it already fired or timed out).
  void Cancel(const std::shared_ptr<Waiter>& w);
  // Wakes the waiters of `order_id`. Cheap; the replies are built on the watch's thread.
  void Notify(int64_t order_id);
  // Fires every waiter now (returns when all have fired) and makes later Waits fire at
  // once. Idempotent; not to be called from a waiter's `fire`.
  void Stop();

  size_t waiting() const;
  // After Stop(): waits fire at once.
  bool stopped() const;
  // Waiters fired by their deadline rather than by a change (tests tell "answered because the
  // order changed" from "answered because the wait ran out" by this, not by the wall clock).
  uint64_t timed_out() const { return timed_out_.load(std::memory_order_relaxed); }

 private:
  void Run();

  const size_t max_waiters_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::unordered_map<int64_t, std::vector<std::shared_ptr<Waiter>>> by_order_;
  std::map<std::pair<Clock::time_point, uint64_t>, std::shared_ptr<Waiter>> by_deadline_;
  uint64_t next_seq_ = 0;
  std::atomic<uint64_t> timed_out_{0};
  std::deque<std::shared_ptr<Waiter>> ready_;
  std::thread thread_;
};

}  // namespace xd::http
