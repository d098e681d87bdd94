-- Around every purchase (SPEC §5, issue 15): reviews (评价) of completed order items with the
-- merchant's reply, favourites (收藏) of products and shops, the buyer's browsing history and
-- search history (which also gives the popular searches: decision 021), and customer-service
-- threads (客服) between a buyer and a shop about an order, a product or the shop.
--
-- A review is the shop's (merchant_id, docs/scale-out.md) and names its order item: one per
-- item, a unique index; the buyer's lists are the buyer's (user_id) and bounded per buyer by
-- the code that writes them (history trimmed on insert).
CREATE TABLE reviews(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  order_id INTEGER NOT NULL,
  order_item_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  sku_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  rating INTEGER NOT NULL CHECK(rating BETWEEN 1 AND 5),
  text TEXT NOT NULL DEFAULT '',
  photos TEXT NOT NULL DEFAULT '[]',    -- JSON array of image URLs
  reply TEXT,                           -- the merchant's answer (one)
  replied_at_ms INTEGER,
  created_at_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX reviews_one_per_item ON reviews(merchant_id, order_item_id);
CREATE INDEX reviews_product ON reviews(product_id, id);
CREATE INDEX reviews_merchant ON reviews(merchant_id, id);

CREATE TABLE favorite_products(
  user_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY(user_id, product_id)
);
CREATE INDEX favorite_products_recent ON favorite_products(user_id, created_at_ms);

CREATE TABLE favorite_shops(
  user_id INTEGER NOT NULL,
  merchant_id INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY(user_id, merchant_id)
);
CREATE INDEX favorite_shops_recent ON favorite_shops(user_id, created_at_ms);

-- The products a buyer opened, the latest view per product.
CREATE TABLE browsing_history(
  user_id INTEGER NOT NULL,
  product_id INTEGER NOT NULL,
  viewed_at_ms INTEGER NOT NULL,
  PRIMARY KEY(user_id, product_id)
);
CREATE INDEX browsing_history_recent ON browsing_history(user_id, viewed_at_ms);

-- What a buyer searched for, the latest time per text. Popular searches count distinct buyers
-- per text over recent days (decision 021).
CREATE TABLE search_history(
  user_id INTEGER NOT NULL,
  q TEXT NOT NULL,
  searched_at_ms INTEGER NOT NULL,
  PRIMARY KEY(user_id, q)
);
CREATE INDEX search_history_recent ON search_history(user_id, searched_at_ms);
CREATE INDEX search_history_when ON search_history(searched_at_ms);

-- 客服: one thread per (shop, buyer, subject) — subject 'order:<id>', 'product:<id>' or '' (the
-- shop in general); each side's unread count is kept on the thread, set by the message that
-- raises it and cleared by the side reading it.
CREATE TABLE cs_threads(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  subject TEXT NOT NULL,
  order_id INTEGER,
  product_id INTEGER,
  buyer_unread INTEGER NOT NULL DEFAULT 0 CHECK(buyer_unread >= 0),
  merchant_unread INTEGER NOT NULL DEFAULT 0 CHECK(merchant_unread >= 0),
  messages INTEGER NOT NULL DEFAULT 0 CHECK(messages >= 0),
  last_text TEXT NOT NULL DEFAULT '',
  last_at_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX cs_threads_one ON cs_threads(merchant_id, user_id, subject);
CREATE INDEX cs_threads_merchant ON cs_threads(merchant_id, last_at_ms);
CREATE INDEX cs_threads_user ON cs_threads(user_id, last_at_ms);

CREATE TABLE cs_messages(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  sender TEXT NOT NULL CHECK(sender IN ('buyer','merchant')),
  sender_id INTEGER NOT NULL,            -- the buyer, or the staff member who answered
  text TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX cs_messages_thread ON cs_messages(thread_id, id);
