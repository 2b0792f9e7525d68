"""A scripted python-websockets (10.4, legacy asyncio API) client for the
anyws conformance tests.

python-websockets is strict about RFC 6455 (it fails the connection on a
masked server frame, a bad close frame, invalid UTF-8, a wrong accept key...),
which is why the tests drive it.

Input (JSON on stdin):

    {
      "uri": "ws://127.0.0.1:1234/path",
      "connections": 1,            # run the steps on N connections at once
      "connect": {...},            # extra keyword arguments of connect()
      "deflate": {...} | null,     # permessage-deflate offer: the keyword
                                   # arguments of ClientPerMessageDeflateFactory
                                   # (null: offer no compression); absent:
                                   # the library's default offer
      "timeout": 20,               # overall bound, seconds
      "steps": [ {"op": ...}, ... ]
    }

Steps (each appends one result object to the connection's "results"):

    {"op": "send", "text": "..."}                 send a text message
    {"op": "send", "hex": "0a0b"}                 send a binary message
    {"op": "send_generated", "kind": "text"|"binary", "size": N}
    {"op": "echo", "kind": "text"|"binary", "size": N}
        send a generated payload, receive one message, compare
        -> {"ok": bool, "type": ..., "length": ..., "sha256": ...}
    {"op": "send_fragments", "text": ["a", "b"]} or {"hex": ["0a", "0b"]}
        send ONE message as several frames (an iterable: fragmentation)
    {"op": "recv", "timeout": s}
        -> {"type": "text"|"binary", "length": bytes, "sha256": ...,
            "text"/"hex": the data when at most 4096 bytes}
    {"op": "ping", "data": "abc", "timeout": s}   -> {"pong": bool}
    {"op": "sleep", "seconds": s}
    {"op": "close", "code": 1000, "reason": "bye"}
        -> {"close_code", "close_reason", "elapsed"}
    {"op": "wait_closed", "timeout": s}
        -> {"closed": bool, "close_code", "close_reason", "elapsed"}
    {"op": "state"}                               -> {"open": bool}
    {"op": "extensions"}
        -> {"extensions": [{"name", "local_no_context_takeover",
            "remote_no_context_takeover", "local_max_window_bits",
            "remote_max_window_bits"}]}  (what the handshake agreed)

A step that raises ends that connection's script; the error is reported as
{"op": ..., "error": "ExceptionName: message"}.

Output (JSON on stdout): {"connections": [{"results": [...],
"close_code": ..., "close_reason": ...}, ...]} or {"fatal": "..."}.

The generated payloads are the same as generatePayload() in _clients.ts.
"""

import asyncio
import hashlib
import json
import sys
import time

import websockets
import websockets.exceptions
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
)
from websockets.legacy.client import connect

TEXT_UNIT = "abc\u00e9\u20ac\U0001F600"  # 12 UTF-8 bytes: 1+1+1+2+3+4
TEXT_UNIT_BYTES = len(TEXT_UNIT.encode("utf-8"))
BINARY_BLOCK = bytes((i * 31 + 7) & 0xFF for i in range(256))


