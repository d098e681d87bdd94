#include "store/timers.h"

#include <chrono>
#include <future>
#include <memory>

#include "base/id.h"
#include "base/log.h"
#include "base/messages.h"
#include "base/thread_name.h"

namespace xd {

namespace {
constexpr int64_t kRetryBaseMs = 1000;
constexpr size_t kMaxErrorLen = 500;

constexpr const char* kDeadCols = "id, kind, payload, attempts, due_at_ms, dead_at_ms, last_error";
}  // namespace

Json ToJson(const DeadTimer& t) {
  return Json{{"id", IdString(t.id)},
              {"kind", t.kind},
              {"payload", t.payload},
              {"attempts", t.attempts},
              {"due_at", FormatRfc3339(t.due_at_ms)},
              {"dead_at", FormatRfc3339(t.dead_at_ms)},
              {"last_error", t.last_error}};
}

Result<std::vector<DeadTimer>> DeadTimers(Reader& r, int64_t limit) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string("SELECT ") + kDeadCols +
                                          " FROM timers WHERE dead_at_ms IS NOT NULL ORDER BY dead_at_ms, id LIMIT ?",
                                      {limit}));
  std::vector<DeadTimer> out;
  for (auto& row : rows)
    out.push_back(DeadTimer{row.Int(0), row.Str(1), row.JsonAt(2), row.Int(3), row.Int(4), row.Int(5), row.Str(6)});
  return out;
}

Result<int64_t> CountDeadTimers(Reader& r) { return r.QueryInt("SELECT count(*) FROM timers WHERE dead_at_ms IS NOT NULL"); }

Status RetryTimer(Tx& tx, int64_t timer_id) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("UPDATE timers SET dead_at_ms=NULL, attempts=0, due_at_ms=? WHERE id=? AND dead_at_ms IS NOT NULL "
                                         "RETURNING kind",
                                         {tx.NowMs(), timer_id}));
  if (!row) return Fail(Msg::TIMER_NOT_FOUND);
  return Emit(tx, TimerRetried{timer_id, row->Str(0)});
}

Result<std::vector<std::string>> CheckTimers(Reader& r) {
  ASSIGN_OR_RETURN(int64_t dead, CountDeadTimers(r));
  std::vector<std::string> problems;
  if (dead == 0) return problems;
  ASSIGN_OR_RETURN(auto some, DeadTimers(r, 10));
  for (auto& t : some)
    problems.push_back("timer " + IdString(t.id) + " (" + t.kind + ") is dead after " + std::to_string(t.attempts) +
                       " attempts: " + t.last_error);
  if (dead > static_cast<int64_t>(some.size()))
    problems.push_back(std::to_string(dead - static_cast<int64_t>(some.size())) + " more dead timers");
  return problems;
}

void TimerService::Register(const std::string& kind, Handler handler) { handlers_[kind] = std::move(handler); }

Result<int> TimerService::RunDue(int limit) {
  int64_t now = store_.clock().NowMs();
  ASSIGN_OR_RETURN(Rows due, store_.Read([&](Reader& r) {
    return r.Query("SELECT id, kind, payload, attempts FROM timers WHERE due_at_ms <= ? AND dead_at_ms IS NULL "
                   "ORDER BY due_at_ms LIMIT ?",
                   {now, int64_t{limit}});
  }));
  if (due.empty()) return 0;
  auto fired = std::make_shared<std::atomic<int>>(0);
  std::vector<std::future<void>> waits;
  for (auto& row : due) {
    int64_t id = row.Int(0);
    std::string kind = row.Str(1);
    Json payload = row.JsonAt(2);
    int64_t attempts = row.Int(3);
    auto done = std::make_shared<std::promise<void>>();
    waits.push_back(done->get_future());
    auto it = handlers_.find(kind);
    if (it == handlers_.end()) {
      // No code will ever handle it: retrying is pointless, so it dies now, loudly, once.
      RecordFailure(id, kind, attempts, now, "unknown timer kind", true, done);
      continue;
    }
    Handler handler = it->second;
    auto claimed = std::make_shared<bool>(false);
    store_.Submit(
        [id, handler, payload, claimed](Tx& tx) -> Status {
          // The claim: a timer another node is firing right now (its row locked) is skipped,
          // not waited for — that node fires it, or, if it rolls back, a later poll does.
          ASSIGN_OR_RETURN(int64_t deleted, tx.Exec("DELETE FROM timers WHERE id IN (SELECT id FROM timers WHERE id=?" +
                                                        std::string(tx.dialect().SkipLocked()) + ")",
                                                    {id}));
          *claimed = deleted == 1;
          if (!*claimed) return Ok();  // fired already (an earlier poll, another node)
          return handler(tx, payload);
        },
        [this, id, kind, attempts, now, fired, done, claimed](Status s) {
          if (s) {
            if (*claimed) ++*fired;
            done->set_value();
            return;
          }
          RecordFailure(id, kind, attempts, now, s.error().message, false, done);
        });
  }
  for (auto& w : waits) w.wait();
  return fired->load();
}

void TimerService::RecordFailure(int64_t id, const std::string& kind, int64_t attempts, int64_t now, const std::string& error, bool fatal,
                                 std::shared_ptr<std::promise<void>> done) {
  ++failures_;
  const bool dead = fatal || attempts + 1 >= kMaxTimerAttempts;
  std::string stored = error.substr(0, kMaxErrorLen);
  if (dead) {
    ++deaths_;
    spdlog::error("event=timer_dead id={} kind={} attempts={} error=\"{}\"", id, kind, attempts + 1, stored);
  } else {
    spdlog::warn("event=timer_failed id={} kind={} attempts={} error=\"{}\"", id, kind, attempts + 1, stored);
  }
  int64_t next = now + kRetryBaseMs * (int64_t{1} << std::min<int64_t>(attempts, 10));
  // Wait for this bookkeeping too, so that the next poll never sees the timer as it was.
  store_.Submit(
      [id, next, now, dead, stored](Tx& tx) -> Status {
        return tx.Run("UPDATE timers SET attempts = attempts + 1, due_at_ms = ?, last_error = ?, dead_at_ms = ? WHERE id=?",
                      {next, stored, dead ? std::optional<int64_t>(now) : std::nullopt, id});
      },
      [done, id](Status s) {
        if (!s) spdlog::error("event=timer_bookkeeping_failed id={} error=\"{}\"", id, s.error().message);
        done->set_value();
      });
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
