-- POST /session for the acme tenant.
wrk.method = "POST"
wrk.path = "/session"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"tenant_id":"acme"}'
