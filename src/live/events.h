// The live module's outbox events (architecture decision 4): a room's steps with the room as the
// step left it (created, live — with how many reminders are due, the notification path's cue —,
// pinned, unpinned, ended — the room as it ended: its reminder, order, like and comment counters
// and per product the units allocated, sold and left, not the results of GET …/results (viewers,
// buyers, GMV, conversion), which the data platform counts from the events —, cancelled), for the
// data platform's room results and webhooks; and the viewers' interactions the data platform counts per room (issue 19):
// live.view (a viewer's first visit of the room), live.like (one viewer's taps over one of a
// node's flushes: a count, never one event per tap), live.comment. Those three are not webhooks.
#pragma once

#include <string>

#include "base/id.h"
#include "base/json.h"
#include "live/live.h"
#include "store/store.h"

namespace xd::live {

// "live.room_<step>": created | live | pinned | unpinned | ended | cancelled | product_saved.
struct RoomChanged {
  static constexpr int kSchemaVersion = 1;
  std::string step;
  Room room;
  Json extra = Json::object();  // live: {"reminders_due": n}
  EventHead Head() const {
    return {"live.room_" + step, kSchemaVersion, room.id, room.merchant_id};
  }
  Json Payload() const {
    Json j{{"room", ToJson(room)}};
    j.update(extra);
    return j;
  }
};

// "live.view": a viewer opened the live room for the first time (audience.h RecordVisit): a
// signed-in user (user_id) or an anonymous device (device_id). One per viewer per room.
struct Viewed {
  static constexpr int kSchemaVersion = 1;
  int64_t room_id = 0, merchant_id = 0, user_id = 0;
  std::string device_id;
  EventHead Head() const { return {"live.view", kSchemaVersion, room_id, merchant_id}; }
  Json Payload() const {
    return Json{{"room_id", IdString(room_id)},
                {"user_id", IdString(user_id)},
                {"device_id", device_id}};
  }
};

// "live.like": `count` taps of one viewer (user_id; 0 for the taps beyond a flush's bound of
// viewers, summed) written by one node's flush.
struct Liked {
  static constexpr int kSchemaVersion = 1;
  int64_t room_id = 0, merchant_id = 0, user_id = 0, count = 0;
  EventHead Head() const { return {"live.like", kSchemaVersion, room_id, merchant_id}; }
  Json Payload() const {
    return Json{{"room_id", IdString(room_id)}, {"user_id", IdString(user_id)}, {"count", count}};
  }
};

// "live.comment": a viewer's comment, accepted and stored (its text stays in live_comments).
struct Commented {
  static constexpr int kSchemaVersion = 1;
  int64_t room_id = 0, merchant_id = 0, user_id = 0, comment_id = 0;
  EventHead Head() const { return {"live.comment", kSchemaVersion, room_id, merchant_id}; }
  Json Payload() const {
    return Json{{"room_id", IdString(room_id)},
                {"user_id", IdString(user_id)},
                {"comment_id", IdString(comment_id)}};
  }
};

}  // namespace xd::live
