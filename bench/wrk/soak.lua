-- Mixed traffic for bench/soak.sh, against bench/tenants-soak.jsonl.
--
-- Each wrk thread keeps its own pool of sessions per tenant (POOL, default
-- 8), filled from the answers to its POST /session requests: a new session
-- replaces the oldest of its tenant, which is then left to expire
-- (SESSION_TTL). Per 1,000 requests of a thread, about:
--
--   50  burst            POST /chat on the rate-limited tenant, 50 in a row
--                        -> 200 while its window lasts, then 429
--   90  session          POST /session, rotating over the four tenants -> 200
--  814  chat             POST /chat on a pooled session of acme, globex or
--                        initech -> 200
--    9  bad_json         malformed JSON -> 422 json_invalid
--    9  bad_type         fields of the wrong type -> 422 string_type
--    9  unknown_tenant   /session or /chat for a tenant that does not exist
--                        -> 404 Unknown tenant_id
--    9  unknown_session  a session id never issued -> 404 Unknown session_id
--    9  foreign_session  acme's session presented as globex's -> 403
--    1  oversize         a message of OVERSIZE_BYTES (70,000: over the 64 KiB
--                        body limit) -> 413, the server closes
--
-- wrk does not say which request an answer belongs to (a thread's
-- connections interleave), so every answer is classified by what it is:
-- its status, body and, for the two probes whose body a real failure could
-- also produce (404 Unknown session_id, 403 for a foreign session), the
-- "Connection: close" they are sent with and the server echoes. Anything
-- else is unexpected: a pooled session answering 404 (lost or expired), a
-- 429 for an unlimited tenant, any 5xx, a malformed 200...
--
-- Environment: LIMITED_QUOTA (the rate-limited tenant's chat_per_10s, to
-- recognise its 429s), POOL, OVERSIZE_BYTES.
-- Prints per-kind counts and one line `SOAK_RESULT key=value ...` for the
-- script to check.

local limited = "limited"
local unlimited = {"acme", "globex", "initech"}
local every = {"acme", "globex", "initech", "limited"}
local known = {acme = true, globex = true, initech = true, limited = true}
local pool_size = tonumber(os.getenv("POOL") or "8")
local quota = os.getenv("LIMITED_QUOTA") or "?"
local oversize_bytes = tonumber(os.getenv("OVERSIZE_BYTES") or "70000")
local never_issued = "00000000-0000-4000-8000-000000000000"

-- Globals read by done() through thread:get().
sent = {}       -- requests sent, by kind
answers = {}    -- answers, by what they turned out to be
classes = {}    -- answers by status class
samples = {}    -- the first unexpected answers

local json = {["Content-Type"] = "application/json"}
local json_close = {["Content-Type"] = "application/json", ["Connection"] = "close"}
local pools = {}        -- tenant -> {reqs = {chat requests}, sids = {...}, next = slot}
local session_reqs = {} -- tenant -> POST /session request
local fixed = {}        -- kind -> prebuilt request(s)
local n, chats, opened = 0, 0, 0

local function bump(t, k)
  t[k] = (t[k] or 0) + 1
end

local function chat_body(tenant, sid, message)
  return string.format('{"tenant_id":"%s","session_id":"%s","message":"%s"}',
    tenant, sid, message)
end

init = function(args)
  for _, t in ipairs(every) do
    pools[t] = {reqs = {}, sids = {}, next = 1}
    session_reqs[t] = wrk.format("POST", "/session", json,
      string.format('{"tenant_id":"%s"}', t))
  end
  fixed.bad_json = {wrk.format("POST", "/chat", json,
    '{"tenant_id":"acme","session_id":')}
  fixed.bad_type = {wrk.format("POST", "/chat", json,
    '{"tenant_id":"acme","session_id":42,"message":["hi"]}')}
  fixed.unknown_tenant = {
    wrk.format("POST", "/session", json, '{"tenant_id":"no-such-tenant"}'),
    wrk.format("POST", "/chat", json, chat_body("no-such-tenant", never_issued, "hi")),
  }
  fixed.unknown_session = {wrk.format("POST", "/chat", json_close,
    chat_body("acme", never_issued, "hi"))}
  fixed.oversize = {wrk.format("POST", "/chat", json,
    chat_body("acme", never_issued, string.rep("a", oversize_bytes)))}
end

local function add_session(tenant, sid)
  local p = pools[tenant]
  p.sids[p.next] = sid
  p.reqs[p.next] = wrk.format("POST", "/chat", json,
    chat_body(tenant, sid, "hello from " .. tenant .. ", ünïcödé ✓"))
  p.next = p.next % pool_size + 1
end

