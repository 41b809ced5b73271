#!/usr/bin/env python3
"""Attacking HTTP clients for bench/attack.sh: one kind of attacker per run,
single-threaded (one selector loop), every client reconnecting when the
server closes it, for --duration seconds. Standard library only. Then one
line per kind with what the server did to them:

  ATTACK kind=chunk-ext clients=2 connections=130 connect_errors=0
         closed_by_server=128 open_at_end=2 status_413=128 no_answer=0
         closed_after_s_p50=0.003 closed_after_s_max=0.010
         written_kib_p50=192.0 written_kib_max=256.0 ...

Kinds (--kind, repeatable; --clients N of each):
  chunk-ext       a chunked body whose first chunk line is `2;aaaa...`, a
                  chunk extension that never ends, streamed as fast as the
                  socket takes it
  chunk-trailer   a chunked body `2 {} 0` followed by trailer fields that
                  never end (1 KiB each), streamed as fast
  chunk-zeros     a chunked body whose chunk size is `0000...`, zero padding
                  that never ends, streamed as fast
  oversize        Content-Length: --body-bytes, and the body streamed
  slowloris       a request line, then one header byte every --drip-ms,
                  never finishing the header section
  idle            connects and sends nothing
  amplify         POST /chat pipelined --depth deep (a new request for each
                  answer read), every answer read to its end
  unread          POST /chat pipelined: --depth requests, then more for as
                  long as the kernel takes them, and never a byte read (a
                  small receive buffer, so that answers back up in the
                  server rather than in this side's kernel)
  scrape          GET --path (/metrics) in a loop, each answer read

Chat requests (amplify, unread) go to --tenant and --session with a
message of --message-chars copies of the code point --char (default 1, a
control character: 1 character of the message, 6 bytes `\\u0001` on the
wire in both directions).

Clients bind to --source addresses (a comma-separated list, used in turn:
loopback has all of 127/8), so that the server sees them as other
addresses than the calm clients'. Connections start spread over --ramp-ms.
After a close, a client reconnects after --pause-ms.

Also: `attack_clients.py tenants --count N --archive` creates N tenants
through the admin API (--token) and archives them, on --threads
connections; prints `TENANTS created=N archived=N seconds=S`.

`attack_clients.py seed --db FILE --tenant T --count N --expiring M
--expires-at MS --ttl S --ids-out FILE` writes N sessions of tenant T
straight into the service's SQLite database (schema 2; the service
stopped, the tenant stored already), in one transaction: random UUIDv4
ids, M of them (the oldest, seqs first) expiring at MS (Unix ms; last used
--ttl before it), the others last used now and expiring --ttl from now.
Writes --live-ids (100) of the live ids, one a line, to --ids-out; prints
`SEED sessions=N expiring=M seconds=S`.

`attack_clients.py reload --tenant T --ids-out FILE --idle-s S` keeps
tenant T reloading its stored sessions: in rounds, a POST /session for T
(the round's first request, answered once the tenant actor has activated
and loaded every session), then a POST /chat in one of the stored live ids
of FILE (in turn), then --idle-s of silence so that the actor is
passivated before the next round. A round is a reload if the service's
tenantd_tenant_actors gauge (GET /metrics) rose across its first request
(another tenant's actor starting or stopping meanwhile blurs it; in a
steady calm phase, none does). With --db, counts the sessions expiring by
--expires-at in that database (read-only; any tenant's, T's being the
only ones meant) after each round, to time their purge. One connection
per request, bound to --source. Prints
  ATTACK kind=reload rounds=N reloads=N reload_s_p50=S reload_s_max=S
         session_s_max=S chat_s_max=S errors=N expiring_first=N
         expiring_last=N purge_seen_s=S purged_by_s=S session_200=N
         chat_200=N
where session_/chat_<code> count the answers by status, errors the
requests without one (socket error or --request-timeout-s), reload_s the
first request's time in the rounds that reloaded, and purge_seen_s /
purged_by_s the time since the attacker started when the expiring count
was first seen lower / at 0 (-1: never).

"open_max" counts connections from the connect on, refused ones until
their refusal arrives; "held_at_end" those open at the end that had been
open for a second or more.
"closed_after_s" is the time from connect to the server's close (FIN,
RST, or a write refused) for connections the server ended; "written_kib"
what the client had handed to its kernel by the end of a connection.
"""

