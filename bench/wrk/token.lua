-- POST /auth/token with the password grant, the form from the environment:
-- TENANT, EMAIL and PASSWORD (URL-safe values).
local request_text

init = function(args)
  local body = string.format("grant_type=password&tenant=%s&username=%s&password=%s",
    os.getenv("TENANT"), os.getenv("EMAIL"), os.getenv("PASSWORD"))
  request_text = wrk.format("POST", "/auth/token",
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

request = function()
  return request_text
end
