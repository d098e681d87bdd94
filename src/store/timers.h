// Durable timers: rows in the `timers` table (written with Tx::AddTimer in the same
// transaction as the state they guard), fired through the write pipeline when the injected
// clock passes their due time. A restart forgets nothing: due timers fire on the next poll.
// A handler that fails is retried with backoff (attempts are counted on the row). After
// kMaxTimerAttempts failures, or at once when no handler knows its kind, a timer is dead: it
// stays in the table with its last error, never fires by itself again, is counted by
// dead_timers(), listed by DeadTimers and reported by CheckTimers (`xiaodian check`), until an
// operator revives it with RetryTimer.
//
// Thread-safety: Register before Start; RunDue may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <functional>
#include <future>
#include <memory>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"

namespace xd {

inline constexpr int kMaxTimerAttempts = 20;

struct DeadTimer {
  int64_t id = 0;
  std::string kind;
  Json payload;
  int64_t attempts = 0;
  int64_t due_at_ms = 0;   // when it was last due
  int64_t dead_at_ms = 0;  // when it was given up
  std::string last_error;
};
Json ToJson(const DeadTimer& t);

// Dead timers, oldest death first, at most `limit`.
Result<std::vector<DeadTimer>> DeadTimers(Reader& r, int64_t limit);
// How many timers are dead.
Result<int64_t> CountDeadTimers(Reader& r);
// "timer.retried" (outbox): an operator revived a dead timer.
struct TimerRetried {
  static constexpr int kSchemaVersion = 1;
  int64_t timer_id = 0;
  std::string kind;

  EventHead Head() const { return {"timer.retried", kSchemaVersion, timer_id, 0}; }
  Json Payload() const { return Json{{"timer_id", std::to_string(timer_id)}, {"kind", kind}}; }
};

// Revives a dead timer: due now, attempts from zero. NOT_FOUND unless it is dead.
Status RetryTimer(Tx& tx, int64_t timer_id);
// Invariant for `xiaodian check`: no timer is dead (each one found is a problem line).
Result<std::vector<std::string>> CheckTimers(Reader& r);

class TimerService {
 public:
  using Handler = std::function<Status(Tx&, const Json& payload)>;

  explicit TimerService(Store& store) : store_(store) {}
  ~TimerService() { Stop(); }

  void Register(const std::string& kind, Handler handler);
  // Fires every live timer due now (at most `limit`), waits for the commits (the failures'
  // bookkeeping included); returns how many fired successfully.
  Result<int> RunDue(int limit = 1000);
  // Failed firings since start (each retry that fails counts), and timers this process gave up.
  int64_t failures() const { return failures_.load(); }
  int64_t deaths() const { return deaths_.load(); }
  // Polls every poll_ms on a background thread.
  void Start(int poll_ms);
  void Stop();

 private:
  Store& store_;
  // Records a failed firing: backoff, or death at the last attempt (or for an unknown kind).
  void RecordFailure(int64_t id, const std::string& kind, int64_t attempts, int64_t now, const std::string& error, bool fatal,
                     std::shared_ptr<std::promise<void>> done);

  std::map<std::string, Handler> handlers_;
  std::atomic<int64_t> failures_{0}, deaths_{0};
  std::atomic<bool> running_{false};
  std::mutex mu_;
  std::condition_variable cv_;  // wakes the poller early on Stop
  std::thread thread_;
};

}  // namespace xd
