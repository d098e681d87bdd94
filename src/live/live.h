// Live commerce (直播带货, SPEC §8; issue 18; decision 024): live rooms (scheduled → live →
// ended, or scheduled → cancelled) with a host (a staff member of the merchant), a stream URL
// (the merchant's streaming service plays the video; xiaodian runs everything around it) and a
// cover; the room's products with a live price and live stock; 预约 reminders; comments (弹幕);
// orders placed in the room at the live price.
//
// Live stock is taken from the SKU's stock when the room goes live (catalog::Allocate: at most
// what is available) and what is left goes back when it ends (catalog::Deallocate), so the
// SKU's conservation reads stock_in = stock + reserved + sold + allocated throughout. An order
// in the room moves its units from the room's allocation back to the SKU's stock and trade's
// checkout reserves them at once, in the same transaction: the single writer (a row lock on
// PostgreSQL) serialises a burst on the room product's row, so the live stock never oversells.
//
// Plugged into trade through its extension points (like community, not as a promo activity:
// a room is not an `activities` row, and its stock is the room's, decision 024):
//  - a PricingRule at stage 100 ("live"): a checkout with "activity":{"live":{"room_id":"…"}}
//    takes the live prices and the room's stock; the room must be live (409 ROOM_NOT_LIVE);
//  - an OrderObserver: a cancelled unpaid order gives its units back to the room while it is
//    live (else they stay in the SKU's stock, counted as returned).
//
//   LiveService live(trade);
//   live.Install();                                  // pricing rule and observer
//   store.Execute([&](Tx& tx) { return ToStatus(live.GoLive(tx, merchant_id, room_id)); });
//
// Authorization: every merchant command takes the merchant the caller was re-authorized for in
// the command's transaction (http's Call::Write) and touches only that merchant's rooms: another
// merchant's room is LIVE_ROOM_NOT_FOUND.
//
// The stream hub (http/live_hub.h) learns of changes from the store (Store::WatchRows on the live
// tables: this node's commits and, on PostgreSQL, every other node's), not from this service, and
// reads what it shows through OrderTicker, GetComment and RoomOfProductRow.
//
// Viewers across nodes: each node's hub writes its count of a room's viewers (RecordViewers) and
// shows the sum over the nodes; the room's peak is the peak of that sum.
//
// Moderation: staff delete a comment (hidden from the stream and the replay, kept) and mute its
// author in the merchant's rooms; a merchant's blocked words refuse a comment containing one.
//
// Thread-safety: LiveService holds configuration only; every method may be called from any
// thread with its own Tx/Reader.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "store/store.h"
#include "trade/trade.h"

namespace xd::live {

// How long a node's written viewer count counts towards the room's (RecordViewers): a few of
// the hubs' counts rounds (1 s by default; a hub rewrites an unchanged count every 3 s).
inline constexpr int64_t kNodeViewersFreshMs = 10'000;

// A room's status; the moves between them are one table (states.cc).
enum class RoomStatus { kScheduled, kLive, kEnded, kCancelled };
std::string_view ToString(RoomStatus s);
std::optional<RoomStatus> RoomStatusFromString(std::string_view s);
// Whether the table lists the move (scheduled→live, scheduled→cancelled, live→ended).
bool CanMove(RoomStatus from, RoomStatus to);
// Moves `from` → `to`: LIVE_ROOM_STATE (409) when the table does not list it.
Status Move(RoomStatus from, RoomStatus to);

struct RoomProductInput {
  int64_t sku_id = 0, live_price_fen = 0, live_stock = 0;
};
struct RoomInput {
  std::string title, cover, stream_url;
  int64_t host_user_id = 0;
  int64_t starts_at_ms = 0;
  std::vector<RoomProductInput> products;
};
// {"title","cover","stream_url","host_user_id","starts_at","products":[{sku_id,
// live_price_fen, live_stock}]}; starts_at defaults to now_ms, host to the caller.
Result<RoomInput> RoomInputFromJson(const Json& body, int64_t now_ms, int64_t caller_user_id);
Result<RoomProductInput> RoomProductInputFromJson(const Json& body, const std::string& prefix);

struct RoomProduct {
  int64_t sku_id = 0, product_id = 0, position = 0;
  std::string title, image;
  Json spec = Json::object();
  int64_t list_price_fen = 0, live_price_fen = 0, live_stock = 0;
  int64_t allocated = 0, sold = 0, returned = 0;
  // Units the room holds now (0 unless it is live).
  int64_t left() const { return allocated - sold - returned; }
};
Json ToJson(const RoomProduct& p);

struct Room {
  int64_t id = 0, merchant_id = 0, host_user_id = 0;
  std::string merchant_name, host_name, title, cover, stream_url;
  RoomStatus status = RoomStatus::kScheduled;
  int64_t starts_at_ms = 0;
  std::optional<int64_t> started_at_ms, ended_at_ms, pinned_sku_id;
  int64_t reminders = 0, orders = 0, likes = 0, comments = 0;
  std::vector<RoomProduct> products;
  const RoomProduct* pinned() const;
};
Json ToJson(const Room& r);


// A comment as the stream and the replay show it ({id, name (masked), text, at}).
struct CommentView {
  int64_t room_id = 0;
  Json facts;
  bool deleted = false;
};

class LiveService {
 public:
  explicit LiveService(trade::TradeService& trade);

  // Registers the pricing rule and the observer with trade. Once.
  void Install();

