// The real-time room stream (issue 18; decision 024): viewers of a live room connect by WebSocket
// (GET /api/v1/live/rooms/{id}/stream, Upgrade: websocket) or, as a fallback, Server-Sent Events
// (GET /api/v1/live/rooms/{id}/events) and receive JSON messages:
//   snapshot  the room as it is (first message of every connection, and after a skip)
//   state     status, pinned product with live price and stock left, products' stock
//   counts    viewers (over every node, approximate) and likes, at most once per counts interval
//   order     a recent order with a masked name (小*), title, quantity
//   comment   a comment (弹幕) with a masked name
//   comment_deleted  {id}: staff deleted the comment (the client removes it)
// Every message carries the room's `seq`, strictly increasing on each connection (a message its
// last snapshot covers is not sent after it).
//
// Fan-out: one serialised message per update, shared by every viewer of the room (a
// shared_ptr<const string>), queued per connection on its strand. A queue holds at most
// `queue_max` messages; a viewer that falls that far behind drops its queue and is sent the
// latest snapshot instead (it skips to the present; memory stays bounded whatever it reads).
// The hub learns of changes from the store: App forwards the rows of WatchedTables() that commits
// changed (Store::WatchRows, once durable) to OnRows — this node's commits and, on PostgreSQL,
// every other node's, so a viewer on any node sees every room's events. A changed room is re-read
// by the hub's thread and sent only when what viewers see changed, at most `room_updates_per_s`
// times a second per room (coalescing: the first change goes out at once, the changes of the next
// interval in one update at its end; other rooms and orders/comments never wait for it). Orders
// and comments are read and sent one by one, at once. Likes and viewer counts go out at most once
// per counts interval; each node writes its viewer count with them and shows the room's sum over
// the nodes (live::LiveService::RecordViewers), and the interval's taps as live.like events (one
// per viewer, never one per tap). Limits: streams in total and per client IP,
// client messages (ignored) of at most 512 bytes (larger: that connection is closed), a send
// buffer per connection.
//
// Thread-safety: every public method may be called from any thread. OnRows runs on the store's
// threads after a commit and only queues work for the hub's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "live/live.h"
#include "store/store.h"

namespace xd::http {

class StreamAcceptor;

struct LiveHubOptions {
  int room_updates_per_s = 20;    // state updates per room at most (changes between are coalesced)
  int counts_interval_ms = 1000;  // viewer and like counts at most this often
  size_t queue_max = 32;          // messages waiting per connection before it skips to the latest
  int64_t max_streams = 20000;    // stream connections of this node
  int64_t max_streams_per_ip = 20;
  int send_buffer_bytes = 64 * 1024;  // SO_SNDBUF of a stream connection (kernel memory per viewer)
  int write_timeout_ms = 30000;       // a write that makes no progress this long closes the stream
  double comment_rate_per_s = 0.5;    // per signed-in viewer
  double comment_burst = 3;
};

struct LiveHubStats {
  int64_t streams = 0;     // open now
  int64_t rooms = 0;       // rooms with viewers on this node
  int64_t messages = 0;    // messages queued to connections so far
  int64_t skips = 0;       // times a connection dropped its queue and skipped to the latest
  int64_t dropped = 0;     // messages those skips dropped (the snapshot sent instead covers them)
  int64_t unchanged = 0;   // room re-reads that changed nothing a viewer sees (nothing sent)
  int64_t rows_lost = 0;   // times changed rows overflowed the hub's queue (rooms re-read whole)
  int64_t refused = 0;     // connections refused (limits)
  int64_t reloads = 0;     // room state reads
  int64_t queued_max = 0;  // the longest queue any connection had
};

class LiveHub {
 public:
  LiveHub(Store& store, live::LiveService& live, LiveHubOptions options);
  ~LiveHub();
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;

  // Starts the hub's thread (`xd-live`); Stop ends it and closes every stream.
  void Start();
  void Stop();

  // The tables whose changed rows OnRows takes (Store::WatchRows): live_rooms,
  // live_room_products, live_orders, live_comments.
  static const std::vector<std::string>& WatchedTables();
  // Rows of WatchedTables() a durable commit changed (RowChange::table indexes that list, or
  // kAnyTable: anything may have changed).
  void OnRows(const std::vector<RowChange>& rows);
  // Likes tapped on this node by `user_id`: counted at once, written to the room in one command
  // per counts interval, with one live.like event per viewer who tapped (live/audience.h
  // EmitLikes). The caller has checked the room is live.
  void AddLikes(int64_t room_id, int64_t user_id, int64_t count);
  // Whether the user may comment now (a token bucket per user); else the seconds to wait.
  bool AllowComment(int64_t user_id, int64_t* retry_after_s);
  // The room's viewers over every node (approximate, as the stream's counts).
  int64_t Viewers(int64_t room_id) const;
  // Likes tapped on this node and not yet written to the room.
  int64_t UnwrittenLikes(int64_t room_id) const;

  LiveHubStats stats() const;
  std::string MetricsText() const;
  // Takes over stream connections from the server (ServerOptions::streams).
  StreamAcceptor* acceptor();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace xd::http
