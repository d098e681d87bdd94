// Routes of live commerce (live, issue 18): the merchant's rooms (create, products with live price
// and stock, go live, pin/unpin, end, cancel, results), the public room list and room page, 预约
// reminders, comments (弹幕) and likes. Ordering is POST /checkout with "live":{"room_id"}. The
// real-time stream (WebSocket and SSE) is live_hub.cc's. Staff commands are re-authorized in their
// transaction (Call::Write) and act on the caller's merchant only.
#include <cctype>
#include <functional>

#include "base/limits.h"
#include "http/api.h"
#include "http/live_hub.h"
#include "http/routes_live.h"
#include "live/audience.h"

namespace xd::http {

using account::Perm;
using account::Principal;

namespace {

// The node's live service and stream hub: App owns them, AppContext points at them (set before
// serving).
live::LiveService& Live(Call& c) { return *c.app().live; }
LiveHub& Hub(Call& c) { return *c.app().live_hub; }

Json RoomExample() {
  return Json{{"title", "冬季新品首发"},
              {"cover", "https://img.example.com/live/cover.jpg"},
              {"stream_url", "https://live.example.com/hls/room1.m3u8"},
              {"starts_at", "2026-12-09T12:00:00Z"},
              {"products", {{{"sku_id", "1234567890"}, {"live_price_fen", 9900}, {"live_stock", 200}}}}};
}

Json RoomJson(const live::Room& r) { return live::ToJson(r); }

// ---- the merchant ----

Status CreateRoom(Call& c) {
  live::LiveService& ls = Live(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(live::RoomInput in,
                   live::RoomInputFromJson(body, c.app().store.clock().NowMs(), s.principal.user_id));
  c.Write(
      s,
      [&ls, in](Tx& tx, const StaffCaller& s) -> Result<Json> {
        ASSIGN_OR_RETURN(live::Room r, ls.CreateRoom(tx, s.merchant_id, in));
        return RoomJson(r);
      },
      201);
  return Ok();
}

// A room as its shop's staff see it: with viewers_now, the host screen's viewers at this moment
// (a live room's sum over the nodes, as the public room read and the stream's counts show it,
// approximate; 0 for a room not live).
Json StaffRoomJson(Call& c, const live::Room& room) {
  Json j = RoomJson(room);
  j["viewers_now"] = room.status == live::RoomStatus::kLive ? Hub(c).Viewers(room.id) : 0;
  return j;
}

Status MerchantRooms(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(auto rooms,
                   c.app().store.Read([&](Reader& r) { return Live(c).MerchantRooms(r, s.merchant_id); }));
  Json items = Json::array();
  for (auto& r : rooms) items.push_back(StaffRoomJson(c, r));
  c.Reply(ListJson(std::move(items), 0));
  return Ok();
}

Status MerchantRoom(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(live::Room room,
                   c.app().store.Read([&](Reader& r) { return Live(c).GetRoom(r, id, s.merchant_id); }));
  c.Reply(StaffRoomJson(c, room));
  return Ok();
}

Status RoomResults(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json out,
                   c.app().store.Read([&](Reader& r) { return Live(c).Results(r, s.merchant_id, id); }));
  c.Reply(out);
  return Ok();
}

Status PutProduct(Call& c) {
  live::LiveService& ls = Live(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ASSIGN_OR_RETURN(live::RoomProductInput in, live::RoomProductInputFromJson(body, ""));
  c.Write(s, [&ls, id, in](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(live::Room r, ls.PutProduct(tx, s.merchant_id, id, in));
    return RoomJson(r);
  });
  return Ok();
}

// A command on the caller's room `{id}` that answers the room.
Status RoomCommand(Call& c,
                   std::function<Result<live::Room>(live::LiveService&, Tx&, int64_t, int64_t)> fn) {
  live::LiveService& ls = Live(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(s, [&ls, id, fn = std::move(fn)](Tx& tx, const StaffCaller& s) -> Result<Json> {
    ASSIGN_OR_RETURN(live::Room r, fn(ls, tx, s.merchant_id, id));
    return RoomJson(r);
  });
  return Ok();
}
Status StartRoom(Call& c) {
  return RoomCommand(c, [](live::LiveService& ls, Tx& tx, int64_t m, int64_t id) { return ls.GoLive(tx, m, id); });
}
Status EndRoom(Call& c) {
  return RoomCommand(c, [](live::LiveService& ls, Tx& tx, int64_t m, int64_t id) { return ls.End(tx, m, id); });
}
Status CancelRoom(Call& c) {
  return RoomCommand(c, [](live::LiveService& ls, Tx& tx, int64_t m, int64_t id) { return ls.Cancel(tx, m, id); });
}
Status UnpinRoom(Call& c) {
  return RoomCommand(c, [](live::LiveService& ls, Tx& tx, int64_t m, int64_t id) { return ls.Unpin(tx, m, id); });
}
Status PinRoom(Call& c) {
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  const int64_t sku_id = r.Id("sku_id");
  RETURN_IF_ERROR(r.Finish());
  return RoomCommand(c, [sku_id](live::LiveService& ls, Tx& tx, int64_t m, int64_t id) {
    return ls.Pin(tx, m, id, sku_id);
  });
}

// ---- moderation (staff with kActivities; the comment must be of the caller's room) ----

// A command on comment `{comment_id}` of the caller's room `{id}`.
Status CommentCommand(
    Call& c, std::function<Result<Json>(live::LiveService&, Tx&, int64_t, int64_t, int64_t)> fn) {
  live::LiveService& ls = Live(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(int64_t room_id, c.PathId("id"));
  ASSIGN_OR_RETURN(int64_t comment_id, c.PathId("comment_id"));
  c.Write(s, [&ls, room_id, comment_id, fn = std::move(fn)](Tx& tx, const StaffCaller& s) {
    return fn(ls, tx, s.merchant_id, room_id, comment_id);
  });
  return Ok();
}
Status DeleteComment(Call& c) {
  return CommentCommand(c, [](live::LiveService& ls, Tx& tx, int64_t m, int64_t room, int64_t id) {
    return ls.DeleteComment(tx, m, room, id);
  });
}
Status MuteAuthor(Call& c) {
  return CommentCommand(c, [](live::LiveService& ls, Tx& tx, int64_t m, int64_t room, int64_t id) {
    return ls.MuteAuthor(tx, m, room, id);
  });
}

Status Mutes(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(Json items, c.app().store.Read([&](Reader& r) { return Live(c).Mutes(r, s.merchant_id); }));
  c.Reply(ListJson(std::move(items), 0));
  return Ok();
}

Status Unmute(Call& c) {
  live::LiveService& ls = Live(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(s, [&ls, id](Tx& tx, const StaffCaller& s) { return ls.Unmute(tx, s.merchant_id, id); });
  return Ok();
}

Status BlockedWords(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kRead));
  ASSIGN_OR_RETURN(Json out,
                   c.app().store.Read([&](Reader& r) { return Live(c).BlockedWords(r, s.merchant_id); }));
  c.Reply(out);
  return Ok();
}

Status SetBlockedWords(Call& c) {
  live::LiveService& ls = Live(c);
  ASSIGN_OR_RETURN(StaffCaller s, c.Staff(Perm::kActivities));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::vector<std::string> words;
  if (const Json* list = r.RequireArray("words", limits::kMaxLiveBlockedWords)) {
    for (const Json& w : *list) {
      if (!w.is_string()) {
        r.Invalid("words", Msg::LIVE_BLOCKED_WORDS_RANGE,
                  {{"max", static_cast<int64_t>(limits::kMaxLiveBlockedWords)},
                   {"max_len", static_cast<int64_t>(limits::kMaxLiveBlockedWordLen)}});
        break;
      }
      words.push_back(w.get<std::string>());
    }
  }
  RETURN_IF_ERROR(r.Finish());
  c.Write(s, [&ls, words](Tx& tx, const StaffCaller& s) {
    return ls.SetBlockedWords(tx, s.merchant_id, words);
  });
  return Ok();
}

// ---- anyone ----

Status PublicRooms(Call& c) {
  ASSIGN_OR_RETURN(auto rooms, c.app().store.Read([&](Reader& r) { return Live(c).PublicRooms(r); }));
  Json items = Json::array();
  for (auto& r : rooms) items.push_back(RoomJson(r));
  c.Reply(ListJson(std::move(items), 0));
  return Ok();
}

// The room page. Opening a live room records its viewer once (live/audience.h): the signed-in
// user, else the shop's device (?device=); only a first visit is a write, answered once durable.
Status PublicRoom(Call& c) {
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  std::optional<Principal> user;  // a token that does not sign anyone in reads anonymously
  if (!c.req().Header("authorization").empty())
    if (auto p = c.User()) user = *p;
  live::Visitor visitor;
  if (user) {
    visitor.user_id = user->user_id;
  } else if (auto device = c.req().QueryParam("device")) {
    bool ok = !device->empty() && device->size() <= 64;
    for (char ch : *device)
      ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_');
    if (!ok) return Fail(Msg::INVALID_FIELD, {Field("device_id")});
    visitor.device_id = std::string(*device);
  }
  bool first_visit = false;
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) -> Result<Json> {
    live::LiveService& ls = Live(c);
    ASSIGN_OR_RETURN(live::Room room, ls.GetRoom(r, id, std::nullopt));
    Json j = RoomJson(room);
    ASSIGN_OR_RETURN(j["recent_orders"], ls.RecentOrders(r, id, limits::kLiveRecentOrders));
    ASSIGN_OR_RETURN(j["recent_comments"], ls.RecentComments(r, id, limits::kLiveRecentComments));
    if (room.status == live::RoomStatus::kLive && !visitor.empty()) {
      ASSIGN_OR_RETURN(bool visited, live::Visited(r, id, visitor));
      first_visit = !visited;
    }
    return j;
  }));
  // Every node's viewers and this node's likes not written yet (approximate, as the stream's).
  out["viewers"] = Hub(c).Viewers(id);
  out["likes"] = out["likes"].get<int64_t>() + Hub(c).UnwrittenLikes(id);
  if (!first_visit) {
    c.Reply(out);
    return Ok();
  }
  auto record = [id, visitor, out](Tx& tx) -> Result<Json> {
    RETURN_IF_ERROR(ToStatus(live::RecordVisit(tx, id, visitor)));
    return out;
  };
  if (user)
    c.Write(*user, [record](Tx& tx, const Principal&) { return record(tx); });
  else
    c.AnonymousWrite(record);
  return Ok();
}

// The replay list: the newest 100 comments, oldest first.
Status RoomComments(Call& c) {
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json items, c.app().store.Read([&](Reader& r) -> Result<Json> {
    ASSIGN_OR_RETURN(live::Room room, Live(c).GetRoom(r, id, std::nullopt));
    return Live(c).RecentComments(r, room.id, 100);
  }));
  c.Reply(ListJson(std::move(items), 0));
  return Ok();
}

