#!/usr/bin/env python3
"""docs/openapi.json against the real binary.

Every operation of the document (each path and method) is driven into every
status it documents, and each answer must match the document: a status the
operation lists, the documented headers (present when required, values
valid under their schemas) and a body valid under the documented schema
(JSON Schema 2020-12, `$ref`s resolved into the document's components). A
documented status that no situation here produces fails the test unless
NOT_DRIVEN says why it cannot be produced from outside the process. The
answers the server gives to any request whatever its operation (an unknown
path, an unparseable request, too many connections) are checked against
the components the document declares for them (SERVER_WIDE). The document's
own examples must be valid under their schemas too, and the configuration
in info.description must name exactly the settings of `tenantd --help`.

Faults are made from outside: a write lock held on a server's SQLite
database stalls its store actor (SQLite waits 5 s for the lock, then the
write fails), which gives 504 (a short ASK_TIMEOUT_MS), 503 "Storage
unavailable" (a long one) and, with TENANT_MAX_IN_FLIGHT=1, the in-flight
503; a tenant config made invalid in the database fails its tenant's
actor (503); slow password hashes on a pool of one thread and one queue
slot give "Too many password checks in progress" (503); the audit table
renamed gives an unreadable trail (503), and an audit event deleted a
broken chain. Failed logins are throttled on a server of their own (each
server counts failures per client address; a second address is
127.0.0.2). Each fault gets a server of its own, and the slow ones run
beside the rest, so the whole test takes about as long as one such write.

Credentials: the admin token, users created through the API who log in
with the password grant (JWTs), API keys created through the API, and API
keys made up here with a valid checksum (the router takes them for a
tenant's credential without a lookup; their tenant refuses them).

The operations, servers, requests and checks are in contract_support.py;
the drivers of identity and access (users, keys, tokens, the audit trail,
the password pool, the login throttle) in contract_identity.py; the rest
and main() here.

Usage: tests/service/openapi_contract_test.py TENANTD_BINARY SOURCE_DIR

Needs Python 3 and python3-jsonschema (4.10 on Debian 12) only.
"""

import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

from contract_identity import (drive_audit, drive_identity,
                               drive_login_throttle,
                               drive_open_routes_credentials,
                               drive_password_pool)
from contract_support import *  # noqa: F401,F403 (the shared vocabulary)


