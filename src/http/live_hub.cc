// The live room stream hub: channels per room with viewers on this node, the hub's thread that
// turns changed rows into messages (rooms re-read at most N times a second each) and sends counts,
// and the WebSocket and SSE connections with their bounded queues (live_hub.h; decision 024).
//
// Locks: a channel's `mu` may be taken before the hub's `mu`, never after it.
#include "http/live_hub.h"

#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "base/id.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/messages.h"
#include "base/thread_name.h"
#include "http/rate_limiter.h"
#include "http/stream.h"
#include "live/audience.h"

namespace xd::http {

namespace websocket = beast::websocket;
// A serialised message and its room `seq`, shared by every viewer it is queued to.
struct Text {
  std::string json;
  int64_t seq;
};
using Message = std::shared_ptr<const Text>;

namespace {

class Viewer;  // below
// Viewers whose owning copies BroadcastLocked took under a channel's lock, dropped when the
// guard (declared before that lock, so destroyed after it) goes out of scope.
thread_local std::vector<std::shared_ptr<Viewer>>* t_keep = nullptr;
struct KeepViewersUntilUnlocked {
  std::vector<std::shared_ptr<Viewer>> held;
  std::vector<std::shared_ptr<Viewer>>* outer = t_keep;
  KeepViewersUntilUnlocked() { t_keep = &held; }
  ~KeepViewersUntilUnlocked() { t_keep = outer; }
  KeepViewersUntilUnlocked(const KeepViewersUntilUnlocked&) = delete;
  KeepViewersUntilUnlocked& operator=(const KeepViewersUntilUnlocked&) = delete;
};

constexpr size_t kMaxClientMessageBytes = 512;
constexpr size_t kMaxPendingRows = 20000;          // changed rows waiting for the hub's thread
constexpr size_t kMaxProductRoomsCached = 100000;  // live_room_products row → room
constexpr size_t kMaxTappers = 10000;              // viewers' taps kept apart per room and flush
using Steady = std::chrono::steady_clock;

// WatchedTables() in order.
enum LiveTable { kRooms = 0, kRoomProducts = 1, kOrders = 2, kComments = 3 };

// What the hub sends besides room state: an order, a comment, a deleted comment.
struct RoomEvent {
  enum class Kind { kOrder, kComment, kCommentDeleted };
  Kind kind;
  int64_t room_id;
  Json facts;
};

// One room's viewers on this node and what a joiner's snapshot says.
struct Channel {
  explicit Channel(int64_t id) : room_id(id) {}
  const int64_t room_id;
  std::mutex mu;
  std::vector<std::weak_ptr<Viewer>> viewers;
  int64_t seq = 0;
  Json state = Json::object();  // room, pinned, products
  int64_t likes_db = 0;
  std::deque<Json> orders;    // newest first
  std::deque<Json> comments;  // oldest first
  Message snapshot;           // cached until something changes
  int64_t viewers_sent = -1, likes_sent = -1;
  // This node's count as last written (LiveService::RecordViewers) and when, and the other
  // nodes' viewers the write answered: viewers see this node's count plus that.
  int64_t viewers_written = -1;
  Steady::time_point written_at{};
  int64_t elsewhere = 0;
  int64_t Viewers() const { return static_cast<int64_t>(viewers.size()) + elsewhere; }
};

Message Serialise(Json j) {
  const int64_t seq = j.value("seq", int64_t{0});
  return std::make_shared<const Text>(Text{DumpJson(j), seq});
}

// The room's state as the stream carries it (no figures that only the merchant sees).
Json StateOf(const live::Room& r) {
  Json products = Json::array();
  for (const auto& p : r.products)
    products.push_back(Json{{"sku_id", IdString(p.sku_id)},
                            {"product_id", IdString(p.product_id)},
                            {"title", p.title},
                            {"image", p.image},
                            {"list_price_fen", p.list_price_fen},
                            {"live_price_fen", p.live_price_fen},
                            {"left", p.left()}});
  const live::RoomProduct* pin = r.pinned();
  Json pinned = nullptr;
  if (pin)
    pinned = Json{{"sku_id", IdString(pin->sku_id)},
                  {"product_id", IdString(pin->product_id)},
                  {"title", pin->title},
                  {"image", pin->image},
                  {"list_price_fen", pin->list_price_fen},
                  {"live_price_fen", pin->live_price_fen},
                  {"left", pin->left()}};
  return Json{{"room",
               {{"id", IdString(r.id)},
                {"title", r.title},
                {"status", std::string(live::ToString(r.status))},
                {"stream_url", r.stream_url},
                {"cover", r.cover},
                {"merchant", {{"id", IdString(r.merchant_id)}, {"name", r.merchant_name}}},
                {"host", r.host_name}}},
              {"pinned", std::move(pinned)},
              {"products", std::move(products)}};
}

// The room id of "/api/v1/live/rooms/{id}/<suffix>", if the path is that.
std::optional<int64_t> RoomOfPath(std::string_view path, std::string_view suffix) {
  constexpr std::string_view kPrefix = "/api/v1/live/rooms/";
  if (path.rfind(kPrefix, 0) != 0 || path.size() <= kPrefix.size() + suffix.size() ||
      path.substr(path.size() - suffix.size()) != suffix)
    return std::nullopt;
  return ParseId(path.substr(kPrefix.size(), path.size() - kPrefix.size() - suffix.size()));
}

// Answers a request that will not become a stream, then closes.
void Refuse(beast::tcp_stream stream, int status, Msg m, Lang lang) {
  auto s = std::make_shared<beast::tcp_stream>(std::move(stream));
  std::string body = DumpJson(ErrorJson(MakeError(m), lang));
  auto out = std::make_shared<std::string>(
      fmt::format("HTTP/1.1 {} {}\r\nServer: xiaodian\r\nContent-Type: "
                  "application/json\r\nContent-Length: {}\r\n"
                  "Connection: close\r\n\r\n{}",
                  status,
                  status == 404   ? "Not Found"
                  : status == 429 ? "Too Many Requests"
                                  : "Service Unavailable",
                  body.size(), body));
  s->expires_after(std::chrono::seconds(5));
  net::async_write(*s, net::buffer(*out), [s, out](beast::error_code, size_t) {
    beast::error_code ignore;
    s->socket().shutdown(tcp::socket::shutdown_send, ignore);
  });
}

}  // namespace

struct LiveHub::Impl : public std::enable_shared_from_this<LiveHub::Impl>, public StreamAcceptor {
  Impl(Store& s, live::LiveService& l, LiveHubOptions o)
      : store(s), live(l), options(o), comment_limiter(o.comment_rate_per_s, o.comment_burst) {}

