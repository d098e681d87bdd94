-- Node numbers (issue 13, many nodes): each process that writes ids holds one of 256 numbers,
-- leased here, so that two nodes never mint the same id (base/id.h: the number is 8 bits of
-- every id). `holder` is the process's random token; a lease is renewed by every write batch
-- and may be taken over by another node once `lease_until_ms` has passed. SQLite's single
-- process uses node 0 and never leases; the table exists on both for one schema meaning.
CREATE TABLE node_leases(
  id INTEGER PRIMARY KEY CHECK(id BETWEEN 0 AND 255),
  holder TEXT NOT NULL,
  lease_until_ms INTEGER NOT NULL
);
