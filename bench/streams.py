#!/usr/bin/env python3
"""Open streams held by tenantd: the two sides of bench/streams.sh.

  streams.py upstream PORT
      A Chat Completions upstream on 127.0.0.1:PORT that answers every
      streamed request with its head and a first piece at once, then holds
      the stream open (a piece every 10 s) until the client goes.

  streams.py clients URL TENANT SESSION N
      Opens N connections to tenantd, each a POST /chat with "stream":
      true, and waits until every one has its first delta event; prints
      "open N", then holds them until stdin closes (or a line arrives),
      and closes them all.

Python's asyncio only: no package outside Debian's python3.
"""

import asyncio
import json
import sys


async def upstream(port):
    async def serve(reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b'data: {"model":"m","choices":[{"index":0,"delta":{"content":"tick "}}]}\n\n'
            while True:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                # Until the client (tenantd) goes, a piece every 10 s.
                try:
                    if not await asyncio.wait_for(reader.read(4096), 10):
                        break
                except asyncio.TimeoutError:
                    pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


async def clients(url, tenant, session, n):
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"tenant_id": tenant, "session_id": session,
                       "message": "hold on", "stream": True}).encode()
    request = (b"POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    opened = []
    failed = 0

    async def one():
        nonlocal failed
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(request)
            await writer.drain()
            seen = b""
            while b"event: delta" not in seen:
                data = await reader.read(4096)
                if not data:
                    raise ConnectionError("closed: " + seen[:200].decode(errors="replace"))
                seen += data
            opened.append(writer)
        except (OSError, ConnectionError) as e:
            failed += 1
            if failed <= 3:
                print("failed:", e, file=sys.stderr)

    # In waves, so that the listen backlog is never the limit.
    wave = 500
    for start in range(0, n, wave):
        await asyncio.gather(*(one() for _ in range(min(wave, n - start))))
    print(f"open {len(opened)} failed {failed}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for w in opened:
        w.close()


def main():
    if sys.argv[1] == "upstream":
        asyncio.run(upstream(int(sys.argv[2])))
    else:
        asyncio.run(clients(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))


if __name__ == "__main__":
    main()