  Store& store;
  live::LiveService& live;
  const LiveHubOptions options;
  RateLimiter comment_limiter;

  mutable std::mutex mu;
  std::unordered_map<int64_t, std::shared_ptr<Channel>> channels;
  std::unordered_map<std::string, int64_t> per_ip;  // open streams per client IP (erased at 0)
  int64_t streams = 0;
  std::vector<RowChange> rows;  // changed rows for the hub's thread (≤ kMaxPendingRows)
  bool rows_overflow = false;   // some were dropped: re-read every watched room whole
  std::set<int64_t> dirty;      // watched rooms to re-read once due
  std::unordered_map<int64_t, Steady::time_point> next_reload;  // per watched room
  std::unordered_map<int64_t, int64_t> product_rooms;           // the hub thread's only
  std::unordered_map<int64_t, int64_t> pending_likes;           // rooms with likes not yet written
  // The same taps by viewer (room → user → taps) for the live.like events; past kMaxTappers a
  // room's further viewers are summed under user 0.
  std::unordered_map<int64_t, std::unordered_map<int64_t, int64_t>> pending_taps;
  std::set<int64_t> left_rooms;  // rooms whose last viewer here left: write this node's 0
  std::condition_variable cv;
  bool stopping = false;
  std::thread thread;

  std::atomic<int64_t> messages{0}, skips{0}, dropped{0}, unchanged{0}, rows_lost{0}, refused{0},
      reloads{0}, queued_max{0};

  // ---- StreamAcceptor ----
  bool Wants(const bhttp::request<bhttp::string_body>& msg, const Request& req) const override {
    if (req.method != "GET") return false;
    if (RoomOfPath(req.path, "/events")) return true;
    return RoomOfPath(req.path, "/stream") && websocket::is_upgrade(msg);
  }
  void Take(beast::tcp_stream stream, bhttp::request<bhttp::string_body> msg, Request req) override;

  // A channel with the room's state loaded (nullptr: no such public room).
  std::shared_ptr<Channel> ChannelFor(int64_t room_id);
  // Loads the room into a channel (on the calling thread) and sends its state if what viewers see
  // changed; false when it is not public.
  bool Load(Channel& ch, bool with_recent);
  void Subscribe(const std::shared_ptr<Viewer>& v);
  void Leave(const std::shared_ptr<Channel>& ch, const std::string& ip, const Viewer* v);

  // Under ch.mu: the snapshot a joiner (or a viewer skipping ahead) is sent.
  Message SnapshotLocked(Channel& ch);
  Message Snapshot(Channel& ch) {
    std::lock_guard lock(ch.mu);
    return SnapshotLocked(ch);
  }
  // Under ch.mu: queues `m` to every viewer of the channel.
  void BroadcastLocked(Channel& ch, const Message& m);

  void Run();
  // Turns changed rows into events and dirty rooms (reads what the stream shows).
  void ProcessRows(const std::vector<RowChange>& batch, bool overflow);
  void Publish(const RoomEvent& e);
  void SendCounts();
  void FlushLikes();
  int64_t PendingLikesLocked(int64_t room_id) const {
    auto it = pending_likes.find(room_id);
    return it == pending_likes.end() ? 0 : it->second;
  }
};

namespace {

// A connection watching one room: a bounded queue of shared messages, written one at a time on
// the connection's strand. Subclasses frame and write (WebSocket, SSE).
class Viewer : public std::enable_shared_from_this<Viewer> {
 public:
  Viewer(std::shared_ptr<LiveHub::Impl> hub, std::shared_ptr<Channel> ch, std::string ip)
      : hub_(std::move(hub)), channel_(std::move(ch)), ip_(std::move(ip)) {}
  virtual ~Viewer() { hub_->Leave(channel_, ip_, this); }

