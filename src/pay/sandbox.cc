// The sandbox payment provider: prepay, complete/fail, refunds, order query, and signed
// asynchronous notifications delivered by a background sender (on time, late, twice, or
// dropped, as configured).
#include <algorithm>
#include <condition_variable>
#include <atomic>
#include <chrono>
#include <thread>

#include "base/crypto.h"
#include "base/id.h"
#include "base/log.h"
#include "base/messages.h"
#include "base/thread_name.h"
#include "pay/pay.h"

namespace xd::pay {

namespace {
int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
constexpr int kMaxDeliveryAttempts = 8;
}  // namespace

// prefix + UTC time to the second + 64 random bits, like WeChat Pay's "wx20261122…" prepay
// ids. Ids that sort by time land at the right edge of their index, so a batch of new
// payments dirties a page or two of it instead of one random page each (they were fully
// random, and three such indexes were a quarter of all WAL pages written per paid order).
std::string SandboxProvider::NewId(std::string_view prefix) const {
  return std::string(prefix) + FormatCompactUtc(clock_.NowMs()) + RandomHex(8);
}

struct SandboxProvider::Pending {
  int64_t due_ms;
  std::string body;
  int attempts;
};

struct SandboxProvider::Sender {
  std::atomic<bool> running{false};
  std::thread thread;
  std::condition_variable cv;  // signalled when a notification is queued or answered, or on stop
  int in_flight = 0;           // handed to the transport, not answered yet (under mu_)
};

SandboxProvider::SandboxProvider(std::string secret, const Clock& clock)
    : key_(Sha256(secret)), clock_(clock), sender_(std::make_unique<Sender>()) {}

SandboxProvider::~SandboxProvider() {
  StopSender();
  Transport t;
  {
    std::lock_guard lock(mu_);
    t = std::move(transport_);
  }
  t = nullptr;  // outside the lock: the transport may wait for its own thread, which answers under it
}

void SandboxProvider::SetTransport(Transport t) {
  std::lock_guard lock(mu_);
  transport_ = std::move(t);
}

void SandboxProvider::SetMode(NotifyMode mode, int64_t late_ms) {
  std::lock_guard lock(mu_);
  mode_ = mode;
  late_ms_ = late_ms;
}

NotifyMode SandboxProvider::mode() const {
  std::lock_guard lock(mu_);
  return mode_;
}

// The key is SHA-256 of the configured secret (docs/architecture.md "Payments").
std::string SandboxProvider::Sign(const std::string& body) const { return HmacSha256Hex(key_, body); }

bool SandboxProvider::Verify(const std::string& body, const std::string& signature) const {
  return ConstantTimeEqual(Sign(body), signature);
}

Result<std::string> StoredSandboxSecret(Tx& tx) {
  ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT value FROM sandbox_config WHERE name='notify_secret'"));
  if (row) return row->Str(0);
  std::string secret = RandomBase64Url(32);
  RETURN_IF_ERROR(tx.Run("INSERT INTO sandbox_config(name, value) VALUES('notify_secret', ?)", {secret}));
  return secret;
}

Result<std::string> SandboxProvider::CreatePrepay(Tx& tx, const std::string& out_no, int64_t amount_fen) {
  std::string prepay_id = NewId("wx");
  RETURN_IF_ERROR(tx.Run("INSERT INTO sandbox_txns(prepay_id, kind, out_no, amount_fen, status, transaction_id, created_at_ms) "
                         "VALUES(?, 'pay', ?, ?, 'NOTPAY', '', ?)",
                         {prepay_id, out_no, amount_fen, tx.NowMs()}));
  return prepay_id;
}

Status SandboxProvider::Complete(Tx& tx, const std::string& prepay_id, bool success) {
  ASSIGN_OR_RETURN(ProviderTxn t, Query(tx, prepay_id));
  if (t.kind != "pay") return Fail(Msg::PROVIDER_PAYMENT_NOT_FOUND);
  if (t.status != "NOTPAY") return Fail(Msg::PROVIDER_PAYMENT_DONE, {Term("status", t.status, "pay")});
  t.status = success ? "SUCCESS" : "FAIL";
  t.transaction_id = success ? NewId("4200") : "";
  RETURN_IF_ERROR(tx.Run("UPDATE sandbox_txns SET status=?, transaction_id=?, completed_at_ms=? WHERE prepay_id=?",
                         {t.status, t.transaction_id, tx.NowMs(), prepay_id}));
  Enqueue(tx, t, success ? "payment.succeeded" : "payment.failed");
  return Ok();
}

Result<std::string> SandboxProvider::CreateRefund(Tx& tx, const std::string& out_refund_no, int64_t amount_fen) {
  ProviderTxn t;
  t.prepay_id = NewId("rf");
  t.kind = "refund";
  t.out_no = out_refund_no;
  t.amount_fen = amount_fen;
  t.status = "SUCCESS";
  t.transaction_id = NewId("5000");
  RETURN_IF_ERROR(tx.Run("INSERT INTO sandbox_txns(prepay_id, kind, out_no, amount_fen, status, transaction_id, created_at_ms, completed_at_ms) "
                         "VALUES(?, 'refund', ?, ?, 'SUCCESS', ?, ?, ?)",
                         {t.prepay_id, out_refund_no, amount_fen, t.transaction_id, tx.NowMs(), tx.NowMs()}));
  Enqueue(tx, t, "refund.succeeded");
  return t.prepay_id;
}

Result<ProviderTxn> SandboxProvider::Query(Reader& r, const std::string& prepay_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT prepay_id, kind, out_no, status, transaction_id, amount_fen FROM sandbox_txns WHERE prepay_id=?",
                                        {prepay_id}));
  if (!row) return Fail(Msg::PROVIDER_TXN_NOT_FOUND);
  return ProviderTxn{row->Str(0), row->Str(1), row->Str(2), row->Str(3), row->Str(4), row->Int(5)};
}

