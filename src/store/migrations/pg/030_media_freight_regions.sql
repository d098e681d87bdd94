-- PostgreSQL twin of ../030_media_freight_regions.sql (same meaning; docs/scale-out.md).
-- Uploaded photos (issue 14, decision 020) and the shop's banner.
--
-- `media` is one row per distinct upload, keyed by the SHA-256 of its bytes (the content
-- address; its files are "<sha256>-<l|m|s>.jpg"). It is the platform's, not a merchant's: the
-- same photo uploaded by two shops is stored once. `merchant_media` says which shop uploaded
-- what (distributed by merchant_id; the quota counts it). `media_blobs` holds the files' bytes
-- when the media store is the database (the PostgreSQL default: every node serves every photo).
CREATE TABLE media(
  sha256 TEXT PRIMARY KEY,
  format TEXT NOT NULL CHECK(format IN ('jpeg','png','webp')),
  width BIGINT NOT NULL CHECK(width > 0),
  height BIGINT NOT NULL CHECK(height > 0),
  bytes BIGINT NOT NULL CHECK(bytes > 0),
  created_at_ms BIGINT NOT NULL
);
CREATE TABLE merchant_media(
  merchant_id BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  uploaded_by BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY(merchant_id, sha256)
);
CREATE TABLE media_blobs(
  name TEXT PRIMARY KEY,  -- "<sha256>-<size>.jpg"
  data BYTEA NOT NULL
);
ALTER TABLE merchants ADD COLUMN banner TEXT NOT NULL DEFAULT '';

-- Freight templates (运费模板, SPEC §4, issue 14): a merchant's shipping rules, per region
-- (province/city/district codes of GB/T 2260, the region picker's data set), by units or by
-- weight, with free-shipping thresholds and regions not delivered to. `rules` is JSON:
-- [{regions:[codes] (empty: everywhere else), first_units, first_fen, additional_units,
-- additional_fen, free_over_fen?}]; `undeliverable` a JSON list of codes. At most one template
-- per merchant is its default (products without a template of their own use it; with none,
-- the platform's rule: ¥8, free from ¥99). Money in fen, weight in grams.
CREATE TABLE freight_templates(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  mode TEXT NOT NULL CHECK(mode IN ('unit','weight')),
  rules TEXT NOT NULL,
  free_over_fen BIGINT CHECK(free_over_fen IS NULL OR free_over_fen >= 0),
  undeliverable TEXT NOT NULL DEFAULT '[]',
  is_default BIGINT NOT NULL DEFAULT 0 CHECK(is_default IN (0,1)),
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX freight_templates_merchant ON freight_templates(merchant_id, id);
ALTER TABLE products ADD COLUMN freight_template_id BIGINT;
ALTER TABLE skus ADD COLUMN weight_g BIGINT NOT NULL DEFAULT 0 CHECK(weight_g >= 0);

-- Addresses name their region by codes (issue 15's picker: province, city, district) beside
-- the names in `region`; '' for addresses saved before codes existed.
ALTER TABLE addresses ADD COLUMN province_code TEXT NOT NULL DEFAULT '';
ALTER TABLE addresses ADD COLUMN city_code TEXT NOT NULL DEFAULT '';
ALTER TABLE addresses ADD COLUMN district_code TEXT NOT NULL DEFAULT '';
