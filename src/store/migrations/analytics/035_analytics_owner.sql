-- Which trading store this analytics file belongs to (insight/owner.h): a digest of that store's
-- own random secret. Opened beside another trading store (a recreated PostgreSQL schema, a copied
-- file), the log's keys ('o:<seq>') would collide with the new store's events and drop them.
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
