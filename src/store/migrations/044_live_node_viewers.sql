-- Each node's count of a live room's stream viewers (issue 18, session 13). Every node's live
-- hub writes its own count with its counts round; the room's viewer count is the sum of the
-- counts written in the last few seconds (a node that stopped writing — gone, or its last
-- viewer left — stops counting), so a viewer on any node sees every node's viewers, and the
-- room's peak is the peak of that sum, not of one node's count. Rows go when the room ends.
--
-- Distribution columns (docs/scale-out.md, Citus): every table carries merchant_id.
CREATE TABLE live_room_node_viewers(
  room_id INTEGER NOT NULL,
  node INTEGER NOT NULL,
  merchant_id INTEGER NOT NULL,
  viewers INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY(room_id, node)
);