import argparse
import errno
import heapq
import http.client
import json
import os
import selectors
import signal
import socket
import statistics
import sys
import threading
import time

CHUNK = 64 * 1024


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", nargs="?", default="attack",
                   choices=["attack", "tenants", "seed", "reload"])
    p.add_argument("--target", default="127.0.0.1:8001")
    p.add_argument("--kind", action="append", default=[])
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--ramp-ms", type=int, default=0)
    p.add_argument("--pause-ms", type=int, default=100)
    p.add_argument("--drip-ms", type=int, default=1000)
    p.add_argument("--source", default="")
    p.add_argument("--body-bytes", type=int, default=10 << 20)
    p.add_argument("--depth", type=int, default=16)
    p.add_argument("--tenant", default="")
    p.add_argument("--session", default="")
    p.add_argument("--message-chars", type=int, default=4096)
    p.add_argument("--char", type=int, default=1)
    p.add_argument("--path", default="/metrics")
    # tenants mode
    p.add_argument("--token", default=os.environ.get("ADMIN_TOKEN", ""))
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--prefix", default="churn")
    p.add_argument("--archive", action="store_true")
    p.add_argument("--threads", type=int, default=4)
    # seed and reload modes
    p.add_argument("--db", default="")
    p.add_argument("--expiring", type=int, default=0)
    p.add_argument("--expires-at", type=int, default=0)
    p.add_argument("--ttl", type=int, default=86400)
    p.add_argument("--ids-out", default="")
    p.add_argument("--live-ids", type=int, default=100)
    p.add_argument("--idle-s", type=float, default=3)
    p.add_argument("--request-timeout-s", type=float, default=30)
    return p.parse_args(argv)


def chat_request(host, tenant, session, chars, char):
    body = json.dumps({"tenant_id": tenant, "session_id": session,
                       "message": chr(char) * chars},
                      ensure_ascii=False).encode()
    head = ("POST /chat HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json"
            "\r\nContent-Length: %d\r\n\r\n" % (host, len(body))).encode()
    return head + body


class Kind:
    """What one kind of client sends, and its tally."""

    def __init__(self, name, opts):
        self.name = name
        self.opts = opts
        self.host = opts.target
        self.clients = 0
        self.connections = 0
        self.connect_errors = 0
        self.closed_by_server = 0
        self.open_now = 0
        self.open_max = 0
        self.held_at_end = 0
        self.no_answer = 0
        self.answers = 0
        self.answer_bytes = 0
        self.requests_written = 0
        self.statuses = {}
        self.closed_after = []
        self.written = []
        self.reads = name not in ("unread",)
        post = "POST /chat HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n" % self.host
        if name in ("chunk-ext", "chunk-trailer", "chunk-zeros"):
            self.head = (post + "Transfer-Encoding: chunked\r\n\r\n").encode()
            if name == "chunk-ext":
                self.head += b"2;"
                self.endless = b"a" * CHUNK
            elif name == "chunk-trailer":
                self.head += b"2\r\n{}\r\n0\r\n"
                field = b"X-Pad: " + b"a" * (1024 - 9) + b"\r\n"
                self.endless = field * (CHUNK // len(field))
            else:
                self.endless = b"0" * CHUNK
        elif name == "oversize":
            self.head = (post + "Content-Length: %d\r\n\r\n" % opts.body_bytes).encode()
            self.body = b"a" * CHUNK
        elif name == "slowloris":
            self.head = ("GET / HTTP/1.1\r\nHost: %s\r\n" % self.host).encode()
            self.drip = b"X-Drip: " + b"a" * 1000
        elif name in ("amplify", "unread"):
            self.request = chat_request(self.host, opts.tenant, opts.session,
                                        opts.message_chars, opts.char)
        elif name == "scrape":
            self.request = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n"
                            % (opts.path, self.host)).encode()
        elif name == "idle":
            pass
        else:
            raise SystemExit("unknown kind " + name)

    def line(self):
        def q(xs, f):
            return f(xs) if xs else 0
        out = ["ATTACK kind=%s" % self.name, "clients=%d" % self.clients,
               "connections=%d" % self.connections,
               "connect_errors=%d" % self.connect_errors,
               "closed_by_server=%d" % self.closed_by_server,
               "open_at_end=%d" % self.open_now, "open_max=%d" % self.open_max,
               "held_at_end=%d" % self.held_at_end,
               "no_answer=%d" % self.no_answer, "answers=%d" % self.answers,
               "answer_mib=%.1f" % (self.answer_bytes / 1048576),
               "requests_written=%d" % self.requests_written,
               "closed_after_s_p50=%.3f" % q(self.closed_after, statistics.median),
               "closed_after_s_max=%.3f" % q(self.closed_after, max),
               "written_kib_p50=%.1f" % (q(self.written, statistics.median) / 1024),
               "written_kib_max=%.1f" % (q(self.written, max) / 1024)]
        out += ["status_%d=%d" % kv for kv in sorted(self.statuses.items())]
        return " ".join(out)