  const std::shared_ptr<Channel>& channel() const { return channel_; }

  // Queues a message for this connection (any thread; runs on its strand).
  void Deliver(Message m) {
    net::post(Executor(), [self = shared_from_this(), m = std::move(m)]() mutable {
      self->Enqueue(std::move(m));
    });
  }
  // Closes the connection (any thread).
  void Close() {
    net::post(Executor(), [self = shared_from_this()] { self->CloseNow(); });
  }
  virtual void Start() = 0;

 protected:
  virtual net::any_io_executor Executor() = 0;
  virtual void WriteOne(const Message& m) = 0;  // async; ends with OnWritten
  virtual void CloseNow() = 0;

  void Enqueue(Message m) {
    if (closed_) return;
    // A message the last snapshot covers (broadcast before it was taken, delivered after) is
    // dropped here: each connection's seq only increases, and such messages must not fill the
    // queue into a second skip whose snapshot would repeat the first one's seq.
    if (m->seq <= sent_seq_) return;
    if (queue_.size() >= hub_->options.queue_max) {
      // Too far behind: what is queued is stale. Drop it and send the latest snapshot next
      // (it includes this message's effect): memory stays bounded whatever this viewer reads.
      hub_->dropped += static_cast<int64_t>(queue_.size()) + 1;
      queue_.clear();
      resync_ = true;
      hub_->skips++;
    } else {
      queue_.push_back(std::move(m));
      int64_t n = static_cast<int64_t>(queue_.size()), seen = hub_->queued_max.load();
      while (n > seen && !hub_->queued_max.compare_exchange_weak(seen, n)) {
      }
    }
    hub_->messages++;
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (closed_) return;
    Message m;
    if (resync_) {
      resync_ = false;
      queue_.clear();
      m = hub_->Snapshot(*channel_);
      // The channel's seq moves before anything is broadcast: a snapshot no newer than what this
      // connection has is nothing new (what the skip dropped was older still).
      if (m->seq <= sent_seq_) {
        writing_ = false;
        return;
      }
    } else {
      // Queued before the snapshot just written was taken, and covered by it.
      while (!queue_.empty() && queue_.front()->seq <= sent_seq_) queue_.pop_front();
      if (queue_.empty()) {
        writing_ = false;
        return;
      }
      m = std::move(queue_.front());
      queue_.pop_front();
    }
    sent_seq_ = m->seq;
    writing_ = true;
    WriteOne(m);
  }

  void OnWritten(beast::error_code ec) {
    if (ec) return CloseNow();
    WriteNext();
  }

  void MarkClosed() {
    closed_ = true;
    queue_.clear();
  }

  std::shared_ptr<LiveHub::Impl> hub_;
  std::shared_ptr<Channel> channel_;
  std::string ip_;
  std::deque<Message> queue_;
  bool writing_ = false, resync_ = false, closed_ = false;
  int64_t sent_seq_ = 0;  // the seq of the last message written
};

class WsViewer final : public Viewer {
 public:
  WsViewer(std::shared_ptr<LiveHub::Impl> hub, std::shared_ptr<Channel> ch, std::string ip,
           beast::tcp_stream stream, bhttp::request<bhttp::string_body> req)
      : Viewer(std::move(hub), std::move(ch), std::move(ip)),
        ws_(std::move(stream)),
        req_(std::move(req)) {}

  void Start() override {
    beast::get_lowest_layer(ws_).expires_never();  // the websocket stream keeps its own timeouts
    websocket::stream_base::timeout t =
        websocket::stream_base::timeout::suggested(beast::role_type::server);
    t.idle_timeout = std::chrono::milliseconds(hub_->options.write_timeout_ms);
    t.keep_alive_pings = true;  // a peer that neither reads nor answers pings is dropped
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(bhttp::field::server, "xiaodian"); }));
    ws_.read_message_max(kMaxClientMessageBytes);
    ws_.text(true);
    beast::error_code ignore;
    beast::get_lowest_layer(ws_).socket().set_option(
        net::socket_base::send_buffer_size(hub_->options.send_buffer_bytes), ignore);
    ws_.async_accept(req_, [self = std::static_pointer_cast<WsViewer>(shared_from_this())](
                               beast::error_code ec) {
      self->req_ = {};
      if (ec) return self->MarkClosed();
      self->hub_->Subscribe(self);
      self->DoRead();
    });
  }

 private:
  net::any_io_executor Executor() override { return ws_.get_executor(); }

  // Viewers send nothing the stream needs; reading keeps pings, closes and limits working. An
  // oversize or malformed message fails the read and closes this connection only.
  void DoRead() {
    ws_.async_read(in_, [self = std::static_pointer_cast<WsViewer>(shared_from_this())](
                            beast::error_code ec, size_t n) {
      if (ec) return self->CloseNow();
      self->in_.consume(n);
      self->DoRead();
    });
  }

  void WriteOne(const Message& m) override {
    ws_.async_write(net::buffer(m->json), [self = std::static_pointer_cast<WsViewer>(shared_from_this()),
                                      m](beast::error_code ec, size_t) { self->OnWritten(ec); });
  }

  void CloseNow() override {
    if (closed_) return;
    MarkClosed();
    beast::error_code ignore;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignore);
    beast::get_lowest_layer(ws_).socket().close(ignore);
  }

  websocket::stream<beast::tcp_stream> ws_;
  bhttp::request<bhttp::string_body> req_;
  beast::flat_buffer in_;
};

