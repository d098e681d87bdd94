// A live room's audience (issue 18 room results: unique viewers and conversion; decision 034):
// who watched, recorded in the store (so every node's viewers count, on both backends), and the
// viewers' likes as data-platform events.
//
// A visit is recorded the first time a viewer opens a live room's page (GET /live/rooms/{id}): a
// signed-in user, or an anonymous device the shop names (?device=). One row per viewer per room
// (live_room_viewers, migration 045): a second visit writes nothing, and the room page reads
// first (Visited) so that only a first visit is a write. A room takes at most kMaxDeviceViewers
// anonymous devices (ids are free to invent; users are not). The first visit emits live.view.
//
// The room's unique viewers are its recorded viewers together with its buyers (whoever ordered in
// the room watched it, even through a client that never opened the page); conversion is the
// buyers with a paid order over the unique viewers. A device that later signs in counts once more
// as its user: unique viewers are an upper bound by that much.
//
//   if (!*Visited(reader, room_id, v)) store.Execute([&](Tx& tx) { return RecordVisit(tx, ...); });
//
// Thread-safety: free functions over the caller's Tx/Reader.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/store.h"

namespace xd::live {

// Anonymous devices one room records at most (users are bounded by accounts).
inline constexpr int64_t kMaxDeviceViewers = 100'000;
// Viewers whose likes one flush names in their own live.like event; the rest are summed in one.
inline constexpr size_t kMaxLikeEventsPerFlush = 1000;

// A viewer: a signed-in user (user_id > 0) or else an anonymous device (device_id, 1–64 of
// [A-Za-z0-9_-], checked by the caller).
struct Visitor {
  int64_t user_id = 0;
  std::string device_id;
  bool empty() const { return user_id == 0 && device_id.empty(); }
};

// Whether the visitor's visit of the room is recorded.
Result<bool> Visited(Reader& r, int64_t room_id, const Visitor& v);
// Records the visitor's first visit of a live room (anything else: nothing written) and emits
// live.view; true when this call recorded it. Idempotent.
Result<bool> RecordVisit(Tx& tx, int64_t room_id, const Visitor& v);
// live.like events for one flush of a node's taps in a live room: (user id, taps) per viewer
// (nothing for a room that is not live). The room's like count is LiveService::AddLikes's.
Status EmitLikes(Tx& tx, int64_t room_id, const std::vector<std::pair<int64_t, int64_t>>& taps);
// The room's unique viewers (recorded viewers and buyers, see above).
Result<int64_t> UniqueViewers(Reader& r, int64_t room_id);

}  // namespace xd::live
