// Rooms and their products: the status table, creating and changing rooms, going live (stock
// allocated) and ending (stock given back), pins, reminders, comments, likes, reads, results and
// the invariant check.
#include <algorithm>
#include <set>

#include "account/account.h"
#include "base/mask.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/limits.h"
#include "base/messages.h"
#include "base/state_table.h"
#include "catalog/catalog.h"
#include "live/audience.h"
#include "live/events.h"
#include "live/internal/live_internal.h"
#include "live/live.h"
#include "trade/states.h"

namespace xd::live {

namespace {

using state_table::Set;
using S = RoomStatus;

struct StatusRow {
  S status;
  const char* name;
  unsigned next;
};
// The one table of a room's moves.
constexpr StatusRow kStatuses[] = {
    {S::kScheduled, "scheduled", Set<S>({S::kLive, S::kCancelled})},
    {S::kLive, "live", Set<S>({S::kEnded})},
    {S::kEnded, "ended", Set<S>({})},
    {S::kCancelled, "cancelled", Set<S>({})},
};
static_assert(state_table::InOrder(kStatuses));

bool ValidUrl(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

Json TimeOrNull(const std::optional<int64_t>& ms) {
  return ms ? Json(FormatRfc3339(*ms)) : Json(nullptr);
}

constexpr const char* kRoomSelect =
    "SELECT r.id, r.merchant_id, r.host_user_id, r.title, r.cover, r.stream_url, r.status, "
    "r.starts_at_ms, r.started_at_ms, r.ended_at_ms, r.pinned_sku_id, r.reminders, r.orders, "
    "r.likes, r.comments, m.name, COALESCE(u.nickname, '') FROM live_rooms r JOIN merchants m ON "
    "m.id = r.merchant_id LEFT JOIN users u ON u.id = r.host_user_id ";

Result<Room> RoomFromRow(const Row& row) {
  Room r;
  r.id = row.Int(0);
  r.merchant_id = row.Int(1);
  r.host_user_id = row.Int(2);
  r.title = row.Str(3);
  r.cover = row.Str(4);
  r.stream_url = row.Str(5);
  auto st = RoomStatusFromString(row.Str(6));
  if (!st) return Fail(ErrorCode::INTERNAL, "unknown room status " + row.Str(6));
  r.status = *st;
  r.starts_at_ms = row.Int(7);
  if (!row.IsNull(8)) r.started_at_ms = row.Int(8);
  if (!row.IsNull(9)) r.ended_at_ms = row.Int(9);
  if (!row.IsNull(10)) r.pinned_sku_id = row.Int(10);
  r.reminders = row.Int(11);
  r.orders = row.Int(12);
  r.likes = row.Int(13);
  r.comments = row.Int(14);
  r.merchant_name = row.Str(15);
  r.host_name = row.Str(16);
  return r;
}

Status LoadProducts(Reader& r, Room& room) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query(
          "SELECT p.sku_id, p.product_id, p.position, pr.title, pr.images, s.spec, s.price_fen, "
          "p.live_price_fen, p.live_stock, p.allocated, p.sold, p.returned FROM "
          "live_room_products p JOIN skus s ON s.id = p.sku_id JOIN products pr ON pr.id = "
          "p.product_id WHERE p.room_id=? ORDER BY p.position, p.id",
          {room.id}));
  room.products.clear();
  for (auto& row : rows) {
    RoomProduct p;
    p.sku_id = row.Int(0);
    p.product_id = row.Int(1);
    p.position = row.Int(2);
    p.title = row.Str(3);
    Json images = row.JsonAt(4);
    if (images.is_array() && !images.empty() && images[0].is_string()) p.image = images[0];
    p.spec = row.JsonAt(5);
    p.list_price_fen = row.Int(6);
    p.live_price_fen = row.Int(7);
    p.live_stock = row.Int(8);
    p.allocated = row.Int(9);
    p.sold = row.Int(10);
    p.returned = row.Int(11);
    room.products.push_back(std::move(p));
  }
  return Ok();
}

// The merchant's room, locked for the command (another merchant's: not found).
Result<Room> OwnRoom(Tx& tx, int64_t merchant_id, int64_t room_id) {
  // The room's row locked to the command's end first (PostgreSQL; SQLite's writer is alone).
  ASSIGN_OR_RETURN(auto locked, tx.QueryOne("SELECT merchant_id FROM live_rooms WHERE id=?" +
                                                std::string(tx.dialect().ForUpdate()),
                                            {room_id}));
  if (!locked || locked->Int(0) != merchant_id) return Fail(Msg::LIVE_ROOM_NOT_FOUND);
  ASSIGN_OR_RETURN(std::optional<Room> room, internal::LoadRoom(tx, room_id));
  if (!room || room->merchant_id != merchant_id) return Fail(Msg::LIVE_ROOM_NOT_FOUND);
  return *room;
}

Status MoveRoom(Tx& tx, const Room& room, S to) {
  RETURN_IF_ERROR(Move(room.status, to));
  const int64_t now = tx.NowMs();
  const std::string from_name(ToString(room.status)), to_name(ToString(to));
  Result<int64_t> n = 0;
  switch (to) {
    case S::kLive:
      n = tx.Exec(
          "UPDATE live_rooms SET status=?, updated_at_ms=?, started_at_ms=? WHERE id=? AND "
          "status=?",
          {to_name, now, now, room.id, from_name});
      break;
    case S::kEnded:
      n = tx.Exec(
          "UPDATE live_rooms SET status=?, updated_at_ms=?, ended_at_ms=?, pinned_sku_id=NULL, "
          "pinned_at_ms=NULL WHERE id=? AND status=?",
          {to_name, now, now, room.id, from_name});
      break;
    default:
      n = tx.Exec(
          "UPDATE live_rooms SET status=?, updated_at_ms=?, pinned_sku_id=NULL, pinned_at_ms=NULL "
          "WHERE "
          "id=? AND status=?",
          {to_name, now, room.id, from_name});
  }
  if (!n) return std::unexpected(n.error());
  if (*n != 1) return Fail(Msg::LIVE_ROOM_STATE, {{"status", from_name}});
  return Ok();
}

// Takes up to `qty` more units of the SKU into the live room's product.
Status AllocateMore(Tx& tx, int64_t merchant_id, int64_t room_id, int64_t sku_id, int64_t qty) {
  if (qty <= 0) return Ok();
  ASSIGN_OR_RETURN(int64_t took, catalog::Allocate(tx, merchant_id, sku_id, qty));
  return tx.Run(
      "UPDATE live_room_products SET allocated = allocated + ? WHERE room_id=? AND sku_id=?",
      {took, room_id, sku_id});
}

// Gives up to `qty` units the live room holds back to the SKU.
Status GiveBack(Tx& tx, int64_t room_id, int64_t sku_id, int64_t qty) {
  if (qty <= 0) return Ok();
  RETURN_IF_ERROR(catalog::Deallocate(tx, sku_id, qty));
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("UPDATE live_room_products SET returned = returned + ? WHERE "
                                      "room_id=? AND sku_id=? AND allocated - sold - returned >= ?",
                                      {qty, room_id, sku_id, qty}));
  if (n != 1) return Fail(ErrorCode::INTERNAL, "live stock given back beyond what the room holds");
  return Ok();
}