class SseViewer final : public Viewer {
 public:
  SseViewer(std::shared_ptr<LiveHub::Impl> hub, std::shared_ptr<Channel> ch, std::string ip,
            beast::tcp_stream stream)
      : Viewer(std::move(hub), std::move(ch), std::move(ip)), stream_(std::move(stream)) {}

  void Start() override {
    beast::error_code ignore;
    stream_.socket().set_option(net::socket_base::send_buffer_size(hub_->options.send_buffer_bytes),
                                ignore);
    stream_.expires_never();
    hub_->Subscribe(shared_from_this());
    DoRead();
  }

 private:
  net::any_io_executor Executor() override { return stream_.get_executor(); }

  // The client sends nothing more; its EOF (or anything past a small bound) ends the stream.
  void DoRead() {
    stream_.socket().async_read_some(
        net::buffer(in_), [self = std::static_pointer_cast<SseViewer>(shared_from_this())](
                              beast::error_code ec, size_t n) {
          self->read_ += n;
          if (ec || self->read_ > kMaxClientMessageBytes) return self->CloseNow();
          self->DoRead();
        });
  }

  void WriteOne(const Message& m) override {
    auto frame = std::make_shared<std::string>();
    if (!headers_sent_) {
      headers_sent_ = true;
      *frame =
          "HTTP/1.1 200 OK\r\nServer: xiaodian\r\nContent-Type: text/event-stream; "
          "charset=utf-8\r\n"
          "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\nConnection: keep-alive\r\n\r\n";
    }
    *frame += "data: ";
    *frame += m->json;  // one line: the JSON has no raw newlines
    *frame += "\n\n";
    stream_.expires_after(std::chrono::milliseconds(hub_->options.write_timeout_ms));
    net::async_write(stream_, net::buffer(*frame),
                     [self = std::static_pointer_cast<SseViewer>(shared_from_this()), frame](
                         beast::error_code ec, size_t) {
                       self->stream_.expires_never();
                       self->OnWritten(ec);
                     });
  }

  void CloseNow() override {
    if (closed_) return;
    MarkClosed();
    beast::error_code ignore;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignore);
    stream_.socket().close(ignore);
  }

  beast::tcp_stream stream_;
  bool headers_sent_ = false;
  std::array<char, 256> in_{};
  size_t read_ = 0;
};

}  // namespace

// ---- the hub ----

bool LiveHub::Impl::Load(Channel& ch, bool with_recent) {
  reloads++;
  auto loaded = store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(live::Room room, live.GetRoom(r, ch.room_id, std::nullopt));
    Json out{{"state", StateOf(room)}, {"likes", room.likes}};
    if (with_recent) {
      ASSIGN_OR_RETURN(out["orders"], live.RecentOrders(r, ch.room_id, limits::kLiveRecentOrders));
      ASSIGN_OR_RETURN(out["comments"],
                       live.RecentComments(r, ch.room_id, limits::kLiveRecentComments));
    }
    return out;
  });
  if (!loaded) {
    if (loaded.error().code != ErrorCode::NOT_FOUND) return false;
    // Cancelled (or gone) while watched: say so.
    KeepViewersUntilUnlocked keep;  // declared first: released after the lock
    std::lock_guard lock(ch.mu);
    if (ch.state.contains("room")) {
      ch.state["room"]["status"] = std::string(live::ToString(live::RoomStatus::kCancelled));
      ch.seq++;
      ch.snapshot.reset();
      Json j = ch.state;
      j["type"] = "state";
      j["seq"] = ch.seq;
      BroadcastLocked(ch, Serialise(std::move(j)));
    }
    return false;
  }
  KeepViewersUntilUnlocked keep;  // declared first: released after the lock
  std::lock_guard lock(ch.mu);
  ch.likes_db = (*loaded)["likes"].get<int64_t>();
  if (!with_recent && (*loaded)["state"] == ch.state) {
    unchanged++;  // e.g. a like count or a comment count moved: nothing viewers see here
    ch.snapshot.reset();
    return true;
  }
  ch.seq++;
  ch.state = (*loaded)["state"];
  if (with_recent) {
    ch.orders.clear();
    for (auto& o : (*loaded)["orders"]) ch.orders.push_back(o);
    ch.comments.clear();
    for (auto& c : (*loaded)["comments"]) ch.comments.push_back(c);
  }
  ch.snapshot.reset();
  Json j = ch.state;
  j["type"] = "state";
  j["seq"] = ch.seq;
  BroadcastLocked(ch, Serialise(std::move(j)));
  return true;
}

