-- Senders on many nodes (issue 13): a sender claims a due delivery before it POSTs it, by
-- setting `claimed_by` (its OpenService's random holder token) and `lease_until_ms`; another
-- node skips a delivery whose lease has not passed. The outcome is recorded only under the same
-- claim, which it clears. A node that dies mid-send leaves a lease that runs out: the delivery
-- is claimed and sent again (at least once). Both NULL when nobody holds the delivery.
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN lease_until_ms INTEGER;
