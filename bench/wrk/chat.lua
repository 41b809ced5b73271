-- POST /chat in one session per tenant; SESSION_<TENANT> come from the
-- environment (bench/run.sh opens the sessions first). Requests rotate
-- over the three tenants.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local tenants = {"acme", "globex", "initech"}
local bodies = {}
for i, t in ipairs(tenants) do
  local sid = os.getenv("SESSION_" .. string.upper(t))
  bodies[i] = string.format(
    '{"tenant_id":"%s","session_id":"%s","message":"hello from %s, ünïcödé ✓"}',
    t, sid, t)
end
local n = 0

request = function()
  n = n + 1
  return wrk.format(nil, "/chat", nil, bodies[(n % #bodies) + 1])
end
