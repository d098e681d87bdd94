// The live module's outbox events (architecture decision 4): a room's steps with the room as the
// step left it (created, live — with how many reminders are due, the notification path's cue —,
// pinned, unpinned, ended with its results, cancelled), for the data platform's room results
// and webhooks.
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

}  // namespace xd::live