def drive_serving(c, s):
    """/, /session, /chat and the operators' routes."""
    c.check(ROOT, "the shipped tenants", s.request("GET", "/"), 200)
    res = s.request("GET", "/", headers={"X-Request-Id": "contract-1"})
    c.check(ROOT, "a sane X-Request-Id", res, 200)
    if res.header("X-Request-Id") != "contract-1":
        c.fail("GET / [a sane X-Request-Id]", "the client's id was not kept: "
               f"{res.header('X-Request-Id')!r}")
    c.check(OPENAPI, "the document", s.request("GET", "/openapi.json"), 200)
    c.check(METRICS, "a scrape", s.request("GET", "/metrics"), 200)
    c.check(HEALTHZ, "alive", s.request("GET", "/healthz"), 200)
    c.check(READYZ, "ready", s.request("GET", "/readyz"), 200)

    res = s.request("POST", "/session", {"tenant_id": "acme"})
    c.check(SESSION, "acme", res, 200)
    acme_sid = (res.json() or {}).get("session_id", "")
    c.check(SESSION, "unknown tenant",
            s.request("POST", "/session", {"tenant_id": "nope"}), 404)
    for situation, body, ctype, types in [
        ("no body", b"", "application/json", ["missing"]),
        ("null", b"null", "application/json", ["missing"]),
        ("field missing", {}, "application/json", ["missing"]),
        ("not a string", {"tenant_id": 42}, "application/json",
         ["string_type"]),
        ("not an object", ["acme"], "application/json",
         ["model_attributes_type"]),
        ("form content type", b'{"tenant_id":"acme"}',
         "application/x-www-form-urlencoded", ["model_attributes_type"]),
        ("invalid JSON", b'{"tenant_id": "acme",}', "application/json",
         ["json_invalid"]),
        ("invalid UTF-8", b'{"tenant_id": "\xff"}', "application/json",
         ["json_invalid"]),
        ("nested deeper than JSON_MAX_DEPTH",
         '{"tenant_id":"acme","x":' + deep(65) + "}", "application/json",
         ["json_invalid"]),
        ("more than JSON_MAX_FIELDS",
         {"tenant_id": "acme", "x": list(range(300))}, "application/json",
         ["too_many_fields"]),
    ]:
        c.check(SESSION, situation,
                s.request("POST", "/session", body, content_type=ctype), 422,
                detail_types=types)
    c.check(SESSION, "body over BODY_LIMIT",
            announce_body(s.port, "POST", "/session", 65537), 413)

    res = s.request("POST", "/session", {"tenant_id": "contract-open"})
    c.check(SESSION, "a tenant without limits", res, 200)
    open_sid = (res.json() or {}).get("session_id", "")
    res = s.request("POST", "/session", {"tenant_id": "contract-limited"})
    c.check(SESSION, "a tenant limited to 1 chat", res, 200)
    limited_sid = (res.json() or {}).get("session_id", "")

    res = s.request("POST", "/chat", chat_body("acme", acme_sid))
    c.check(CHAT, "acme, rate limited (8 per 10 s)", res, 200)
    if res.header("RateLimit") is None:
        c.fail("POST /chat [acme]", "a limited tenant's 200 lacks RateLimit")
    res = s.request("POST", "/chat", chat_body("contract-open", open_sid))
    c.check(CHAT, "a tenant without limits", res, 200)
    if res.header("RateLimit") is not None:
        c.fail("POST /chat [a tenant without limits]", "sent RateLimit")
    c.check(CHAT, "a streamed chat (server-sent events)",
            s.request("POST", "/chat",
                      dict(chat_body("contract-open", open_sid), stream=True)),
            200)
    # Nothing listens on the AI tenant's upstreams (ports 1 and 9).
    res = s.request("POST", "/session", {"tenant_id": "contract-ai"})
    c.check(SESSION, "a tenant with an AI route", res, 200)
    c.check(CHAT, "a tenant whose upstreams are all unreachable",
            s.request("POST", "/chat",
                      chat_body("contract-ai",
                                (res.json() or {}).get("session_id", ""))),
            502)
    c.check(CHAT, "the first chat of a tenant limited to 1",
            s.request("POST", "/chat", chat_body("contract-limited",
                                                 limited_sid)), 200)
    c.check(CHAT, "the second chat of a tenant limited to 1",
            s.request("POST", "/chat", chat_body("contract-limited",
                                                 limited_sid)), 429)
    c.check(CHAT, "acme's session under globex",
            s.request("POST", "/chat", chat_body("globex", acme_sid)), 403)
    c.check(CHAT, "unknown tenant",
            s.request("POST", "/chat", chat_body("nope", acme_sid)), 404)
    c.check(CHAT, "unknown session",
            s.request("POST", "/chat", chat_body("acme", str(uuid.uuid4()))),
            404)
    c.check(CHAT, "malformed session id",
            s.request("POST", "/chat", chat_body("acme", "not-a-uuid")), 404)
    for situation, body, types in [
        ("fields missing", {"tenant_id": "acme"}, ["missing", "missing"]),
        ("message not a string", chat_body("acme", acme_sid, 42),
         ["string_type"]),
        ("stream not a boolean", dict(chat_body("acme", acme_sid),
                                      stream="yes"), ["bool_type"]),
        ("not an object", "hello", ["model_attributes_type"]),
        ("invalid JSON", b"{tenant_id: 1}", ["json_invalid"]),
        ("message over MAX_MESSAGE_CHARS", chat_body("acme", acme_sid,
                                                     "x" * 4097),
         ["string_too_long"]),
        ("more than JSON_MAX_FIELDS", dict(chat_body("acme", acme_sid),
                                           x=list(range(300))),
         ["too_many_fields"]),
    ]:
        if isinstance(body, str):
            body = json.dumps(body)
        c.check(CHAT, situation, s.request("POST", "/chat", body), 422,
                detail_types=types)
    c.check(CHAT, "body over BODY_LIMIT",
            announce_body(s.port, "POST", "/chat", 65537), 413)

    # A suspended tenant keeps its sessions but serves none.
    res = s.request("POST", "/session", {"tenant_id": "contract-suspended"})
    c.check(SESSION, "a tenant about to be suspended", res, 200)
    sid = (res.json() or {}).get("session_id", "")
    c.check(SUSPEND, "an active tenant",
            s.admin("POST", "/tenants/contract-suspended/suspend"), 200)
    c.check(SUSPEND, "a suspended tenant, again",
            s.admin("POST", "/tenants/contract-suspended/suspend"), 200)
    c.check(SESSION, "a suspended tenant",
            s.request("POST", "/session", {"tenant_id": "contract-suspended"}),
            403)
    c.check(CHAT, "a suspended tenant",
            s.request("POST", "/chat", chat_body("contract-suspended", sid)),
            403)
    c.check(RESUME, "a suspended tenant",
            s.admin("POST", "/tenants/contract-suspended/resume"), 200)
    c.check(CHAT, "a resumed tenant, its session kept",
            s.request("POST", "/chat", chat_body("contract-suspended", sid)),
            200)


def drive_messages(c, s):
    """A session's conversation: read (a mock tenant's sessions have an
    empty one), cleared, and refused for a bad query, another tenant and an
    unknown session."""
    sid = (s.request("POST", "/session", {"tenant_id": "acme"}).json()
           or {}).get("session_id", "")
    mine = f"/sessions/{sid}/messages?tenant_id=acme"
    check_get(c, MESSAGES, "a session of the tenant", s, mine, 200)
    c.check(MESSAGES_CLEAR, "a session of the tenant",
            s.request("DELETE", mine), 204)
    for situation, query in [("no tenant_id", ""),
                             ("limit 0", "tenant_id=acme&limit=0"),
                             ("an unknown parameter", "tenant_id=acme&x=1")]:
        check_get(c, MESSAGES, situation, s,
                  f"/sessions/{sid}/messages?{query}", 422)
    c.check(MESSAGES_CLEAR, "no tenant_id",
            s.request("DELETE", f"/sessions/{sid}/messages"), 422)
    theirs = f"/sessions/{sid}/messages?tenant_id=globex"
    check_get(c, MESSAGES, "another tenant's session", s, theirs, 403)
    c.check(MESSAGES_CLEAR, "another tenant's session",
            s.request("DELETE", theirs), 403)
    unknown = f"/sessions/{uuid.uuid4()}/messages?tenant_id=acme"
    check_get(c, MESSAGES, "an unknown session", s, unknown, 404)
    c.check(MESSAGES_CLEAR, "an unknown session",
            s.request("DELETE", unknown), 404)


