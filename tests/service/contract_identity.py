"""The OpenAPI contract test's drivers of identity and access: the open
routes with credentials, users, keys and tokens, the audit trail, the
password pool and the login throttle (openapi_contract_test.py runs
them)."""

import os
import sqlite3
import time
import urllib.parse

from contract_support import *  # noqa: F401,F403 (the shared vocabulary)


def drive_open_routes_credentials(c, s):
    """The routes open to anyone take no credential, but a Bearer one sent
    must be valid: a wrong one is never taken for none. A header of another
    scheme (or Bearer alone) is not theirs: they ignore it, and answer as
    without one (an empty body is 422 on /session and /chat, 400 on the
    token endpoints)."""
    bad_checksum = forge_key("acme")
    bad_checksum = bad_checksum[:-1] + ("0" if bad_checksum[-1] != "0" else "1")
    ignored = {SESSION: 422, CHAT: 422, GRANT: 400, REVOKE: 400,
               MESSAGES: 422, MESSAGES_CLEAR: 422}
    for op_key in OPEN:
        method, template = op_key
        body = {} if method == "POST" else None
        for situation, header, expect in [
            ("another scheme, ignored", "Basic YTpi",
             ignored.get(op_key, 200)),
            ("Bearer without a credential, ignored", "Bearer",
             ignored.get(op_key, 200)),
            ("not a credential", "Bearer not-a-credential-0123456789", 401),
            ("an API key with a wrong checksum", "Bearer " + bad_checksum,
             401),
        ]:
            headers = {"Authorization": header}
            if method == "GET":
                check_get(c, op_key, situation, s, template, expect,
                          headers=headers)
            else:
                c.check(op_key, situation,
                        s.request(method, template, body, headers=headers),
                        expect)


