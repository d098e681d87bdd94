-- 054 (issue 19, decision 038): a live room's traffic per China-time day, projected from the
-- log's live.view (a viewer's first visit of the room), live.like (a viewer's taps over one hub
-- flush: data.count) and live.comment rows, for the merchant's per-room breakdown beside the
-- room's paid orders. room_id is the log row's data.room_id (a decimal string).
CREATE TABLE merchant_room_days(
  merchant_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  room_id INTEGER NOT NULL,
  views INTEGER NOT NULL DEFAULT 0,
  likes INTEGER NOT NULL DEFAULT 0,
  comments INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(merchant_id, day, room_id)
);
-- The rooms' rows already logged and projected (the projection applies only rows after its
-- cursor; later rows are the projection's).
INSERT INTO merchant_room_days(merchant_id, day, room_id, views, likes, comments)
SELECT merchant_id, CAST(strftime('%Y%m%d', (occurred_at_ms + 28800000) / 1000, 'unixepoch') AS INTEGER) AS d,
       CAST(json_extract(data, '$.room_id') AS INTEGER) AS room,
       SUM(type = 'live.view'),
       SUM(CASE WHEN type = 'live.like' THEN COALESCE(json_extract(data, '$.count'), 0) ELSE 0 END),
       SUM(type = 'live.comment')
FROM log
WHERE type IN ('live.view', 'live.like', 'live.comment') AND merchant_id > 0
  AND id <= (SELECT COALESCE(MAX(log_id), 0) FROM cursors WHERE name = 'projections')
  AND CAST(json_extract(data, '$.room_id') AS INTEGER) > 0
GROUP BY merchant_id, d, room;