def drive_openai(c, s):
    """The OpenAI-compatible face: completions and models with tenant API
    keys, plain and streamed, and each refusal in OpenAI's shape."""
    def key_of(tenant):
        res = s.admin("POST", f"/tenants/{tenant}/keys", {"name": "sdk"})
        c.check(KEY_CREATE, f"a key for the OpenAI face ({tenant})", res, 201)
        return (res.json() or {}).get("key", "")

    def ask(model, **extra):
        return dict({"model": model,
                     "messages": [{"role": "user", "content": "hello"}]},
                    **extra)

    acme = key_of("acme")
    post = "/v1/chat/completions"
    for method in ["GET", "HEAD"]:
        op = (method, "/v1/models")
        c.check(op, "a mock tenant's key",
                s.request(method, "/v1/models", token=acme), 200)
        c.check(op, "no credential", s.request(method, "/v1/models"), 401)
        c.check(op, "the platform admin's token",
                s.admin(method, "/v1/models"), 401)
    c.check(COMPLETIONS, "a mock tenant's model",
            s.request("POST", post, ask("mock-1"), token=acme), 200)
    c.check(COMPLETIONS, "streamed",
            s.request("POST", post, ask("mock-1", stream=True), token=acme),
            200)
    c.check(COMPLETIONS, "no credential", s.request("POST", post,
                                                    ask("mock-1")), 401)
    c.check(COMPLETIONS, "a key that opens nothing",
            s.request("POST", post, ask("mock-1"), token=forge_key("acme")),
            401)
    c.check(COMPLETIONS, "a model the tenant has not",
            s.request("POST", post, ask("gpt-5"), token=acme), 404)
    c.check(COMPLETIONS, "no messages",
            s.request("POST", post, {"model": "mock-1"}, token=acme), 400)
    c.check(COMPLETIONS, "another method",
            s.request("GET", post, token=acme), 405)
    limited = key_of("contract-limited")
    s.request("POST", post, ask("mock"), token=limited)
    c.check(COMPLETIONS, "a tenant limited to 1 chat, again",
            s.request("POST", post, ask("mock"), token=limited), 429)
    ai = key_of("contract-ai")
    c.check(COMPLETIONS, "a model whose routes are unreachable",
            s.request("POST", post, ask("llama"), token=ai), 502)
    c.check(PATCH, "a token limit no completion fits",
            s.admin("PATCH", "/tenants/contract-ai",
                    {"limits": {"tokens_per_minute": 10}}), 200)
    c.check(COMPLETIONS, "a completion over limits.tokens_per_minute",
            s.request("POST", post, ask("llama"), token=ai), 413)
    c.check(PATCH, "the token limit lifted",
            s.admin("PATCH", "/tenants/contract-ai",
                    {"limits": {"tokens_per_minute": None}}), 200)
    suspended = key_of("contract-suspended")
    c.check(SUSPEND, "a tenant whose key asks for completions",
            s.admin("POST", "/tenants/contract-suspended/suspend"), 200)
    c.check(COMPLETIONS, "a suspended tenant",
            s.request("POST", post, ask("mock"), token=suspended), 403)
    for method in ["GET", "HEAD"]:
        c.check((method, "/v1/models"), "a suspended tenant",
                s.request(method, "/v1/models", token=suspended), 403)
    c.check(RESUME, "the tenant again",
            s.admin("POST", "/tenants/contract-suspended/resume"), 200)
    c.check(CREATE, "a tenant to archive",
            s.admin("POST", "/tenants", {"id": "contract-gone",
                                         "name": "Gone", "welcome": "Hi."}),
            201)
    archived = key_of("contract-gone")
    c.check(ARCHIVE, "a tenant whose key asks for completions",
            s.admin("DELETE", "/tenants/contract-gone"), 200)
    c.check(COMPLETIONS, "an archived tenant",
            s.request("POST", post, ask("mock"), token=archived), 404)
    for method in ["GET", "HEAD"]:
        c.check((method, "/v1/models"), "an archived tenant",
                s.request(method, "/v1/models", token=archived), 404)


