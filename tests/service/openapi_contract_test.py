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
import zlib

import jsonschema

TOKEN = "contract-test-token-0123456789abcdef"
# Sanitized builds serve several times slower (scripts/test-sanitize.sh).
TIME_SCALE = int(os.environ.get("TENANTD_TEST_TIME_SCALE", "1"))
# SQLite's busy timeout in storage/database.cpp: a stalled write fails then.
STORE_BUSY_S = 5
# Short enough to give up on a stalled store, long enough to send the
# requests that must find the first one still waiting.
STALL_ASK_TIMEOUT_MS = min(1000 * TIME_SCALE, STORE_BUSY_S * 1000 // 2)
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# The environment variables of `tenantd --help`, read in main().
SETTINGS = set()

ROOT = ("GET", "/")
SESSION = ("POST", "/session")
CHAT = ("POST", "/chat")
OPENAPI = ("GET", "/openapi.json")
METRICS = ("GET", "/metrics")
HEALTHZ = ("GET", "/healthz")
READYZ = ("GET", "/readyz")
LIST = ("GET", "/tenants")
CREATE = ("POST", "/tenants")
READ = ("GET", "/tenants/{id}")
PATCH = ("PATCH", "/tenants/{id}")
ARCHIVE = ("DELETE", "/tenants/{id}")
SUSPEND = ("POST", "/tenants/{id}/suspend")
RESUME = ("POST", "/tenants/{id}/resume")
ADMIN = [LIST, CREATE, READ, PATCH, ARCHIVE, SUSPEND, RESUME]
USERS = ("GET", "/tenants/{id}/users")
USER_CREATE = ("POST", "/tenants/{id}/users")
USER = ("GET", "/tenants/{id}/users/{user_id}")
USER_PATCH = ("PATCH", "/tenants/{id}/users/{user_id}")
USER_DELETE = ("DELETE", "/tenants/{id}/users/{user_id}")
KEYS = ("GET", "/tenants/{id}/keys")
KEY_CREATE = ("POST", "/tenants/{id}/keys")
KEY_REVOKE = ("DELETE", "/tenants/{id}/keys/{key_id}")
GRANT = ("POST", "/auth/token")
REVOKE = ("POST", "/auth/revoke")
ROTATE = ("POST", "/auth/keys/rotate")
JWKS = ("GET", "/.well-known/jwks.json")
OIDC = ("GET", "/.well-known/openid-configuration")
TENANT_AUDIT = ("GET", "/tenants/{id}/audit")
AUDIT_VERIFY = ("GET", "/tenants/{id}/audit/verify")
ALL_AUDIT = ("GET", "/audit")
# The operations of a tenant's users and keys: any valid credential.
IDENTITY = [USERS, USER_CREATE, USER, USER_PATCH, USER_DELETE, KEYS,
            KEY_CREATE, KEY_REVOKE]
# Every operation of a tenant that takes any valid credential past the
# router and leaves the rest to the tenant.
TENANT_ROUTES = IDENTITY + [TENANT_AUDIT, AUDIT_VERIFY]
# Failed logins in a row before the next waits (LOGIN_FREE_FAILURES).
LOGIN_FREE_FAILURES = 5
# Routes open to anyone: a credential sent must be valid all the same.
OPEN = [ROOT, OPENAPI, METRICS, HEALTHZ, READYZ, SESSION, CHAT, GRANT, REVOKE,
        JWKS, OIDC]
FORM = "application/x-www-form-urlencoded"
# A made-up id in a path where one is needed.
PATH_VALUES = {"id": "acme", "user_id": "usr_AAAAAAAAAAAAAAAAAAAAAA",
               "key_id": "key_AAAAAAAAAAAAAAAAAAAAAA"}

# Documented statuses no situation can produce from outside the process.
NOT_DRIVEN = {
    LIST: {
        "504": "the registry answers the listing from its own memory, asking "
        "no other actor, and nothing outside the process can stall it",
    },
}

# components.responses that answer a request whatever its operation, with
# the status each carries.
SERVER_WIDE = {
    "NotFound": 404,
    "BadRequest": 400,
    "HeaderFieldsTooLarge": 431,
    "UriTooLong": 414,
    "TransferCodingNotImplemented": 501,
    "TooManyConnections": 503,
}


# -- the server ---------------------------------------------------------------


class Server:
    """One tenantd on 127.0.0.1 with a port and a data directory of its own."""

    def __init__(self, name, binary, tenants, work, **settings):
        self.name = name
        self.data = os.path.join(work, name)
        self.log_path = os.path.join(work, name + ".log")
        # None of the caller's tenantd settings: the situations assume the
        # defaults (BODY_LIMIT, MAX_MESSAGE_CHARS, ...) unless they set one.
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
        env.update(ADMIN_TOKEN=TOKEN, IO_THREADS="1", ACTOR_THREADS="1")
        env.update({k: str(v) for k, v in settings.items()})
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", "0",
             "--tenants-file", tenants, "--data-dir", self.data],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.log)
        self.lock = None
        try:
            self.port = self._wait_for_port()
        except Exception:
            self.proc.kill()
            self.proc.wait()
            raise

    def _wait_for_port(self):
        deadline = time.monotonic() + 10 * TIME_SCALE
        while time.monotonic() < deadline:
            with open(self.log_path) as f:
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+) ",
                              f.read())
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: the server exited during "
                                   f"start-up:\n{self.log_tail()}")
            time.sleep(0.01)
        raise RuntimeError(f"{self.name}: the server did not start listening")

    def log_tail(self, lines=30):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-lines:])

    def request(self, method, target, body=None, headers=None, token=None,
                content_type="application/json", source=None):
        return request(self.port, method, target, body, headers, token,
                       content_type, source)

    def admin(self, method, target, body=None, **kw):
        return self.request(method, target, body, token=TOKEN, **kw)

    def hold_write_lock(self):
        """Takes SQLite's write lock on the server's database: its store
        actor's next write waits STORE_BUSY_S for it, then fails."""
        # Waits out a write the store may be making (a flush of session
        # uses) rather than fail on it.
        lock = sqlite3.connect(os.path.join(self.data, "tenantd.db"),
                               isolation_level=None, timeout=10)
        lock.execute("BEGIN IMMEDIATE")
        self.lock = lock

    def release_write_lock(self):
        if self.lock is not None:
            self.lock.execute("ROLLBACK")
            self.lock.close()
            self.lock = None

    def asks_in_flight(self):
        body = self.request("GET", "/metrics").body.decode()
        m = re.search(r"^tenantd_asks_in_flight (\S+)$", body, re.M)
        return float(m.group(1)) if m else 0.0

    def stop(self):
        self.release_write_lock()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15 * TIME_SCALE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Answer:
    def __init__(self, method, target, status, headers, body):
        self.method = method
        self.target = target
        self.status = status
        self.headers = headers  # an http.client.HTTPMessage: any case
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __str__(self):
        body = self.body[:300].decode("utf-8", "replace")
        return f"{self.status} {body}"