def drive_identity(c, s):
    """A tenant's users and API keys, access tokens, and credentials on
    /session and /chat. acme gets users and keys; a globex key is another
    tenant's credential; contract-closed has "auth": "required"."""
    bad_checksum = forge_key("acme")
    bad_checksum = bad_checksum[:-1] + ("0" if bad_checksum[-1] != "0" else "1")
    for op_key in TENANT_ROUTES:
        method, template = op_key
        target = fill(template)
        body = {} if method in ("POST", "PATCH") else None
        for situation, kw in [
            ("no Authorization", {}),
            ("another scheme", {"headers": {"Authorization": "Basic YTpi"}}),
            ("Bearer without a credential",
             {"headers": {"Authorization": "Bearer"}}),
            ("not a credential", {"token": "wrong-token-0123456789"}),
            ("an API key with a wrong checksum", {"token": bad_checksum}),
        ]:
            if method == "GET":
                check_get(c, op_key, situation, s, target, 401, **kw)
            else:
                c.check(op_key, situation,
                        s.request(method, target, body, **kw), 401)

    acme = "/tenants/acme"
    users = acme + "/users"
    keys = acme + "/keys"
    ann_pw, bob_pw, carol_pw = ("correct horse battery",
                                "bob's long passphrase", "carol's passphrase")

    # Users: the platform admin makes an admin, who makes a member.
    res = s.admin("POST", users, {"email": "ann@acme.test", "password": ann_pw,
                                  "role": "admin"})
    c.check(USER_CREATE, "an admin, by the platform admin", res, 201)
    ann = (res.json() or {}).get("id", "")
    if res.header("Location") != f"{users}/{ann}":
        c.fail("POST /tenants/{id}/users [an admin]",
               f"Location is {res.header('Location')!r}")
    ann_token, res = login(s, "acme", "ann@acme.test", ann_pw)
    c.check(GRANT, "the password grant, form-encoded", res, 200)
    res = s.request("POST", users, {"email": "bob@acme.test",
                                    "password": bob_pw}, token=ann_token)
    c.check(USER_CREATE, "a member, by a tenant admin's token", res, 201)
    bob = (res.json() or {}).get("id", "")
    res = s.request("POST", "/auth/token",
                    {"grant_type": "password", "tenant": "acme",
                     "email": "BOB@acme.test", "password": bob_pw})
    c.check(GRANT, "the password grant as JSON, the email in another case",
            res, 200)
    bob_token = (res.json() or {}).get("access_token")
    res = s.admin("POST", users, {"email": "carol@acme.test",
                                  "password": carol_pw})
    c.check(USER_CREATE, "a member, by the platform admin", res, 201)
    carol = (res.json() or {}).get("id", "")
    carol_token, res = login(s, "acme", "carol@acme.test", carol_pw)
    c.check(GRANT, "a member's password", res, 200)
    res = s.admin("POST", "/tenants/globex/keys", {"name": "globex-ci"})
    c.check(KEY_CREATE, "a key of globex", res, 201)
    globex_key = (res.json() or {}).get("key")

    c.check(USER_CREATE, "an email taken, in another case",
            s.admin("POST", users, {"email": "ANN@ACME.test",
                                    "password": ann_pw}), 409)
    bad_user = {"email": "no-at", "password": "short", "role": "owner",
                "x": 1}
    res = s.admin("POST", users, bad_user)
    c.check(USER_CREATE, "every problem", res, 422,
            detail_types=["value_error"] * 4)
    check_inputs(c, "POST /tenants/{id}/users [every problem]", res, bad_user)
    res = s.admin("POST", users, {})
    c.check(USER_CREATE, "an empty object", res, 422,
            detail_types=["value_error"] * 2)
    check_inputs(c, "POST /tenants/{id}/users [an empty object]", res, {})
    c.check(USER_CREATE, "form content type",
            s.admin("POST", users, b'{"email":"a@b.c"}', content_type=FORM),
            422, detail_types=["model_attributes_type"])
    c.check(USER_CREATE, "no body", s.admin("POST", users), 422,
            detail_types=["missing"])
    c.check(USER_CREATE, "invalid JSON", s.admin("POST", users, b"{"), 422,
            detail_types=["json_invalid"])
    c.check(USER_CREATE, "body over BODY_LIMIT",
            announce_body(s.port, "POST", users, 65537), 413)
    new_user = {"email": "dan@acme.test", "password": "dan's passphrase"}
    c.check(USER_CREATE, "unknown tenant",
            s.admin("POST", "/tenants/nope/users", new_user), 404)
    c.check(USER_CREATE, "by a member",
            s.request("POST", users, new_user, token=bob_token), 403)
    c.check(USER_CREATE, "with another tenant's key",
            s.request("POST", users, new_user, token=globex_key), 403)

    check_get(c, USERS, "by the platform admin", s, users, 200, token=TOKEN)
    check_get(c, USERS, "by a tenant admin's token", s, users, 200,
              token=ann_token)
    check_get(c, USERS, "a page of 1", s, users + "?offset=1&limit=1", 200,
              token=TOKEN)
    check_get(c, USERS, "by a member", s, users, 403, token=bob_token)
    check_get(c, USERS, "with another tenant's key", s, users, 403,
              token=globex_key)
    check_get(c, USERS, "an API key that does not exist", s, users, 401,
              token=forge_key("acme"))
    check_get(c, USERS, "unknown tenant", s, "/tenants/nope/users", 404,
              token=TOKEN)
    query = "?offset=-1&limit=5000&page=2&limit=x"
    c.check(USERS, "every query problem", s.admin("GET", users + query), 422,
            detail_types=["greater_than_equal", "less_than_equal",
                          "extra_forbidden", "int_parsing"])
    c.check(("HEAD", USERS[1]), "every query problem",
            s.request("HEAD", users + query, token=TOKEN), 422)

    check_get(c, USER, "a member, by the platform admin", s,
              f"{users}/{bob}", 200, token=TOKEN)
    check_get(c, USER, "a member reading itself", s, f"{users}/{bob}", 200,
              token=bob_token)
    check_get(c, USER, "a member reading another user", s, f"{users}/{ann}",
              403, token=bob_token)
    check_get(c, USER, "with another tenant's key", s, f"{users}/{ann}", 403,
              token=globex_key)
    check_get(c, USER, "unknown user", s, users + "/usr_nope", 404,
              token=TOKEN)
    check_get(c, USER, "unknown tenant", s, f"/tenants/nope/users/{ann}", 404,
              token=TOKEN)

    carol_at = f"{users}/{carol}"
    c.check(USER_PATCH, "a new role, by a tenant admin",
            s.request("PATCH", carol_at, {"role": "admin"}, token=ann_token),
            200)
    c.check(USER_PATCH, "a new password, as a merge patch",
            s.admin("PATCH", carol_at, {"password": carol_pw + "!"},
                    content_type="application/merge-patch+json"), 200)
    c.check(USER_PATCH, "an empty patch", s.admin("PATCH", carol_at, {}), 200)
    c.check(USER_PATCH, "by a member",
            s.request("PATCH", carol_at, {"role": "member"}, token=bob_token),
            403)
    c.check(USER_PATCH, "unknown user",
            s.admin("PATCH", users + "/usr_nope", {"role": "admin"}), 404)
    bad_patch = {"role": "owner", "disabled": "yes", "password": "short",
                 "email": "x"}
    res = s.admin("PATCH", carol_at, bad_patch)
    c.check(USER_PATCH, "every problem", res, 422,
            detail_types=["value_error"] * 4)
    check_inputs(c, "PATCH /tenants/{id}/users/{user_id} [every problem]",
                 res, bad_patch)
    c.check(USER_PATCH, "not an object", s.admin("PATCH", carol_at, []), 422,
            detail_types=["model_attributes_type"])
    c.check(USER_PATCH, "body over BODY_LIMIT",
            announce_body(s.port, "PATCH", carol_at, 65537), 413)
    c.check(USER_PATCH, "disabled", s.admin("PATCH", carol_at,
                                            {"disabled": True}), 200)
    # A disabled user's token opens nothing, and it cannot log in.
    c.check(SESSION, "a disabled user's token",
            s.request("POST", "/session", {"tenant_id": "acme"},
                      token=carol_token), 401)
    c.check(GRANT, "a disabled user",
            login(s, "acme", "carol@acme.test", carol_pw + "!")[1], 400)
    c.check(USER_DELETE, "by a member",
            s.request("DELETE", carol_at, token=bob_token), 403)
    c.check(USER_DELETE, "a user, by a tenant admin",
            s.request("DELETE", carol_at, token=ann_token), 204)
    c.check(USER_DELETE, "the same user again", s.admin("DELETE", carol_at),
            404)
    c.check(USER_DELETE, "unknown tenant",
            s.admin("DELETE", f"/tenants/nope/users/{ann}"), 404)
    check_get(c, USER, "a deleted user", s, carol_at, 404, token=TOKEN)

    # API keys.
    res = s.admin("POST", keys, {"name": "ci", "role": "admin",
                                 "expires_at": "2999-01-01T00:00:00Z"})
    c.check(KEY_CREATE, "an admin key that expires, by the platform admin",
            res, 201)
    admin_key = (res.json() or {}).get("key")
    if res.header("Location") != f"{keys}/{(res.json() or {}).get('id')}":
        c.fail("POST /tenants/{id}/keys [an admin key]",
               f"Location is {res.header('Location')!r}")
    res = s.request("POST", keys, {"name": "widget"}, token=ann_token)
    c.check(KEY_CREATE, "a member key, by a tenant admin's token", res, 201)
    widget = res.json() or {}
    c.check(KEY_CREATE, "by a member",
            s.request("POST", keys, {"name": "x"}, token=bob_token), 403)
    c.check(KEY_CREATE, "with another tenant's key",
            s.request("POST", keys, {"name": "x"}, token=globex_key), 403)
    c.check(KEY_CREATE, "unknown tenant",
            s.admin("POST", "/tenants/nope/keys", {"name": "x"}), 404)
    c.check(KEY_CREATE, "not a tenant id",
            s.admin("POST", "/tenants/Not%20An%20Id/keys", {"name": "x"}), 404)
    bad_key = {"name": "", "role": "owner",
               "expires_at": "2020-01-01T00:00:00Z", "x": 1}
    res = s.admin("POST", keys, bad_key)
    c.check(KEY_CREATE, "every problem", res, 422,
            detail_types=["value_error"] * 4)
    check_inputs(c, "POST /tenants/{id}/keys [every problem]", res, bad_key)
    for situation, when in [("not RFC 3339", "tomorrow"),
                            ("an impossible date", "2030-02-31T00:00:00Z"),
                            ("February 29 of a common year",
                             "2100-02-29T00:00:00Z"),
                            ("second 60", "2030-06-30T23:59:60Z"),
                            ("not UTC", "2030-01-01T00:00:00+01:00")]:
        bad_key = {"name": "x", "expires_at": when}
        res = s.admin("POST", keys, bad_key)
        c.check(KEY_CREATE, f"expires_at {situation}", res, 422,
                detail_types=["value_error"])
        check_inputs(c, f"POST /tenants/{{id}}/keys [{situation}]", res,
                     bad_key)
    c.check(KEY_CREATE, "expires_at on February 29 of a leap year",
            s.admin("POST", keys, {"name": "leap",
                                   "expires_at": "2032-02-29T12:00:00.5Z"}),
            201)
    c.check(KEY_CREATE, "body over BODY_LIMIT",
            announce_body(s.port, "POST", keys, 65537), 413)

    check_get(c, KEYS, "by the platform admin", s, keys, 200, token=TOKEN)
    check_get(c, KEYS, "by an admin key", s, keys, 200, token=admin_key)
    check_get(c, KEYS, "a page of 1", s, keys + "?offset=1&limit=1", 200,
              token=ann_token)
    check_get(c, KEYS, "by a member", s, keys, 403, token=bob_token)
    check_get(c, KEYS, "with another tenant's key", s, keys, 403,
              token=globex_key)
    check_get(c, KEYS, "an API key that does not exist", s, keys, 401,
              token=forge_key("acme"))
    check_get(c, KEYS, "unknown tenant", s, "/tenants/nope/keys", 404,
              token=TOKEN)
    c.check(KEYS, "every query problem", s.admin("GET", keys + query), 422,
            detail_types=["greater_than_equal", "less_than_equal",
                          "extra_forbidden", "int_parsing"])
    c.check(("HEAD", KEYS[1]), "every query problem",
            s.request("HEAD", keys + query, token=TOKEN), 422)

    widget_at = f"{keys}/{widget.get('id')}"
    c.check(SESSION, "a member key", s.request(
        "POST", "/session", {"tenant_id": "acme"}, token=widget.get("key")),
        200)
    c.check(KEY_REVOKE, "by a member",
            s.request("DELETE", widget_at, token=bob_token), 403)
    c.check(KEY_REVOKE, "a key, by a tenant admin's token",
            s.request("DELETE", widget_at, token=ann_token), 204)
    c.check(KEY_REVOKE, "the same key again", s.admin("DELETE", widget_at),
            404)
    c.check(KEY_REVOKE, "unknown tenant",
            s.admin("DELETE", "/tenants/nope/keys/key_x"), 404)
    c.check(SESSION, "a revoked key", s.request(
        "POST", "/session", {"tenant_id": "acme"}, token=widget.get("key")),
        401)

    # The token endpoint's other answers.
    res = s.request("POST", "/auth/token", "grant_type=client_credentials",
                    content_type=FORM, token=admin_key)
    c.check(GRANT, "the client-credentials grant", res, 200)
    key_token = (res.json() or {}).get("access_token")
    check_get(c, USERS, "an admin key's token", s, users, 200, token=key_token)
    for situation, kw, expect in [
        ("client credentials without a key", {}, 401),
        ("client credentials with a user's token", {"token": ann_token}, 401),
        ("client credentials with a key that does not exist",
         {"token": forge_key("acme")}, 401),
        ("client credentials with the admin token", {"token": TOKEN}, 401),
    ]:
        c.check(GRANT, situation,
                s.request("POST", "/auth/token", "grant_type=client_credentials",
                          content_type=FORM, **kw), expect)
    for situation, body, ctype in [
        ("no grant_type", {}, "application/json"),
        ("another grant", "grant_type=implicit", FORM),
        ("a wrong password", urllib.parse.urlencode(
            {"grant_type": "password", "tenant": "acme",
             "username": "ann@acme.test", "password": "not ann's password"}),
         FORM),
        ("unknown tenant", {"grant_type": "password", "tenant": "nope",
                            "username": "ann@acme.test", "password": ann_pw},
         "application/json"),
        ("no password", "grant_type=password&tenant=acme&username=x", FORM),
        ("text/plain", "grant_type=password", "text/plain"),
        ("a parameter twice", "grant_type=password&grant_type=password", FORM),
        ("a JSON member not a string", {"grant_type": 1}, "application/json"),
        ("JSON not an object", ["password"], "application/json"),
    ]:
        c.check(GRANT, situation, s.request("POST", "/auth/token", body,
                                            content_type=ctype), 400)
    c.check(GRANT, "body over BODY_LIMIT",
            announce_body(s.port, "POST", "/auth/token", 65537), 413)

    # Revocation: the token is refused from then on.
    c.check(REVOKE, "a member's token",
            s.request("POST", "/auth/revoke", "token=" + (bob_token or ""),
                      content_type=FORM), 200)
    check_get(c, USER, "a revoked token", s, f"{users}/{bob}", 401,
              token=bob_token)
    c.check(REVOKE, "not a token, as JSON",
            s.request("POST", "/auth/revoke", {"token": "not-a-token"}), 200)
    c.check(REVOKE, "no token",
            s.request("POST", "/auth/revoke", "x=1", content_type=FORM), 400)
    c.check(REVOKE, "text/plain",
            s.request("POST", "/auth/revoke", "token=x",
                      content_type="text/plain"), 400)
    c.check(REVOKE, "body over BODY_LIMIT",
            announce_body(s.port, "POST", "/auth/revoke", 65537), 413)

    # The signing keys: tokens of the previous key stay valid.
    c.check(ROTATE, "no Authorization", s.request("POST", "/auth/keys/rotate"),
            401)
    c.check(ROTATE, "a wrong token",
            s.request("POST", "/auth/keys/rotate", token="wrong-token-0123456789"),
            401)
    c.check(ROTATE, "a tenant admin's token",
            s.request("POST", "/auth/keys/rotate", token=ann_token), 403)
    c.check(ROTATE, "an API key", s.request("POST", "/auth/keys/rotate",
                                            token=admin_key), 403)
    c.check(ROTATE, "by the platform admin", s.admin("POST", "/auth/keys/rotate"),
            200)
    check_get(c, USERS, "a token of the previous signing key", s, users, 200,
              token=ann_token)
    check_get(c, JWKS, "after a rotation", s, "/.well-known/jwks.json", 200)
    jwks = s.request("GET", "/.well-known/jwks.json").json() or {}
    if len(jwks.get("keys", [])) != 2:
        c.fail("GET /.well-known/jwks.json", "after a rotation it should "
               f"have the new key and the previous one: {jwks}")
    check_get(c, OIDC, "the discovery document", s,
              "/.well-known/openid-configuration", 200)

    # Credentials on /session and /chat.
    closed = "contract-closed"
    c.check(SESSION, "auth required, no credential",
            s.request("POST", "/session", {"tenant_id": closed}), 401)
    closed_keys = []
    for name in ["one", "two"]:
        res = s.admin("POST", f"/tenants/{closed}/keys", {"name": name})
        c.check(KEY_CREATE, f"a key of {closed}", res, 201)
        closed_keys.append((res.json() or {}).get("key"))
    res = s.request("POST", "/session", {"tenant_id": closed},
                    token=closed_keys[0])
    c.check(SESSION, "auth required, the tenant's key", res, 200)
    sid = (res.json() or {}).get("session_id", "")
    c.check(CHAT, "auth required, the key that opened the session",
            s.request("POST", "/chat", chat_body(closed, sid),
                      token=closed_keys[0]), 200)
    c.check(CHAT, "auth required, no credential",
            s.request("POST", "/chat", chat_body(closed, sid)), 401)
    c.check(CHAT, "the session of another key",
            s.request("POST", "/chat", chat_body(closed, sid),
                      token=closed_keys[1]), 403)
    c.check(CHAT, "with another tenant's key",
            s.request("POST", "/chat", chat_body(closed, sid),
                      token=globex_key), 403)
    c.check(CHAT, "an API key that does not exist",
            s.request("POST", "/chat", chat_body(closed, sid),
                      token=forge_key(closed)), 401)
    c.check(SESSION, "with another tenant's key",
            s.request("POST", "/session", {"tenant_id": "acme"},
                      token=globex_key), 403)
    c.check(SESSION, "an API key that does not exist",
            s.request("POST", "/session", {"tenant_id": "acme"},
                      token=forge_key("acme")), 401)
    res = s.request("POST", "/session", {"tenant_id": "acme"}, token=ann_token)
    c.check(SESSION, "a user's token", res, 200)
    sid = (res.json() or {}).get("session_id", "")
    c.check(CHAT, "a user's session, with its token",
            s.request("POST", "/chat", chat_body("acme", sid), token=ann_token),
            200)
    c.check(CHAT, "a user's session, without a credential",
            s.request("POST", "/chat", chat_body("acme", sid)), 403)

    # A suspended tenant: its users and keys are out of reach too.
    suspended = "/tenants/contract-suspended"
    c.check(SUSPEND, "a tenant before its users and keys are asked for",
            s.admin("POST", suspended + "/suspend"), 200)
    for op_key in TENANT_ROUTES:
        method, template = op_key
        target = fill(template, id="contract-suspended")
        body = {"email": "eve@x.test", "password": "eve's passphrase"} \
            if op_key == USER_CREATE else {"name": "x"} \
            if op_key == KEY_CREATE else {} if method == "PATCH" else None
        if method == "GET":
            check_get(c, op_key, "a suspended tenant", s, target, 403,
                      token=TOKEN)
        else:
            c.check(op_key, "a suspended tenant", s.admin(method, target, body),
                    403)
    c.check(RESUME, "a tenant after its users and keys were asked for",
            s.admin("POST", suspended + "/resume"), 200)