def drive_admin(c, s):
    """The /tenants operations. Creates the tenants drive_serving uses."""
    for op_key in ADMIN:
        method, template = op_key
        target = template.replace("{id}", "acme")
        body = {} if method in ("POST", "PATCH") else None
        c.check(op_key, "no Authorization",
                s.request(method, target, body), 401)
        c.check(op_key, "another scheme",
                s.request(method, target, body,
                          headers={"Authorization": "Basic YTpi"}), 401)
        c.check(op_key, "a wrong token",
                s.request(method, target, body, token="wrong-token-0123456789"),
                401)
        # GET and PATCH /tenants/{id} take a tenant's credentials too (its
        # admins' settings): a made-up key is then looked up, and is none.
        c.check(op_key, "a tenant's credential (an API key of the right form)",
                s.request(method, target, body, token=forge_key("acme")),
                401 if op_key in (READ, PATCH) else 403)

    for tenant in [
        {"id": "contract-open", "name": "Open", "welcome": "Hi."},
        {"id": "contract-limited", "name": "Limited", "welcome": "Hi.",
         "limits": {"chat_per_10s": 1}},
        {"id": "contract-suspended", "name": "Suspended", "welcome": "Hi."},
        {"id": "contract-archived", "name": "Archived", "welcome": "Hi.",
         "model": "m", "limits": {"chat_per_10s": 5, "session_ttl": 60},
         "reply": "{welcome} {message|upper|reverse}", "auth": "open"},
        {"id": "contract-closed", "name": "Closed", "welcome": "Hi.",
         "auth": "required"},
        {"id": "contract-ai", "name": "AI", "welcome": "Hi.",
         "ai": {"provider": "openai", "base_url": "http://127.0.0.1:1/v1",
                "model": "gpt-4o-mini", "api_key": "sk-contract-key",
                "temperature": 0.3, "system_prompt": "You are {name}.",
                "fallbacks": [{"base_url": "http://127.0.0.1:9/v1",
                               "model": "llama"}]}},
    ]:
        res = s.admin("POST", "/tenants", tenant)
        c.check(CREATE, f"new tenant {tenant['id']}", res, 201)
        if res.header("Location") != f"/tenants/{tenant['id']}":
            c.fail(f"POST /tenants [{tenant['id']}]",
                   f"Location is {res.header('Location')!r}")
    c.check(CREATE, "every AI route problem",
            s.admin("POST", "/tenants",
                    {"id": "contract-bad-ai", "name": "B", "welcome": "",
                     "ai": {"provider": "openai", "api_key": "sk with space",
                            "temperature": 3, "fallbacks": "no"}}), 422,
            detail_types=["value_error"] * 5)
    c.check(PATCH, "an AI route patch that keeps the key",
            s.admin("PATCH", "/tenants/contract-ai",
                    {"ai": {"model": "gpt-4o", "history": {"turns": 4}}}), 200)
    shown = s.admin("GET", "/tenants/contract-ai")
    c.check(READ, "a tenant with an AI route", shown, 200)
    if b"sk-contract-key" in shown.body or \
            (shown.json() or {}).get("ai", {}).get("api_key_set") is not True:
        c.fail("GET /tenants/{id} [contract-ai]",
               f"the key is echoed or not set: {shown}")
    c.check(CREATE, "an id in use",
            s.admin("POST", "/tenants",
                    {"id": "acme", "name": "A", "welcome": ""}), 409)
    c.check(CREATE, "every config problem",
            s.admin("POST", "/tenants",
                    {"id": "Bad Id", "name": "", "limits": {"chat_per_10s": 0,
                                                            "foo": 1},
                     "reply": "{nope}", "colour": "red", "auth": "maybe"}), 422,
            detail_types=["value_error"] * 8)
    c.check(CREATE, "form content type",
            s.admin("POST", "/tenants", b'{"id":"x"}',
                    content_type="application/x-www-form-urlencoded"), 422,
            detail_types=["model_attributes_type"])
    c.check(CREATE, "no body", s.admin("POST", "/tenants"), 422,
            detail_types=["missing"])
    c.check(CREATE, "invalid JSON", s.admin("POST", "/tenants", b"{"), 422,
            detail_types=["json_invalid"])
    c.check(CREATE, "more than JSON_MAX_FIELDS",
            s.admin("POST", "/tenants",
                    {"id": "x", "name": "x", "welcome": "",
                     "x": list(range(300))}), 422,
            detail_types=["too_many_fields"])
    c.check(CREATE, "body over BODY_LIMIT",
            announce_body(s.port, "POST", "/tenants", 65537), 413)

    c.check(LIST, "the first page", s.admin("GET", "/tenants"), 200)
    c.check(LIST, "a page of 2", s.admin("GET", "/tenants?offset=1&limit=2"),
            200)
    c.check(LIST, "past the end", s.admin("GET", "/tenants?offset=99"), 200)
    c.check(LIST, "every query problem",
            s.admin("GET", "/tenants?offset=-1&limit=5000&page=2&limit=x"),
            422, detail_types=["greater_than_equal", "less_than_equal",
                               "extra_forbidden", "int_parsing"])

    c.check(READ, "acme", s.admin("GET", "/tenants/acme"), 200)
    c.check(READ, "unknown tenant", s.admin("GET", "/tenants/nope"), 404)
    c.check(READ, "not a tenant id", s.admin("GET", "/tenants/Not%20An%20Id"),
            404)

    merge = "application/merge-patch+json"
    c.check(PATCH, "a merge patch",
            s.admin("PATCH", "/tenants/contract-open",
                    {"welcome": "Hello again.", "limits": {"session_ttl": None}},
                    content_type=merge), 200)
    c.check(PATCH, "application/json, empty patch",
            s.admin("PATCH", "/tenants/contract-open", {}), 200)
    c.check(PATCH, "text/plain",
            s.admin("PATCH", "/tenants/contract-open", b"{}",
                    content_type="text/plain"), 415)
    c.check(PATCH, "no Content-Type",
            s.admin("PATCH", "/tenants/contract-open", b"{}",
                    content_type=None), 415)
    c.check(PATCH, "limit out of range",
            s.admin("PATCH", "/tenants/contract-open",
                    {"limits": {"session_ttl": 0}}, content_type=merge), 422,
            detail_types=["value_error"])
    c.check(PATCH, "a required field removed",
            s.admin("PATCH", "/tenants/contract-open", {"name": None},
                    content_type=merge), 422, detail_types=["value_error"])
    c.check(PATCH, "id changed",
            s.admin("PATCH", "/tenants/contract-open", {"id": "other"},
                    content_type=merge), 422, detail_types=["value_error"])
    c.check(PATCH, "not an object",
            s.admin("PATCH", "/tenants/contract-open", [], content_type=merge),
            422, detail_types=["model_attributes_type"])
    c.check(PATCH, "nested deeper than JSON_MAX_DEPTH",
            s.admin("PATCH", "/tenants/contract-open",
                    '{"x":' + deep(65) + "}", content_type=merge), 422,
            detail_types=["json_invalid"])
    c.check(PATCH, "unknown tenant",
            s.admin("PATCH", "/tenants/nope", {}, content_type=merge), 404)
    c.check(PATCH, "body over BODY_LIMIT",
            announce_body(s.port, "PATCH", "/tenants/contract-open", 65537),
            413)

    c.check(ARCHIVE, "an active tenant",
            s.admin("DELETE", "/tenants/contract-archived"), 200)
    c.check(ARCHIVE, "an archived tenant, again",
            s.admin("DELETE", "/tenants/contract-archived"), 200)
    c.check(ARCHIVE, "unknown tenant", s.admin("DELETE", "/tenants/nope"), 404)
    c.check(READ, "an archived tenant",
            s.admin("GET", "/tenants/contract-archived"), 200)
    c.check(CREATE, "an archived tenant's id",
            s.admin("POST", "/tenants", {"id": "contract-archived",
                                         "name": "A", "welcome": ""}), 409)
    c.check(PATCH, "an archived tenant",
            s.admin("PATCH", "/tenants/contract-archived", {},
                    content_type=merge), 409)
    c.check(SUSPEND, "an archived tenant",
            s.admin("POST", "/tenants/contract-archived/suspend"), 409)
    c.check(RESUME, "an archived tenant",
            s.admin("POST", "/tenants/contract-archived/resume"), 409)
    c.check(SUSPEND, "unknown tenant",
            s.admin("POST", "/tenants/nope/suspend"), 404)
    c.check(RESUME, "unknown tenant",
            s.admin("POST", "/tenants/nope/resume"), 404)
    c.check(RESUME, "an active tenant",
            s.admin("POST", "/tenants/contract-open/resume"), 200)


