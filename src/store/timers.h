// Durable timers: rows in the `timers` table (written with Tx::AddTimer in the same
// transaction as the state they guard), fired through the write pipeline when the injected
// clock passes their due time. A restart forgets nothing: due timers fire on the next poll.
// A handler that fails is retried with backoff (attempts are counted on the row).
//
// Thread-safety: Register before Start; RunDue may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "store/store.h"

namespace xd {

class TimerService {
 public:
  using Handler = std::function<Status(Tx&, const Json& payload)>;

  explicit TimerService(Store& store) : store_(store) {}
  ~TimerService() { Stop(); }

  void Register(const std::string& kind, Handler handler);
  // Fires every timer due now (at most `limit`), waits for the commits; returns how many
  // fired successfully.
  Result<int> RunDue(int limit = 1000);
  // Polls every poll_ms on a background thread.
  void Start(int poll_ms);
  void Stop();

 private:
  Store& store_;
  std::map<std::string, Handler> handlers_;
  std::atomic<bool> running_{false};
  std::mutex mu_;
  std::condition_variable cv_;  // wakes the poller early on Stop
  std::thread thread_;
};

}  // namespace xd
