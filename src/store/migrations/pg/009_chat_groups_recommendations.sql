-- PostgreSQL twin of ../009_chat_groups_recommendations.sql (same meaning; docs/scale-out.md).
-- Chat-group links (群接龙): a share link posted into a chat group carries the group's key;
-- opens and orders through it are counted per group. Friends' recommendations (朋友圈推荐).
ALTER TABLE shares ADD COLUMN chat_group TEXT;
ALTER TABLE share_touches ADD COLUMN chat_group TEXT;
CREATE INDEX shares_chat_group ON shares(chat_group) WHERE chat_group IS NOT NULL;
-- One row per order placed through a chat group's link (the buyer's last touch).
CREATE TABLE chat_group_orders(
  order_id BIGINT PRIMARY KEY,
  chat_group TEXT NOT NULL,
  buyer_id BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX chat_group_orders_group ON chat_group_orders(chat_group, created_at_ms);
CREATE TABLE recommendations(
  id BIGINT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  text TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  UNIQUE(user_id, product_id)
);
CREATE INDEX recommendations_user ON recommendations(user_id, created_at_ms);
