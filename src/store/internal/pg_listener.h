// A LISTEN connection: PostgreSQL's notifications (NOTIFY / pg_notify) on a set of channels, for
// what several nodes must learn from each other's commits — cache invalidation, long-poll wake-ups
// (docs/scale-out.md, "Many nodes"). A notification is delivered after its transaction commits,
// in commit order, once per listening session; a rolled-back transaction sends none.
//
// A notification can be missed only while the connection is down. Wait() reports that as `lost`
// (once, when it reconnects): the caller must then assume anything changed — drop its caches —
// because notifications sent meanwhile are gone.
//
//   ASSIGN_OR_RETURN(auto l, PgListener::Open(url, {"xd_rows"}));
//   for (;;) { auto got = l->Wait(1000); if (got && got->lost) cache.Clear(); ... }
//
// Thread-safety: none; one thread waits on a listener.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace xd::internal {

class PgListener {
 public:
  struct Notification {
    std::string channel;
    std::string payload;
  };
  struct Batch {
    bool lost = false;  // the connection was lost since the last Wait: notifications may be missing
    std::vector<Notification> notifications;
  };

  // Connects and LISTENs on `channels` (plain identifiers). UNAVAILABLE if it cannot connect.
  static Result<std::unique_ptr<PgListener>> Open(std::string url,
                                                  std::vector<std::string> channels);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  // Waits up to `timeout_ms` for notifications and returns what arrived (at most `max`; the rest
  // stay for the next call). On a lost connection it tries to reconnect once per call; while it
  // cannot, UNAVAILABLE (after waiting `timeout_ms`, so a caller's loop does not spin).
  Result<Batch> Wait(int timeout_ms, size_t max = 1000);

 private:
  PgListener(std::string url, std::vector<std::string> channels)
      : url_(std::move(url)), channels_(std::move(channels)) {}
  Status Connect();
  void Drain(Batch* out, size_t max);

  std::string url_;
  std::vector<std::string> channels_;
  PGconn* conn_ = nullptr;
  bool lost_ = false;  // to report at the next successful Wait
};

}  // namespace xd::internal
