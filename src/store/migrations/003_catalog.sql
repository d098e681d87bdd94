-- Catalog and inventory. Stock conservation: stock_in = stock + reserved + sold (sold is net of returns).
CREATE TABLE products(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT '',
  attributes TEXT NOT NULL DEFAULT '{}',
  images TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL CHECK(status IN ('draft','on_sale','off_sale')),
  taken_down INTEGER NOT NULL DEFAULT 0,
  min_price_fen INTEGER NOT NULL DEFAULT 0,
  sales INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE INDEX products_merchant ON products(merchant_id, id);
CREATE INDEX products_public_sales ON products(status, sales DESC, id);
CREATE INDEX products_public_price ON products(status, min_price_fen, id);
CREATE TABLE skus(
  id INTEGER PRIMARY KEY,
  product_id INTEGER NOT NULL,
  merchant_id INTEGER NOT NULL,
  spec TEXT NOT NULL DEFAULT '{}',
  price_fen INTEGER NOT NULL CHECK(price_fen > 0),
  stock INTEGER NOT NULL CHECK(stock >= 0),
  reserved INTEGER NOT NULL DEFAULT 0 CHECK(reserved >= 0),
  sold INTEGER NOT NULL DEFAULT 0 CHECK(sold >= 0),
  returned INTEGER NOT NULL DEFAULT 0,
  stock_in INTEGER NOT NULL,
  code TEXT NOT NULL DEFAULT ''
);
CREATE INDEX skus_product ON skus(product_id);
-- Full text over title, category and attributes; trigram tokenizer handles Chinese.
CREATE VIRTUAL TABLE products_fts USING fts5(title, body, tokenize='trigram');
