-- wrk script: POST /orders with a valid order and a unique Idempotency-Key per request
-- (thread number + counter), so every request is a new accepted order.
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

local counter = 0
local body = '{"customer_id":"cust-bench","lines":[{"sku":"sku-001","quantity":1}],' ..
  '"payment":{"method":"card","token":"tok_ok"},' ..
  '"shipping_address":{"name":"Ada Lovelace","line1":"1 Main St","city":"Berlin",' ..
  '"postal_code":"10115","country":"DE"}}'
local run = tostring(os.time())

function request()
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bench-" .. run .. "-" .. tostring(thread_id) .. "-" .. tostring(counter),
  }
  return wrk.format("POST", "/orders", headers, body)
end
