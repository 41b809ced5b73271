-- POST /tenants with a fresh id per request (PREFIX-1, PREFIX-2, ...), until
-- COUNT tenants were created (201); then the thread stops. Use with -t1.
local prefix = os.getenv("PREFIX") or "t"
local count = tonumber(os.getenv("COUNT") or "10000")
local token = os.getenv("ADMIN_TOKEN")
local sent, created = 0, 0

request = function()
  sent = sent + 1
  local id = prefix .. "-" .. sent
  return wrk.format("POST", "/tenants", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, '{"id":"' .. id .. '","name":"Tenant ' .. id .. '","welcome":"Hi from ' .. id .. '."}')
end

response = function(status, headers, body)
  if status == 201 then
    created = created + 1
    if created >= count then
      wrk.thread:stop()
    end
  end
end

done = function(summary, latency, requests)
  io.write(string.format("CREATED requests=%d seconds=%.3f p99_ms=%.3f non2xx=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(99) / 1000,
    summary.errors.status))
end
