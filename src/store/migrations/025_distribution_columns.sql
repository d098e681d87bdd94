-- Citus-ready schema (issue 13; docs/scale-out.md, "Citus: distribution columns"): every row a
-- shop owns carries its merchant's id, and every share open its sharer's, so that each table
-- can be distributed by that column and a child lands on its parent's shard. The domain code
-- writes the column with every row; existing rows take it from their parent here; `xiaodian
-- check` reports any row whose column differs from its parent's (store/colocation.h).
--
-- NOT NULL DEFAULT 0 on both backends (SQLite's ADD COLUMN needs the default): a row whose
-- parent is gone keeps 0. The primary keys stay as they are (`id`): a composite
-- `(merchant_id, id)` key changes every lookup and is left as design (docs/scale-out.md).
ALTER TABLE order_items ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE order_items SET merchant_id = o.merchant_id FROM orders o WHERE o.id = order_items.order_id;
ALTER TABLE tracking_events ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE tracking_events SET merchant_id = s.merchant_id FROM shipments s WHERE s.id = tracking_events.shipment_id;
ALTER TABLE refunds ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE refunds SET merchant_id = p.merchant_id FROM payments p WHERE p.id = refunds.payment_id;
ALTER TABLE aftersale_items ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE aftersale_items SET merchant_id = a.merchant_id FROM aftersales a WHERE a.id = aftersale_items.aftersale_id;
ALTER TABLE promo_groups ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE promo_groups SET merchant_id = a.merchant_id FROM activities a WHERE a.id = promo_groups.activity_id;
ALTER TABLE activity_orders ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE activity_orders SET merchant_id = a.merchant_id FROM activities a WHERE a.id = activity_orders.activity_id;
ALTER TABLE bargains ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE bargains SET merchant_id = a.merchant_id FROM activities a WHERE a.id = bargains.activity_id;
ALTER TABLE bargain_helps ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE bargain_helps SET merchant_id = b.merchant_id FROM bargains b WHERE b.id = bargain_helps.bargain_id;
ALTER TABLE order_commissions ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE order_commissions SET merchant_id = o.merchant_id FROM orders o WHERE o.id = order_commissions.order_id;
ALTER TABLE gifts ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE gifts SET merchant_id = o.merchant_id FROM orders o WHERE o.id = gifts.order_id;
ALTER TABLE chat_group_orders ADD COLUMN merchant_id INTEGER NOT NULL DEFAULT 0;
UPDATE chat_group_orders SET merchant_id = o.merchant_id FROM orders o WHERE o.id = chat_group_orders.order_id;
-- Buyer group: a share's opens live with the share, on its sharer's shard.
ALTER TABLE share_opens ADD COLUMN sharer_id INTEGER NOT NULL DEFAULT 0;
UPDATE share_opens SET sharer_id = s.sharer_id FROM shares s WHERE s.id = share_opens.share_id;
--
-- Citus requires every unique index of a distributed table to include its distribution column.
-- These three are keyed by something that belongs to one merchant (an order, a group, an
-- activity), so adding the column last changes neither what they refuse nor the lookups that
-- use their leading columns.
DROP INDEX payments_one_success;
CREATE UNIQUE INDEX payments_one_success ON payments(order_id, merchant_id) WHERE status = 'succeeded';
DROP INDEX activity_orders_one_seat;
CREATE UNIQUE INDEX activity_orders_one_seat ON activity_orders(group_id, buyer_id, merchant_id)
  WHERE group_id IS NOT NULL AND state <> 'cancelled';
DROP INDEX bargains_one_active;
CREATE UNIQUE INDEX bargains_one_active ON bargains(activity_id, user_id, merchant_id) WHERE status = 'active';
