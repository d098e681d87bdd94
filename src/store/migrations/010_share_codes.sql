-- Share links are resolved by a short random code, not by their (time-ordered, guessable) id.
ALTER TABLE shares ADD COLUMN code TEXT;
UPDATE shares SET code = lower(hex(randomblob(6))) WHERE code IS NULL;
CREATE UNIQUE INDEX shares_code ON shares(code);