local function kind_of(i)
  local m = i % 1000
  if m < 50 then return "burst" end
  if m == 999 then return "oversize" end
  local k = i % 100
  if k < 10 then return "session" end
  if k == 10 then return "bad_json" end
  if k == 11 then return "bad_type" end
  if k == 12 then return "unknown_tenant" end
  if k == 13 then return "unknown_session" end
  if k == 14 then return "foreign_session" end
  return "chat"
end

request = function()
  n = n + 1
  local kind = kind_of(n)
  local tenant
  if kind == "burst" then
    tenant = limited
  elseif kind == "chat" then
    chats = chats + 1
    tenant = unlimited[chats % #unlimited + 1]
  elseif kind == "foreign_session" then
    tenant = "acme"
  end
  local p = tenant and pools[tenant]
  if p and #p.reqs == 0 then
    -- No session to use there yet: open one first.
    bump(sent, "session")
    return session_reqs[tenant]
  end
  bump(sent, kind)
  if kind == "burst" or kind == "chat" then
    return p.reqs[n % #p.reqs + 1]
  elseif kind == "session" then
    opened = opened + 1
    return session_reqs[every[opened % #every + 1]]
  elseif kind == "foreign_session" then
    return wrk.format("POST", "/chat", json_close,
      chat_body("globex", p.sids[n % #p.sids + 1], "not mine"))
  end
  local reqs = fixed[kind]
  return reqs[n % #reqs + 1]
end

local function header(headers, name)
  local v = headers[name]
  if v then return v end
  name = name:lower()
  for k, value in pairs(headers) do
    if k:lower() == name then return value end
  end
end

local function closing(headers)
  local v = header(headers, "Connection")
  return v ~= nil and v:lower() == "close"
end

-- What an answer is, or nil if no request of this script should get it.
local function classify(status, headers, body)
  if status == 200 then
    if body:find('"reply":"', 1, true) then
      local t = body:match('^{"tenant_id":"([^"]+)","session_id":"')
      if t == limited then return "burst_200" end
      if known[t] then return "chat_200" end
      return nil
    end
    local sid, t = body:match('^{"session_id":"([0-9a-f-]+)","tenant":{"id":"([^"]+)"')
    if sid and known[t] then
      add_session(t, sid)
      return "session_200"
    end
  elseif status == 429 then
    if body:find("Rate limit exceeded: " .. quota .. " chats", 1, true)
        and header(headers, "Retry-After") then
      return "burst_429"
    end
  elseif status == 422 then
    if body:find('"type":"json_invalid"', 1, true) then return "bad_json_422" end
    if body:find('"type":"string_type"', 1, true) then return "bad_type_422" end
  elseif status == 404 then
    if body == '{"detail":"Unknown tenant_id"}' then return "unknown_tenant_404" end
    if body == '{"detail":"Unknown session_id"}' and closing(headers) then
      return "unknown_session_404"
    end
  elseif status == 403 then
    if body == '{"detail":"Session does not belong to tenant"}' and closing(headers) then
      return "foreign_session_403"
    end
  elseif status == 413 then
    return "oversize_413"
  end
  return nil
end

response = function(status, headers, body)
  bump(classes, math.floor(status / 100) .. "xx")
  local what = classify(status, headers, body)
  if what then
    bump(answers, what)
  else
    bump(answers, "unexpected")
    if #samples < 5 then
      samples[#samples + 1] = status .. " " .. body:sub(1, 160)
    end
  end
end

local threads = {}

setup = function(thread)
  threads[#threads + 1] = thread
end

local function total(name)
  local sum = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get(name) or {}) do
      sum[k] = (sum[k] or 0) + v
    end
  end
  return sum
end

local function line(prefix, t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. t[k] end
  io.write(prefix, table.concat(parts, " "), "\n")
end

done = function(summary, latency, requests)
  local all_sent, all_answers, all_classes = total("sent"), total("answers"), total("classes")
  local errors = summary.errors
  local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
  line("sent:     ", all_sent)
  line("answers:  ", all_answers)
  line("statuses: ", all_classes)
  io.write(string.format("socket errors: connect=%d read=%d write=%d timeout=%d\n",
    errors.connect, errors.read, errors.write, errors.timeout))
  for _, t in ipairs(threads) do
    for _, s in ipairs(t:get("samples") or {}) do
      io.write("unexpected answer: ", s, "\n")
    end
  end
  io.write(string.format(
    "SOAK_RESULT requests=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
      .. "s2xx=%d s4xx=%d s5xx=%d unexpected=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    all_classes["2xx"] or 0, all_classes["4xx"] or 0, all_classes["5xx"] or 0,
    all_answers.unexpected or 0, socket_errors))
end
