-- Live room moderation and figures (issue 18, session 12): the host or staff deletes a comment
-- (kept for the record, hidden from the stream and the replay) and mutes its author in the
-- shop's rooms (their comments are refused until unmuted); a blocked-word list per merchant
-- (a comment containing one is refused); the peak of viewers a node saw in the room.
--
-- Distribution columns (docs/scale-out.md, Citus): every table carries merchant_id.

-- Stream hubs hear of new room orders by their row (Store::WatchRows names a row by its `id`):
-- the order's id under that name.
ALTER TABLE live_orders ADD COLUMN id INTEGER GENERATED ALWAYS AS (order_id) VIRTUAL;
ALTER TABLE live_comments ADD COLUMN deleted_at_ms INTEGER;
-- The most viewers one node counted at once (nodes write their own counts; the highest stays).
ALTER TABLE live_rooms ADD COLUMN viewers_peak INTEGER NOT NULL DEFAULT 0;

-- A viewer muted in the merchant's rooms (from a comment in `room_id`), until deleted.
CREATE TABLE live_mutes(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  room_id INTEGER NOT NULL,
  comment_id INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX live_mutes_once ON live_mutes(merchant_id, user_id);

-- Words a merchant does not allow in its rooms' comments (matched as substrings, ASCII letters
-- without case).
CREATE TABLE live_blocked_words(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  word TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX live_blocked_words_once ON live_blocked_words(merchant_id, word);
