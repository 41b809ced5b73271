-- POST /session for one tenant, TENANT from the environment (bench/attack.sh
-- floods one tenant with new sessions). The request is formatted once.
local request_bytes

init = function(args)
  request_bytes = wrk.format("POST", "/session",
    {["Content-Type"] = "application/json"},
    string.format('{"tenant_id":"%s"}', os.getenv("TENANT")))
end

request = function()
  return request_bytes
end
