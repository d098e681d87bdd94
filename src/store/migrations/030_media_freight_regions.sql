-- Uploaded photos (issue 14, decision 020) and the shop's banner.
--
-- `media` is one row per distinct upload, keyed by the SHA-256 of its bytes (the content
-- address; its files are "<sha256>-<l|m|s>.jpg"). It is the platform's, not a merchant's: the
-- same photo uploaded by two shops is stored once. `merchant_media` says which shop uploaded
-- what (distributed by merchant_id; the quota counts it). `media_blobs` holds the files' bytes
-- when the media store is the database (the PostgreSQL default: every node serves every photo);
-- with the disk store (the SQLite default) the files are beside the database and it stays empty.
CREATE TABLE media(
  sha256 TEXT PRIMARY KEY,
  format TEXT NOT NULL CHECK(format IN ('jpeg','png','webp')),  -- the upload's, from its magic bytes
  width INTEGER NOT NULL CHECK(width > 0),                      -- the upload's, from its header
  height INTEGER NOT NULL CHECK(height > 0),
  bytes INTEGER NOT NULL CHECK(bytes > 0),
  created_at_ms INTEGER NOT NULL
);
CREATE TABLE merchant_media(
  merchant_id INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  uploaded_by INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY(merchant_id, sha256)
);
CREATE TABLE media_blobs(
  name TEXT PRIMARY KEY,  -- "<sha256>-<size>.jpg"
  data BLOB NOT NULL      -- SQLite: base64 text (the store binds text); PostgreSQL: BYTEA
);
-- The shop page's banner: an image URL (an uploaded photo's), '' for none.
ALTER TABLE merchants ADD COLUMN banner TEXT NOT NULL DEFAULT '';

-- Freight templates (运费模板, SPEC §4, issue 14): a merchant's shipping rules, per region
-- (province/city/district codes of GB/T 2260, the region picker's data set), by units or by
-- weight, with free-shipping thresholds and regions not delivered to. `rules` is JSON:
-- [{regions:[codes] (empty: everywhere else), first_units, first_fen, additional_units,
-- additional_fen, free_over_fen?}]; `undeliverable` a JSON list of codes. At most one template
-- per merchant is its default (products without a template of their own use it; with none,
-- the platform's rule: ¥8, free from ¥99). Money in fen, weight in grams.
CREATE TABLE freight_templates(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  mode TEXT NOT NULL CHECK(mode IN ('unit','weight')),
  rules TEXT NOT NULL,
  free_over_fen INTEGER CHECK(free_over_fen IS NULL OR free_over_fen >= 0),
  undeliverable TEXT NOT NULL DEFAULT '[]',
  is_default INTEGER NOT NULL DEFAULT 0 CHECK(is_default IN (0,1)),
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE INDEX freight_templates_merchant ON freight_templates(merchant_id, id);
ALTER TABLE products ADD COLUMN freight_template_id INTEGER;
ALTER TABLE skus ADD COLUMN weight_g INTEGER NOT NULL DEFAULT 0 CHECK(weight_g >= 0);

-- Addresses name their region by codes (issue 15's picker: province, city, district) beside
-- the names in `region`; '' for addresses saved before codes existed.
ALTER TABLE addresses ADD COLUMN province_code TEXT NOT NULL DEFAULT '';
ALTER TABLE addresses ADD COLUMN city_code TEXT NOT NULL DEFAULT '';
ALTER TABLE addresses ADD COLUMN district_code TEXT NOT NULL DEFAULT '';