std::shared_ptr<Channel> LiveHub::Impl::ChannelFor(int64_t room_id) {
  {
    std::lock_guard lock(mu);
    auto it = channels.find(room_id);
    if (it != channels.end()) return it->second;
  }
  // Read outside the hub's lock; a racing joiner may load the same room: the first one wins.
  auto ch = std::make_shared<Channel>(room_id);
  if (!Load(*ch, true)) return nullptr;
  std::lock_guard lock(mu);
  auto [it, inserted] = channels.emplace(room_id, ch);
  return it->second;
}

Message LiveHub::Impl::SnapshotLocked(Channel& ch) {
  if (ch.snapshot) return ch.snapshot;
  Json j = ch.state;
  j["type"] = "snapshot";
  j["seq"] = ch.seq;
  j["viewers"] = ch.Viewers();
  {
    std::lock_guard lock(mu);
    j["likes"] = ch.likes_db + PendingLikesLocked(ch.room_id);
  }
  j["orders"] = Json::array();
  for (auto& o : ch.orders) j["orders"].push_back(o);
  j["comments"] = Json::array();
  for (auto& c : ch.comments) j["comments"].push_back(c);
  ch.snapshot = Serialise(std::move(j));
  return ch.snapshot;
}

void LiveHub::Impl::BroadcastLocked(Channel& ch, const Message& m) {
  for (auto& w : ch.viewers) {
    if (auto v = w.lock()) {
      v->Deliver(m);
      // The copy could be the viewer's last owner (its connection finishing meanwhile); its
      // destructor leaves the channel, which takes ch.mu: held here. The caller's
      // KeepViewersUntilUnlocked drops it once the lock is released.
      if (t_keep) t_keep->push_back(std::move(v));
    }
  }
}

void LiveHub::Impl::Subscribe(const std::shared_ptr<Viewer>& v) {
  const std::shared_ptr<Channel>& ch = v->channel();
  std::lock_guard lock(ch->mu);
  {
    std::lock_guard hub_lock(mu);
    channels.emplace(ch->room_id, ch);  // back in the map if its last viewer left meanwhile
  }
  ch->viewers.push_back(v);
  ch->snapshot.reset();  // its viewer count changed
  // The snapshot first, queued under the channel's lock: every later message follows it.
  v->Deliver(SnapshotLocked(*ch));
}

void LiveHub::Impl::Leave(const std::shared_ptr<Channel>& ch, const std::string& ip,
                          const Viewer* v) {
  std::lock_guard lock(ch->mu);
  std::lock_guard hub_lock(mu);
  if (auto it = per_ip.find(ip); it != per_ip.end() && --it->second <= 0) per_ip.erase(it);
  --streams;
  // The leaving viewer is expired already (this runs in its destructor). Never lock() a weak
  // pointer here: the copy could end up the last owner and run another destructor under ch->mu.
  (void)v;
  std::erase_if(ch->viewers, [](const std::weak_ptr<Viewer>& w) { return w.expired(); });
  ch->snapshot.reset();
  if (ch->viewers.empty()) {
    auto it = channels.find(ch->room_id);
    if (it != channels.end() && it->second == ch) {
      channels.erase(it);
      left_rooms.insert(ch->room_id);
      next_reload.erase(ch->room_id);
      dirty.erase(ch->room_id);
    }
  }
}

void LiveHub::Impl::Take(beast::tcp_stream stream, bhttp::request<bhttp::string_body> msg,
                         Request req) {
  const Lang lang = ParseAcceptLanguage(req.Header("accept-language"));
  const bool sse = RoomOfPath(req.path, "/events").has_value();
  const int64_t room_id = *RoomOfPath(req.path, sse ? "/events" : "/stream");
  {
    std::lock_guard lock(mu);
    int64_t& from_ip = per_ip[req.remote_ip];
    if (stopping || streams >= options.max_streams || from_ip >= options.max_streams_per_ip) {
      if (from_ip == 0) per_ip.erase(req.remote_ip);
      refused++;
      return Refuse(std::move(stream), stopping || streams >= options.max_streams ? 503 : 429,
                    stopping || streams >= options.max_streams ? Msg::UNAVAILABLE
                                                               : Msg::LIVE_TOO_MANY_STREAMS,
                    lang);
    }
    ++from_ip;
    ++streams;
  }
  std::shared_ptr<Channel> ch = ChannelFor(room_id);
  if (!ch) {
    std::lock_guard lock(mu);
    if (auto it = per_ip.find(req.remote_ip); it != per_ip.end() && --it->second <= 0)
      per_ip.erase(it);
    --streams;
    return Refuse(std::move(stream), 404, Msg::LIVE_ROOM_NOT_FOUND, lang);
  }
  std::shared_ptr<Viewer> v;
  if (sse)
    v = std::make_shared<SseViewer>(shared_from_this(), ch, req.remote_ip, std::move(stream));
  else
    v = std::make_shared<WsViewer>(shared_from_this(), ch, req.remote_ip, std::move(stream),
                                   std::move(msg));
  v->Start();
}

