-- wrk script for bench/analytics.sh: POST /api/v1/events, batches of 100 view events with ids
-- unique per thread and request (so every event is new, none deduplicated), on one product.
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
local n = 0
local product = "%%PRODUCT%%"  -- bench/analytics.sh substitutes a product id
-- bench/analytics.sh substitutes a pause per connection between batches (ms; 0: as fast as it can),
-- to post at a given rate beside the checkout.
local pause = %%PAUSE_MS%%
if pause > 0 then
  function delay() return pause end
end
function request()
  n = n + 1
  local ev = {}
  for i = 1, 100 do
    ev[i] = string.format('{"id":"t%d-%d-%d","type":"view","product_id":"%s"}', tid, n, i, product)
  end
  local body = '{"device_id":"bench' .. tid .. '","events":[' .. table.concat(ev, ",") .. ']}'
  return wrk.format("POST", "/api/v1/events", {["Content-Type"] = "application/json"}, body)
end
