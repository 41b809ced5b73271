#!/usr/bin/python3
"""Access tokens checked by an independent verifier, durability of the
identity data, and no secret in the logs, against the real binary.

- PyJWT (Debian's python3-jwt, with python3-cryptography) verifies the
  tokens of the password and client-credentials grants against
  GET /.well-known/jwks.json alone: EdDSA, "typ" at+jwt, the "kid" of a
  published key, "iss" the OpenID configuration's issuer, "aud" tenantd,
  every registered claim present. After POST /auth/keys/rotate the JWKS
  holds two keys, an old token still verifies against it (and is still
  accepted), and a new token names the new kid.
- Users, API keys, signing keys and the audit trail survive a graceful
  restart and a kill -9 on the same DATA_DIR: the key still opens sessions,
  the users log in, the old tokens still verify and are accepted, and
  GET /tenants/{id}/audit/verify is intact, with every event still there.
- The whole scenario runs with LOG_REQUESTS=all LOG_LEVEL=debug; no log line
  (stdout and stderr, every run) holds a password, the API key (or its
  secret part), an access token (or its signature), the admin token, the
  key secret or a chat message.
- The data directory's secrets are owner-only: admin-token and key-secret
  0600, signing-keys/ 0700 with keys.json 0600.

Runs with /usr/bin/python3 (where python3-jwt installs); exits 77 (SKIP)
if PyJWT or python3-cryptography is missing there.

Usage: tests/service/jwt_verify_test.py TENANTD_BINARY
"""

import http.client
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse

try:
    import jwt
    from jwt.algorithms import has_crypto
    if not has_crypto:
        raise ImportError("python3-cryptography is missing")
except ImportError as e:
    print(f"SKIP: PyJWT with python3-cryptography is not installed ({e}); "
          "apt-get install python3-jwt python3-cryptography")
    sys.exit(77)

TENANT = "vault"
ADMIN_PASSWORD = "Adm1n-pass-phrase-for-vault"
MEMBER_PASSWORD = "memb3r-pass-phrase-for-vault"
WRONG_PASSWORD = "n0t-the-right-phrase-at-all"
CHAT_MESSAGE = "the-eagle-lands-at-midnight-7Q4Z"
# Sanitized builds serve several times slower (scripts/test-sanitize.sh).
TIME_SCALE = max(1, int(os.environ.get("TENANTD_TEST_TIME_SCALE", "1")))
ISSUED = []  # every access token, to look for in the logs


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Server:
    """tenantd on 127.0.0.1 with a port of its own, on `data`."""

    def __init__(self, binary, tenants, data, log_path):
        env = {k: v for k, v in os.environ.items()
               if k not in ("ADMIN_TOKEN", "PORT", "HOST", "DATA_DIR",
                            "TENANTS_FILE", "TOKEN_ISSUER", "TOKEN_AUDIENCE",
                            "ACCESS_TOKEN_TTL", "LOG_FORMAT")}
        env.update(LOG_REQUESTS="all", LOG_LEVEL="debug", IO_THREADS="1",
                   ACTOR_THREADS="1")
        self.log_path = log_path
        self.log = open(log_path, "w")
        # stdout and stderr both: every line the process writes.
        self.proc = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", "0", "--tenants-file",
             tenants, "--data-dir", data],
            env=env, stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)
        self.port = None
        deadline = time.time() + 10 * TIME_SCALE
        while time.time() < deadline:
            with open(log_path) as f:
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+) ",
                              f.read())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                raise Failure("the server exited during start-up:\n"
                              + self.tail())
            time.sleep(0.01)
        if self.port is None:
            self.kill()
            raise Failure("the server did not start listening")

    def tail(self, lines=30):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-lines:])

    def call(self, method, path, body=None, headers=None, form=False):
        """(status, headers, parsed JSON or text) of one request."""
        headers = dict(headers or {})
        data = None
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = json.dumps(body)
                headers.setdefault(
                    "Content-Type", "application/merge-patch+json"
                    if method == "PATCH" else "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=10 * TIME_SCALE)
        try:
            conn.request(method, path, body=data, headers=headers)
            res = conn.getresponse()
            text = res.read().decode()
            try:
                parsed = json.loads(text) if text else None
            except ValueError:
                parsed = text
            return res.status, dict(res.getheaders()), parsed
        finally:
            conn.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15 * TIME_SCALE)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("the server did not stop on SIGTERM")
        self.log.close()

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()