def drive_audit(c, s):
    """The audit trail of what the other situations did: a tenant's events
    (its admins and the platform admin), the check of its chain (intact,
    then with an event removed from outside), and every chain (the platform
    admin). drive_identity has run: acme has users and keys, contract-closed
    keys, contract-archived is archived."""
    def key(tenant, name, role="member"):
        res = s.admin("POST", f"/tenants/{tenant}/keys",
                      {"name": name, "role": role})
        c.check(KEY_CREATE, f"a {role} key of {tenant}, for the audit", res,
                201)
        return (res.json() or {}).get("key")

    admin_key = key("acme", "auditor", "admin")
    member_key = key("acme", "reader")
    globex_key = key("globex", "outsider")
    audit = "/tenants/acme/audit"
    verify = audit + "/verify"

    res = s.admin("GET", audit)
    c.check(TENANT_AUDIT, "by the platform admin", res, 200)
    events = (res.json() or {}).get("events", [])
    if not any(e.get("action") == "user.created" for e in events):
        c.fail("GET /tenants/{id}/audit", "acme's trail lacks its users' "
               f"creation: {shorten(str(events))}")
    for op_key, target in [(TENANT_AUDIT, audit), (AUDIT_VERIFY, verify)]:
        check_get(c, op_key, "by a tenant admin key", s, target, 200,
                  token=admin_key)
        check_get(c, op_key, "by a member key", s, target, 403,
                  token=member_key)
        check_get(c, op_key, "with another tenant's key", s, target, 403,
                  token=globex_key)
        check_get(c, op_key, "an API key that does not exist", s, target, 401,
                  token=forge_key("acme"))
        check_get(c, op_key, "unknown tenant", s,
                  target.replace("acme", "nope"), 404, token=TOKEN)
        check_get(c, op_key, "an archived tenant", s,
                  target.replace("acme", "contract-archived"), 404,
                  token=TOKEN)
    # A tenant's admins read it and change its settings, not its limits.
    check_get(c, READ, "by a tenant admin key", s, "/tenants/acme", 200,
              token=admin_key)
    c.check(PATCH, "its welcome, by a tenant admin key",
            s.request("PATCH", "/tenants/acme", {"welcome": "Howdy from Acme!"},
                      token=admin_key,
                      content_type="application/merge-patch+json"),
            200)
    c.check(PATCH, "its limits, by a tenant admin key",
            s.request("PATCH", "/tenants/acme", {"limits": {"chat_per_10s": 9}},
                      token=admin_key,
                      content_type="application/merge-patch+json"),
            403)
    check_get(c, READ, "by a member key", s, "/tenants/acme", 403,
              token=member_key)
    c.check(PATCH, "with another tenant's key",
            s.request("PATCH", "/tenants/acme", {"welcome": "x"},
                      token=globex_key,
                      content_type="application/merge-patch+json"),
            403)
    # Filters and paging: two key.created by the platform admin at least.
    query = ("?action=key.created&principal=platform_admin"
             "&from=2000-02-29T00:00:00Z&to=2999-12-31T23:59:59.999Z&limit=1")
    res = s.admin("GET", audit + query)
    c.check(TENANT_AUDIT, "filtered, a page of 1", res, 200)
    page = res.json() or {}
    nxt = page.get("next")
    if not isinstance(nxt, int):
        c.fail("GET /tenants/{id}/audit [a page of 1]",
               f"no next page: {shorten(str(page))}")
        nxt = 1
    res = s.admin("GET", audit + query + f"&cursor={nxt}")
    c.check(TENANT_AUDIT, "the next page", res, 200)
    seen = page.get("events", []) + (res.json() or {}).get("events", [])
    if len({e.get("id") for e in seen}) != 2 or any(
            e.get("action") != "key.created"
            or e.get("principal", {}).get("kind") != "platform_admin"
            for e in seen):
        c.fail("GET /tenants/{id}/audit [filtered]", "the two pages are not "
               f"two distinct matching events: {shorten(str(seen))}")
    check_get(c, TENANT_AUDIT, "a principal by kind and id, nothing found", s,
              audit + "?principal=user:usr_nope", 200, token=TOKEN)
    bad = ("?from=2030-02-31T00:00:00Z&to=2030-06-30T23:59:60Z&cursor=0"
           "&limit=1001&tenant=acme")
    c.check(TENANT_AUDIT, "every query problem", s.admin("GET", audit + bad),
            422, detail_types=["value_error"] * 5)
    c.check(("HEAD", TENANT_AUDIT[1]), "every query problem",
            s.request("HEAD", audit + bad, token=TOKEN), 422)
    c.check(TENANT_AUDIT, "a parameter twice",
            s.admin("GET", audit + "?limit=1&limit=2"), 422,
            detail_types=["value_error"])
    c.check(TENANT_AUDIT, "the query checked before the tenant",
            s.admin("GET", "/tenants/nope/audit?limit=0"), 422)
    check_get(c, AUDIT_VERIFY, "a query, ignored", s, verify + "?limit=0",
              200, token=TOKEN)

    # A chain with an event removed from outside: the verdict names the
    # event after the gap.
    res = s.admin("POST", "/tenants", {"id": "contract-audit", "name": "A",
                                       "welcome": ""})
    c.check(CREATE, "a tenant whose chain is broken later", res, 201)
    for name in ["one", "two"]:
        key("contract-audit", name)
    target = "/tenants/contract-audit/audit/verify"
    res = s.admin("GET", target)
    c.check(AUDIT_VERIFY, "an intact chain", res, 200)
    if (res.json() or {}).get("intact") is not True:
        c.fail("GET /tenants/{id}/audit/verify", f"not intact: {res}")
    db = sqlite3.connect(os.path.join(s.data, "tenantd.db"), timeout=5)
    try:
        db.execute("DELETE FROM audit_events WHERE tenant = 'contract-audit' "
                   "AND seq = 2")
        db.commit()
    finally:
        db.close()
    res = s.admin("GET", target)
    c.check(AUDIT_VERIFY, "an event removed from outside", res, 200)
    broken = (res.json() or {}).get("first_broken") or {}
    if broken.get("seq") != 3 or broken.get("problem") != \
            "events before it are missing":
        c.fail("GET /tenants/{id}/audit/verify [an event removed]",
               f"the verdict does not name seq 3 after the gap: {res}")

    # Every chain: the platform admin only.
    check_get(c, ALL_AUDIT, "every chain", s, "/audit", 200, token=TOKEN)
    check_get(c, ALL_AUDIT, "one tenant's chain, a page of 2", s,
              "/audit?tenant=acme&limit=2", 200, token=TOKEN)
    res = s.admin("GET", "/audit?tenant=contract-archived")
    c.check(ALL_AUDIT, "an archived tenant's chain", res, 200)
    if not (res.json() or {}).get("events"):
        c.fail("GET /audit [an archived tenant]", f"no events: {res}")
    c.check(ALL_AUDIT, "an unknown tenant's chain (empty)",
            s.admin("GET", "/audit?tenant=nope"), 200)
    c.check(ALL_AUDIT, "every query problem",
            s.admin("GET", "/audit?from=x&to=2100-02-29T00:00:00Z&cursor=-1"
                    "&limit=x&page=2"), 422,
            detail_types=["value_error"] * 5)
    c.check(("HEAD", ALL_AUDIT[1]), "every query problem",
            s.request("HEAD", "/audit?limit=0", token=TOKEN), 422)
    c.check(ALL_AUDIT, "a parameter twice",
            s.admin("GET", "/audit?tenant=a&tenant=b"), 422,
            detail_types=["value_error"])
    for situation, kw, expect in [
        ("no Authorization", {}, 401),
        ("another scheme", {"headers": {"Authorization": "Basic YTpi"}}, 401),
        ("a wrong token", {"token": "wrong-token-0123456789"}, 401),
        ("a tenant admin's key", {"token": admin_key}, 403),
        ("a tenant's credential (an API key of the right form)",
         {"token": forge_key("acme")}, 403),
    ]:
        check_get(c, ALL_AUDIT, situation, s, "/audit", expect, **kw)


