-- PostgreSQL twin of ../017_sandbox_config.sql (same meaning; docs/scale-out.md).
CREATE TABLE sandbox_config(name TEXT PRIMARY KEY, value TEXT NOT NULL);
