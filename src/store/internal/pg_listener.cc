#include "store/internal/pg_listener.h"

#include <poll.h>

#include <chrono>
#include <thread>

namespace xd::internal {

Result<std::unique_ptr<PgListener>> PgListener::Open(std::string url,
                                                     std::vector<std::string> channels) {
  for (const auto& ch : channels) {
    bool ok = !ch.empty() && ch.size() <= 63;
    for (char c : ch) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok) return Fail(ErrorCode::INVALID_FIELD, "bad channel name: " + ch);
  }
  auto l = std::unique_ptr<PgListener>(new PgListener(std::move(url), std::move(channels)));
  RETURN_IF_ERROR(l->Connect());
  return l;
}

PgListener::~PgListener() { PQfinish(conn_); }

Status PgListener::Connect() {
  PQfinish(conn_);
  conn_ = PQconnectdb(url_.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn_);
    PQfinish(conn_);
    conn_ = nullptr;
    return Fail(ErrorCode::UNAVAILABLE, "listener cannot connect: " + msg);
  }
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  for (const auto& ch : channels_) {
    PGresult* r = PQexec(conn_, ("LISTEN " + ch).c_str());
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
      std::string msg = PQerrorMessage(conn_);
      PQfinish(conn_);
      conn_ = nullptr;
      return Fail(ErrorCode::UNAVAILABLE, "LISTEN " + ch + ": " + msg);
    }
  }
  return Ok();
}

void PgListener::Drain(Batch* out, size_t max) {
  while (out->notifications.size() < max) {
    PGnotify* n = PQnotifies(conn_);
    if (!n) break;
    out->notifications.push_back({n->relname, n->extra ? n->extra : ""});
    PQfreemem(n);
  }
}

Result<PgListener::Batch> PgListener::Wait(int timeout_ms, size_t max) {
  Batch out;
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    lost_ = true;
    if (!Connect()) {
      // Wait out the timeout so that a caller looping on Wait does not spin while the server
      // is down.
      std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
      return Fail(ErrorCode::UNAVAILABLE, "listener connection lost");
    }
  }
  Drain(&out, max);  // notifications already read with an earlier batch's input
  if (out.notifications.empty()) {
    pollfd p{PQsocket(conn_), POLLIN, 0};
    int ready = poll(&p, 1, timeout_ms);
    if (ready > 0) {
      if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
        // The session ended (server restart, terminated backend): reconnect now, and tell the
        // caller that what was sent meanwhile is lost.
        lost_ = true;
        if (!Connect()) return Fail(ErrorCode::UNAVAILABLE, "listener connection lost");
      } else {
        Drain(&out, max);
      }
    }
  }
  out.lost = lost_;
  lost_ = false;
  return out;
}

}  // namespace xd::internal