def generate(kind, size):
    """A deterministic payload of exactly `size` bytes (UTF-8 for text)."""
    if kind == "text":
        whole, rest = divmod(size, TEXT_UNIT_BYTES)
        return TEXT_UNIT * whole + "x" * rest
    return (BINARY_BLOCK * (size // 256 + 1))[:size]


def describe(message):
    if isinstance(message, str):
        raw = message.encode("utf-8")
        out = {"type": "text", "length": len(raw)}
        if len(raw) <= 4096:
            out["text"] = message
    else:
        raw = bytes(message)
        out = {"type": "binary", "length": len(raw)}
        if len(raw) <= 4096:
            out["hex"] = raw.hex()
    out["sha256"] = hashlib.sha256(raw).hexdigest()
    return out


def closed_info(ws, started):
    return {
        "close_code": ws.close_code,
        "close_reason": ws.close_reason,
        "elapsed": round(time.monotonic() - started, 3),
    }


async def run_step(ws, step):
    op = step["op"]
    if op == "send":
        if "text" in step:
            await ws.send(step["text"])
        else:
            await ws.send(bytes.fromhex(step["hex"]))
        return {"op": op}
    if op == "send_generated":
        await ws.send(generate(step["kind"], step["size"]))
        return {"op": op}
    if op == "echo":
        payload = generate(step["kind"], step["size"])
        await ws.send(payload)
        answer = await asyncio.wait_for(ws.recv(), step.get("timeout", 20))
        out = describe(answer)
        out["op"] = op
        out["ok"] = answer == payload
        return out
    if op == "send_fragments":
        if "text" in step:
            await ws.send(list(step["text"]))
        else:
            await ws.send([bytes.fromhex(h) for h in step["hex"]])
        return {"op": op}
    if op == "recv":
        message = await asyncio.wait_for(ws.recv(), step.get("timeout", 10))
        out = describe(message)
        out["op"] = op
        return out
    if op == "ping":
        waiter = await ws.ping(step.get("data", ""))
        await asyncio.wait_for(waiter, step.get("timeout", 5))
        return {"op": op, "pong": True}
    if op == "sleep":
        await asyncio.sleep(step["seconds"])
        return {"op": op}
    if op == "close":
        started = time.monotonic()
        await ws.close(step.get("code", 1000), step.get("reason", ""))
        out = closed_info(ws, started)
        out["op"] = op
        return out
    if op == "wait_closed":
        started = time.monotonic()
        try:
            await asyncio.wait_for(ws.wait_closed(), step.get("timeout", 10))
            closed = True
        except asyncio.TimeoutError:
            closed = False
        out = closed_info(ws, started)
        out["op"] = op
        out["closed"] = closed
        return out
    if op == "state":
        return {"op": op, "open": ws.open}
    if op == "extensions":
        return {"op": op, "extensions": [
            {
                "name": extension.name,
                "local_no_context_takeover":
                    getattr(extension, "local_no_context_takeover", None),
                "remote_no_context_takeover":
                    getattr(extension, "remote_no_context_takeover", None),
                "local_max_window_bits":
                    getattr(extension, "local_max_window_bits", None),
                "remote_max_window_bits":
                    getattr(extension, "remote_max_window_bits", None),
            }
            for extension in ws.extensions
        ]}
    raise ValueError("Unknown op: " + op)


async def run_connection(script):
    options = {
        "max_size": None,
        "ping_interval": None,
        "close_timeout": 5,
        "open_timeout": 10,
    }
    options.update(script.get("connect", {}))
    if "deflate" in script:
        offer = script["deflate"]
        options["compression"] = None
        if offer is not None:
            options["extensions"] = [ClientPerMessageDeflateFactory(**offer)]
    results = []
    out = {"results": results}
    try:
        ws = await connect(script["uri"], **options)
    except Exception as error:  # noqa: BLE001 - reported to the test
        out["connect_error"] = type(error).__name__ + ": " + str(error)
        return out
    try:
        for step in script["steps"]:
            try:
                results.append(await run_step(ws, step))
            except websockets.exceptions.ConnectionClosed as error:
                results.append({
                    "op": step["op"],
                    "error": type(error).__name__,
                    "close_code": ws.close_code,
                    "close_reason": ws.close_reason,
                })
                break
            except Exception as error:  # noqa: BLE001 - reported to the test
                results.append({
                    "op": step["op"],
                    "error": type(error).__name__ + ": " + str(error),
                })
                break
    finally:
        if ws.open:
            await ws.close()
        out["close_code"] = ws.close_code
        out["close_reason"] = ws.close_reason
    return out


async def main():
    script = json.loads(sys.stdin.read())
    count = script.get("connections", 1)
    runs = [run_connection(script) for _ in range(count)]
    connections = await asyncio.wait_for(
        asyncio.gather(*runs), script.get("timeout", 20)
    )
    return {"connections": connections}


if __name__ == "__main__":
    try:
        report = asyncio.run(main())
    except Exception as error:  # noqa: BLE001 - reported to the test
        report = {"fatal": type(error).__name__ + ": " + str(error)}
    sys.stdout.write(json.dumps(report))
    sys.stdout.flush()
