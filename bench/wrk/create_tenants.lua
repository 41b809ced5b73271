-- POST /tenants with a fresh id per request: PREFIX-2, PREFIX-3, ... (wrk
-- calls request() once more at start-up, which takes PREFIX-1).
-- Prints how many were created (201). Use with -t1 (ids are per thread).
local prefix = os.getenv("PREFIX") or "t"
local token = os.getenv("ADMIN_TOKEN")
local sent = 0

request = function()
  sent = sent + 1
  local id = prefix .. "-" .. sent
  return wrk.format("POST", "/tenants", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, '{"id":"' .. id .. '","name":"Tenant ' .. id .. '","welcome":"Hi from ' .. id .. '."}')
end

done = function(summary, latency, requests)
  io.write(string.format("CREATED %d p99_ms=%.3f\n",
    summary.requests - summary.errors.status, latency:percentile(99) / 1000))
end
