-- Share links that attribute (issue 14). A share names its target — a product, an activity, a
-- group buy's group, a bargain or a whole shop — and the channel it was made for; the same
-- (sharer, target, channel, chat group) is one link, whoever asks again (shares_tuple; Citus
-- wants the sharer, the distribution column, in it, and it leads). Links made before 026 keep
-- chat_key NULL, so they never collide with each other or with a new one (NULLs are distinct in
-- a unique index on both backends). merchant_id is the target's shop, so a shop's chat-group
-- stats find its shop links too (a shop link has no product: product_id 0).
ALTER TABLE shares ADD COLUMN target_kind TEXT NOT NULL DEFAULT 'product';
ALTER TABLE shares ADD COLUMN target_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shares ADD COLUMN channel TEXT NOT NULL DEFAULT 'link';
ALTER TABLE shares ADD COLUMN chat_key TEXT;
ALTER TABLE shares ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE shares SET target_kind = CASE WHEN activity_id IS NULL THEN 'product' ELSE 'activity' END,
  target_id = COALESCE(activity_id, product_id);
UPDATE shares SET merchant_id = p.merchant_id FROM products p WHERE p.id = shares.product_id;
CREATE UNIQUE INDEX shares_tuple ON shares(sharer_id, target_kind, target_id, channel, chat_key);
-- The open a new account made as it registered through the link (its first touch).
ALTER TABLE share_opens ADD COLUMN via_signup INTEGER NOT NULL DEFAULT 0;
-- A shop link's last touch: one row per (buyer, shop), as share_touches is per (buyer,
-- product); an order line takes the later of its product's touch and its shop's. Buyer group
-- (distribution column buyer_id), beside share_touches.
CREATE TABLE share_shop_touches(
  buyer_id INTEGER NOT NULL,
  merchant_id INTEGER NOT NULL,
  share_id INTEGER NOT NULL,
  sharer_id INTEGER NOT NULL,
  chat_group TEXT,
  touched_at_ms INTEGER NOT NULL,
  PRIMARY KEY(buyer_id, merchant_id)
);
