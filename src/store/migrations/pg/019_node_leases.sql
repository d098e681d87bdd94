-- PostgreSQL twin of ../019_node_leases.sql (same meaning; docs/scale-out.md).
CREATE TABLE node_leases(
  id BIGINT PRIMARY KEY CHECK(id BETWEEN 0 AND 255),
  holder TEXT NOT NULL,
  lease_until_ms BIGINT NOT NULL
);