  // ---- the merchant (staff; merchant_id is the caller's, re-authorized in the transaction) ----
  Result<Room> CreateRoom(Tx& tx, int64_t merchant_id, const RoomInput& in);
  // Adds a product (or changes its live price and stock) while the room is scheduled or live;
  // in a live room the stock is allocated at once.
  Result<Room> PutProduct(Tx& tx, int64_t merchant_id, int64_t room_id, const RoomProductInput& in);
  // scheduled → live: allocates each product's live stock (at most what the SKU has), marks the
  // reminders notified (one event tells the notification path).
  Result<Room> GoLive(Tx& tx, int64_t merchant_id, int64_t room_id);
  // live → ended: what is left goes back to the SKUs' stock; the pin is cleared.
  Result<Room> End(Tx& tx, int64_t merchant_id, int64_t room_id);
  // scheduled → cancelled.
  Result<Room> Cancel(Tx& tx, int64_t merchant_id, int64_t room_id);
  // Pins one product of the live room (讲解中), replacing the pin; LIVE_PRODUCT_NOT_IN_ROOM
  // (404) for a SKU not in the room. Unpin clears it.
  Result<Room> Pin(Tx& tx, int64_t merchant_id, int64_t room_id, int64_t sku_id);
  Result<Room> Unpin(Tx& tx, int64_t merchant_id, int64_t room_id);
  Result<std::vector<Room>> MerchantRooms(Reader& r, int64_t merchant_id);
  // Room results: viewers (peak; unique, conversion: audience.h), orders, buyers, GMV (paid),
  // likes, comments, per product (paid orders, units, GMV, buyers), the top products by GMV.
  Result<Json> Results(Reader& r, int64_t merchant_id, int64_t room_id);
  // Moderation. Deletes a comment of the merchant's room (idempotent; LIVE_COMMENT_NOT_FOUND for
  // another room's or merchant's).
  Result<Json> DeleteComment(Tx& tx, int64_t merchant_id, int64_t room_id, int64_t comment_id);
  // Mutes the author of a comment of the merchant's room in all the merchant's rooms and deletes
  // the comment (idempotent).
  Result<Json> MuteAuthor(Tx& tx, int64_t merchant_id, int64_t room_id, int64_t comment_id);
  // The merchant's muted viewers (masked names), newest first, at most 200.
  Result<Json> Mutes(Reader& r, int64_t merchant_id);
  // Lifts a mute (LIVE_COMMENT_NOT_FOUND-like 404 when it is not the merchant's).
  Result<Json> Unmute(Tx& tx, int64_t merchant_id, int64_t mute_id);
  // The merchant's blocked words, and replacing them (trimmed, deduplicated; at most
  // limits::kMaxLiveBlockedWords of 1–kMaxLiveBlockedWordLen bytes: LIVE_BLOCKED_WORDS_RANGE).
  Result<Json> BlockedWords(Reader& r, int64_t merchant_id);
  Result<Json> SetBlockedWords(Tx& tx, int64_t merchant_id, const std::vector<std::string>& words);

  // ---- anyone ----
  // The room (merchant_id set: only that merchant's). A cancelled room is not public.
  Result<Room> GetRoom(Reader& r, int64_t room_id, std::optional<int64_t> merchant_id);
  // Live rooms first, then upcoming, at most 50.
  Result<std::vector<Room>> PublicRooms(Reader& r);
  // The newest comments, oldest first, at most `limit`.
  Result<Json> RecentComments(Reader& r, int64_t room_id, int64_t limit);
  // The newest orders as the ticker shows them (masked names), newest first.
  Result<Json> RecentOrders(Reader& r, int64_t room_id, int64_t limit);

  // ---- viewers (signed in) ----
  // 预约: idempotent; a scheduled room only (LIVE_ROOM_STATE otherwise).
  Result<Json> Remind(Tx& tx, int64_t user_id, int64_t room_id);
  // The caller's reminders with their rooms (notified ones say the room went live).
  Result<Json> MyReminders(Reader& r, int64_t user_id);
  // A comment in a live room (the caller's rate is the HTTP layer's); stored for the replay.
  // LIVE_MUTED for a viewer the merchant muted, LIVE_COMMENT_BLOCKED_WORD for a blocked word.
  Result<Json> Comment(Tx& tx, int64_t user_id, int64_t room_id, const std::string& text);
  // Adds likes counted by a node (the hub batches taps): live rooms only, else nothing.
  Status AddLikes(Tx& tx, int64_t room_id, int64_t count);
  // Writes node `node`'s count of the room's stream viewers and answers the room's count over
  // every node: the sum of the counts written in the last kNodeViewersFreshMs (a node that
  // stopped writing no longer counts). Raises the room's viewer peak to that sum. Live rooms only
  // (nothing written, 0 answered otherwise).
  Result<int64_t> RecordViewers(Tx& tx, int64_t room_id, int node, int64_t viewers);
  // The room's viewers over every node as the nodes last wrote them (the same sum).
  Result<int64_t> Viewers(Reader& r, int64_t room_id);

  // ---- the stream hub's reads (what a changed row means for the stream) ----
  // An order placed in a room: its room and the ticker's line {name (masked), title, quantity,
  // at}; nullopt when the order is not a room's.
  Result<std::optional<std::pair<int64_t, Json>>> OrderTicker(Reader& r, int64_t order_id);
  Result<std::optional<CommentView>> GetComment(Reader& r, int64_t comment_id);
  // The room of a live_room_products row (rows never change rooms).
  Result<std::optional<int64_t>> RoomOfProductRow(Reader& r, int64_t row_id);

  // Invariants for `xiaodian check` (live_ok): every room product's allocated = sold + returned
  // + left, left 0 unless the room is live; per SKU, the live rooms' left equals
  // skus.allocated; a product's sold equals the units of the room's orders not cancelled; a
  // room's order and device-viewer counts equal its rows. Reads no configuration.
  static Result<std::vector<std::string>> Check(Reader& r);

  trade::TradeService& trade() { return trade_; }

 private:
  trade::TradeService& trade_;
};

}  // namespace xd::live