Status SaveProduct(Tx& tx, int64_t merchant_id, const Room& room, const RoomProductInput& in,
                   int64_t position) {
  ASSIGN_OR_RETURN(auto sku,
                   tx.QueryOne("SELECT s.product_id, s.price_fen FROM skus s WHERE s.id=? "
                               "AND s.merchant_id=?",
                               {in.sku_id, merchant_id}));
  if (!sku) return Fail(Msg::LIVE_SKU_NOT_FOUND);
  if (in.live_price_fen > sku->Int(1)) return Fail(Msg::LIVE_PRICE_ABOVE_LIST);
  ASSIGN_OR_RETURN(auto existing, tx.QueryOne("SELECT live_stock, allocated - sold - returned FROM "
                                              "live_room_products WHERE room_id=? AND sku_id=?",
                                              {room.id, in.sku_id}));
  if (!existing) {
    if (room.products.size() >= limits::kMaxLiveRoomProducts)
      return Fail(Msg::LIVE_PRODUCTS_RANGE, {{"max", int64_t{limits::kMaxLiveRoomProducts}}});
    RETURN_IF_ERROR(
        tx.Run("INSERT INTO live_room_products(id, merchant_id, room_id, sku_id, "
               "product_id, position, live_price_fen, live_stock) VALUES(?,?,?,?,?,?,?,?)",
               {tx.NewId(), merchant_id, room.id, in.sku_id, sku->Int(0), position,
                in.live_price_fen, in.live_stock}));
    if (room.status == S::kLive)
      RETURN_IF_ERROR(AllocateMore(tx, merchant_id, room.id, in.sku_id, in.live_stock));
    return Ok();
  }
  const int64_t delta = in.live_stock - existing->Int(0);
  RETURN_IF_ERROR(
      tx.Run("UPDATE live_room_products SET live_price_fen=?, live_stock=? WHERE "
             "room_id=? AND sku_id=?",
             {in.live_price_fen, in.live_stock, room.id, in.sku_id}));
  if (room.status == S::kLive) {
    if (delta > 0) RETURN_IF_ERROR(AllocateMore(tx, merchant_id, room.id, in.sku_id, delta));
    if (delta < 0)
      RETURN_IF_ERROR(GiveBack(tx, room.id, in.sku_id, std::min(-delta, existing->Int(1))));
  }
  return Ok();
}

}  // namespace

std::string_view ToString(RoomStatus s) { return state_table::At(kStatuses, s).name; }
std::optional<RoomStatus> RoomStatusFromString(std::string_view s) {
  return state_table::Find<RoomStatus>(kStatuses, s);
}
bool CanMove(RoomStatus from, RoomStatus to) {
  return state_table::Contains(state_table::At(kStatuses, from).next, to);
}
Status Move(RoomStatus from, RoomStatus to) {
  if (!CanMove(from, to))
    return Fail(Msg::LIVE_ROOM_STATE, {{"status", std::string(ToString(from))}});
  return Ok();
}

const RoomProduct* Room::pinned() const {
  if (!pinned_sku_id) return nullptr;
  for (const RoomProduct& p : products)
    if (p.sku_id == *pinned_sku_id) return &p;
  return nullptr;
}

Json ToJson(const RoomProduct& p) {
  return Json{{"sku_id", IdString(p.sku_id)},
              {"product_id", IdString(p.product_id)},
              {"title", p.title},
              {"image", p.image},
              {"spec", p.spec},
              {"list_price_fen", p.list_price_fen},
              {"live_price_fen", p.live_price_fen},
              {"live_stock", p.live_stock},
              {"allocated", p.allocated},
              {"sold", p.sold},
              {"left", p.left()}};
}

Json ToJson(const Room& r) {
  Json products = Json::array();
  for (const RoomProduct& p : r.products) products.push_back(ToJson(p));
  const RoomProduct* pin = r.pinned();
  return Json{{"id", IdString(r.id)},
              {"merchant", {{"id", IdString(r.merchant_id)}, {"name", r.merchant_name}}},
              {"host", {{"id", IdString(r.host_user_id)}, {"name", r.host_name}}},
              {"title", r.title},
              {"cover", r.cover},
              {"stream_url", r.stream_url},
              {"status", std::string(ToString(r.status))},
              {"starts_at", FormatRfc3339(r.starts_at_ms)},
              {"started_at", TimeOrNull(r.started_at_ms)},
              {"ended_at", TimeOrNull(r.ended_at_ms)},
              {"pinned", pin ? ToJson(*pin) : Json(nullptr)},
              {"reminders", r.reminders},
              {"orders", r.orders},
              {"likes", r.likes},
              {"comments", r.comments},
              {"products", std::move(products)}};
}

