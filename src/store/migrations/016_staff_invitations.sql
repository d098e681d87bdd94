-- Staff are invited, not added: the invited user accepts (or declines) from their own session
-- before they join a merchant's staff.
CREATE TABLE staff_invitations(
  id INTEGER PRIMARY KEY,
  merchant_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  role TEXT NOT NULL CHECK(role IN ('operator','support')),
  status TEXT NOT NULL CHECK(status IN ('pending','accepted','declined','revoked')),
  invited_by INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  answered_at_ms INTEGER
);
CREATE UNIQUE INDEX staff_invitations_pending ON staff_invitations(merchant_id, user_id) WHERE status='pending';
CREATE INDEX staff_invitations_user ON staff_invitations(user_id, status);