void LiveHub::Impl::Publish(const RoomEvent& e) {
  std::shared_ptr<Channel> ch;
  {
    std::lock_guard lock(mu);
    auto it = channels.find(e.room_id);
    if (it == channels.end()) return;  // nobody watches here
    ch = it->second;
  }
  KeepViewersUntilUnlocked keep;  // declared first: released after the lock
  std::lock_guard lock(ch->mu);
  ch->seq++;
  ch->snapshot.reset();
  Json j = e.facts;
  j["seq"] = ch->seq;
  switch (e.kind) {
    case RoomEvent::Kind::kOrder:
      j["type"] = "order";
      ch->orders.push_front(e.facts);
      while (static_cast<int64_t>(ch->orders.size()) > limits::kLiveRecentOrders)
        ch->orders.pop_back();
      break;
    case RoomEvent::Kind::kComment:
      j["type"] = "comment";
      ch->comments.push_back(e.facts);
      while (static_cast<int64_t>(ch->comments.size()) > limits::kLiveRecentComments)
        ch->comments.pop_front();
      break;
    case RoomEvent::Kind::kCommentDeleted:
      j["type"] = "comment_deleted";
      std::erase_if(ch->comments, [&](const Json& c) { return c["id"] == e.facts["id"]; });
      break;
  }
  BroadcastLocked(*ch, Serialise(std::move(j)));
}

void LiveHub::Impl::ProcessRows(const std::vector<RowChange>& batch, bool overflow) {
  std::vector<std::shared_ptr<Channel>> watched;
  {
    std::lock_guard lock(mu);
    for (auto& [id, ch] : channels) watched.push_back(ch);
  }
  if (watched.empty()) return;  // nobody watches any room on this node
  bool everything = overflow;
  std::set<int64_t> rooms;
  std::vector<int64_t> unknown_products, orders;
  std::vector<std::pair<int64_t, bool>> comments;  // id, inserted
  for (const RowChange& row : batch) {
    switch (row.table) {
      case kRooms:
        rooms.insert(row.id);
        break;
      case kRoomProducts:
        if (auto it = product_rooms.find(row.id); it != product_rooms.end())
          rooms.insert(it->second);
        else
          unknown_products.push_back(row.id);
        break;
      case kOrders:
        if (row.inserted) orders.push_back(row.id);
        break;
      case kComments:
        comments.emplace_back(row.id, row.inserted);
        break;
      default:  // kAnyTable: changes may have been missed
        everything = true;
    }
  }
  if (everything) {
    // Missed changes: every watched room whole, with its recent orders and comments.
    for (auto& ch : watched) Load(*ch, true);
    return;
  }
  std::vector<RoomEvent> events;
  if (!unknown_products.empty() || !orders.empty() || !comments.empty()) {
    if (product_rooms.size() > kMaxProductRoomsCached) product_rooms.clear();
    auto read = store.Read([&](Reader& r) -> Status {
      for (int64_t id : unknown_products) {
        ASSIGN_OR_RETURN(std::optional<int64_t> room, live.RoomOfProductRow(r, id));
        if (!room) continue;
        product_rooms[id] = *room;
        rooms.insert(*room);
      }
      for (int64_t id : orders) {
        ASSIGN_OR_RETURN(auto ticker, live.OrderTicker(r, id));
        if (ticker)
          events.push_back({RoomEvent::Kind::kOrder, ticker->first, std::move(ticker->second)});
      }
      for (auto [id, inserted] : comments) {
        ASSIGN_OR_RETURN(std::optional<live::CommentView> c, live.GetComment(r, id));
        if (!c) continue;
        if (c->deleted)
          events.push_back(
              {RoomEvent::Kind::kCommentDeleted, c->room_id, Json{{"id", IdString(id)}}});
        else if (inserted)
          events.push_back({RoomEvent::Kind::kComment, c->room_id, std::move(c->facts)});
      }
      return Ok();
    });
    if (!read) {
      spdlog::warn("event=live_rows_read_failed error=\"{}\"", read.error().message);
      for (auto& ch : watched) Load(*ch, true);
      return;
    }
  }
  for (const RoomEvent& e : events) Publish(e);
  std::lock_guard lock(mu);
  for (int64_t id : rooms)
    if (channels.count(id)) dirty.insert(id);
}

void LiveHub::Impl::SendCounts() {
  std::vector<std::shared_ptr<Channel>> list;
  {
    std::lock_guard lock(mu);
    for (auto& [id, ch] : channels) list.push_back(ch);
  }
  for (auto& ch : list) {
    KeepViewersUntilUnlocked keep;  // declared first: released after the lock
    std::lock_guard lock(ch->mu);
    int64_t likes;
    {
      std::lock_guard hub_lock(mu);
      likes = ch->likes_db + PendingLikesLocked(ch->room_id);
    }
    const int64_t viewers = ch->Viewers();
    if (viewers == ch->viewers_sent && likes == ch->likes_sent) continue;
    ch->viewers_sent = viewers;
    ch->likes_sent = likes;
    ch->seq++;
    ch->snapshot.reset();
    BroadcastLocked(
        *ch, Serialise(Json{
                 {"type", "counts"}, {"seq", ch->seq}, {"viewers", viewers}, {"likes", likes}}));
  }
}