Result<RoomProductInput> RoomProductInputFromJson(const Json& body, const std::string& prefix) {
  ObjectReader r(body, prefix);
  RoomProductInput in;
  in.sku_id = r.Id("sku_id");
  in.live_price_fen = r.Int("live_price_fen", {.min = 1, .max = limits::kMaxSkuPriceFen});
  in.live_stock = r.Int("live_stock", {.min = 0, .max = limits::kMaxLiveStock});
  RETURN_IF_ERROR(r.Finish());
  return in;
}

Result<RoomInput> RoomInputFromJson(const Json& body, int64_t now_ms, int64_t caller_user_id) {
  ObjectReader r(body);
  RoomInput in;
  in.title = r.String("title", {.min_len = 1, .max_len = limits::kMaxLiveTitleLen});
  in.cover = r.OptString("cover", {.max_len = limits::kMaxUrlLen}).value_or("");
  in.stream_url = r.String("stream_url", {.min_len = 8, .max_len = limits::kMaxUrlLen});
  in.host_user_id = r.OptId("host_user_id").value_or(caller_user_id);
  in.starts_at_ms = r.OptTime("starts_at").value_or(now_ms);
  const Json* products = r.Raw("products");
  RETURN_IF_ERROR(r.Finish());
  if (!ValidUrl(in.stream_url)) return Fail(Msg::LIVE_URL_INVALID, {Field("stream_url")});
  if (!in.cover.empty() && !ValidUrl(in.cover))
    return Fail(Msg::LIVE_URL_INVALID, {Field("cover")});
  if (products) {
    if (!products->is_array() || products->size() > limits::kMaxLiveRoomProducts)
      return Fail(Msg::LIVE_PRODUCTS_RANGE, {{"max", int64_t{limits::kMaxLiveRoomProducts}}});
    std::set<int64_t> skus;
    for (size_t i = 0; i < products->size(); ++i) {
      ASSIGN_OR_RETURN(
          RoomProductInput p,
          RoomProductInputFromJson((*products)[i], "products[" + std::to_string(i) + "]."));
      if (!skus.insert(p.sku_id).second) return Fail(Msg::LIVE_SKU_TWICE);
      in.products.push_back(p);
    }
  }
  return in;
}

namespace internal {

Result<std::optional<Room>> LoadRoom(Reader& r, int64_t room_id) {
  std::string sql = std::string(kRoomSelect) + "WHERE r.id=?";
  ASSIGN_OR_RETURN(auto row, r.QueryOne(sql, {room_id}));
  if (!row) return std::optional<Room>();
  ASSIGN_OR_RETURN(Room room, RoomFromRow(*row));
  RETURN_IF_ERROR(LoadProducts(r, room));
  return std::optional<Room>(std::move(room));
}

}  // namespace internal

LiveService::LiveService(trade::TradeService& trade) : trade_(trade) {}

void LiveService::Install() {
  trade_.AddPricingRule(internal::NewLivePricingRule(*this));
  trade_.AddObserver(internal::NewLiveObserver(*this));
}

Result<Room> LiveService::CreateRoom(Tx& tx, int64_t merchant_id, const RoomInput& in) {
  // The host must be the merchant's staff (any role), read in this transaction.
  ASSIGN_OR_RETURN(auto staff,
                   tx.QueryOne("SELECT role FROM staff WHERE merchant_id=? AND user_id=?",
                               {merchant_id, in.host_user_id}));
  if (!staff) return Fail(Msg::LIVE_HOST_NOT_STAFF, {Field("host_user_id")});
  const int64_t id = tx.NewId(), now = tx.NowMs();
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO live_rooms(id, merchant_id, host_user_id, title, cover, "
             "stream_url, status, starts_at_ms, created_at_ms, updated_at_ms) "
             "VALUES(?,?,?,?,?,?,?,?,?,?)",
             {id, merchant_id, in.host_user_id, in.title, in.cover, in.stream_url,
              std::string(ToString(S::kScheduled)), in.starts_at_ms, now, now}));
  Room room;
  room.id = id;
  room.merchant_id = merchant_id;
  room.status = S::kScheduled;
  int64_t position = 0;
  for (const RoomProductInput& p : in.products) {
    RETURN_IF_ERROR(SaveProduct(tx, merchant_id, room, p, position++));
    room.products.emplace_back();  // counts toward the limit
  }
  ASSIGN_OR_RETURN(room, OwnRoom(tx, merchant_id, id));
  RETURN_IF_ERROR(Emit(tx, RoomChanged{.step = "created", .room = room}));
  return room;
}

Result<Room> LiveService::PutProduct(Tx& tx, int64_t merchant_id, int64_t room_id,
                                     const RoomProductInput& in) {
  ASSIGN_OR_RETURN(Room room, OwnRoom(tx, merchant_id, room_id));
  if (room.status != S::kScheduled && room.status != S::kLive)
    return Fail(Msg::LIVE_ROOM_STATE, {{"status", std::string(ToString(room.status))}});
  RETURN_IF_ERROR(
      SaveProduct(tx, merchant_id, room, in, static_cast<int64_t>(room.products.size())));
  ASSIGN_OR_RETURN(room, OwnRoom(tx, merchant_id, room_id));
  RETURN_IF_ERROR(Emit(tx, RoomChanged{.step = "product_saved", .room = room}));
  return room;
}

Result<Room> LiveService::GoLive(Tx& tx, int64_t merchant_id, int64_t room_id) {
  ASSIGN_OR_RETURN(Room room, OwnRoom(tx, merchant_id, room_id));
  RETURN_IF_ERROR(MoveRoom(tx, room, S::kLive));
  for (const RoomProduct& p : room.products)
    RETURN_IF_ERROR(AllocateMore(tx, merchant_id, room_id, p.sku_id, p.live_stock - p.allocated));
  // The reminders are due: one statement marks them, one event tells the notification path
  // (the viewers' 预约 list shows the room live from now on).
  ASSIGN_OR_RETURN(int64_t due,
                   tx.Exec("UPDATE live_reminders SET notified_at_ms=? WHERE room_id=? "
                           "AND notified_at_ms IS NULL",
                           {tx.NowMs(), room_id}));
  ASSIGN_OR_RETURN(room, OwnRoom(tx, merchant_id, room_id));
  RETURN_IF_ERROR(
      Emit(tx, RoomChanged{.step = "live", .room = room, .extra = {{"reminders_due", due}}}));
  return room;
}

