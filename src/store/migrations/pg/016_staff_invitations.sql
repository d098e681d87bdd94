-- PostgreSQL twin of ../016_staff_invitations.sql (same meaning; docs/scale-out.md).
CREATE TABLE staff_invitations(
  id BIGINT PRIMARY KEY,
  merchant_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  role TEXT NOT NULL CHECK(role IN ('operator','support')),
  status TEXT NOT NULL CHECK(status IN ('pending','accepted','declined','revoked')),
  invited_by BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  answered_at_ms BIGINT
);
CREATE UNIQUE INDEX staff_invitations_pending ON staff_invitations(merchant_id, user_id) WHERE status='pending';
CREATE INDEX staff_invitations_user ON staff_invitations(user_id, status);