def bearer(credential):
    return {"Authorization": "Bearer " + credential}


def expect(srv, want, method, path, body=None, headers=None, form=False):
    status, hdrs, parsed = srv.call(method, path, body, headers, form)
    if status != want:
        raise Failure(f"{method} {path}: {status} {parsed}, not {want}\n"
                      + srv.tail())
    return parsed, hdrs


def login(srv, email, password):
    body, hdrs = expect(srv, 200, "POST", "/auth/token",
                        {"grant_type": "password", "tenant": TENANT,
                         "username": email, "password": password}, form=True)
    check(hdrs.get("Cache-Control") == "no-store", "token answer cacheable")
    ISSUED.append(body["access_token"])
    return body["access_token"]


def discovery(srv):
    config, _ = expect(srv, 200, "GET", "/.well-known/openid-configuration")
    jwks, hdrs = expect(srv, 200, "GET", "/.well-known/jwks.json")
    check(hdrs.get("Content-Type") == "application/jwk-set+json",
          f"JWKS content type {hdrs.get('Content-Type')}")
    return config, jwks


def verify(token, config, jwks, audience="tenantd"):
    """The claims of `token` as PyJWT checks them against `jwks` alone."""
    header = jwt.get_unverified_header(token)
    check(header.get("alg") == "EdDSA", f"alg {header.get('alg')}")
    check(header.get("typ") == "at+jwt", f"typ {header.get('typ')}")
    keys = {k["kid"]: k for k in jwks["keys"]}
    check(header.get("kid") in keys,
          f"kid {header.get('kid')} not in the JWKS {list(keys)}")
    jwk = keys[header["kid"]]
    check(jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519"
          and jwk.get("alg") == "EdDSA" and "d" not in jwk,
          f"JWK {jwk}")
    key = jwt.PyJWK(jwk).key
    return jwt.decode(
        token, key, algorithms=["EdDSA"], audience=audience,
        issuer=config["issuer"],
        options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub",
                             "jti"]})


def refused_by_pyjwt(token, config, jwks, **kwargs):
    try:
        verify(token, config, jwks, **kwargs)
    except (jwt.InvalidTokenError, Failure):
        return True
    return False


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def check_files(data):
    for name, want in [("admin-token", 0o600), ("key-secret", 0o600),
                       ("signing-keys", 0o700),
                       ("signing-keys/keys.json", 0o600)]:
        got = mode(os.path.join(data, name))
        check(got == want, f"{name} has mode {oct(got)}, not {oct(want)}")