void SandboxProvider::Enqueue(Tx& tx, const ProviderTxn& t, const std::string& event) {
  Json body{{"notify_id", NewId("n")}, {"event", event},          {"prepay_id", t.prepay_id},
            {"out_no", t.out_no},               {"amount_fen", t.amount_fen}, {"transaction_id", t.transaction_id},
            {"timestamp_ms", clock_.NowMs()}};
  std::string text = DumpJson(body);
  tx.OnCommit([this, text] {
    std::lock_guard lock(mu_);
    int64_t now = SteadyMs();
    sender_->cv.notify_one();  // any waiting sender re-reads the queue from scratch
    switch (mode_) {
      case NotifyMode::kDrop:
        return;
      case NotifyMode::kLate:
        queue_.push_back(Pending{now + late_ms_, text, 0});
        return;
      case NotifyMode::kTwice:
        queue_.push_back(Pending{now, text, 0});
        queue_.push_back(Pending{now + 50, text, 0});
        return;
      case NotifyMode::kNormal:
        queue_.push_back(Pending{now, text, 0});
        return;
    }
  });
}

std::optional<SandboxProvider::Pending> SandboxProvider::PopDue(int64_t* next_due_ms) {
  int64_t now = SteadyMs();
  auto best = queue_.end();
  for (auto it = queue_.begin(); it != queue_.end(); ++it)
    if (best == queue_.end() || it->due_ms < best->due_ms) best = it;
  if (best == queue_.end()) {
    *next_due_ms = 0;
    return std::nullopt;
  }
  if (best->due_ms > now) {
    *next_due_ms = best->due_ms;
    return std::nullopt;
  }
  Pending p = std::move(*best);
  queue_.erase(best);
  return p;
}