def request(port, method, target, body=None, headers=None, token=None,
            content_type="application/json", source=None):
    """One request on a connection of its own (answers that close the
    connection need no care). A dict or list body is sent as JSON. `source`
    is the client address to connect from (another 127.x.y.z: the server
    sees another client)."""
    sent = {}
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    if body is not None and content_type is not None:
        sent["Content-Type"] = content_type
    if token is not None:
        sent["Authorization"] = "Bearer " + token
    sent.update(headers or {})
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30 * TIME_SCALE,
        source_address=None if source is None else (source, 0))
    try:
        conn.request(method, target, body=body, headers=sent)
        res = conn.getresponse()
        return Answer(method, target, res.status, res.msg, res.read())
    finally:
        conn.close()


def announce_body(port, method, target, length):
    """Sends only the header of a request announcing a `length`-byte body,
    then reads the answer (a refusal needs nothing more)."""
    conn = http.client.HTTPConnection("127.0.0.1", port,
                                      timeout=30 * TIME_SCALE)
    try:
        conn.putrequest(method, target)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Authorization", "Bearer " + TOKEN)
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        res = conn.getresponse()
        return Answer(method, target, res.status, res.msg, res.read())
    finally:
        conn.close()


def raw_request(port, data, method="GET"):
    """Sends `data` as it is and reads one answer."""
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=30 * TIME_SCALE) as s:
        s.sendall(data)
        res = http.client.HTTPResponse(s, method=method)
        res.begin()
        return Answer(method, "(raw)", res.status, res.msg, res.read())