def drive_password_pool(c, s):
    """PASSWORD_THREADS=1, PASSWORD_QUEUE=1 (and PASSWORD_QUEUE_PER_TENANT=1)
    and slow hashes (about a second): with one login being checked and
    one waiting, another login, a new user, a new password and a signing
    key rotation (which runs on the same pool) are refused at once with
    503 and Retry-After: 1. The second login is sent once the first is
    surely on the pool's thread, the refused ones right after it, well
    within the first one's hash."""
    users = "/tenants/acme/users"
    password = "correct horse battery"
    res = s.admin("POST", users, {"email": "ann@acme.test",
                                  "password": password})
    c.check(USER_CREATE, "a user, the password pool free", res, 201)
    ann = f"{users}/{(res.json() or {}).get('id', '')}"
    wrong = urllib.parse.urlencode({"grant_type": "password", "tenant": "acme",
                                    "username": "ann@acme.test",
                                    "password": "not the password"})
    fillers = []
    for _ in range(2):  # one checked, one waiting
        fillers.append(Background(s.request, "POST", "/auth/token", wrong,
                                  content_type=FORM))
        time.sleep(0.05 * TIME_SCALE)
    refused = [
        (GRANT, login(s, "acme", "ann@acme.test", password)[1]),
        (ROTATE, s.admin("POST", "/auth/keys/rotate")),
        (USER_CREATE, s.admin("POST", users, {"email": "bob@acme.test",
                                              "password": password})),
        (USER_PATCH, s.admin("PATCH", ann, {"password": password + "!"})),
    ]
    for op_key, res in refused:
        c.check(op_key, "the password pool full", res, 503)
        if res.header("Retry-After") != "1":
            c.fail(f"{' '.join(op_key)} [the password pool full]",
                   f"Retry-After is {res.header('Retry-After')!r}, not '1'")
    for pending in fillers:
        c.check(GRANT, "a wrong password, while the pool fills",
                pending.join(), 400)
    # Nothing was changed by the refusals.
    res = s.admin("GET", users)
    emails = [u.get("email") for u in (res.json() or {}).get("users", [])]
    if emails != ["ann@acme.test"]:
        c.fail("POST /tenants/{id}/users [the password pool full]",
               f"the refused user was made: {emails}")