void SandboxProvider::StartSender(int max_in_flight) {
  if (sender_->running.exchange(true)) return;
  sender_->thread = std::thread([this, max_in_flight] {
    SetThreadName("xd-paynotify");
    Transport transport;  // declared before the lock: released after it, never under mu_
    std::unique_lock lock(mu_);
    transport = transport_;  // set before the sender starts
    while (sender_->running) {
      int64_t next_due_ms = 0;
      std::optional<Pending> p;
      if (sender_->in_flight < max_in_flight) p = PopDue(&next_due_ms);
      if (!p) {  // sleep until one is due, queued or answered, or stop
        if (next_due_ms == 0)
          sender_->cv.wait(lock);
        else
          sender_->cv.wait_for(lock, std::chrono::milliseconds(next_due_ms - SteadyMs()));
        continue;
      }
      ++sender_->in_flight;
      lock.unlock();
      std::string signature = Sign(p->body);
      std::string body = p->body;
      auto done = [this, p = std::move(*p)](bool delivered) mutable { OnDelivered(std::move(p), delivered); };
      if (transport)
        transport(body, signature, std::move(done));
      else
        done(false);
      lock.lock();
    }
  });
}

void SandboxProvider::OnDelivered(Pending p, bool delivered) {
  std::lock_guard lock(mu_);
  --sender_->in_flight;
  sender_->cv.notify_all();
  if (delivered) return;
  // Providers retry with backoff; after the last attempt the query path must find it.
  if (++p.attempts < kMaxDeliveryAttempts) {
    p.due_ms = SteadyMs() + (int64_t{100} << p.attempts);
    queue_.push_back(std::move(p));
  } else {
    spdlog::warn("event=sandbox_notify_given_up body={}", p.body);
  }
}

int SandboxProvider::Outstanding() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(queue_.size()) + sender_->in_flight;
}

void SandboxProvider::StopSender() {
  if (!sender_) return;
  {
    std::lock_guard lock(mu_);  // under the lock, so the sender does not miss the wake-up
    if (!sender_->running.exchange(false)) return;
    sender_->cv.notify_all();
  }
  sender_->thread.join();
  std::unique_lock lock(mu_);
  sender_->cv.wait_for(lock, std::chrono::seconds(15), [this] { return sender_->in_flight == 0; });
}

Result<Notification> VerifyNotification(const SandboxProvider& p, const Clock& clock, const std::string& body,
                                        const std::string& signature) {
  if (!p.Verify(body, signature)) return Fail(Msg::NOTIFICATION_SIGNATURE_BAD);
  ASSIGN_OR_RETURN(Json j, ParseJson(body));
  ObjectReader r(j);
  Notification n;
  n.notify_id = r.String("notify_id", {.min_len = 1, .max_len = 64});
  n.event = r.String("event", {.max_len = 32});
  n.prepay_id = r.String("prepay_id", {.max_len = 64});
  n.out_no = r.String("out_no", {.max_len = 32});
  n.amount_fen = r.Int("amount_fen", {.min = 0});
  n.transaction_id = r.String("transaction_id", {.max_len = 64});
  n.timestamp_ms = r.Int("timestamp_ms", {.min = 0});
  RETURN_IF_ERROR(r.Finish());
  int64_t age = clock.NowMs() - n.timestamp_ms;
  if (age > kNotifyMaxAgeMs || age < -kNotifyMaxAgeMs)
    return Fail(Msg::NOTIFICATION_STALE);
  return n;
}

Result<bool> FirstSighting(Tx& tx, const std::string& notify_id) {
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("INSERT INTO sandbox_notify_seen(notify_id, at_ms) VALUES(?,?) ON CONFLICT DO NOTHING", {notify_id, tx.NowMs()}));
  return n == 1;
}

Result<int64_t> PruneNotificationIds(Tx& tx, int64_t keep_ms, int limit) {
  return tx.Exec("DELETE FROM sandbox_notify_seen WHERE notify_id IN (SELECT notify_id FROM sandbox_notify_seen WHERE at_ms < ? "
                 "ORDER BY at_ms LIMIT ?)",
                 {tx.NowMs() - keep_ms, int64_t{limit}});
}

}  // namespace xd::pay