// ---- viewers ----

Status Remind(Call& c) {
  live::LiveService& ls = Live(c);
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  c.Write(p, [&ls, id](Tx& tx, const Principal& p) { return ls.Remind(tx, p.user_id, id); }, 201);
  return Ok();
}

Status MyReminders(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(Json out, c.app().store.Read([&](Reader& r) { return Live(c).MyReminders(r, p.user_id); }));
  c.Reply(out);
  return Ok();
}

Status PostComment(Call& c) {
  live::LiveService& ls = Live(c);
  ASSIGN_OR_RETURN(Principal p, c.User());
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  std::string text = r.String("text", {.min_len = 1, .max_len = limits::kMaxLiveCommentLen});
  RETURN_IF_ERROR(r.Finish());
  int64_t retry_after_s = 0;
  if (!Hub(c).AllowComment(p.user_id, &retry_after_s)) {
    c.ReplyError(MakeError(Msg::LIVE_COMMENT_RATE, {{"retry_after", retry_after_s}}), retry_after_s);
    return Ok();
  }
  c.Write(p, [&ls, id, text](Tx& tx, const Principal& p) { return ls.Comment(tx, p.user_id, id, text); }, 201);
  return Ok();
}

// Taps are counted by the node's hub at once and written once per second for every room (a
// burst of likes is not a burst of writes); only a live room takes them.
Status PostLikes(Call& c) {
  ASSIGN_OR_RETURN(Principal p, c.User());  // signed-in viewers only (and within their request rate)
  ASSIGN_OR_RETURN(int64_t id, c.PathId("id"));
  ASSIGN_OR_RETURN(Json body, c.Body());
  ObjectReader r(body);
  const int64_t count = r.OptInt("count", {.min = 1, .max = limits::kMaxLikesPerTap}).value_or(1);
  RETURN_IF_ERROR(r.Finish());
  ASSIGN_OR_RETURN(live::Room room, c.app().store.Read([&](Reader& rd) { return Live(c).GetRoom(rd, id, std::nullopt); }));
  if (room.status != live::RoomStatus::kLive) return Fail(Msg::ROOM_NOT_LIVE);
  Hub(c).AddLikes(id, p.user_id, count);
  c.Reply(Json{{"room_id", IdString(id)}, {"added", count}});
  return Ok();
}