class Client:
    """One connection at a time of one kind; reconnects after a close."""

    def __init__(self, loop, kind, source):
        self.loop = loop
        self.kind = kind
        self.source = source
        self.sock = None
        kind.clients += 1

    # --- connection life ---------------------------------------------------

    def connect(self):
        k = self.kind
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        if k.name == "unread":
            # Answers should wait in the server, not in this side's buffer.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            if self.source:
                s.bind((self.source, 0))
            err = s.connect_ex(self.loop.addr)
        except OSError as e:
            err = e.errno
        if err not in (0, errno.EINPROGRESS):
            s.close()
            k.connect_errors += 1
            self.loop.later(max(self.loop.opts.pause_ms, 100) / 1000, self.connect)
            return
        self.sock = s
        self.connected = False
        self.started = time.monotonic()
        self.out = bytearray()
        self.inbuf = bytearray()
        self.written = 0
        self.answered = False
        self.pending = 0  # pipelined requests not yet answered
        self.streamed = 0
        k.connections += 1
        self.loop.sel.register(s, selectors.EVENT_WRITE, self)

    def on_connected(self):
        k = self.kind
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            k.connect_errors += 1
            self.loop.sel.unregister(self.sock)
            self.sock.close()
            self.sock = None
            self.loop.later(max(self.loop.opts.pause_ms, 100) / 1000, self.connect)
            return
        self.connected = True
        k.open_now += 1
        k.open_max = max(k.open_max, k.open_now)
        if k.name in ("chunk-ext", "chunk-trailer", "chunk-zeros", "oversize",
                      "slowloris"):
            self.out += k.head
        elif k.name in ("amplify", "unread", "scrape"):
            depth = 1 if k.name == "scrape" else self.loop.opts.depth
            for _ in range(depth):
                self.out += k.request
                self.pending += 1
        if k.name == "slowloris":
            self.loop.later(self.loop.opts.drip_ms / 1000, self.drip, self.sock)
        self.update()

    def ended(self, by_server):
        """The connection is over: tally it and reconnect after a pause."""
        k = self.kind
        if self.sock is None:
            return
        try:
            self.loop.sel.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        self.sock.close()
        self.sock = None
        if self.connected:
            k.open_now -= 1
        if by_server:
            k.closed_by_server += 1
            k.closed_after.append(time.monotonic() - self.started)
            if not self.answered and k.reads:
                k.no_answer += 1
        k.written.append(self.written)
        if not self.loop.stopping:
            self.loop.later(self.loop.opts.pause_ms / 1000, self.connect)

    # --- what to send --------------------------------------------------------

    def refill(self):
        """Tops up the bytes to send, for kinds that stream."""
        k = self.kind
        if len(self.out) >= CHUNK:
            return
        if k.name.startswith("chunk-"):
            self.out += k.endless
        elif k.name == "oversize":
            left = self.loop.opts.body_bytes - self.streamed
            if left > 0:
                n = min(left, CHUNK)
                self.out += k.body[:n]
                self.streamed += n
        elif k.name == "unread":
            # Keep pushing requests: the server decides when to stop taking them.
            self.out += k.request
            self.pending += 1

    def drip(self, sock):
        if self.sock is not sock or self.loop.stopping:
            return
        k = self.kind
        byte = k.drip[self.streamed % len(k.drip):][:1]
        self.streamed += 1
        self.out += byte
        self.update()
        self.loop.later(self.loop.opts.drip_ms / 1000, self.drip, sock)

    def update(self):
        if self.sock is None:
            return
        self.refill()
        events = selectors.EVENT_READ if self.kind.reads else 0
        if self.out:
            events |= selectors.EVENT_WRITE
        if not events:
            # unread with nothing left to push cannot happen (it always
            # refills); keep the registration valid anyway.
            events = selectors.EVENT_WRITE
        self.loop.sel.modify(self.sock, events, self)

    def on_writable(self):
        if not self.connected:
            return self.on_connected()
        try:
            n = self.sock.send(self.out[:CHUNK * 4])
        except BlockingIOError:
            return
        except OSError:
            return self.ended(by_server=True)
        before = self.written
        self.written += n
        del self.out[:n]
        k = self.kind
        if k.name in ("amplify", "unread", "scrape"):
            # Whole requests handed to the kernel.
            size = len(k.request)
            k.requests_written += (self.written // size) - (before // size)
        self.update()

    def on_readable(self):
        try:
            data = self.sock.recv(1 << 20)
        except BlockingIOError:
            return
        except OSError:
            return self.ended(by_server=True)
        if not data:
            return self.ended(by_server=True)
        self.inbuf += data
        self.parse_answers()
        if self.sock is not None:
            self.update()

    def parse_answers(self):
        k = self.kind
        while True:
            end = self.inbuf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.inbuf[:end]).decode("latin-1")
            lines = head.split("\r\n")
            try:
                status = int(lines[0].split(" ", 2)[1])
            except (IndexError, ValueError):
                status = 0
            length = 0
            close = False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value.strip())
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            if status == 100:
                del self.inbuf[:end + 4]
                continue
            if len(self.inbuf) < end + 4 + length:
                return
            del self.inbuf[:end + 4 + length]
            self.answered = True
            k.answers += 1
            k.answer_bytes += end + 4 + length
            k.statuses[status] = k.statuses.get(status, 0) + 1
            if k.name in ("amplify", "scrape") and not close:
                self.out += k.request
                self.pending += 1
            if close:
                return self.ended(by_server=True)