Result<Room> LiveService::End(Tx& tx, int64_t merchant_id, int64_t room_id) {
  ASSIGN_OR_RETURN(Room room, OwnRoom(tx, merchant_id, room_id));
  RETURN_IF_ERROR(MoveRoom(tx, room, S::kEnded));
  for (const RoomProduct& p : room.products)
    RETURN_IF_ERROR(GiveBack(tx, room_id, p.sku_id, p.left()));
  RETURN_IF_ERROR(tx.Run("DELETE FROM live_room_node_viewers WHERE room_id=?", {room_id}));
  ASSIGN_OR_RETURN(room, OwnRoom(tx, merchant_id, room_id));
  RETURN_IF_ERROR(Emit(tx, RoomChanged{.step = "ended", .room = room}));
  return room;
}

Result<Room> LiveService::Cancel(Tx& tx, int64_t merchant_id, int64_t room_id) {
  ASSIGN_OR_RETURN(Room room, OwnRoom(tx, merchant_id, room_id));
  RETURN_IF_ERROR(MoveRoom(tx, room, S::kCancelled));
  room.status = S::kCancelled;
  RETURN_IF_ERROR(Emit(tx, RoomChanged{.step = "cancelled", .room = room}));
  return room;
}

Result<Room> LiveService::Pin(Tx& tx, int64_t merchant_id, int64_t room_id, int64_t sku_id) {
  ASSIGN_OR_RETURN(Room room, OwnRoom(tx, merchant_id, room_id));
  if (room.status != S::kLive) return Fail(Msg::ROOM_NOT_LIVE);
  if (std::none_of(room.products.begin(), room.products.end(),
                   [&](const RoomProduct& p) { return p.sku_id == sku_id; }))
    return Fail(Msg::LIVE_PRODUCT_NOT_IN_ROOM);
  RETURN_IF_ERROR(
      tx.Run("UPDATE live_rooms SET pinned_sku_id=?, pinned_at_ms=?, updated_at_ms=? WHERE id=?",
             {sku_id, tx.NowMs(), tx.NowMs(), room_id}));
  room.pinned_sku_id = sku_id;
  RETURN_IF_ERROR(Emit(tx, RoomChanged{.step = "pinned", .room = room}));
  return room;
}

Result<Room> LiveService::Unpin(Tx& tx, int64_t merchant_id, int64_t room_id) {
  ASSIGN_OR_RETURN(Room room, OwnRoom(tx, merchant_id, room_id));
  if (room.status != S::kLive) return Fail(Msg::ROOM_NOT_LIVE);
  RETURN_IF_ERROR(
      tx.Run("UPDATE live_rooms SET pinned_sku_id=NULL, pinned_at_ms=NULL, updated_at_ms=? "
             "WHERE id=?",
             {tx.NowMs(), room_id}));
  room.pinned_sku_id.reset();
  RETURN_IF_ERROR(Emit(tx, RoomChanged{.step = "unpinned", .room = room}));
  return room;
}

Result<std::vector<Room>> LiveService::MerchantRooms(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query(std::string(kRoomSelect) +
                                          "WHERE r.merchant_id=? ORDER BY r.id DESC LIMIT 100",
                                      {merchant_id}));
  std::vector<Room> out;
  for (auto& row : rows) {
    ASSIGN_OR_RETURN(Room room, RoomFromRow(row));
    RETURN_IF_ERROR(LoadProducts(r, room));
    out.push_back(std::move(room));
  }
  return out;
}

Result<std::vector<Room>> LiveService::PublicRooms(Reader& r) {
  ASSIGN_OR_RETURN(Rows rows,
                   r.Query(std::string(kRoomSelect) +
                           "WHERE r.status IN ('live','scheduled') ORDER BY CASE r.status WHEN "
                           "'live' THEN 0 ELSE 1 END, r.starts_at_ms, r.id LIMIT 50"));
  std::vector<Room> out;
  for (auto& row : rows) {
    ASSIGN_OR_RETURN(Room room, RoomFromRow(row));
    RETURN_IF_ERROR(LoadProducts(r, room));
    out.push_back(std::move(room));
  }
  return out;
}

Result<Room> LiveService::GetRoom(Reader& r, int64_t room_id, std::optional<int64_t> merchant_id) {
  ASSIGN_OR_RETURN(std::optional<Room> room, internal::LoadRoom(r, room_id));
  if (!room) return Fail(Msg::LIVE_ROOM_NOT_FOUND);
  if (merchant_id ? room->merchant_id != *merchant_id : room->status == S::kCancelled)
    return Fail(Msg::LIVE_ROOM_NOT_FOUND);
  return *room;
}

Result<Json> LiveService::RecentComments(Reader& r, int64_t room_id, int64_t limit) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT id, nickname, text, created_at_ms FROM live_comments "
                                      "WHERE room_id=? AND deleted_at_ms IS NULL ORDER BY id DESC "
                                      "LIMIT ?",
                                      {room_id, limit}));
  Json items = Json::array();
  for (auto it = rows.rbegin(); it != rows.rend(); ++it)
    items.push_back(Json{{"id", IdString(it->Int(0))},
                         {"name", MaskName(it->Str(1))},
                         {"text", it->Str(2)},
                         {"at", FormatRfc3339(it->Int(3))}});
  return items;
}