// Reached only when the hub did not take the request: a WebSocket route without the upgrade.
Status StreamWithoutUpgrade(Call& c) {
  Response r;
  r.status = 426;
  r.body = DumpJson(Json{{"error", {{"code", "BAD_REQUEST"}, {"message", "WebSocket upgrade required"}}}});
  r.headers.emplace_back("Upgrade", "websocket");
  c.responder()(std::move(r));
  return Ok();
}

}  // namespace

void AddLiveRoutes(Api& api) {
  CHECK(api.app().live && api.app().live_hub);  // App sets both before registering the routes
  // One entry per route, laid out by hand as an index of the module's API.
  // clang-format off
  api.AddTable({
      // ---- the merchant ----
      {{"POST", "/api/v1/merchant/live/rooms", "Schedule a live room: title, cover, stream URL, host (a staff member), products with live price and stock (staff)",
        "live", AuthKind::kStaff, 201, RoomExample()}, CreateRoom},
      {{"GET", "/api/v1/merchant/live/rooms", "The shop's live rooms, newest first (staff)", "live", AuthKind::kStaff}, MerchantRooms},
      {{"GET", "/api/v1/merchant/live/rooms/{id}", "A room with its products' live stock and its viewers now over every node (staff)", "live", AuthKind::kStaff}, MerchantRoom},
      {{"GET", "/api/v1/merchant/live/rooms/{id}/results",
        "Room results: viewers (peak, unique), orders, buyers, GMV, conversion (paid buyers / unique viewers), likes, comments, per product (staff)",
        "live", AuthKind::kStaff}, RoomResults},
      {{"PUT", "/api/v1/merchant/live/rooms/{id}/products", "Add a product or change its live price and stock (allocated at once in a live room) (staff)",
        "live", AuthKind::kStaff, 200, Json{{"sku_id", "1234567890"}, {"live_price_fen", 9900}, {"live_stock", 200}}}, PutProduct},
      {{"POST", "/api/v1/merchant/live/rooms/{id}/start", "Go live: each product's live stock is taken from its SKU's stock; reminders are due (staff)",
        "live", AuthKind::kStaff}, StartRoom},
      {{"POST", "/api/v1/merchant/live/rooms/{id}/end", "End the room: what is left goes back to the SKUs' stock (staff)", "live",
        AuthKind::kStaff}, EndRoom},
      {{"POST", "/api/v1/merchant/live/rooms/{id}/cancel", "Cancel a scheduled room (staff)", "live", AuthKind::kStaff}, CancelRoom},
      {{"POST", "/api/v1/merchant/live/rooms/{id}/pin", "Pin one product of the live room (讲解中); 404 when it is not in the room (staff)",
        "live", AuthKind::kStaff, 200, Json{{"sku_id", "1234567890"}}}, PinRoom},
      {{"POST", "/api/v1/merchant/live/rooms/{id}/unpin", "Unpin the presented product (staff)", "live", AuthKind::kStaff}, UnpinRoom},
      // moderation
      {{"DELETE", "/api/v1/merchant/live/rooms/{id}/comments/{comment_id}",
        "Delete a comment: gone from the stream (comment_deleted) and the replay, kept on record (staff)", "live",
        AuthKind::kStaff}, DeleteComment},
      {{"POST", "/api/v1/merchant/live/rooms/{id}/comments/{comment_id}/mute",
        "Mute the comment's author in all the shop's rooms (their comments get 403 LIVE_MUTED) and delete the comment (staff)",
        "live", AuthKind::kStaff}, MuteAuthor},
      {{"GET", "/api/v1/merchant/live/mutes", "The shop's muted viewers (masked names) (staff)", "live", AuthKind::kStaff}, Mutes},
      {{"DELETE", "/api/v1/merchant/live/mutes/{id}", "Lift a mute (staff)", "live", AuthKind::kStaff}, Unmute},
      {{"GET", "/api/v1/merchant/live/blocked-words", "The shop's blocked words for comments (staff)", "live", AuthKind::kStaff},
       BlockedWords},
      {{"PUT", "/api/v1/merchant/live/blocked-words",
        "Replace the shop's blocked words (at most 200, 1–30 bytes each); a comment containing one gets 422 LIVE_COMMENT_BLOCKED_WORD (staff)",
        "live", AuthKind::kStaff, 200, Json{{"words", {"代购", "加微信"}}}}, SetBlockedWords},
      // ---- anyone ----
      {{"GET", "/api/v1/live/rooms", "Live rooms, then upcoming ones (at most 50)", "live", AuthKind::kNone}, PublicRooms},
      {{"GET", "/api/v1/live/rooms/{id}", "A room: stream URL, products at live prices, stock left, the pinned product, recent orders (masked) and comments; "
        "opening a live room counts the signed-in viewer (else ?device=) once for its unique viewers",
        "live", AuthKind::kNone, 200, nullptr, {"device"}}, PublicRoom},
      {{"GET", "/api/v1/live/rooms/{id}/stream",
        "The room's real-time stream over WebSocket (Upgrade: websocket): a snapshot, then state, counts, order and comment messages (docs/api.md)",
        "live", AuthKind::kNone}, StreamWithoutUpgrade},
      {{"GET", "/api/v1/live/rooms/{id}/events", "The same stream as Server-Sent Events (text/event-stream), the fallback",
        "live", AuthKind::kNone}, StreamWithoutUpgrade},
      {{"GET", "/api/v1/live/rooms/{id}/comments", "The room's comments for the replay (newest 100, oldest first)", "live",
        AuthKind::kNone}, RoomComments},
      // ---- viewers ----
      {{"POST", "/api/v1/live/rooms/{id}/reminders", "预约: tell me when the room goes live (idempotent)", "live", AuthKind::kUser, 201},
       Remind},
      {{"GET", "/api/v1/me/live-reminders", "The caller's 预约 with their rooms (a message once the room went live)", "live",
        AuthKind::kUser}, MyReminders},
      {{"POST", "/api/v1/live/rooms/{id}/comments", "Comment (弹幕) in a live room; rate-limited per viewer (429 with Retry-After)",
        "live", AuthKind::kUser, 201, Json{{"text", "主播好！"}}}, PostComment},
      {{"POST", "/api/v1/live/rooms/{id}/likes", "Like the room (taps batched: count 1–50)", "live", AuthKind::kUser, 200,
        Json{{"count", 5}}}, PostLikes},
  });
  // clang-format on
}

}  // namespace xd::http