class Background:
    """A request sent on a thread of its own; join() gives its answer."""

    def __init__(self, send, *args, **kw):
        self.answer = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(send,) + args,
                                       kwargs=kw, daemon=True)
        self.thread.start()

    def _run(self, send, *args, **kw):
        try:
            self.answer = send(*args, **kw)
        except Exception as e:  # reported by join()
            self.error = e

    def join(self):
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.answer


# -- the document ---------------------------------------------------------------


class Contract:
    def __init__(self, doc):
        self.doc = doc
        self.operations = {}
        for template, item in doc["paths"].items():
            for method, op in item.items():
                if method.upper() in HTTP_METHODS + ["TRACE"]:
                    self.operations[(method.upper(), template)] = op
        # Every header the document names anywhere: the server must not send
        # one of them on an answer whose response does not declare it.
        self.contract_headers = set()
        for response in self._all_responses():
            self.contract_headers |= set(self.resolve(response).get("headers",
                                                                    {}))
        self.contract_headers.discard("Connection")  # hop-by-hop
        self.driven = {key: set() for key in self.operations}
        self.server_wide_driven = set()
        self.failures = []
        self.answers = 0

    def _all_responses(self):
        for op in self.operations.values():
            yield from op["responses"].values()
        yield from self.doc["components"].get("responses", {}).values()

    def fail(self, where, what):
        self.failures.append(f"{where}: {what}")
        print(f"FAIL: {where}: {what}", flush=True)

    def resolve(self, obj):
        while isinstance(obj, dict) and "$ref" in obj:
            ref = obj["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local $refs are used: {ref}")
            obj = self.doc
            for part in ref[2:].split("/"):
                obj = obj[part.replace("~1", "/").replace("~0", "~")]
        return obj

    def schema_errors(self, schema, instance):
        # The schema in a wrapper that carries the components, so that
        # "#/components/..." resolves inside the same document.
        wrapper = {"allOf": [schema], "components": self.doc["components"]}
        errors = []
        validator = jsonschema.Draft202012Validator(wrapper)
        for e in sorted(validator.iter_errors(instance),
                        key=lambda e: list(map(str, e.absolute_path))):
            path = "/" + "/".join(map(str, e.absolute_path))
            message = e.message
            if e.context:
                best = jsonschema.exceptions.best_match(e.context)
                message += f" (best match: {best.message})"
            errors.append(f"{path}: {shorten(message)}")
        return errors

    def header_errors(self, schema, value):
        schema = self.resolve(schema)
        if schema.get("type") == "integer":
            if not re.fullmatch(r"-?[0-9]+", value):
                return ["not an integer"]
            value = int(value)
        return self.schema_errors(schema, value)

    # -- answers --

    def check(self, op_key, situation, answer, expect, detail_types=None):
        """The answer to `situation`, a request to operation `op_key`, must
        have status `expect` and match what the document says of it."""
        self.answers += 1
        method, template = op_key
        where = f"{method} {template} [{situation}]"
        op = self.operations.get(op_key)
        if op is None:
            return self.fail(where, "no such operation in the document")
        responses = op["responses"]
        status = str(answer.status)
        if answer.status != expect:
            self.fail(where, f"expected {expect}, the server answered {answer}")
        if status not in responses:
            return self.fail(where, f"answered {status}, which the operation "
                             f"does not document ({', '.join(responses)})")
        if answer.status == expect:
            self.driven[op_key].add(status)
        self.check_response(f"{where} {status}", responses[status], answer)
        if detail_types is not None:
            body = answer.json() or {}
            got = [d.get("type") for d in body.get("detail", [])
                   if isinstance(d, dict)]
            if got != list(detail_types):
                self.fail(where, f"expected 422 types {list(detail_types)}, "
                          f"got {got}")

    def check_server_wide(self, name, situation, answer):
        self.answers += 1
        where = f"server-wide {name} [{situation}]"
        response = self.doc["components"].get("responses", {}).get(name)
        if response is None:
            return self.fail(where, "components.responses has no such entry")
        if answer.status != SERVER_WIDE[name]:
            return self.fail(where, f"expected {SERVER_WIDE[name]}, the server "
                             f"answered {answer}")
        self.server_wide_driven.add(name)
        self.check_response(f"{where} {answer.status}", response, answer)

    def check_response(self, where, response, answer):
        response = self.resolve(response)
        declared = response.get("headers", {})
        for name, header in declared.items():
            header = self.resolve(header)
            value = answer.header(name)
            if value is None:
                if header.get("required"):
                    self.fail(where, f"header {name} is required but absent")
                continue
            for err in self.header_errors(header.get("schema", {}), value):
                self.fail(where, f"header {name} {value!r}: {err}")
        for name in sorted(self.contract_headers - set(declared)):
            if answer.header(name) is not None:
                self.fail(where, f"the server sent {name}: "
                          f"{answer.header(name)!r}, which this response does "
                          f"not declare")
        content = response.get("content")
        if not content:
            if answer.body:
                self.fail(where, f"the document declares no body, the server "
                          f"sent {shorten(repr(answer.body))}")
            return
        ctype = answer.header("Content-Type")
        if ctype not in content:
            return self.fail(where, f"Content-Type {ctype!r} is not one of "
                             f"{list(content)}")
        if answer.method == "HEAD":
            return  # an answer to HEAD has no body
        schema = content[ctype].get("schema", {})
        if ctype == "application/json" or ctype.endswith("+json"):
            try:
                instance = json.loads(answer.body)
            except ValueError as e:
                return self.fail(where, f"the body is not JSON ({e}): "
                                 f"{shorten(repr(answer.body))}")
        else:
            instance = answer.body.decode("utf-8")
        for err in self.schema_errors(schema, instance):
            self.fail(where, f"body {err}")

    # -- the document itself --

    def check_examples(self):
        """Every example in the document is valid under its schema."""
        def media_examples(where, content):
            for ctype, media in content.items():
                schema = media.get("schema", {})
                examples = {k: self.resolve(v)["value"]
                            for k, v in media.get("examples", {}).items()
                            if "value" in self.resolve(v)}
                if "example" in media:
                    examples["example"] = media["example"]
                for name, value in examples.items():
                    for err in self.schema_errors(schema, value):
                        self.fail(f"{where} {ctype} example {name}", err)

        for (method, template), op in self.operations.items():
            body = self.resolve(op.get("requestBody", {}))
            media_examples(f"{method} {template} request",
                           body.get("content", {}))
            for status, response in op["responses"].items():
                media_examples(f"{method} {template} {status}",
                               self.resolve(response).get("content", {}))
        for name, response in self.doc["components"]["responses"].items():
            media_examples(f"components.responses.{name}",
                           response.get("content", {}))
        headers = list(self.doc["components"].get("headers", {}).items())
        for response in self._all_responses():
            headers += list(self.resolve(response).get("headers", {}).items())
        for name, header in headers:
            header = self.resolve(header)
            if "example" in header:
                for err in self.schema_errors(header.get("schema", {}),
                                              header["example"]):
                    self.fail(f"header {name} example", err)
        for name, schema in self.doc["components"]["schemas"].items():
            for i, value in enumerate(schema.get("examples", [])):
                for err in self.schema_errors(
                        {"$ref": f"#/components/schemas/{name}"}, value):
                    self.fail(f"components.schemas.{name} example {i}", err)

    def check_coverage(self):
        for op_key, op in self.operations.items():
            method, template = op_key
            documented = set(op["responses"])
            driven = self.driven[op_key]
            skipped = NOT_DRIVEN.get(op_key, {})
            for status in sorted(documented - driven):
                if status in skipped:
                    print(f"not driven: {method} {template} {status}: "
                          f"{skipped[status]}")
                else:
                    self.fail(f"{method} {template}",
                              f"documents {status}, which no situation drove "
                              f"(drive it, or say in NOT_DRIVEN why it cannot "
                              f"be)")
            for status in sorted(skipped):
                if status not in documented:
                    self.fail(f"{method} {template}", f"NOT_DRIVEN lists "
                              f"{status}, which the operation does not document")
                elif status in driven:
                    self.fail(f"{method} {template}", f"NOT_DRIVEN lists "
                              f"{status}, but it was driven: drop it there")
            print(f"ok: {method} {template}: "
                  f"{' '.join(sorted(driven)) or 'nothing'}")
        for op_key in NOT_DRIVEN:
            if op_key not in self.operations:
                self.fail(" ".join(op_key), "NOT_DRIVEN names an operation "
                          "the document does not have")
        responses = self.doc["components"].get("responses", {})
        referenced = {json.dumps(r) for op in self.operations.values()
                      for r in op["responses"].values()}
        for name in responses:
            ref = json.dumps({"$ref": f"#/components/responses/{name}"})
            if ref not in referenced and name not in SERVER_WIDE:
                self.fail(f"components.responses.{name}", "neither an "
                          "operation's response nor in SERVER_WIDE: unchecked")
        for name in SERVER_WIDE:
            if name not in self.server_wide_driven:
                self.fail(f"components.responses.{name}", "no situation drove "
                          "this server-wide answer")
            else:
                print(f"ok: server-wide {name}: {SERVER_WIDE[name]}")