def drive_broken_tenant(c, s):
    """initech's stored config, made invalid from outside before its actor
    ever started: its actor fails at each start (503), and reading it from
    the store fails (503)."""
    db = sqlite3.connect(os.path.join(s.data, "tenantd.db"), timeout=5)
    try:
        (text,) = db.execute(
            "SELECT config FROM tenants WHERE id = 'initech'").fetchone()
        config = json.loads(text)
        config["reply"] = "{nope}"
        db.execute("UPDATE tenants SET config = ? WHERE id = 'initech'",
                   (json.dumps(config),))
        db.commit()
    finally:
        db.close()
    base = "/tenants/initech"
    check_get(c, USERS, "a tenant whose actor cannot start", s,
              base + "/users", 503, token=TOKEN)
    check_get(c, USER, "a tenant whose actor cannot start", s,
              base + "/users/usr_x", 503, token=TOKEN)
    check_get(c, KEYS, "a tenant whose actor cannot start", s, base + "/keys",
              503, token=TOKEN)
    c.check(READ, "a stored config that is invalid", s.admin("GET", base), 503)
    check_get(c, TENANT_AUDIT, "a tenant whose actor cannot start", s,
              base + "/audit", 503, token=TOKEN)
    check_get(c, AUDIT_VERIFY, "a tenant whose actor cannot start", s,
              base + "/audit/verify", 503, token=TOKEN)
    # Not the grant's failure: the usual 503, not invalid_grant.
    res = login(s, "initech", "ann@initech.test", "correct horse battery")[1]
    c.check(GRANT, "the password grant, a tenant whose actor cannot start",
            res, 503)
    c.check(GRANT, "client credentials, a tenant whose actor cannot start",
            s.request("POST", "/auth/token", "grant_type=client_credentials",
                      content_type=FORM, token=forge_key("initech")), 503)


def drive_unreadable_audit(c, s):
    """The audit table renamed from outside: reading the trail fails in
    storage (503). Last on its server: every write fails from then on."""
    db = sqlite3.connect(os.path.join(s.data, "tenantd.db"), timeout=5)
    try:
        db.execute("ALTER TABLE audit_events RENAME TO audit_events_gone")
        db.commit()
    finally:
        db.close()
    for op_key, target in [(ALL_AUDIT, "/audit"),
                           (TENANT_AUDIT, "/tenants/acme/audit"),
                           (AUDIT_VERIFY, "/tenants/acme/audit/verify")]:
        check_get(c, op_key, "the audit table unreadable", s, target, 503,
                  token=TOKEN)


