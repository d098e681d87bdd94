-- The sandbox provider's settings, kept with the store: its notification signing secret is
-- generated at random on first start when none is configured, and survives restarts.
CREATE TABLE sandbox_config(name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