Result<Json> LiveService::RecentOrders(Reader& r, int64_t room_id, int64_t limit) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT lo.order_id, u.nickname, lo.created_at_ms, (SELECT min(oi.title) FROM "
              "order_items oi WHERE oi.order_id = lo.order_id), (SELECT sum(oi.quantity) "
              "FROM order_items oi WHERE oi.order_id = lo.order_id) FROM live_orders lo "
              "JOIN users u ON u.id = lo.buyer_id WHERE lo.room_id=? ORDER BY "
              "lo.order_id DESC LIMIT ?",
              {room_id, limit}));
  Json items = Json::array();
  for (auto& row : rows)
    items.push_back(Json{{"name", MaskName(row.Str(1))},
                         {"title", row.IsNull(3) ? "" : row.Str(3)},
                         {"quantity", row.IsNull(4) ? 0 : row.Int(4)},
                         {"at", FormatRfc3339(row.Int(2))}});
  return items;
}

Result<Json> LiveService::Remind(Tx& tx, int64_t user_id, int64_t room_id) {
  ASSIGN_OR_RETURN(auto room,
                   tx.QueryOne("SELECT merchant_id, status FROM live_rooms WHERE id=?", {room_id}));
  if (!room || room->Str(1) == ToString(S::kCancelled)) return Fail(Msg::LIVE_ROOM_NOT_FOUND);
  if (room->Str(1) != ToString(S::kScheduled))
    return Fail(Msg::LIVE_ROOM_STATE, {{"status", room->Str(1)}});
  ASSIGN_OR_RETURN(int64_t added,
                   tx.Exec("INSERT INTO live_reminders(id, merchant_id, room_id, user_id, "
                           "created_at_ms) VALUES(?,?,?,?,?) ON CONFLICT DO NOTHING",
                           {tx.NewId(), room->Int(0), room_id, user_id, tx.NowMs()}));
  if (added == 1)
    RETURN_IF_ERROR(
        tx.Run("UPDATE live_rooms SET reminders = reminders + 1 WHERE id=?", {room_id}));
  return Json{{"room_id", IdString(room_id)}, {"reminded", true}};
}

Result<Json> LiveService::MyReminders(Reader& r, int64_t user_id) {
  ASSIGN_OR_RETURN(
      Rows rows,
      r.Query("SELECT lr.room_id, lr.notified_at_ms, r.title, r.status, r.starts_at_ms, m.name, "
              "r.cover FROM live_reminders lr JOIN live_rooms r ON r.id = lr.room_id JOIN "
              "merchants m ON m.id = r.merchant_id WHERE lr.user_id=? ORDER BY lr.id DESC "
              "LIMIT 100",
              {user_id}));
  Json items = Json::array();
  int64_t unread = 0;
  for (auto& row : rows) {
    const bool notified = !row.IsNull(1);
    if (notified && row.Str(3) == ToString(S::kLive)) ++unread;
    items.push_back(
        Json{{"room_id", IdString(row.Int(0))},
             {"title", row.Str(2)},
             {"status", row.Str(3)},
             {"starts_at", FormatRfc3339(row.Int(4))},
             {"merchant_name", row.Str(5)},
             {"cover", row.Str(6)},
             {"notified_at", notified ? Json(FormatRfc3339(row.Int(1))) : Json(nullptr)},
             // The inbox line the shop shows once the room went live.
             {"message", notified ? row.Str(5) + " 的直播「" + row.Str(2) + "」开播啦" : ""}});
  }
  return Json{{"items", std::move(items)}, {"live_now", unread}};
}

