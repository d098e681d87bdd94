// The real-time room stream (issue 18; decision 024): viewers of a live room connect by WebSocket
// (GET /api/v1/live/rooms/{id}/stream, Upgrade: websocket) or, as a fallback, Server-Sent Events
// (GET /api/v1/live/rooms/{id}/events) and receive JSON messages:
//   snapshot  the room as it is (first message of every connection, and after a skip)
//   state     status, pinned product with live price and stock left, products' stock
//   counts    viewers (this node's, approximate) and likes, at most once per counts interval
//   order     a recent order with a masked name (小*), title, quantity
//   comment   a comment (弹幕) with a masked name
// Every message carries the room's `seq` (increasing; a client ignores what its snapshot covers).
//
// Fan-out: one serialised message per update, shared by every viewer of the room (a
// shared_ptr<const string>), queued per connection on its strand. A queue holds at most
// `queue_max` messages; a viewer that falls that far behind drops its queue and is sent the
// latest snapshot instead (it skips to the present; memory stays bounded whatever it reads).
// Room state is re-read from the store by the hub's thread at most once per tick per room,
// however many commits changed it (coalescing); likes and viewer counts go out at most once per
// counts interval. Limits: streams in total and per client IP, client messages (ignored) of at
// most 512 bytes (larger: that connection is closed), a send buffer per connection.
//
// Thread-safety: every public method may be called from any thread. OnSignal runs on the
// store's thread after a commit and only queues work for the hub's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "live/live.h"
#include "store/store.h"

namespace xd::http {

class StreamAcceptor;

struct LiveHubOptions {
  int tick_ms = 100;              // dirty rooms are re-read and broadcast at most this often
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

  // What the live service tells after a commit (LiveService::SetListener).
  void OnSignal(const live::RoomSignal& signal);
  // Likes tapped on this node: counted at once, written to the room in one command per counts
  // interval. The caller has checked the room is live.
  void AddLikes(int64_t room_id, int64_t count);
  // Whether the user may comment now (a token bucket per user); else the seconds to wait.
  bool AllowComment(int64_t user_id, int64_t* retry_after_s);
  // This node's viewers of the room.
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