void LiveHub::Impl::FlushLikes() {
  std::unordered_map<int64_t, int64_t> batch, counts;
  std::vector<std::shared_ptr<Channel>> list;
  // The interval's taps by viewer, for the live.like events (written once, with this flush).
  std::unordered_map<int64_t, std::vector<std::pair<int64_t, int64_t>>> taps;
  {
    std::lock_guard lock(mu);
    batch = pending_likes;
    for (auto& [room, users] : pending_taps) taps[room].assign(users.begin(), users.end());
    pending_taps.clear();
    for (auto& [id, ch] : channels) list.push_back(ch);
    for (int64_t room : left_rooms)
      if (!channels.contains(room)) counts[room] = 0;
    left_rooms.clear();
  }
  // This node's viewer counts that changed, and the unchanged ones every kRewriteEvery, so the
  // room's sum over the nodes keeps counting them (live::kNodeViewersFreshMs).
  constexpr auto kRewriteEvery = std::chrono::seconds(3);
  const auto now = Steady::now();
  for (auto& ch : list) {
    std::lock_guard lock(ch->mu);
    const auto n = static_cast<int64_t>(ch->viewers.size());
    if (n == ch->viewers_written && now - ch->written_at < kRewriteEvery) continue;
    counts[ch->room_id] = ch->viewers_written = n;
    ch->written_at = now;
  }
  if (batch.empty() && counts.empty()) return;
  auto self = shared_from_this();
  const int node = store.ids().node();
  // The rooms' counts over every node, as the writes answered them.
  auto totals = std::make_shared<std::unordered_map<int64_t, int64_t>>();
  // One command for every room's likes and viewer counts; likes stay pending (and counted)
  // until it commits.
  store.Submit(
      [self, batch, counts, node, totals, taps = std::move(taps)](Tx& tx) -> Status {
        for (auto& [room, n] : batch) RETURN_IF_ERROR(self->live.AddLikes(tx, room, n));
        for (auto& [room, list] : taps) RETURN_IF_ERROR(live::EmitLikes(tx, room, list));
        for (auto& [room, n] : counts) {
          ASSIGN_OR_RETURN((*totals)[room], self->live.RecordViewers(tx, room, node, n));
        }
        return Ok();
      },
      [self, batch, counts, totals](Status s) {
        if (!s) spdlog::warn("event=live_likes_flush_failed error=\"{}\"", s.error().message);
        std::vector<std::shared_ptr<Channel>> touched;
        {
          std::lock_guard lock(self->mu);
          for (auto& [room, n] : batch) {
            auto it = self->pending_likes.find(room);
            if (it == self->pending_likes.end()) continue;
            if ((it->second -= n) <= 0) self->pending_likes.erase(it);
          }
          if (s) {
            for (auto& [id, ch] : self->channels)
              if (batch.contains(id) || counts.contains(id)) touched.push_back(ch);
          }
        }
        // Written: the channel's stored like count holds them now, and the other nodes'
        // viewers are what the room's sum says beyond the count this node wrote.
        for (auto& ch : touched) {
          std::lock_guard lock(ch->mu);
          if (auto it = batch.find(ch->room_id); it != batch.end()) ch->likes_db += it->second;
          if (auto it = counts.find(ch->room_id); it != counts.end())
            ch->elsewhere = std::max<int64_t>(0, totals->at(ch->room_id) - it->second);
          ch->snapshot.reset();
        }
      });
}

void LiveHub::Impl::Run() {
  SetThreadName("xd-live");
  const auto interval = std::chrono::milliseconds(1000 / std::max(1, options.room_updates_per_s));
  auto next_counts = Steady::now();
  while (true) {
    std::vector<RowChange> batch;
    bool overflow = false;
    {
      // Sleep until rows arrive, a dirty room is due or the counts are.
      std::unique_lock lock(mu);
      while (true) {
        if (stopping) return;
        if (!rows.empty() || rows_overflow) break;
        const auto now = Steady::now();
        if (now >= next_counts) break;
        auto wake = next_counts;
        bool due = false;
        for (int64_t id : dirty) {
          auto it = next_reload.find(id);
          if (it == next_reload.end() || it->second <= now) {
            due = true;
            break;
          }
          wake = std::min(wake, it->second);
        }
        if (due) break;
        cv.wait_until(lock, wake);
      }
      batch.swap(rows);
      overflow = std::exchange(rows_overflow, false);
    }
    if (!batch.empty() || overflow) ProcessRows(batch, overflow);
    // Rooms due: each re-read at most once per interval, however many commits changed it.
    std::vector<std::shared_ptr<Channel>> due;
    {
      std::lock_guard lock(mu);
      const auto now = Steady::now();
      for (auto it = dirty.begin(); it != dirty.end();) {
        auto nr = next_reload.find(*it);
        if (nr != next_reload.end() && nr->second > now) {
          ++it;
          continue;
        }
        if (auto ch = channels.find(*it); ch != channels.end()) {
          due.push_back(ch->second);
          next_reload[*it] = now + interval;
        }
        it = dirty.erase(it);
      }
    }
    for (auto& ch : due) Load(*ch, false);
    if (Steady::now() >= next_counts) {
      SendCounts();
      FlushLikes();
      next_counts = Steady::now() + std::chrono::milliseconds(options.counts_interval_ms);
    }
  }
}

// ---- LiveHub ----