namespace {

// ASCII letters in lower case (a blocked word matches without case; other bytes as they are).
std::string Folded(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

Json CommentFacts(int64_t id, const std::string& nickname, const std::string& text, int64_t at_ms) {
  return Json{{"id", IdString(id)},
              {"name", MaskName(nickname)},
              {"text", text},
              {"at", FormatRfc3339(at_ms)}};
}

}  // namespace

Result<Json> LiveService::Comment(Tx& tx, int64_t user_id, int64_t room_id,
                                  const std::string& text) {
  ASSIGN_OR_RETURN(auto room,
                   tx.QueryOne("SELECT merchant_id, status FROM live_rooms WHERE id=?", {room_id}));
  if (!room || room->Str(1) == ToString(S::kCancelled)) return Fail(Msg::LIVE_ROOM_NOT_FOUND);
  if (room->Str(1) != ToString(S::kLive)) return Fail(Msg::ROOM_NOT_LIVE);
  const int64_t merchant_id = room->Int(0);
  ASSIGN_OR_RETURN(auto muted, tx.QueryOne("SELECT 1 FROM live_mutes WHERE merchant_id=? AND "
                                           "user_id=?",
                                           {merchant_id, user_id}));
  if (muted) return Fail(Msg::LIVE_MUTED);
  ASSIGN_OR_RETURN(Rows words, tx.Query("SELECT word FROM live_blocked_words WHERE merchant_id=?",
                                        {merchant_id}));
  if (!words.empty()) {
    const std::string folded = Folded(text);
    for (auto& w : words)
      if (folded.find(Folded(w.Str(0))) != std::string::npos)
        return Fail(Msg::LIVE_COMMENT_BLOCKED_WORD);
  }
  ASSIGN_OR_RETURN(auto user, tx.QueryOne("SELECT nickname FROM users WHERE id=?", {user_id}));
  const std::string nickname = user ? user->Str(0) : "";
  const int64_t id = tx.NewId(), now = tx.NowMs();
  RETURN_IF_ERROR(
      tx.Run("INSERT INTO live_comments(id, merchant_id, room_id, user_id, nickname, text, "
             "created_at_ms) VALUES(?,?,?,?,?,?,?)",
             {id, merchant_id, room_id, user_id, nickname, text, now}));
  RETURN_IF_ERROR(tx.Run("UPDATE live_rooms SET comments = comments + 1 WHERE id=?", {room_id}));
  RETURN_IF_ERROR(Emit(tx, Commented{.room_id = room_id,
                                     .merchant_id = merchant_id,
                                     .user_id = user_id,
                                     .comment_id = id}));
  return CommentFacts(id, nickname, text, now);
}

Result<Json> LiveService::DeleteComment(Tx& tx, int64_t merchant_id, int64_t room_id,
                                        int64_t comment_id) {
  ASSIGN_OR_RETURN(auto c, tx.QueryOne("SELECT deleted_at_ms FROM live_comments WHERE id=? AND "
                                       "room_id=? AND merchant_id=?",
                                       {comment_id, room_id, merchant_id}));
  if (!c) return Fail(Msg::LIVE_COMMENT_NOT_FOUND);
  if (c->IsNull(0))
    RETURN_IF_ERROR(tx.Run("UPDATE live_comments SET deleted_at_ms=? WHERE id=?",
                           {tx.NowMs(), comment_id}));
  return Json{{"id", IdString(comment_id)}, {"deleted", true}};
}

Result<Json> LiveService::MuteAuthor(Tx& tx, int64_t merchant_id, int64_t room_id,
                                     int64_t comment_id) {
  ASSIGN_OR_RETURN(auto c, tx.QueryOne("SELECT user_id, nickname FROM live_comments WHERE id=? AND "
                                       "room_id=? AND merchant_id=?",
                                       {comment_id, room_id, merchant_id}));
  if (!c) return Fail(Msg::LIVE_COMMENT_NOT_FOUND);
  RETURN_IF_ERROR(DeleteComment(tx, merchant_id, room_id, comment_id));
  RETURN_IF_ERROR(tx.Run("INSERT INTO live_mutes(id, merchant_id, user_id, room_id, comment_id, "
                         "created_at_ms) VALUES(?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                         {tx.NewId(), merchant_id, c->Int(0), room_id, comment_id, tx.NowMs()}));
  ASSIGN_OR_RETURN(auto m, tx.QueryOne("SELECT id FROM live_mutes WHERE merchant_id=? AND user_id=?",
                                       {merchant_id, c->Int(0)}));
  return Json{{"mute_id", IdString(m->Int(0))}, {"name", MaskName(c->Str(1))}, {"muted", true}};
}

Result<Json> LiveService::Mutes(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(Rows rows,
                   r.Query("SELECT m.id, u.nickname, m.room_id, m.created_at_ms FROM live_mutes m "
                           "JOIN users u ON u.id = m.user_id WHERE m.merchant_id=? ORDER BY m.id "
                           "DESC LIMIT 200",
                           {merchant_id}));
  Json items = Json::array();
  for (auto& row : rows)
    items.push_back(Json{{"id", IdString(row.Int(0))},
                         {"name", MaskName(row.Str(1))},
                         {"room_id", IdString(row.Int(2))},
                         {"muted_at", FormatRfc3339(row.Int(3))}});
  return items;
}

Result<Json> LiveService::Unmute(Tx& tx, int64_t merchant_id, int64_t mute_id) {
  ASSIGN_OR_RETURN(int64_t n, tx.Exec("DELETE FROM live_mutes WHERE id=? AND merchant_id=?",
                                      {mute_id, merchant_id}));
  if (n == 0) return Fail(Msg::LIVE_COMMENT_NOT_FOUND);
  return Json{{"id", IdString(mute_id)}, {"muted", false}};
}

Result<Json> LiveService::BlockedWords(Reader& r, int64_t merchant_id) {
  ASSIGN_OR_RETURN(Rows rows, r.Query("SELECT word FROM live_blocked_words WHERE merchant_id=? "
                                      "ORDER BY id",
                                      {merchant_id}));
  Json words = Json::array();
  for (auto& row : rows) words.push_back(row.Str(0));
  return Json{{"words", std::move(words)}};
}

Result<Json> LiveService::SetBlockedWords(Tx& tx, int64_t merchant_id,
                                          const std::vector<std::string>& in) {
  std::vector<std::string> words;
  for (const std::string& raw : in) {
    std::string_view w = raw;
    while (!w.empty() && (w.front() == ' ' || w.front() == '\t')) w.remove_prefix(1);
    while (!w.empty() && (w.back() == ' ' || w.back() == '\t')) w.remove_suffix(1);
    if (w.empty() || w.size() > limits::kMaxLiveBlockedWordLen)
      return Fail(Msg::LIVE_BLOCKED_WORDS_RANGE, {{"max", static_cast<int64_t>(limits::kMaxLiveBlockedWords)},
                                                  {"max_len", static_cast<int64_t>(limits::kMaxLiveBlockedWordLen)}});
    if (std::find(words.begin(), words.end(), w) == words.end()) words.emplace_back(w);
  }
  if (words.size() > limits::kMaxLiveBlockedWords)
    return Fail(Msg::LIVE_BLOCKED_WORDS_RANGE,
                {{"max", static_cast<int64_t>(limits::kMaxLiveBlockedWords)}, {"max_len", static_cast<int64_t>(limits::kMaxLiveBlockedWordLen)}});
  RETURN_IF_ERROR(tx.Run("DELETE FROM live_blocked_words WHERE merchant_id=?", {merchant_id}));
  const int64_t now = tx.NowMs();
  for (const std::string& w : words)
    RETURN_IF_ERROR(tx.Run("INSERT INTO live_blocked_words(id, merchant_id, word, created_at_ms) "
                           "VALUES(?,?,?,?)",
                           {tx.NewId(), merchant_id, w, now}));
  Json out = Json::array();
  for (auto& w : words) out.push_back(w);
  return Json{{"words", std::move(out)}};
}

Status LiveService::AddLikes(Tx& tx, int64_t room_id, int64_t count) {
  return tx.Run("UPDATE live_rooms SET likes = likes + ? WHERE id=? AND status=?",
                {count, room_id, std::string(ToString(S::kLive))});
}

Result<int64_t> LiveService::Viewers(Reader& r, int64_t room_id) {
  return r.QueryInt(
      "SELECT coalesce(sum(n.viewers), 0) FROM live_room_node_viewers n JOIN live_rooms r ON "
      "r.id = n.room_id WHERE n.room_id=? AND r.status=? AND n.updated_at_ms >= ?",
      {room_id, std::string(ToString(S::kLive)), r.clock().NowMs() - kNodeViewersFreshMs});
}

Result<int64_t> LiveService::RecordViewers(Tx& tx, int64_t room_id, int node, int64_t viewers) {
  const std::string live(ToString(S::kLive));
  const int64_t now = tx.NowMs();
  RETURN_IF_ERROR(tx.Run(
      "INSERT INTO live_room_node_viewers(room_id, node, merchant_id, viewers, updated_at_ms) "
      "SELECT id, ?, merchant_id, ?, ? FROM live_rooms WHERE id=? AND status=? "
      "ON CONFLICT(room_id, node) DO UPDATE SET viewers=excluded.viewers, "
      "updated_at_ms=excluded.updated_at_ms",
      {int64_t{node}, viewers, now, room_id, live}));
  ASSIGN_OR_RETURN(int64_t total, Viewers(tx, room_id));
  RETURN_IF_ERROR(
      tx.Run("UPDATE live_rooms SET viewers_peak=? WHERE id=? AND status=? AND viewers_peak < ?",
             {total, room_id, live, total}));
  return total;
}

Result<std::optional<std::pair<int64_t, Json>>> LiveService::OrderTicker(Reader& r,
                                                                          int64_t order_id) {
  ASSIGN_OR_RETURN(
      auto row,
      r.QueryOne("SELECT lo.room_id, u.nickname, lo.created_at_ms, (SELECT min(oi.title) FROM "
                 "order_items oi WHERE oi.order_id = lo.order_id), (SELECT sum(oi.quantity) "
                 "FROM order_items oi WHERE oi.order_id = lo.order_id) FROM live_orders lo "
                 "JOIN users u ON u.id = lo.buyer_id WHERE lo.order_id=?",
                 {order_id}));
  if (!row) return std::nullopt;
  return std::make_pair(row->Int(0), Json{{"name", MaskName(row->Str(1))},
                                          {"title", row->IsNull(3) ? "" : row->Str(3)},
                                          {"quantity", row->IsNull(4) ? 0 : row->Int(4)},
                                          {"at", FormatRfc3339(row->Int(2))}});
}

Result<std::optional<CommentView>> LiveService::GetComment(Reader& r, int64_t comment_id) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT room_id, nickname, text, created_at_ms, "
                                        "deleted_at_ms FROM live_comments WHERE id=?",
                                        {comment_id}));
  if (!row) return std::nullopt;
  return CommentView{.room_id = row->Int(0),
                     .facts = CommentFacts(comment_id, row->Str(1), row->Str(2), row->Int(3)),
                     .deleted = !row->IsNull(4)};
}