def drive_routing(c, s):
    """What the router answers before any handler: 405 and 307 on every
    path of the document, 404 off them, and the refusals of unreadable
    requests."""
    by_path = {}
    for method, template in c.operations:
        by_path.setdefault(template, []).append(method)
    for template, methods in by_path.items():
        path = fill(template)
        for method in HTTP_METHODS:
            if method in methods:
                continue
            # No token: 405 comes before the admin token check.
            res = s.request(method, path)
            for other in methods:
                c.check((other, template), f"{method} {path}", res, 405)
            allow = {m.strip() for m in (res.header("Allow") or "").split(",")}
            if allow != set(methods):
                c.fail(f"{method} {path}", f"Allow is {res.header('Allow')!r}, "
                       f"the document has {sorted(methods)}")
        for method in methods:
            # The other spelling of the path; no token: the redirect comes
            # before it too. The query is kept. "/" has none: "//" is
            # nothing but slashes, which Starlette strips to no path (404).
            if path == "/":
                continue
            other = path + "/"
            if "307" not in c.operations[(method, template)]["responses"]:
                # A REST route: another path, which no route has.
                c.check_server_wide("NotFound", f"{method} {other}",
                                    s.request(method, other))
                continue
            res = s.request(method, other + "?probe=1")
            c.check((method, template), f"{method} {other}", res, 307)
            want = f"http://127.0.0.1:{s.port}{path}?probe=1"
            if res.header("Location") != want:
                c.fail(f"{method} {other}", f"Location is "
                       f"{res.header('Location')!r}, not {want!r}")

    for method, target in [("GET", "/nope"), ("POST", "/session/extra"),
                           ("GET", "/tenants/acme/nope"),
                           ("POST", "/tenants//suspend"), ("GET", "//")]:
        c.check_server_wide("NotFound", f"{method} {target}",
                            s.request(method, target))
    c.check_server_wide("BadRequest", "not HTTP",
                        raw_request(s.port, b"GARBAGE\r\n\r\n"))
    c.check_server_wide("BadRequest", "a bad Content-Length",
                        raw_request(s.port, b"POST /session HTTP/1.1\r\nHost: x"
                                    b"\r\nContent-Length: x\r\n\r\n"))
    c.check_server_wide("BadRequest", "no Host",
                        raw_request(s.port, b"GET / HTTP/1.1\r\n\r\n"))
    c.check_server_wide("BadRequest", "an invalid Host",
                        raw_request(s.port, b'GET / HTTP/1.1\r\nHost: a"b\r\n\r\n'))
    c.check_server_wide("UriTooLong", "a request line over HEADER_LIMIT",
                        raw_request(s.port, b"GET /" + b"a" * 17000
                                    + b" HTTP/1.1\r\nHost: x\r\n\r\n"))
    c.check_server_wide("TransferCodingNotImplemented", "Transfer-Encoding: gzip",
                        raw_request(s.port, b"POST /session HTTP/1.1\r\nHost: x"
                                    b"\r\nTransfer-Encoding: gzip\r\n\r\n"))
    c.check_server_wide("HeaderFieldsTooLarge", "a header over HEADER_LIMIT",
                        raw_request(s.port, b"GET / HTTP/1.1\r\nHost: x\r\n"
                                    b"X-Big: " + b"a" * 17000 + b"\r\n\r\n"))


def start_storage_faults(binary, tenants, work):
    """One server per admin write with its database locked: each write
    waits SQLite's busy timeout and fails with 503 (ASK_TIMEOUT_MS is longer).
    Returns (op, situation, server, pending answer) tuples."""
    def made(what, body, expect):
        # POSTs `body` to `what` first; the write is then to the made
        # thing's path.
        def setup(s):
            res = s.admin("POST", what, body)
            if res.status != expect:
                raise RuntimeError(f"{s.name}: {what} answered {res}")
            return f"{what}/{(res.json() or {}).get('id', '')}"
        return setup

    def opened_session(s):
        res = s.request("POST", "/session", {"tenant_id": "globex"})
        if res.status != 200:
            raise RuntimeError(f"{s.name}: /session answered {res}")
        return f"/sessions/{(res.json() or {}).get('session_id', '')}" \
               "/messages?tenant_id=globex"

    def posted(what):
        def setup(s):
            res = s.admin("POST", what)
            if res.status != 200:
                raise RuntimeError(f"{s.name}: {what} answered {res}")
        return setup

    faults = []
    for op_key, target, setup, body in [
        (CREATE, "/tenants", None,
         {"id": "held", "name": "Held", "welcome": ""}),
        (PATCH, "/tenants/globex", None, {"welcome": "Changed."}),
        (ARCHIVE, "/tenants/globex", None, None),
        (SUSPEND, "/tenants/globex/suspend", None, None),
        (RESUME, "/tenants/globex/resume", posted("/tenants/globex/suspend"),
         None),
        (USER_CREATE, "/tenants/globex/users", None,
         {"email": "ann@globex.test", "password": "correct horse battery"}),
        (USER_PATCH, None, made("/tenants/globex/users",
                                {"email": "ann@globex.test",
                                 "password": "correct horse battery"}, 201),
         {"role": "admin"}),
        (USER_DELETE, None, made("/tenants/globex/users",
                                 {"email": "ann@globex.test",
                                  "password": "correct horse battery"}, 201),
         None),
        (KEY_CREATE, "/tenants/globex/keys", None, {"name": "held"}),
        (MESSAGES_CLEAR, None, opened_session, None),
        (KEY_REVOKE, None, made("/tenants/globex/keys", {"name": "k"}, 201),
         None),
    ]:
        method, template = op_key
        name = "storage-" + method.lower() + template.replace("/", "-").replace(
            "{", "").replace("}", "")
        s = Server(name, binary, tenants, work,
                   ASK_TIMEOUT_MS=(STORE_BUSY_S + 4) * 1000 * TIME_SCALE)
        if setup is not None:
            target = setup(s) or target
        s.hold_write_lock()
        faults.append((op_key, "the database locked by another process", s,
                       target, Background(s.admin, method, target, body)))
    return faults


def finish_storage_faults(c, faults):
    for op_key, situation, s, _, pending in faults:
        c.check(op_key, situation, pending.join(), 503)
    # The server whose write failed is not ready until a write commits.
    s = faults[0][2]
    c.check(READYZ, "a write failed", s.request("GET", "/readyz"), 503)
    for op_key, _, s, target, _ in faults:
        s.release_write_lock()
        # A delete or revocation that failed changed nothing.
        if op_key == USER_DELETE:
            check_get(c, USER, "a user whose delete failed in storage", s,
                      target, 200, token=TOKEN)
        elif op_key == KEY_REVOKE:
            keys, key_id = target.rsplit("/", 1)
            res = s.admin("GET", keys)
            c.check(KEYS, "a key whose revocation failed in storage", res, 200)
            if key_id not in [k.get("id") for k in
                              (res.json() or {}).get("keys", [])]:
                c.fail("DELETE /tenants/{id}/keys/{key_id} [storage failed]",
                       f"the key is gone: {res}")