def check_durable(srv, state, admin_token, label):
    """What must hold after a restart or a kill -9."""
    auth = bearer(admin_token)
    # The users are there and log in.
    users, _ = expect(srv, 200, "GET", f"/tenants/{TENANT}/users",
                      headers=auth)
    check(sorted(u["email"] for u in users["users"])
          == ["admin@vault.test", "member@vault.test"],
          f"{label}: users {users}")
    login(srv, "member@vault.test", MEMBER_PASSWORD)
    # The key still opens sessions (and is listed).
    expect(srv, 200, "POST", "/session", {"tenant_id": TENANT},
           bearer(state["key"]))
    keys, _ = expect(srv, 200, "GET", f"/tenants/{TENANT}/keys", headers=auth)
    check([k["id"] for k in keys["keys"]] == [state["key_id"]],
          f"{label}: keys {keys}")
    # Both signing keys, the current one the same.
    config, jwks = discovery(srv)
    check([k["kid"] for k in jwks["keys"]] == state["kids"],
          f"{label}: JWKS {jwks} after {state['kids']}")
    # The old tokens verify and are accepted.
    for token in (state["old_token"], state["new_token"]):
        verify(token, config, jwks)
        expect(srv, 200, "POST", "/session", {"tenant_id": TENANT},
               bearer(token))
    fresh = login(srv, "admin@vault.test", ADMIN_PASSWORD)
    check(jwt.get_unverified_header(fresh)["kid"] == state["kids"][0],
          f"{label}: a new token is not signed by the current key")
    # The audit trail: every event still there, the chain intact.
    verdict, _ = expect(srv, 200, "GET", f"/tenants/{TENANT}/audit/verify",
                        headers=auth)
    check(verdict["intact"] and verdict["first_broken"] is None,
          f"{label}: audit chain {verdict}")
    check(verdict["checked"] >= state["events"],
          f"{label}: {verdict['checked']} events, {state['events']} before")
    events, _ = expect(srv, 200, "GET",
                       f"/tenants/{TENANT}/audit?limit=1000", headers=auth)
    ids = [e["id"] for e in events["events"]]
    check(set(state["event_ids"]) <= set(ids),
          f"{label}: audit events were lost")
    state["events"] = verdict["checked"]
    state["event_ids"] = ids
    return verdict


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="tenantd-jwt-")
    servers = []
    try:
        tenants = os.path.join(work, "tenants.jsonl")
        with open(tenants, "w") as f:
            f.write(json.dumps({"id": "open", "name": "Open",
                                "welcome": "Hi."}) + "\n")
        data = os.path.join(work, "data")
        logs = []

        def start(name):
            logs.append(os.path.join(work, name + ".log"))
            srv = Server(binary, tenants, data, logs[-1])
            servers.append(srv)
            return srv

        srv = start("first")
        with open(os.path.join(data, "admin-token")) as f:
            admin_token = f.read().strip()
        check(len(admin_token) >= 32, "generated admin token too short")
        check_files(data)
        auth = bearer(admin_token)

        # A tenant that requires credentials, its admin and a member.
        expect(srv, 201, "POST", "/tenants",
               {"id": TENANT, "name": "Vault", "welcome": "Welcome.",
                "auth": "required"}, auth)
        admin, _ = expect(srv, 201, "POST", f"/tenants/{TENANT}/users",
                          {"email": "admin@vault.test",
                           "password": ADMIN_PASSWORD, "role": "admin"}, auth)
        member, _ = expect(srv, 201, "POST", f"/tenants/{TENANT}/users",
                           {"email": "member@vault.test",
                            "password": MEMBER_PASSWORD}, auth)
        # A failed login (its password must not be logged either).
        status, _, body = srv.call(
            "POST", "/auth/token",
            {"grant_type": "password", "tenant": TENANT,
             "username": "member@vault.test", "password": WRONG_PASSWORD},
            form=True)
        check(status == 400 and body["error"] == "invalid_grant",
              f"wrong password: {status} {body}")

        # The password grant, verified by PyJWT.
        old_token = login(srv, "admin@vault.test", ADMIN_PASSWORD)
        config, jwks = discovery(srv)
        check(len(jwks["keys"]) == 1, f"JWKS {jwks}")
        claims = verify(old_token, config, jwks)
        check(claims["sub"] == admin["id"] and claims["tenant"] == TENANT
              and claims["role"] == "admin" and claims["aud"] == "tenantd"
              and claims["client_id"] == "tenantd"
              and claims["exp"] - claims["iat"] == 900,
              f"claims {claims}")
        check(config["jwks_uri"] == config["issuer"] + "/.well-known/jwks.json",
              f"configuration {config}")
        # The verifier is not a rubber stamp.
        check(refused_by_pyjwt(old_token, config, jwks, audience="other"),
              "PyJWT took another audience")
        parts = old_token.split(".")
        forged = jwt.utils.base64url_encode(json.dumps(
            dict(claims, role="admin", tenant="open")).encode()).decode()
        check(refused_by_pyjwt(".".join([parts[0], forged, parts[2]]), config,
                               jwks), "PyJWT took a tampered token")

        # The member chats (its message must not be logged).
        member_token = login(srv, "member@vault.test", MEMBER_PASSWORD)
        session, _ = expect(srv, 200, "POST", "/session",
                            {"tenant_id": TENANT}, bearer(member_token))
        reply, _ = expect(srv, 200, "POST", "/chat",
                          {"tenant_id": TENANT,
                           "session_id": session["session_id"],
                           "message": CHAT_MESSAGE}, bearer(member_token))
        check(CHAT_MESSAGE in reply["reply"], f"reply {reply}")

        # An API key and its token.
        key, hdrs = expect(srv, 201, "POST", f"/tenants/{TENANT}/keys",
                           {"name": "ci"}, bearer(old_token))
        check(hdrs.get("Cache-Control") == "no-store", "key answer cacheable")
        body, _ = expect(srv, 200, "POST", "/auth/token",
                         {"grant_type": "client_credentials"},
                         bearer(key["key"]), form=True)
        ISSUED.append(body["access_token"])
        key_claims = verify(body["access_token"], config, jwks)
        check(key_claims["sub"] == key["id"]
              and key_claims["client_id"] == key["id"]
              and key_claims["role"] == "member", f"key claims {key_claims}")

        # A revoked token (its revocation is in memory: see below).
        revoked = login(srv, "member@vault.test", MEMBER_PASSWORD)
        expect(srv, 200, "POST", "/auth/revoke", {"token": revoked}, form=True)
        expect(srv, 401, "POST", "/session", {"tenant_id": TENANT},
               bearer(revoked))

        # Rotation: two keys, the old token still verifies, a new one has
        # the new kid.
        rotated, _ = expect(srv, 200, "POST", "/auth/keys/rotate",
                            headers=auth)
        config, jwks = discovery(srv)
        kids = [k["kid"] for k in jwks["keys"]]
        check(len(kids) == 2 and kids[0] == rotated["kid"]
              and kids[1] == jwt.get_unverified_header(old_token)["kid"],
              f"JWKS after rotation {jwks}")
        verify(old_token, config, jwks)
        expect(srv, 200, "POST", "/session", {"tenant_id": TENANT},
               bearer(old_token))
        new_token = login(srv, "admin@vault.test", ADMIN_PASSWORD)
        check(jwt.get_unverified_header(new_token)["kid"] == rotated["kid"],
              "a token after rotation does not name the new kid")
        verify(new_token, config, jwks)
        check_files(data)

        state = {"key": key["key"], "key_id": key["id"], "kids": kids,
                 "old_token": old_token, "new_token": new_token,
                 "events": 0, "event_ids": []}
        verdict = check_durable(srv, state, admin_token, "before any restart")
        print(f"ok: PyJWT verifies the tokens (EdDSA, at+jwt, iss, aud); "
              f"rotation keeps old tokens valid; {verdict['checked']} audit "
              "events intact")

        # A graceful restart, then a kill -9, on the same DATA_DIR.
        srv.stop()
        srv = start("restarted")
        check_durable(srv, state, admin_token, "after a restart")
        notes = []
        status, _, _ = srv.call("POST", "/session", {"tenant_id": TENANT},
                                bearer(revoked))
        if status != 401:
            notes.append(f"a revoked token is accepted again after a restart "
                         f"({status})")
        srv.kill()
        srv = start("killed")
        verdict = check_durable(srv, state, admin_token, "after kill -9")
        check_files(data)
        srv.stop()
        print(f"ok: users, keys, signing keys and {verdict['checked']} audit "
              "events survive a restart and a kill -9")
        for note in notes:
            print("NOTE: " + note)

        # No secret in any log line.
        with open(os.path.join(data, "key-secret"), "rb") as f:
            key_secret = f.read().strip()
        with open(os.path.join(data, "signing-keys", "keys.json")) as f:
            pems = [k["private_pem"] for k in json.load(f)["keys"]]
        secrets = {
            "the admin password": ADMIN_PASSWORD,
            "the member password": MEMBER_PASSWORD,
            "a wrong password": WRONG_PASSWORD,
            "the API key": key["key"],
            "the API key's secret part": key["key"][len("tdk_" + TENANT + "_"):],
            "the admin token": admin_token,
            "a chat message": CHAT_MESSAGE,
            "the key secret": key_secret.decode(errors="replace"),
        }
        for i, token in enumerate(ISSUED):
            secrets[f"access token {i}"] = token
            secrets[f"the signature of access token {i}"] = token.split(".")[2]
        for i, pem in enumerate(pems):
            body = "".join(pem.splitlines()[1:-1])
            secrets[f"signing key {i}"] = body[-40:]
        lines = 0
        for path in logs:
            with open(path, errors="replace") as f:
                text = f.read()
            lines += text.count("\n")
            for what, secret in secrets.items():
                if secret and secret in text:
                    line = next(l for l in text.splitlines() if secret in l)
                    raise Failure(f"{what} is in {os.path.basename(path)}: "
                                  f"{line}")
        check(lines > 40, f"only {lines} log lines: is LOG_REQUESTS=all on?")
        access = sum(open(p).read().count("principal=") for p in logs)
        check(access > 20, f"only {access} access log lines")
        print(f"ok: {lines} log lines (LOG_REQUESTS=all, LOG_LEVEL=debug) hold "
              f"none of {len(secrets)} secrets")
        return 0
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        for s in servers:
            if s.proc.poll() is None:
                s.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
