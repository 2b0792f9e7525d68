"""The python-websockets side of the client matrix (tests/client/client_matrix_test.ts):
python-websockets 10.4's server (legacy asyncio API) with permessage-deflate
(its default), choosing the subprotocol echo.v1, over plain TCP and TLS (the
certificate and key files in MATRIX_CERT and MATRIX_KEY), speaking the
matrix's commands (tests/_matrix_commands.ts). Prints one line,
`ready {"plain":...,"tls":...}`, then serves until killed (or for 120 s).
"""

import asyncio
import json
import os
import re
import ssl

import websockets

closes = {}


async def serve(ws, _path):
    tag = None
    try:
        async for message in ws:
            if isinstance(message, bytes):
                await ws.send(message)
                continue
            if m := re.fullmatch(r"tag (\S+)", message):
                tag = m.group(1)
                await ws.send(f"tagged {tag}")
            elif m := re.fullmatch(r"closed\? (\S+)", message):
                await ws.send(f"closed {m.group(1)} {closes.get(m.group(1), '?')}")
            elif m := re.fullmatch(r"fragment ([0-9]+)", message):
                # An iterable is sent as one fragmented message.
                await ws.send([f"frag-{i}" for i in range(int(m.group(1)))])
            elif m := re.fullmatch(r"close ([0-9]+) (.*)", message):
                await ws.close(int(m.group(1)), m.group(2))
            elif message == "ping-me":
                waiter = await ws.ping(b"srv")
                await asyncio.wait_for(waiter, 5)
                await ws.send("pong-ok")
            else:
                await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    finally:
        if tag is not None:
            await ws.wait_closed()
            closes[tag] = f"{ws.close_code} {ws.close_reason}"


async def main():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.environ["MATRIX_CERT"], os.environ["MATRIX_KEY"])
    options = dict(
        subprotocols=["echo.v1"],
        max_size=None,
        ping_interval=None,
    )
    plain = await websockets.serve(serve, "127.0.0.1", 0, **options)
    secure = await websockets.serve(serve, "127.0.0.1", 0, ssl=context, **options)
    ports = {
        "plain": plain.sockets[0].getsockname()[1],
        "tls": secure.sockets[0].getsockname()[1],
    }
    print(f"ready {json.dumps(ports)}", flush=True)
    await asyncio.sleep(120)


asyncio.run(main())
