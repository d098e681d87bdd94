-- PostgreSQL twin of ../035_campaign_orders_counted_timers_by_payload.sql (same meaning).
-- 035 (decision 026): two changes for PostgreSQL under load, the same on both backends.
--
-- A community campaign's `orders` counter goes. Every community checkout added 1 to it, so
-- every checkout of a campaign queued on the campaign's row to its commit; a burst of buyers
-- answered 503 on PostgreSQL once the writers' lock timeout had run out five times. The count
-- is read from community_orders (one row per order placed, kept when the order is cancelled,
-- as the counter counted), through community_orders_campaign.
ALTER TABLE community_campaigns DROP COLUMN orders;

-- A shipped community order's auto-confirm timer is found by its payload ({"order_id":N}) when
-- its batch ships (community: orders complete at pickup). timers had no index but due_at_ms,
-- so each lookup read every pending timer. Partial, for that kind only: its payloads are short,
-- and other kinds' payloads are never looked up (nor bounded in size for a B-tree entry).
CREATE INDEX timers_auto_confirm_payload ON timers(payload) WHERE kind = 'trade.auto_confirm';