def drive_login_throttle(c, s):
    """LOGIN_FREE_FAILURES failed logins of one email, all from 127.0.0.1:
    the next from that address is throttled by the address (before its
    tenant is asked), and the next from 127.0.0.2 by the email (in its
    tenant); both refuse the right password. A server of its own: its
    per-address count is its own."""
    users = "/tenants/acme/users"
    password = "correct horse battery"
    c.check(USER_CREATE, "a user to throttle",
            s.admin("POST", users, {"email": "ann@acme.test",
                                    "password": password}), 201)
    for i in range(LOGIN_FREE_FAILURES):
        c.check(GRANT, f"failed login {i + 1} of {LOGIN_FREE_FAILURES}",
                login(s, "acme", "ann@acme.test", "not the password")[1], 400)
    right = urllib.parse.urlencode({"grant_type": "password", "tenant": "acme",
                                    "username": "ANN@acme.test",
                                    "password": password})
    for situation, source in [("from the address that failed", "127.0.0.1"),
                              ("the email that failed, another address",
                               "127.0.0.2")]:
        res = s.request("POST", "/auth/token", right, content_type=FORM,
                        source=source)
        c.check(GRANT, f"throttled {situation}, the right password", res, 429)
        if res.header("Retry-After") != "1":
            c.fail(f"POST /auth/token [throttled {situation}]",
                   f"Retry-After is {res.header('Retry-After')!r}, not '1'")
    # Where each refusal was decided: the address's in the platform's chain,
    # the email's in the tenant's.
    res = s.admin("GET", "/audit?action=login.throttled")
    c.check(ALL_AUDIT, "the throttled logins", res, 200)
    chains = sorted(str(e.get("tenant"))
                    for e in (res.json() or {}).get("events", []))
    if chains != ["None", "acme"]:
        c.fail("GET /audit [the throttled logins]", "expected one event of "
               f"the platform's chain and one of acme's: {chains}")
