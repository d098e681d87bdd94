-- 051 (issue 13, Citus-ready schema; session 14): a tag push's fixed audience carries its shop's
-- id like every other child of member_pushes, so it can be distributed by merchant_id and lands
-- on its push's shard (docs/scale-out.md; `xiaodian check` colocation_ok holds it to the push).
ALTER TABLE member_push_targets ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE member_push_targets SET merchant_id = (SELECT p.merchant_id FROM member_pushes p WHERE p.id = member_push_targets.push_id);
