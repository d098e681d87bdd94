-- PostgreSQL twin of ../010_share_codes.sql (same meaning; docs/scale-out.md).
-- Share links are resolved by a short random code, not by their (time-ordered, guessable) id.
ALTER TABLE shares ADD COLUMN code TEXT;
UPDATE shares SET code = substr(replace(gen_random_uuid()::text, '-', ''), 1, 12) WHERE code IS NULL;
CREATE UNIQUE INDEX shares_code ON shares(code);