LiveHub::LiveHub(Store& store, live::LiveService& live, LiveHubOptions options)
    : impl_(std::make_shared<Impl>(store, live, options)) {}

LiveHub::~LiveHub() { Stop(); }

void LiveHub::Start() {
  impl_->thread = std::thread([impl = impl_] { impl->Run(); });
}

void LiveHub::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  std::vector<std::shared_ptr<Channel>> list;
  {
    std::lock_guard lock(impl_->mu);
    for (auto& [id, ch] : impl_->channels) list.push_back(ch);
  }
  // The open viewers are copied under the channel's lock and closed after it: a copy may end up
  // a viewer's last owner (its connection finishing meanwhile), and the viewer's destructor takes
  // the channel's lock (Leave) — under the lock that deadlocked this thread (seen in
  // api_live_test_pg, about one run in three, at a node's Stop).
  for (auto& ch : list) {
    std::vector<std::shared_ptr<Viewer>> open;
    {
      std::lock_guard lock(ch->mu);
      for (auto& w : ch->viewers)
        if (auto v = w.lock()) open.push_back(std::move(v));
    }
    for (auto& v : open) v->Close();
  }
}

const std::vector<std::string>& LiveHub::WatchedTables() {
  static const auto* tables = new std::vector<std::string>{"live_rooms", "live_room_products",
                                                           "live_orders", "live_comments"};
  return *tables;
}

void LiveHub::OnRows(const std::vector<RowChange>& changed) {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->channels.empty()) return;  // nobody watches any room here
    if (impl_->rows.size() + changed.size() > kMaxPendingRows) {
      impl_->rows_overflow = true;  // the hub re-reads every watched room instead
      impl_->rows.clear();
      impl_->rows_lost++;
    } else {
      impl_->rows.insert(impl_->rows.end(), changed.begin(), changed.end());
    }
  }
  impl_->cv.notify_one();
}

void LiveHub::AddLikes(int64_t room_id, int64_t user_id, int64_t count) {
  std::lock_guard lock(impl_->mu);
  impl_->pending_likes[room_id] += count;  // sent with the next counts, written with the flush
  auto& taps = impl_->pending_taps[room_id];
  if (taps.size() >= kMaxTappers && !taps.contains(user_id)) user_id = 0;
  taps[user_id] += count;
}

bool LiveHub::AllowComment(int64_t user_id, int64_t* retry_after_s) {
  if (impl_->comment_limiter.Allow(IdString(user_id))) return true;
  *retry_after_s = impl_->options.comment_rate_per_s > 0
                       ? static_cast<int64_t>(std::ceil(1.0 / impl_->options.comment_rate_per_s))
                       : 1;
  return false;
}

int64_t LiveHub::Viewers(int64_t room_id) const {
  std::shared_ptr<Channel> ch;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->channels.find(room_id);
    if (it != impl_->channels.end()) ch = it->second;
  }
  if (ch) {
    std::lock_guard lock(ch->mu);
    return ch->Viewers();
  }
  // Nobody watches here: what the nodes last wrote.
  auto n = impl_->store.Read([&](Reader& r) { return impl_->live.Viewers(r, room_id); });
  return n ? *n : 0;
}

int64_t LiveHub::UnwrittenLikes(int64_t room_id) const {
  std::lock_guard lock(impl_->mu);
  return impl_->PendingLikesLocked(room_id);
}

LiveHubStats LiveHub::stats() const {
  LiveHubStats s;
  {
    std::lock_guard lock(impl_->mu);
    s.streams = impl_->streams;
    s.rooms = static_cast<int64_t>(impl_->channels.size());
  }
  s.messages = impl_->messages;
  s.skips = impl_->skips;
  s.dropped = impl_->dropped;
  s.unchanged = impl_->unchanged;
  s.rows_lost = impl_->rows_lost;
  s.refused = impl_->refused;
  s.reloads = impl_->reloads;
  s.queued_max = impl_->queued_max;
  return s;
}

std::string LiveHub::MetricsText() const {
  LiveHubStats s = stats();
  return fmt::format(
      "# TYPE xd_live_streams gauge\nxd_live_streams {}\n# TYPE xd_live_rooms_watched "
      "gauge\nxd_live_rooms_watched {}\n"
      "# TYPE xd_live_messages_total counter\nxd_live_messages_total {}\n"
      "# TYPE xd_live_skips_total counter\nxd_live_skips_total {}\n"
      "# TYPE xd_live_dropped_total counter\nxd_live_dropped_total {}\n"
      "# TYPE xd_live_unchanged_total counter\nxd_live_unchanged_total {}\n"
      "# TYPE xd_live_rows_lost_total counter\nxd_live_rows_lost_total {}\n"
      "# TYPE xd_live_streams_refused_total counter\nxd_live_streams_refused_total {}\n"
      "# TYPE xd_live_room_reloads_total counter\nxd_live_room_reloads_total {}\n",
      s.streams, s.rooms, s.messages, s.skips, s.dropped, s.unchanged, s.rows_lost, s.refused,
      s.reloads);
}

StreamAcceptor* LiveHub::acceptor() { return impl_.get(); }

}  // namespace xd::http