Result<std::optional<int64_t>> LiveService::RoomOfProductRow(Reader& r, int64_t row_id) {
  ASSIGN_OR_RETURN(auto row,
                   r.QueryOne("SELECT room_id FROM live_room_products WHERE id=?", {row_id}));
  if (!row) return std::nullopt;
  return row->Int(0);
}

Result<Json> LiveService::Results(Reader& r, int64_t merchant_id, int64_t room_id) {
  ASSIGN_OR_RETURN(Room room, GetRoom(r, room_id, merchant_id));
  // What the room's orders brought in, once paid (a cancelled or still unpaid order is not GMV).
  const std::string created(trade::ToString(trade::OrderStatus::kCreated)),
      cancelled(trade::ToString(trade::OrderStatus::kCancelled));
  ASSIGN_OR_RETURN(
      Rows per_sku,
      r.Query("SELECT oi.sku_id, SUM(oi.quantity), SUM(oi.line_fen), count(DISTINCT lo.order_id), "
              "count(DISTINCT lo.buyer_id) FROM live_orders lo JOIN "
              "orders o ON o.id = lo.order_id JOIN order_items oi ON oi.order_id = "
              "lo.order_id WHERE lo.room_id=? AND o.status NOT IN (?, ?) GROUP BY oi.sku_id",
              {room_id, created, cancelled}));
  // Conversion: the buyers with a paid order over the unique viewers (audience.h).
  ASSIGN_OR_RETURN(
      int64_t paid_buyers,
      r.QueryInt("SELECT count(DISTINCT lo.buyer_id) FROM live_orders lo JOIN orders o ON o.id = "
                 "lo.order_id WHERE lo.room_id=? AND o.status NOT IN (?, ?)",
                 {room_id, created, cancelled}));
  ASSIGN_OR_RETURN(int64_t unique_viewers, UniqueViewers(r, room_id));
  ASSIGN_OR_RETURN(
      int64_t buyers,
      r.QueryInt("SELECT count(DISTINCT buyer_id) FROM live_orders WHERE room_id=?", {room_id}));
  ASSIGN_OR_RETURN(int64_t viewers_peak,
                   r.QueryInt("SELECT viewers_peak FROM live_rooms WHERE id=?", {room_id}));
  int64_t gmv = 0;
  Json products = Json::array();
  std::vector<std::pair<int64_t, size_t>> by_gmv;  // (gmv, index in products)
  for (const RoomProduct& p : room.products) {
    int64_t paid_units = 0, paid_fen = 0, paid_orders = 0, product_buyers = 0;
    for (auto& row : per_sku)
      if (row.Int(0) == p.sku_id) {
        paid_units = row.Int(1), paid_fen = row.Int(2);
        paid_orders = row.Int(3), product_buyers = row.Int(4);
      }
    gmv += paid_fen;
    Json j = ToJson(p);
    j["paid_units"] = paid_units;
    j["gmv_fen"] = paid_fen;
    j["paid_orders"] = paid_orders;
    j["buyers"] = product_buyers;
    if (paid_fen > 0) by_gmv.emplace_back(paid_fen, products.size());
    products.push_back(std::move(j));
  }
  // The products that brought the most (GMV, then list order), at most three.
  std::stable_sort(by_gmv.begin(), by_gmv.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  Json top = Json::array();
  for (size_t i = 0; i < by_gmv.size() && i < 3; ++i) {
    const Json& p = products[by_gmv[i].second];
    top.push_back(Json{{"sku_id", p["sku_id"]},
                       {"title", p["title"]},
                       {"paid_units", p["paid_units"]},
                       {"gmv_fen", p["gmv_fen"]}});
  }
  return Json{{"room_id", IdString(room.id)},
              {"status", std::string(ToString(room.status))},
              {"viewers_peak", viewers_peak},
              {"unique_viewers", unique_viewers},
              {"orders", room.orders},
              {"buyers", buyers},
              {"paid_buyers", paid_buyers},
              // basis points, rounded down; 0 before anyone watched
              {"conversion_bp", unique_viewers > 0 ? paid_buyers * 10000 / unique_viewers : 0},
              {"likes", room.likes},
              {"comments", room.comments},
              {"reminders", room.reminders},
              {"gmv_fen", gmv},
              {"started_at", room.started_at_ms ? Json(FormatRfc3339(*room.started_at_ms)) : Json(nullptr)},
              {"ended_at", room.ended_at_ms ? Json(FormatRfc3339(*room.ended_at_ms)) : Json(nullptr)},
              {"top_products", std::move(top)},
              {"products", std::move(products)}};
}

Result<std::vector<std::string>> LiveService::Check(Reader& r) {
  std::vector<std::string> problems;
  const std::string live(ToString(S::kLive));
  ASSIGN_OR_RETURN(
      Rows bad,
      r.Query("SELECT p.room_id, p.sku_id, p.allocated, p.sold, p.returned, r.status FROM "
              "live_room_products p JOIN live_rooms r ON r.id = p.room_id WHERE p.sold < 0 OR "
              "p.returned < 0 OR p.allocated - p.sold - p.returned < 0 OR (r.status <> ? AND "
              "p.allocated - p.sold - p.returned <> 0) LIMIT 10",
              {live}));
  for (auto& row : bad)
    problems.push_back("live room " + IdString(row.Int(0)) + " sku " + IdString(row.Int(1)) +
                       ": allocated=" + std::to_string(row.Int(2)) + " sold=" +
                       std::to_string(row.Int(3)) + " returned=" + std::to_string(row.Int(4)) +
                       " in a room " + row.Str(5) + " (live stock not conserved)");
  ASSIGN_OR_RETURN(
      Rows skus,
      r.Query("SELECT s.id, s.allocated, COALESCE(x.held, 0) FROM skus s LEFT JOIN (SELECT "
              "p.sku_id, SUM(p.allocated - p.sold - p.returned) held FROM live_room_products p "
              "JOIN live_rooms r ON r.id = p.room_id WHERE r.status = ? GROUP BY p.sku_id) x ON "
              "x.sku_id = s.id WHERE s.allocated <> COALESCE(x.held, 0) LIMIT 10",
              {live}));
  for (auto& row : skus)
    problems.push_back("sku " + IdString(row.Int(0)) + ": allocated " + std::to_string(row.Int(1)) +
                       " but live rooms hold " + std::to_string(row.Int(2)));
  ASSIGN_OR_RETURN(
      Rows sold,
      r.Query("SELECT p.room_id, p.sku_id, p.sold, COALESCE(x.q, 0) FROM live_room_products p "
              "LEFT JOIN (SELECT lo.room_id, oi.sku_id, SUM(oi.quantity) q FROM live_orders lo "
              "JOIN orders o ON o.id = lo.order_id JOIN order_items oi ON oi.order_id = "
              "lo.order_id WHERE o.status <> ? GROUP BY lo.room_id, oi.sku_id) x ON x.room_id = "
              "p.room_id AND x.sku_id = p.sku_id WHERE p.sold <> COALESCE(x.q, 0) LIMIT 10",
              {std::string(trade::ToString(trade::OrderStatus::kCancelled))}));
  for (auto& row : sold)
    problems.push_back("live room " + IdString(row.Int(0)) + " sku " + IdString(row.Int(1)) +
                       ": sold " + std::to_string(row.Int(2)) + " but its orders hold " +
                       std::to_string(row.Int(3)));
  // A room's counters equal its rows: its orders, and its anonymous devices (the bound on them,
  // audience.h).
  struct Counter {
    const char* column;
    const char* rows;  // room_id, n
    const char* what;
  };
  for (const Counter& k :
       {Counter{"orders", "SELECT room_id, count(*) n FROM live_orders GROUP BY room_id", "orders"},
        Counter{"device_viewers",
                "SELECT room_id, count(*) n FROM live_room_viewers WHERE user_id = 0 GROUP BY "
                "room_id",
                "device viewers"}}) {
    ASSIGN_OR_RETURN(Rows counts, r.Query(std::string("SELECT r.id, r.") + k.column +
                                          ", COALESCE(x.n, 0) FROM live_rooms r LEFT JOIN (" +
                                          k.rows + ") x ON x.room_id = r.id WHERE r." + k.column +
                                          " <> COALESCE(x.n, 0) LIMIT 10"));
    for (auto& row : counts)
      problems.push_back("live room " + IdString(row.Int(0)) + ": counts " +
                         std::to_string(row.Int(1)) + " " + k.what + " but has " +
                         std::to_string(row.Int(2)));
  }
  // A mute holds in the comment's own transaction: no comment of a muted viewer in the
  // merchant's rooms after the mute.
  ASSIGN_OR_RETURN(
      Rows after_mute,
      r.Query("SELECT c.id, c.room_id, m.id FROM live_comments c JOIN live_mutes m ON "
              "m.merchant_id = c.merchant_id AND m.user_id = c.user_id WHERE c.created_at_ms > "
              "m.created_at_ms LIMIT 10"));
  for (auto& row : after_mute)
    problems.push_back("live comment " + IdString(row.Int(0)) + " in room " +
                       IdString(row.Int(1)) + " was accepted after its author's mute " +
                       IdString(row.Int(2)));
  return problems;
}

}  // namespace xd::live
