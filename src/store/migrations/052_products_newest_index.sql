-- 052 (issue 20, session 14): the newest products on sale (the feed's cold-start candidates,
-- `ORDER BY p.id DESC LIMIT 200` over products on sale) read from an index in id order and stop
-- after 200, instead of sorting every product on sale (~39,000 at 10,000 merchants, ~40 ms of
-- CPU per shared-snapshot refresh; decision 036).
CREATE INDEX products_status_id ON products(status, id);