def drive_stalled_store(c, s):
    """With the store stalled on a locked database and ASK_TIMEOUT_MS short,
    whatever needs the store times out (504); with TENANT_MAX_IN_FLIGHT=1 a
    tenant with a request waiting refuses the next at once (503)."""
    # An archived tenant has no actor: reading it reads the store.
    c.check(ARCHIVE, "a tenant to read from the store later",
            s.admin("DELETE", "/tenants/initech"), 200)
    s.hold_write_lock()
    first = Background(s.request, "POST", "/session", {"tenant_id": "acme"})
    deadline = time.monotonic() + 5 * TIME_SCALE
    while s.asks_in_flight() < 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    # Then a moment for its session insert to reach the store and stall it
    # (a chat with a made-up session asks the store too, and must find it
    # stalled); well within the ask timeout, which frees the tenant's slot.
    time.sleep(min(0.1 * TIME_SCALE, STALL_ASK_TIMEOUT_MS / 4000))
    c.check(SESSION, "acme with a request in flight (TENANT_MAX_IN_FLIGHT=1)",
            s.request("POST", "/session", {"tenant_id": "acme"}), 503)
    c.check(CHAT, "acme with a request in flight (TENANT_MAX_IN_FLIGHT=1)",
            s.request("POST", "/chat", chat_body("acme", str(uuid.uuid4()))),
            503)
    c.check(LIST, "the store stalled (the registry answers alone)",
            s.admin("GET", "/tenants"), 200)
    stalled = [
        (CHAT, Background(s.request, "POST", "/chat",
                          chat_body("globex", str(uuid.uuid4())))),
        (CREATE, Background(s.admin, "POST", "/tenants",
                            {"id": "late", "name": "Late", "welcome": ""})),
        (READ, Background(s.admin, "GET", "/tenants/initech")),
        (PATCH, Background(s.admin, "PATCH", "/tenants/globex", {})),
        (ARCHIVE, Background(s.admin, "DELETE", "/tenants/globex")),
        (SUSPEND, Background(s.admin, "POST", "/tenants/globex/suspend")),
        (RESUME, Background(s.admin, "POST", "/tenants/globex/resume")),
        # A tenant's users, keys and logins wait for its actor, which waits
        # for the store to load the tenant.
        (USER_CREATE, Background(s.admin, "POST", "/tenants/globex/users",
                                 {"email": "ann@globex.test",
                                  "password": "correct horse battery"})),
        (USER_PATCH, Background(s.admin, "PATCH",
                                fill(USER_PATCH[1], id="globex"),
                                {"role": "admin"})),
        (USER_DELETE, Background(s.admin, "DELETE",
                                 fill(USER_DELETE[1], id="globex"))),
        (KEY_CREATE, Background(s.admin, "POST", "/tenants/globex/keys",
                                {"name": "late"})),
        (KEY_REVOKE, Background(s.admin, "DELETE",
                                fill(KEY_REVOKE[1], id="globex"))),
        (GRANT, Background(s.request, "POST", "/auth/token",
                           urllib.parse.urlencode(
                               {"grant_type": "password", "tenant": "globex",
                                "username": "ann@globex.test",
                                "password": "correct horse battery"}),
                           content_type=FORM)),
        (GRANT, Background(s.request, "POST", "/auth/token",
                           "grant_type=client_credentials", content_type=FORM,
                           token=forge_key("globex"))),
    ]
    # globex's actor waits for the store to load it, and an unknown
    # session's owner is asked of the store.
    late = f"/sessions/{uuid.uuid4()}/messages?tenant_id=globex"
    stalled += background_get(s, MESSAGES, late)
    stalled.append((MESSAGES_CLEAR, Background(s.request, "DELETE", late)))
    # The audit trail is read by the store, behind the stalled write.
    for op_key in [USERS, USER, KEYS, TENANT_AUDIT, AUDIT_VERIFY, ALL_AUDIT]:
        stalled += background_get(s, op_key, fill(op_key[1], id="globex"),
                                  token=TOKEN)
    ready = Background(s.request, "GET", "/readyz")
    c.check(SESSION, "the store stalled", first.join(), 504)
    for op_key, pending in stalled:
        c.check(op_key, "the store stalled", pending.join(), 504)
    c.check(READYZ, "the store stalled", ready.join(), 503)
    s.release_write_lock()


def drive_connection_limit(c, s):
    """MAX_CONNECTIONS=1: a second connection is refused before any request
    is read."""
    with socket.create_connection(("127.0.0.1", s.port),
                                  timeout=30 * TIME_SCALE) as first:
        first.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        res = http.client.HTTPResponse(first, method="GET")
        res.begin()
        res.read()
        c.check_server_wide("TooManyConnections", "a second connection",
                            raw_request(s.port, b"GET / HTTP/1.1\r\nHost: x"
                                        b"\r\n\r\n"))


def drive_session_cap(c, s):
    """MAX_SESSIONS_PER_TENANT=1: globex's second session is refused."""
    c.check(SESSION, "the first session under a cap of 1",
            s.request("POST", "/session", {"tenant_id": "globex"}), 200)
    c.check(SESSION, "a session past MAX_SESSIONS_PER_TENANT",
            s.request("POST", "/session", {"tenant_id": "globex"}), 429)


def drive_reply_limit(c, s):
    """MAX_REPLY_BYTES=1024: the shipped tenants are not checked against it
    (the tenants file is not), so a long message makes acme's reply, which
    holds the message twice, too large to send."""
    res = s.request("POST", "/session", {"tenant_id": "acme"})
    sid = (res.json() or {}).get("session_id", "")
    c.check(CHAT, "a reply over MAX_REPLY_BYTES",
            s.request("POST", "/chat", chat_body("acme", sid, "m" * 600)), 500)
    return sid


