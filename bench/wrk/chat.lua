-- POST /chat in one session per tenant; SESSION_<TENANT> come from the
-- environment (bench/run.sh opens the sessions first). Requests rotate over
-- the three tenants and are formatted once, up front, so that wrk spends
-- its CPU on sending rather than on Lua string building.
local tenants = {"acme", "globex", "initech"}
local requests = {}
local n = 0

init = function(args)
  for i, t in ipairs(tenants) do
    local sid = os.getenv("SESSION_" .. string.upper(t))
    local body = string.format(
      '{"tenant_id":"%s","session_id":"%s","message":"hello from %s, ünïcödé ✓"}',
      t, sid, t)
    requests[i] = wrk.format("POST", "/chat",
      {["Content-Type"] = "application/json"}, body)
  end
end

request = function()
  n = n + 1
  return requests[(n % #requests) + 1]
end
