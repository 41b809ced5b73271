-- POST /chat in one session of one tenant with one credential, all from
-- the environment: TENANT, SESSION and AUTH (the whole Authorization value,
-- or empty for none). Formatted once, up front.
local request_text

init = function(args)
  local headers = {["Content-Type"] = "application/json"}
  local auth = os.getenv("AUTH") or ""
  if auth ~= "" then
    headers["Authorization"] = auth
  end
  local body = string.format(
    '{"tenant_id":"%s","session_id":"%s","message":"hello, ünïcödé ✓"}',
    os.getenv("TENANT"), os.getenv("SESSION"))
  request_text = wrk.format("POST", "/chat", headers, body)
end

request = function()
  return request_text
end
