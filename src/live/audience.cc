// A live room's audience (audience.h): visits recorded once per viewer per room, the room's
// unique viewers, and the viewers' likes as live.like events.
#include "live/audience.h"

#include "base/id.h"
#include "live/events.h"
#include "live/live.h"

namespace xd::live {

namespace {

std::string ViewerKey(const Visitor& v) {
  return v.user_id > 0 ? "u" + IdString(v.user_id) : "d" + v.device_id;
}

}  // namespace

Result<bool> Visited(Reader& r, int64_t room_id, const Visitor& v) {
  ASSIGN_OR_RETURN(auto row, r.QueryOne("SELECT 1 FROM live_room_viewers WHERE room_id=? AND "
                                        "viewer=?",
                                        {room_id, ViewerKey(v)}));
  return row.has_value();
}

Result<bool> RecordVisit(Tx& tx, int64_t room_id, const Visitor& v) {
  if (v.empty()) return false;
  const std::string live(ToString(RoomStatus::kLive));
  ASSIGN_OR_RETURN(auto room, tx.QueryOne("SELECT merchant_id FROM live_rooms WHERE id=? AND "
                                          "status=?",
                                          {room_id, live}));
  if (!room) return false;
  const int64_t merchant_id = room->Int(0);
  const bool device = v.user_id == 0;
  if (device) {
    // A place for one more device first (guarded: exact on both backends), given back below when
    // the device was recorded already.
    ASSIGN_OR_RETURN(int64_t room_for_it,
                     tx.Exec("UPDATE live_rooms SET device_viewers = device_viewers + 1 WHERE id=? "
                             "AND device_viewers < ?",
                             {room_id, kMaxDeviceViewers}));
    if (room_for_it == 0) return false;
  }
  ASSIGN_OR_RETURN(int64_t added,
                   tx.Exec("INSERT INTO live_room_viewers(room_id, viewer, merchant_id, user_id, "
                           "first_at_ms) VALUES(?,?,?,?,?) ON CONFLICT(room_id, viewer) DO NOTHING",
                           {room_id, ViewerKey(v), merchant_id, v.user_id, tx.NowMs()}));
  if (added == 0) {
    if (device)
      RETURN_IF_ERROR(tx.Run(
          "UPDATE live_rooms SET device_viewers = device_viewers - 1 WHERE id=?", {room_id}));
    return false;
  }
  RETURN_IF_ERROR(Emit(tx, Viewed{.room_id = room_id,
                                  .merchant_id = merchant_id,
                                  .user_id = v.user_id,
                                  .device_id = device ? v.device_id : ""}));
  return true;
}

Status EmitLikes(Tx& tx, int64_t room_id, const std::vector<std::pair<int64_t, int64_t>>& taps) {
  if (taps.empty()) return Ok();
  ASSIGN_OR_RETURN(auto room, tx.QueryOne("SELECT merchant_id FROM live_rooms WHERE id=? AND "
                                          "status=?",
                                          {room_id, std::string(ToString(RoomStatus::kLive))}));
  if (!room) return Ok();
  const int64_t merchant_id = room->Int(0);
  int64_t rest = 0;
  for (size_t i = 0; i < taps.size(); ++i) {
    const auto& [user_id, count] = taps[i];
    if (count <= 0) continue;
    if (i >= kMaxLikeEventsPerFlush || user_id <= 0) {
      rest += count;
      continue;
    }
    RETURN_IF_ERROR(Emit(tx, Liked{.room_id = room_id,
                                   .merchant_id = merchant_id,
                                   .user_id = user_id,
                                   .count = count}));
  }
  if (rest > 0)
    RETURN_IF_ERROR(
        Emit(tx, Liked{.room_id = room_id, .merchant_id = merchant_id, .user_id = 0, .count = rest}));
  return Ok();
}

Result<int64_t> UniqueViewers(Reader& r, int64_t room_id) {
  // Buyers as viewer keys ('u' and the decimal id, as ViewerKey writes them): a buyer who was
  // recorded is counted once.
  return r.QueryInt(
      "SELECT count(*) FROM (SELECT viewer FROM live_room_viewers WHERE room_id=? UNION SELECT "
      "'u' || CAST(buyer_id AS TEXT) FROM live_orders WHERE room_id=?) x",
      {room_id, room_id});
}

}  // namespace xd::live