def shorten(text, limit=300):
    return text if len(text) <= limit else text[:limit] + "…"


# -- situations -----------------------------------------------------------------


def chat_body(tenant, session, message="hello"):
    return {"tenant_id": tenant, "session_id": session, "message": message}


def deep(levels):
    return "[" * levels + "]" * levels


BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def forge_key(tenant):
    """An API key of `tenant` that no one made: the right form and CRC32
    checksum (core/api_key.hpp), so only its tenant can tell it is none."""
    key = f"tdk_{tenant}_" + "".join(BASE62[b % 62] for b in os.urandom(30))
    n = zlib.crc32(key.encode())
    checksum = ""
    for _ in range(6):
        checksum = BASE62[n % 62] + checksum
        n //= 62
    return key + checksum


def fill(template, **values):
    """`template` with its path parameters set (PATH_VALUES unless given)."""
    for name, value in dict(PATH_VALUES, **values).items():
        template = template.replace("{" + name + "}", value)
    return template


def check_inputs(c, where, answer, body):
    """Each value_error of a 422 at ["body", field] echoes what was sent at
    that field (the whole body for a field missing), not the whole body; a
    password never, but as "(hidden)"."""
    if "password" in body:
        body = dict(body, password="(hidden)")
    for item in (answer.json() or {}).get("detail", []):
        loc = item.get("loc") if isinstance(item, dict) else None
        if not (isinstance(loc, list) and len(loc) == 2 and loc[0] == "body"):
            continue
        want = body.get(loc[1], body)
        if item.get("input") != want:
            c.fail(where, f"the input of {loc} is {item.get('input')!r}, "
                   f"not what was sent there: {want!r}")