def drive_reply_bandwidth(c, s, sid):
    """TENANT_REPLY_BYTES_PER_S=1024 (and MAX_REPLY_BYTES=1024): of four
    chats at once whose replies are 865 bytes, one is answered at once, one
    held back for 0.67 s, and two would wait over a second."""
    answers = [None] * 4

    def chat(i):
        answers[i] = s.request("POST", "/chat", chat_body("acme", sid,
                                                          "m" * 400))
    threads = [threading.Thread(target=chat, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    answers.sort(key=lambda a: a.status)
    for i, answer in enumerate(answers):
        c.check(CHAT, f"chat {i + 1} of 4 at once past "
                f"TENANT_REPLY_BYTES_PER_S", answer, 200 if i < 2 else 429)


def drive_client_limit(c, s, sid):
    """CLIENT_RATE_LIMIT: the address has made as many requests as it may
    in this window."""
    c.check(CHAT, "a chat past CLIENT_RATE_LIMIT",
            s.request("POST", "/chat", chat_body("acme", sid)), 429)


def main():
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} TENANTD_BINARY SOURCE_DIR")
    binary, source = sys.argv[1], sys.argv[2]
    tenants = os.path.join(source, "tenants.jsonl")
    with open(os.path.join(source, "docs", "openapi.json"),
              encoding="utf-8") as f:
        c = Contract(json.load(f))
    help_text = subprocess.run([binary, "--help"], capture_output=True,
                               text=True, check=True).stdout
    SETTINGS.update(re.findall(r"^  (?:--[a-z-]+ / )?([A-Z][A-Z_]+) ",
                               help_text, re.M))
    if "PORT" not in SETTINGS or "ADMIN_TOKEN" not in SETTINGS:
        sys.exit(f"cannot read the settings from {binary} --help")
    # info.description lists the configuration: every setting, no other.
    described = c.doc["info"]["description"].split("Configuration", 1)[-1]
    for name in sorted(SETTINGS):
        if f"`{name}`" not in described:
            c.fail("info.description", f"the configuration lacks {name} "
                   f"(tenantd --help has it)")
    for name in sorted(set(re.findall(r"`([A-Z][A-Z_]+)`", described))
                       - SETTINGS):
        c.fail("info.description", f"the configuration names {name}, which "
               f"tenantd --help does not have")
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="openapi-contract-")
    servers = []
    main_server = None
    try:
        c.check_examples()
        # The slowest situations first, so that they wait beside the rest.
        faults = start_storage_faults(binary, tenants, work)
        servers += [s for _, _, s, _, _ in faults]
        # Hashes of about a second (0.22 s at 48 passes over 19 MiB on a
        # 2026 Xeon, too quick: the two fillers were done before the last
        # refusal was sent), one at a time, one waiting; no answer waits
        # long enough to time out.
        busy = Server("password-pool", binary, tenants, work,
                      PASSWORD_THREADS=1, PASSWORD_QUEUE=1,
                      PASSWORD_QUEUE_PER_TENANT=1, PASSWORD_ITERATIONS=64,
                      PASSWORD_MEMORY_KIB=65536,
                      ASK_TIMEOUT_MS=30000 * TIME_SCALE)
        servers.append(busy)
        pool = Background(drive_password_pool, c, busy)
        throttled = Server("login-throttle", binary, tenants, work)
        servers.append(throttled)
        throttle = Background(drive_login_throttle, c, throttled)
        main_server = Server("main", binary, tenants, work)
        servers.append(main_server)
        drive_admin(c, main_server)
        drive_serving(c, main_server)
        drive_messages(c, main_server)
        drive_openai(c, main_server)
        drive_open_routes_credentials(c, main_server)
        drive_identity(c, main_server)
        drive_audit(c, main_server)
        drive_routing(c, main_server)
        drive_broken_tenant(c, main_server)
        drive_unreadable_audit(c, main_server)
        stalled = Server("stalled", binary, tenants, work,
                         ASK_TIMEOUT_MS=STALL_ASK_TIMEOUT_MS,
                         TENANT_MAX_IN_FLIGHT=1)
        servers.append(stalled)
        drive_stalled_store(c, stalled)
        limited = Server("connections", binary, tenants, work,
                         MAX_CONNECTIONS=1)
        servers.append(limited)
        drive_connection_limit(c, limited)
        # Nine requests from one address: the ninth is over the limit.
        small = Server("small", binary, tenants, work, MAX_REPLY_BYTES=1024,
                       MAX_SESSIONS_PER_TENANT=1,
                       TENANT_REPLY_BYTES_PER_S=1024, CLIENT_RATE_LIMIT=8)
        servers.append(small)
        small_sid = drive_reply_limit(c, small)
        drive_reply_bandwidth(c, small, small_sid)
        drive_session_cap(c, small)
        drive_client_limit(c, small, small_sid)
        pool.join()
        throttle.join()
        finish_storage_faults(c, faults)
        c.check_coverage()
    finally:
        for s in servers:
            s.stop()
        if c.failures and main_server is not None:
            print("--- tenantd log (main) ---\n" + main_server.log_tail(),
                  file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
    took = time.monotonic() - started
    if c.failures:
        print(f"FAIL: {len(c.failures)} mismatches between docs/openapi.json "
              f"and the server ({c.answers} answers, {took:.1f} s)",
              file=sys.stderr)
        sys.exit(1)
    print(f"ok: {c.answers} answers match docs/openapi.json ({took:.1f} s)")


if __name__ == "__main__":
    main()