class Loop:
    def __init__(self, opts):
        self.opts = opts
        host, port = opts.target.rsplit(":", 1)
        self.addr = (host, int(port))
        self.sel = selectors.DefaultSelector()
        self.timers = []
        self.seq = 0
        self.stopping = False

    def later(self, delay, fn, *args):
        self.seq += 1
        heapq.heappush(self.timers, (time.monotonic() + delay, self.seq, fn, args))

    def run(self, kinds):
        sources = [s for s in self.opts.source.split(",") if s] or [""]
        clients = []
        for k in kinds:
            for _ in range(self.opts.clients):
                clients.append(Client(self, k, sources[len(clients) % len(sources)]))
        ramp = self.opts.ramp_ms / 1000
        for i, c in enumerate(clients):
            self.later(ramp * i / max(len(clients), 1), c.connect)
        deadline = time.monotonic() + self.opts.duration
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        signal.signal(signal.SIGINT, lambda *_: stop.append(1))
        while not stop:
            now = time.monotonic()
            if now >= deadline:
                break
            while self.timers and self.timers[0][0] <= now:
                _, _, fn, args = heapq.heappop(self.timers)
                fn(*args)
            wait = deadline - now
            if self.timers:
                wait = min(wait, max(self.timers[0][0] - now, 0))
            if not self.sel.get_map():
                time.sleep(min(wait, 0.05))
                continue
            for key, events in self.sel.select(min(wait, 0.05)):
                c = key.data
                if c.sock is None or key.fileobj is not c.sock:
                    continue
                if events & selectors.EVENT_READ:
                    c.on_readable()
                if c.sock is not None and events & selectors.EVENT_WRITE:
                    c.on_writable()
        self.stopping = True
        now = time.monotonic()
        for c in clients:
            if c.sock is not None:
                c.kind.written.append(c.written)
                # Held: open for a second or more (a refusal comes within
                # milliseconds of the connect).
                if c.connected and now - c.started >= 1:
                    c.kind.held_at_end += 1
        for k in kinds:
            print(k.line(), flush=True)


