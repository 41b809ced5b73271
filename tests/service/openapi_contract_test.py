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
503. Each fault gets a server of its own, and the slow ones run beside the
rest, so the whole test takes about as long as one such write.

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
import uuid

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

# Documented statuses no situation can produce from outside the process.
NOT_DRIVEN = {
    LIST: {
        "504": "the registry answers the listing from its own memory, asking "
        "no other actor, and nothing outside the process can stall it",
    },
    READ: {
        "503": "needs a failed read of the database; in WAL mode reads go on "
        "beside an outside writer, so only an I/O error would fail one",
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
                content_type="application/json"):
        return request(self.port, method, target, body, headers, token,
                       content_type)

    def admin(self, method, target, body=None, **kw):
        return self.request(method, target, body, token=TOKEN, **kw)

    def hold_write_lock(self):
        """Takes SQLite's write lock on the server's database: its store
        actor's next write waits STORE_BUSY_S for it, then fails."""
        self.lock = sqlite3.connect(os.path.join(self.data, "tenantd.db"),
                                    isolation_level=None, timeout=0)
        self.lock.execute("BEGIN IMMEDIATE")

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
            content_type="application/json"):
    """One request on a connection of its own (answers that close the
    connection need no care). A dict or list body is sent as JSON."""
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
    conn = http.client.HTTPConnection("127.0.0.1", port,
                                      timeout=30 * TIME_SCALE)
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

    for tenant in [
        {"id": "contract-open", "name": "Open", "welcome": "Hi."},
        {"id": "contract-limited", "name": "Limited", "welcome": "Hi.",
         "limits": {"chat_per_10s": 1}},
        {"id": "contract-suspended", "name": "Suspended", "welcome": "Hi."},
        {"id": "contract-archived", "name": "Archived", "welcome": "Hi.",
         "model": "m", "limits": {"chat_per_10s": 5, "session_ttl": 60},
         "reply": "{welcome} {message|upper|reverse}"},
    ]:
        res = s.admin("POST", "/tenants", tenant)
        c.check(CREATE, f"new tenant {tenant['id']}", res, 201)
        if res.header("Location") != f"/tenants/{tenant['id']}":
            c.fail(f"POST /tenants [{tenant['id']}]",
                   f"Location is {res.header('Location')!r}")
    c.check(CREATE, "an id in use",
            s.admin("POST", "/tenants",
                    {"id": "acme", "name": "A", "welcome": ""}), 409)
    c.check(CREATE, "every config problem",
            s.admin("POST", "/tenants",
                    {"id": "Bad Id", "name": "", "limits": {"chat_per_10s": 0,
                                                            "foo": 1},
                     "reply": "{nope}", "colour": "red"}), 422,
            detail_types=["value_error"] * 7)
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


def drive_routing(c, s):
    """What the router answers before any handler: 405 and 307 on every
    path of the document, 404 off them, and the refusals of unreadable
    requests."""
    by_path = {}
    for method, template in c.operations:
        by_path.setdefault(template, []).append(method)
    for template, methods in by_path.items():
        path = template.replace("{id}", "acme")
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
    faults = []
    for op_key, target, setup in [
        (CREATE, "/tenants", None),
        (PATCH, "/tenants/globex", None),
        (ARCHIVE, "/tenants/globex", None),
        (SUSPEND, "/tenants/globex/suspend", None),
        (RESUME, "/tenants/globex/resume", "/tenants/globex/suspend"),
    ]:
        method = op_key[0]
        name = "storage-" + method.lower() + target.replace("/", "-")
        s = Server(name, binary, tenants, work,
                   ASK_TIMEOUT_MS=(STORE_BUSY_S + 4) * 1000 * TIME_SCALE)
        if setup is not None:
            res = s.admin("POST", setup)
            if res.status != 200:
                raise RuntimeError(f"{name}: {setup} answered {res}")
        s.hold_write_lock()
        body = None
        if op_key == CREATE:
            body = {"id": "held", "name": "Held", "welcome": ""}
        elif op_key == PATCH:
            body = {"welcome": "Changed."}
        faults.append((op_key, "the database locked by another process", s,
                       Background(s.admin, method, target, body)))
    return faults


def finish_storage_faults(c, faults):
    for op_key, situation, s, pending in faults:
        c.check(op_key, situation, pending.join(), 503)
    # The server whose write failed is not ready until a write commits.
    s = faults[0][2]
    c.check(READYZ, "a write failed", s.request("GET", "/readyz"), 503)
    for _, _, s, _ in faults:
        s.release_write_lock()


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
    ]
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
        servers += [s for _, _, s, _ in faults]
        main_server = Server("main", binary, tenants, work)
        servers.append(main_server)
        drive_admin(c, main_server)
        drive_serving(c, main_server)
        drive_routing(c, main_server)
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
