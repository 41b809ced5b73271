"""What the OpenAPI contract test (openapi_contract_test.py) is made of:
the operations and their keys, the servers it starts (Server), the HTTP
requests it sends, the document's checks (Contract), and the helpers its
drivers share."""

import http.client
import json
import os
import re
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.parse
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
MESSAGES = ("GET", "/sessions/{id}/messages")
MESSAGES_CLEAR = ("DELETE", "/sessions/{id}/messages")
TENANT_AUDIT = ("GET", "/tenants/{id}/audit")
AUDIT_VERIFY = ("GET", "/tenants/{id}/audit/verify")
ALL_AUDIT = ("GET", "/audit")
COMPLETIONS = ("POST", "/v1/chat/completions")
MODELS = ("GET", "/v1/models")
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
        JWKS, OIDC, MESSAGES, MESSAGES_CLEAR]
FORM = "application/x-www-form-urlencoded"
# A made-up id in a path where one is needed.
PATH_VALUES = {"id": "acme", "user_id": "usr_AAAAAAAAAAAAAAAAAAAAAA",
               "key_id": "key_AAAAAAAAAAAAAAAAAAAAAA"}

# Documented statuses no situation can produce from outside the process.
NOT_DRIVEN = {
    MESSAGES: {
        "503": "a failed read of the store: the contract's storage faults "
        "lock the database for writes, and reads of a WAL database go on",
    },
    ("HEAD", "/sessions/{id}/messages"): {
        "503": "as GET: a failed read of the store",
    },
    COMPLETIONS: {
        "503": "every route's breaker open or the tenant's in-flight cap "
        "full need an upstream that fails or hangs on cue; the contract's "
        "upstreams are closed ports (tests/http/ai_chat_test.cpp drives both "
        "through the code /v1 shares with /chat)",
        "504": "an upstream slower than ai.timeout_ms: none in the contract "
        "run (tests/http/ai_chat_test.cpp drives it)",
    },
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