def admin_tenants(opts):
    """Creates opts.count tenants, then archives them (--archive)."""
    host, port = opts.target.rsplit(":", 1)
    headers = {"Authorization": "Bearer " + opts.token,
               "Content-Type": "application/json"}
    created = [0]
    archived = [0]
    failures = []
    lock = threading.Lock()

    def work(ids):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        for tid in ids:
            body = json.dumps({"id": tid, "name": "Tenant " + tid,
                               "welcome": "Hi from " + tid + "."})
            conn.request("POST", "/tenants", body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            with lock:
                if r.status == 201:
                    created[0] += 1
                else:
                    failures.append("create %s: %d" % (tid, r.status))
        if opts.archive:
            for tid in ids:
                conn.request("DELETE", "/tenants/" + tid, headers=headers)
                r = conn.getresponse()
                r.read()
                with lock:
                    if r.status == 200:
                        archived[0] += 1
                    else:
                        failures.append("archive %s: %d" % (tid, r.status))
        conn.close()

    ids = ["%s-%d" % (opts.prefix, i) for i in range(1, opts.count + 1)]
    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(ids[i::opts.threads],))
               for i in range(opts.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("TENANTS created=%d archived=%d failures=%d seconds=%.1f"
          % (created[0], archived[0], len(failures), time.monotonic() - started))
    for f in failures[:5]:
        print("  " + f, file=sys.stderr)
    return 1 if failures else 0


def session_string(raw):
    """The canonical form of 16 id bytes: 8-4-4-4-12 lowercase hex."""
    h = raw.hex()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def seed_sessions(opts):
    """Writes opts.count sessions of opts.tenant into opts.db, the service
    stopped: one transaction, ids made UUIDv4 (the service takes only
    those in requests), the first opts.expiring expiring at
    opts.expires_at."""
    import sqlite3
    started = time.monotonic()
    now = int(time.time() * 1000)
    ttl_ms = opts.ttl * 1000
    live_ids = []

    def rows():
        block = 4096
        for first in range(0, opts.count, block):
            raw = os.urandom(16 * min(block, opts.count - first))
            for j in range(len(raw) // 16):
                b = bytearray(raw[16 * j:16 * j + 16])
                b[6] = (b[6] & 0x0F) | 0x40  # version 4
                b[8] = (b[8] & 0x3F) | 0x80  # variant 10
                b = bytes(b)
                if first + j < opts.expiring:
                    used, expires = opts.expires_at - ttl_ms, opts.expires_at
                else:
                    used, expires = now, now + ttl_ms
                    if len(live_ids) < opts.live_ids:
                        live_ids.append(session_string(b))
                yield (b, opts.tenant, used, used, expires)

    db = sqlite3.connect(opts.db, isolation_level=None)
    try:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version != 2:
            raise SystemExit("%s: schema version %d, not 2" % (opts.db, version))
        if db.execute("SELECT 1 FROM tenants WHERE id = ?",
                      (opts.tenant,)).fetchone() is None:
            raise SystemExit("%s: no tenant %s" % (opts.db, opts.tenant))
        db.execute("BEGIN")
        db.executemany("INSERT INTO sessions (id, tenant, created_at, "
                       "last_used, expires_at) VALUES (?, ?, ?, ?, ?)", rows())
        db.execute("COMMIT")
    finally:
        db.close()
    if opts.ids_out:
        with open(opts.ids_out, "w") as f:
            f.write("".join(i + "\n" for i in live_ids))
    print("SEED sessions=%d expiring=%d seconds=%.1f"
          % (opts.count, min(opts.expiring, opts.count),
             time.monotonic() - started), flush=True)
    return 0


class SourceConnection(http.client.HTTPConnection):
    """An HTTP connection bound to a source address."""

    def __init__(self, host, port, source, timeout):
        super().__init__(host, port, timeout=timeout,
                         source_address=(source, 0) if source else None)


def reload_rounds(opts):
    """Rounds of a first request that makes opts.tenant activate (load
    every stored session), a chat in a stored session, then silence."""
    host, port = opts.target.rsplit(":", 1)
    port = int(port)
    source = opts.source.split(",")[0]
    ids = []
    if opts.ids_out:
        with open(opts.ids_out) as f:
            ids = [line.strip() for line in f if line.strip()]
    statuses = {}
    times = {"session": [], "chat": []}
    reload_s = []
    errors = [0]

    def ask(route, method, path, body=None):
        """Status and seconds of one request on its own connection (status
        0: no answer)."""
        t0 = time.monotonic()
        try:
            c = SourceConnection(host, port, source, opts.request_timeout_s)
            headers = {"Content-Type": "application/json"} if body else {}
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            c.close()
            status = r.status
        except (OSError, http.client.HTTPException):
            status, data = 0, b""
        seconds = time.monotonic() - t0
        if route:
            if status == 0:
                errors[0] += 1
            else:
                key = "%s_%d" % (route, status)
                statuses[key] = statuses.get(key, 0) + 1
            times[route].append(seconds)
        return status, seconds, data

    def actors():
        status, _, data = ask(None, "GET", "/metrics")
        for line in data.decode("latin-1").splitlines():
            if line.startswith("tenantd_tenant_actors "):
                return float(line.split()[1])
        return None

    def expiring_left():
        if not opts.db:
            return None
        import sqlite3
        try:
            db = sqlite3.connect("file:%s?mode=ro" % opts.db, uri=True,
                                 timeout=5)
            try:
                # The expiry index alone (a count by tenant would read
                # every index entry of a big tenant's): sessions of other
                # tenants expired by then are few and deleted soon.
                (n,) = db.execute(
                    "SELECT count(*) FROM sessions WHERE expires_at <= ?",
                    (opts.expires_at,)).fetchone()
            finally:
                db.close()
            return n
        except sqlite3.Error:
            return None

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    started = time.monotonic()
    deadline = started + opts.duration
    rounds = reloads = 0
    first = expiring_left()
    last = first
    purge_seen = purged_by = -1.0
    session_body = json.dumps({"tenant_id": opts.tenant}).encode()
    while not stop and time.monotonic() < deadline:
        rounds += 1
        before = actors()
        status, seconds, _ = ask("session", "POST", "/session", session_body)
        after = actors()
        if before is not None and after is not None and after > before:
            reloads += 1
            reload_s.append(seconds)
        if ids:
            chat = json.dumps({"tenant_id": opts.tenant,
                               "session_id": ids[(rounds - 1) % len(ids)],
                               "message": "still here?"}).encode()
            ask("chat", "POST", "/chat", chat)
        left = expiring_left()
        if left is not None:
            at = time.monotonic() - started
            if first is not None and left < first and purge_seen < 0:
                purge_seen = at
            if left == 0 and purged_by < 0 and first:
                purged_by = at
            last = left
        # Silence until the actor has been passivated.
        wake = time.monotonic() + opts.idle_s
        while not stop and time.monotonic() < min(wake, deadline):
            time.sleep(0.05)

    def q(xs, f):
        return f(xs) if xs else 0
    out = ["ATTACK kind=reload", "rounds=%d" % rounds, "reloads=%d" % reloads,
           "reload_s_p50=%.3f" % q(reload_s, statistics.median),
           "reload_s_max=%.3f" % q(reload_s, max),
           "session_s_max=%.3f" % q(times["session"], max),
           "chat_s_max=%.3f" % q(times["chat"], max),
           "errors=%d" % errors[0],
           "expiring_first=%d" % (first if first is not None else -1),
           "expiring_last=%d" % (last if last is not None else -1),
           "purge_seen_s=%.1f" % purge_seen, "purged_by_s=%.1f" % purged_by]
    out += ["%s=%d" % kv for kv in sorted(statuses.items())]
    print(" ".join(out), flush=True)
    return 0


def main(argv):
    opts = parse_args(argv)
    if opts.mode == "tenants":
        return admin_tenants(opts)
    if opts.mode == "seed":
        return seed_sessions(opts)
    if opts.mode == "reload":
        return reload_rounds(opts)
    if not opts.kind:
        raise SystemExit("no --kind given")
    loop = Loop(opts)
    loop.run([Kind(name, opts) for name in opts.kind])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
