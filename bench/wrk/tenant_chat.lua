-- POST /chat for one tenant: TENANT and SESSION come from the environment
-- (bench/flood.sh opens the session first). The request is formatted once.
local request_bytes

init = function(args)
  local body = string.format(
    '{"tenant_id":"%s","session_id":"%s","message":"hello from %s"}',
    os.getenv("TENANT"), os.getenv("SESSION"), os.getenv("TENANT"))
  request_bytes = wrk.format("POST", "/chat",
    {["Content-Type"] = "application/json"}, body)
end

request = function()
  return request_bytes
end
