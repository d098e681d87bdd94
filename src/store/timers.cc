#include "store/timers.h"

#include <chrono>
#include <future>
#include <memory>

#include "base/log.h"
#include "base/thread_name.h"

namespace xd {

namespace {
constexpr int kMaxAttempts = 20;
constexpr int64_t kRetryBaseMs = 1000;
}  // namespace

void TimerService::Register(const std::string& kind, Handler handler) { handlers_[kind] = std::move(handler); }

Result<int> TimerService::RunDue(int limit) {
  int64_t now = store_.clock().NowMs();
  ASSIGN_OR_RETURN(Rows due, store_.Read([&](Reader& r) {
    return r.Query("SELECT id, kind, payload, attempts FROM timers WHERE due_at_ms <= ? AND attempts < ? "
                   "ORDER BY due_at_ms LIMIT ?",
                   {now, int64_t{kMaxAttempts}, int64_t{limit}});
  }));
  if (due.empty()) return 0;
  auto fired = std::make_shared<std::atomic<int>>(0);
  std::vector<std::future<void>> waits;
  for (auto& row : due) {
    int64_t id = row.Int(0);
    std::string kind = row.Str(1);
    Json payload = row.JsonAt(2);
    int64_t attempts = row.Int(3);
    auto it = handlers_.find(kind);
    if (it == handlers_.end()) {
      spdlog::error("event=timer_unknown_kind id={} kind={}", id, kind);
      continue;
    }
    Handler handler = it->second;
    auto done = std::make_shared<std::promise<void>>();
    waits.push_back(done->get_future());
    store_.Submit(
        [id, handler, payload](Tx& tx) -> Status {
          ASSIGN_OR_RETURN(int64_t deleted, tx.Exec("DELETE FROM timers WHERE id=?", {id}));
          if (deleted == 0) return Ok();  // fired already by an earlier poll
          return handler(tx, payload);
        },
        [this, id, kind, attempts, now, fired, done](Status s) {
          if (s) {
            ++*fired;
          } else {
            spdlog::warn("event=timer_failed id={} kind={} attempts={} error=\"{}\"", id, kind, attempts + 1,
                         s.error().message);
            int64_t next = now + kRetryBaseMs * (int64_t{1} << std::min<int64_t>(attempts, 10));
            store_.Submit(
                [id, next](Tx& tx) -> Status {
                  return tx.Run("UPDATE timers SET attempts = attempts + 1, due_at_ms = ? WHERE id=?", {next, id})
                      ;
                },
                nullptr);
          }
          done->set_value();
        });
  }
  for (auto& w : waits) w.wait();
  return fired->load();
}

void TimerService::Start(int poll_ms) {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this, poll_ms] {
    SetThreadName("xd-timers");
    while (running_) {
      auto r = RunDue();
      if (!r) spdlog::warn("event=timer_poll_failed error=\"{}\"", r.error().message);
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(poll_ms), [this] { return !running_; });
    }
  });
}

void TimerService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_.exchange(false)) return;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace xd
