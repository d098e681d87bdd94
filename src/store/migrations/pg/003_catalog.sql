-- PostgreSQL twin of ../003_catalog.sql (same meaning; docs/scale-out.md).
-- Catalog and inventory. Stock conservation: stock_in = stock + reserved + sold (sold is net of returns).
CREATE TABLE products(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT '',
  attributes TEXT NOT NULL DEFAULT '{}',
  images TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL CHECK(status IN ('draft','on_sale','off_sale')),
  taken_down BIGINT NOT NULL DEFAULT 0,
  min_price_fen BIGINT NOT NULL DEFAULT 0,
  sales BIGINT NOT NULL DEFAULT 0,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX products_merchant ON products(merchant_id, id);
CREATE INDEX products_public_sales ON products(status, sales DESC, id);
CREATE INDEX products_public_price ON products(status, min_price_fen, id);
CREATE TABLE skus(
  id BIGINT PRIMARY KEY,
  product_id BIGINT NOT NULL,
  merchant_id BIGINT NOT NULL,
  spec TEXT NOT NULL DEFAULT '{}',
  price_fen BIGINT NOT NULL CHECK(price_fen > 0),
  stock BIGINT NOT NULL CHECK(stock >= 0),
  reserved BIGINT NOT NULL DEFAULT 0 CHECK(reserved >= 0),
  sold BIGINT NOT NULL DEFAULT 0 CHECK(sold >= 0),
  returned BIGINT NOT NULL DEFAULT 0,
  stock_in BIGINT NOT NULL,
  code TEXT NOT NULL DEFAULT ''
);
CREATE INDEX skus_product ON skus(product_id);
-- Full text over title, category and attributes: pg_trgm's GIN indexes serve ILIKE '%q%'
-- (three characters and up) and rank by similarity() (store/dialect.h, MatchText). The
-- extension is created by whoever creates the database (it needs a superuser or a trusted
-- extension; pg_trgm is trusted since PostgreSQL 13), so it is only checked here.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE products_fts(
  product_id BIGINT PRIMARY KEY,
  title TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX products_fts_title ON products_fts USING gin (title gin_trgm_ops);
CREATE INDEX products_fts_body ON products_fts USING gin (body gin_trgm_ops);