def check_get(c, op_key, situation, s, target, expect, **kw):
    """A GET and, where the document has one, the HEAD of the same target:
    both must answer `expect`."""
    c.check(op_key, situation, s.request("GET", target, **kw), expect)
    head = ("HEAD", op_key[1])
    if head in c.operations:
        c.check(head, situation, s.request("HEAD", target, **kw), expect)


def background_get(s, op_key, target, **kw):
    """[(op, pending answer)] for a GET and its HEAD, sent at once."""
    pending = [(op_key, Background(s.request, "GET", target, **kw))]
    pending.append((("HEAD", op_key[1]),
                    Background(s.request, "HEAD", target, **kw)))
    return pending


def login(s, tenant, email, password):
    """An access token by the password grant, or None."""
    res = s.request("POST", "/auth/token",
                    urllib.parse.urlencode({"grant_type": "password",
                                            "tenant": tenant,
                                            "username": email,
                                            "password": password}),
                    content_type=FORM)
    return (res.json() or {}).get("access_token"), res


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


def drive_open_routes_credentials(c, s):
    """The routes open to anyone take no credential, but a Bearer one sent
    must be valid: a wrong one is never taken for none. A header of another
    scheme (or Bearer alone) is not theirs: they ignore it, and answer as
    without one (an empty body is 422 on /session and /chat, 400 on the
    token endpoints)."""
    bad_checksum = forge_key("acme")
    bad_checksum = bad_checksum[:-1] + ("0" if bad_checksum[-1] != "0" else "1")
    ignored = {SESSION: 422, CHAT: 422, GRANT: 400, REVOKE: 400}
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


def drive_password_pool(c, s):
    """PASSWORD_THREADS=1, PASSWORD_QUEUE=1 (and PASSWORD_QUEUE_PER_TENANT=1)
    and slow hashes (about half a second): with one login being checked and
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
        # Hashes of about half a second, one at a time, one waiting; no
        # answer waits long enough to time out.
        busy = Server("password-pool", binary, tenants, work,
                      PASSWORD_THREADS=1, PASSWORD_QUEUE=1,
                      PASSWORD_QUEUE_PER_TENANT=1, PASSWORD_ITERATIONS=48,
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
