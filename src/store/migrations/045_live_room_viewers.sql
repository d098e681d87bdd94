-- Who watched a live room (issue 18 room results: unique viewers and conversion; session 14).
-- One row per viewer per room, written the first time a signed-in viewer (or an anonymous
-- device the shop names) opens the live room's page: idempotent and bounded by the viewers, not
-- by their visits. `viewer` is 'u<user id>' or 'd<device id>'; user_id is 0 for a device. The
-- room's unique viewers are its rows together with its buyers (a buyer watched it); a device
-- that signs in later counts once more as the user (an upper bound, said in the results' doc).
-- device_viewers counts a room's device rows so that anonymous ids cannot grow it without bound
-- (live::kMaxDeviceViewers, live/audience.h).
--
-- Distribution columns (docs/scale-out.md, Citus): every table carries merchant_id.
CREATE TABLE live_room_viewers(
  room_id INTEGER NOT NULL,
  viewer TEXT NOT NULL,
  merchant_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  first_at_ms INTEGER NOT NULL,
  PRIMARY KEY(room_id, viewer)
);
ALTER TABLE live_rooms ADD COLUMN device_viewers INTEGER NOT NULL DEFAULT 0;
