// The hostile-input suite: malformed, oversized and abusive input sent to one
// server on the runtime's own engine, each row asserting the exact HTTP
// status or close code the offender gets, while a canary connection opened
// before the attacks keeps echoing during and after every one of them;
// nothing may be raised unhandled, and the server may keep no reference to
// a closed connection. Then the same attacks, in rounds, against a server in
// a process of its own (so that its RSS is the server's alone): after the
// last round its RSS is within 10% of the baseline set by the first ones.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import type { CloseInfo, Connection } from "../../src/driver/connection.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import type { Server } from "@anyws/anyws";
import {
  Canary,
  closeBody,
  collectGarbage,
  concat,
  delay,
  frame,
  head,
  HOST,
  type HttpResponseHead,
  OP,
  ProcessWatch,
  RawClient,
  SAMPLE_ACCEPT,
  ServerProcess,
  startServer,
  stopServer,
  UPGRADE_HEADERS,
  upgradeHead,
  waitFor,
  withTimeout,
} from "../_hostile_helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One hostile request head (or bytes in its place) and the status it earns. */
interface HttpCase {
  name: string;
  send: string | Uint8Array;
  status: number;
  /** Response headers that must be present, with these exact values. */
  headers?: Record<string, string>;
}

/** Frames sent after a valid handshake and the close code they earn. */
interface FrameCase {
  name: string;
  send: () => Uint8Array;
  code: number;
  /** What the close reason must mention. */
  reason?: RegExp;
}

/** For the tests that take seconds (bun's default timeout is 5 s). */
const LONG = { timeout: 60_000 };

const GET = "GET / HTTP/1.1";
const [HOST_LINE, UPGRADE_LINE, CONNECTION_LINE, KEY_LINE, VERSION_LINE] =
  UPGRADE_HEADERS;

const HTTP_CASES: HttpCase[] = [
  {
    name: "a TLS ClientHello sent to the plain port",
    send: Uint8Array.of(0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1),
    status: 400,
  },
  {
    name: "garbage text before the handshake",
    send: "\x01\x02garbage\r\n" + upgradeHead(),
    status: 400,
  },
  {
    name: "a garbage line before the handshake",
    send: "HELLO\r\n" + upgradeHead(),
    status: 400,
  },
  {
    name: "a request line with two parts",
    send: head(["GET /", ...UPGRADE_HEADERS]),
    status: 400,
  },
  {
    name: "a request line with four parts",
    send: head(["GET / HTTP/1.1 extra", ...UPGRADE_HEADERS]),
    status: 400,
  },
  {
    name: "two spaces between method and target",
    send: head(["GET  / HTTP/1.1", ...UPGRADE_HEADERS]),
    status: 400,
  },
  {
    name: "a method that is not a token",
    send: head(["G(E)T / HTTP/1.1", ...UPGRADE_HEADERS]),
    status: 400,
  },
  {
    name: "a lowercase get (methods are case-sensitive)",
    send: head(["get / HTTP/1.1", ...UPGRADE_HEADERS]),
    status: 405,
    headers: { allow: "GET" },
  },
  {
    name: "POST with the upgrade headers",
    send: head(["POST / HTTP/1.1", ...UPGRADE_HEADERS]),
    status: 405,
    headers: { allow: "GET" },
  },
  {
    name: "CONNECT with an authority target",
    send: head(["CONNECT 127.0.0.1:80 HTTP/1.1", ...UPGRADE_HEADERS]),
    status: 405,
    headers: { allow: "GET" },
  },
  {
    name: "an HTTP/1.0 upgrade",
    send: head(["GET / HTTP/1.0", ...UPGRADE_HEADERS]),
    status: 400,
  },
  {
    name: "HTTP/2.0 in the request line",
    send: head(["GET / HTTP/2.0", ...UPGRADE_HEADERS]),
    status: 505,
  },
  {
    name: "a malformed HTTP version",
    send: head(["GET / HTTP/1.1.1", ...UPGRADE_HEADERS]),
    status: 400,
  },
  {
    name: "bare LF line endings",
    send: [GET, ...UPGRADE_HEADERS].join("\n") + "\n\n",
    status: 400,
  },
  {
    name: "a NUL byte in a header value",
    send: upgradeHead("/", { extra: ["X-Evil: a\x00b"] }),
    status: 400,
  },
  {
    name: "a non-ASCII byte in the request-target",
    send: concat(
      encoder.encode("GET /caf"),
      Uint8Array.of(0xc3, 0xa9),
      encoder.encode(
        " HTTP/1.1\r\n" + UPGRADE_HEADERS.join("\r\n") + "\r\n\r\n",
      ),
    ),
    status: 400,
  },
  {
    name: "an obsolete folded header line",
    send: upgradeHead("/", { extra: ["X-Folded: a", " continued"] }),
    status: 400,
  },
  {
    name: "whitespace between a header name and the colon",
    send: upgradeHead("/", { extra: ["X-Space : a"] }),
    status: 400,
  },
  {
    name: "an empty header name",
    send: upgradeHead("/", { extra: [": nameless"] }),
    status: 400,
  },
  {
    name: "a header line without a colon",
    send: upgradeHead("/", { extra: ["NoColonHere"] }),
    status: 400,
  },
  {
    name: "a missing Host",
    send: upgradeHead("/", { omit: ["host"] }),
    status: 400,
  },
  {
    name: "a duplicated Host",
    send: upgradeHead("/", { extra: ["Host: evil.example"] }),
    status: 400,
  },
  {
    name: "a malformed Host",
    send: head([
      GET,
      "Host: <script>",
      UPGRADE_LINE,
      CONNECTION_LINE,
      KEY_LINE,
      VERSION_LINE,
    ]),
    status: 400,
  },
  {
    name: "a plain HTTP GET without Upgrade (no request handler)",
    send: head([GET, HOST_LINE]),
    status: 426,
    headers: { upgrade: "websocket" },
  },
  {
    // RFC 9110 §7.8: not our upgrade, so a plain request (no handler: 426).
    name: "Upgrade: h2c instead of websocket",
    send: head([
      GET,
      HOST_LINE,
      "Upgrade: h2c",
      CONNECTION_LINE,
      KEY_LINE,
      VERSION_LINE,
    ]),
    status: 426,
  },
  {
    name: "a missing Connection: Upgrade",
    send: upgradeHead("/", { omit: ["connection"] }),
    status: 400,
  },
  {
    name: "Connection: keep-alive without the upgrade token",
    send: head([
      GET,
      HOST_LINE,
      UPGRADE_LINE,
      "Connection: keep-alive",
      KEY_LINE,
      VERSION_LINE,
    ]),
    status: 400,
  },
  {
    name: "a missing Sec-WebSocket-Key",
    send: upgradeHead("/", { omit: ["sec-websocket-key"] }),
    status: 400,
  },
  {
    name: "a duplicated Sec-WebSocket-Key",
    send: upgradeHead("/", {
      extra: ["Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="],
    }),
    status: 400,
  },
  {
    name: "a key that is not base64",
    send: head([
      GET,
      HOST_LINE,
      UPGRADE_LINE,
      CONNECTION_LINE,
      "Sec-WebSocket-Key: not a key!",
      VERSION_LINE,
    ]),
    status: 400,
  },
  {
    name: "a key of 15 bytes",
    send: head([
      GET,
      HOST_LINE,
      UPGRADE_LINE,
      CONNECTION_LINE,
      "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA",
      VERSION_LINE,
    ]),
    status: 400,
  },
  {
    name: "a key of 17 bytes",
    send: head([
      GET,
      HOST_LINE,
      UPGRADE_LINE,
      CONNECTION_LINE,
      "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=",
      VERSION_LINE,
    ]),
    status: 400,
  },
  {
    name: "a missing Sec-WebSocket-Version",
    send: upgradeHead("/", { omit: ["sec-websocket-version"] }),
    status: 400,
    headers: { "sec-websocket-version": "13" },
  },
  {
    name: "Sec-WebSocket-Version: 8",
    send: head([
      GET,
      HOST_LINE,
      UPGRADE_LINE,
      CONNECTION_LINE,
      KEY_LINE,
      "Sec-WebSocket-Version: 8",
    ]),
    status: 426,
    headers: { "sec-websocket-version": "13", upgrade: "websocket" },
  },
  {
    name: "a duplicated Sec-WebSocket-Version",
    send: upgradeHead("/", { extra: ["Sec-WebSocket-Version: 13"] }),
    status: 400,
  },
  {
    name: "Transfer-Encoding: chunked (request smuggling)",
    send: upgradeHead("/", { extra: ["Transfer-Encoding: chunked"] }),
    status: 400,
  },
  {
    name: "a Content-Length announcing a body",
    send: upgradeHead("/", { extra: ["Content-Length: 10"] }),
    status: 400,
  },
  {
    name: "one 20 KiB header (over maxHeadBytes)",
    send: upgradeHead("/", { extra: [`X-Big: ${"a".repeat(20 * 1024)}`] }),
    status: 431,
  },
  {
    name: "101 header fields (over maxHeaderCount)",
    send: upgradeHead("/", {
      extra: Array.from({ length: 96 }, (_, i) => `X-H${i}: ${i}`),
    }),
    status: 431,
  },
  {
    name: "a 9 KiB request-target",
    send: upgradeHead(`/${"a".repeat(9 * 1024)}`),
    status: 414,
  },
  {
    name: "a fragment in the request-target",
    send: upgradeHead("/chat#frag"),
    status: 400,
  },
  {
    name: "a request-target neither origin-form nor absolute",
    send: upgradeHead("chat"),
    status: 400,
  },
  {
    name: "a duplicated subprotocol",
    send: upgradeHead("/", { extra: ["Sec-WebSocket-Protocol: chat, chat"] }),
    status: 400,
  },
  {
    name: "a subprotocol that is not a token",
    send: upgradeHead("/", { extra: ["Sec-WebSocket-Protocol: chat, {evil}"] }),
    status: 400,
  },
  {
    name: "a malformed Sec-WebSocket-Extensions",
    send: upgradeHead("/", {
      extra: ["Sec-WebSocket-Extensions: permessage-deflate; =1"],
    }),
    status: 400,
  },
  {
    name: "a cross-site Origin (default same-origin)",
    send: upgradeHead("/", { extra: ["Origin: http://evil.example"] }),
    status: 403,
  },
  {
    name: "an opaque Origin: null",
    send: upgradeHead("/", { extra: ["Origin: null"] }),
    status: 403,
  },
];

/** Odd but valid handshakes: a hostile-input filter must not refuse them. */
const VALID_CASES: Array<{ name: string; send: string }> = [
  {
    name: "lower-case header names and mixed-case tokens",
    send: head([
      GET,
      "host: 127.0.0.1",
      "upgrade: WebSocket",
      "connection: keep-alive, UPGRADE",
      `sec-websocket-key: ${KEY_LINE.split(": ")[1]}`,
      "sec-websocket-version: 13",
    ]),
  },
  {
    name: "tabs and spaces around header values",
    send: head([
      GET,
      "Host:\t127.0.0.1 ",
      "Upgrade: \twebsocket\t",
      "Connection:Upgrade",
      KEY_LINE,
      VERSION_LINE + "  ",
    ]),
  },
  {
    name: "an empty line before the request line (RFC 9112 §2.2)",
    send: "\r\n" + upgradeHead(),
  },
  {
    name: "an absolute-form request-target",
    send: upgradeHead("http://127.0.0.1/chat?room=1"),
  },
  {
    name: "Connection split over two header lines",
    send: head([
      GET,
      HOST_LINE,
      UPGRADE_LINE,
      "Connection: keep-alive",
      "Connection: Upgrade",
      KEY_LINE,
      VERSION_LINE,
    ]),
  },
  {
    name: "Content-Length: 0",
    send: upgradeHead("/", { extra: ["Content-Length: 0"] }),
  },
];

const utf8 = (...bytes: number[]): Uint8Array => Uint8Array.of(...bytes);

const FRAME_CASES: FrameCase[] = [
  {
    name: "an unmasked text frame",
    send: () => frame(OP.Text, "hi", { mask: false }),
    code: 1002,
    reason: /unmasked/i,
  },
  {
    name: "RSV1 set without an extension",
    send: () => frame(OP.Text, "hi", { rsv: 4 }),
    code: 1002,
    reason: /RSV/,
  },
  {
    name: "RSV2 set",
    send: () => frame(OP.Text, "hi", { rsv: 2 }),
    code: 1002,
    reason: /RSV/,
  },
  {
    name: "RSV3 set on a ping",
    send: () => frame(OP.Ping, "hi", { rsv: 1 }),
    code: 1002,
    reason: /RSV/,
  },
  {
    name: "reserved data opcode 0x3",
    send: () => frame(0x3, "hi"),
    code: 1002,
    reason: /opcode/i,
  },
  {
    name: "reserved data opcode 0x7",
    send: () => frame(0x7),
    code: 1002,
    reason: /opcode/i,
  },
  {
    name: "reserved control opcode 0xB",
    send: () => frame(0xb),
    code: 1002,
    reason: /opcode/i,
  },
  {
    name: "reserved control opcode 0xF",
    send: () => frame(0xf, "x"),
    code: 1002,
    reason: /opcode/i,
  },
  {
    name: "a ping of 126 bytes",
    send: () => frame(OP.Ping, new Uint8Array(126)),
    code: 1002,
    reason: /125/,
  },
  {
    name: "a pong of 200 bytes",
    send: () => frame(OP.Pong, new Uint8Array(200)),
    code: 1002,
    reason: /125/,
  },
  {
    name: "a close frame of 126 bytes",
    send: () => frame(OP.Close, closeBody(1000, "x".repeat(124))),
    code: 1002,
    reason: /125/,
  },
  {
    name: "a fragmented ping",
    send: () => frame(OP.Ping, "a", { fin: false }),
    code: 1002,
    reason: /fragmented/i,
  },
  {
    name: "a fragmented close",
    send: () => frame(OP.Close, closeBody(1000), { fin: false }),
    code: 1002,
    reason: /fragmented/i,
  },
  {
    name: "a length of 2^63 (most significant bit set)",
    send: () => frame(OP.Binary, new Uint8Array(0), { length: 1n << 63n }),
    code: 1002,
    reason: /length/i,
  },
  {
    name: "a length of 2^64 - 1",
    send: () =>
      frame(OP.Binary, new Uint8Array(0), { length: (1n << 64n) - 1n }),
    code: 1002,
    reason: /length/i,
  },
  {
    name: "a length of 2^62 (valid, over maxFrameSize)",
    send: () => frame(OP.Binary, new Uint8Array(0), { length: 1n << 62n }),
    code: 1009,
    reason: /too big/i,
  },
  {
    name: "a frame announcing 16 MiB + 1 (default maxFrameSize)",
    send: () =>
      frame(OP.Text, new Uint8Array(0), { length: 16n * 1024n * 1024n + 1n }),
    code: 1009,
    reason: /too big/i,
  },
  {
    // Each frame is within maxFrameSize (16 MiB); the message is not: 1009
    // as soon as the second header arrives, before any of its payload.
    name: "fragments summing past 16 MiB (default maxMessageSize)",
    send: () =>
      concat(
        frame(OP.Binary, "a", { fin: false }),
        frame(OP.Continuation, new Uint8Array(0), { length: 16n << 20n }),
      ),
    code: 1009,
    reason: /message too big/i,
  },
  {
    name: "invalid UTF-8 (0xFF) in a text frame",
    send: () => frame(OP.Text, utf8(0x61, 0xff, 0x62)),
    code: 1007,
  },
  {
    name: "an overlong UTF-8 encoding (C0 AF)",
    send: () => frame(OP.Text, utf8(0xc0, 0xaf)),
    code: 1007,
  },
  {
    name: "a UTF-16 surrogate encoded in UTF-8 (ED A0 80)",
    send: () => frame(OP.Text, utf8(0xed, 0xa0, 0x80)),
    code: 1007,
  },
  {
    name: "a code point over U+10FFFF (F4 90 80 80)",
    send: () => frame(OP.Text, utf8(0xf4, 0x90, 0x80, 0x80)),
    code: 1007,
  },
  {
    name: "a text message ending inside a UTF-8 sequence",
    send: () => frame(OP.Text, utf8(0x61, 0xe2, 0x82)),
    code: 1007,
  },
  {
    name: "invalid UTF-8 split across fragments",
    send: () =>
      concat(
        frame(OP.Text, utf8(0x61, 0xe2), { fin: false }),
        frame(OP.Continuation, utf8(0x28, 0xa1)),
      ),
    code: 1007,
  },
  {
    name: "invalid UTF-8 in a close reason",
    send: () => frame(OP.Close, closeBody(1000, utf8(0xff, 0xfe))),
    code: 1007,
  },
  {
    name: "close code 1005 on the wire",
    send: () => frame(OP.Close, closeBody(1005)),
    code: 1002,
    reason: /close code/i,
  },
  {
    name: "close code 1006 on the wire",
    send: () => frame(OP.Close, closeBody(1006)),
    code: 1002,
    reason: /close code/i,
  },
  {
    name: "close code 1015 on the wire",
    send: () => frame(OP.Close, closeBody(1015)),
    code: 1002,
    reason: /close code/i,
  },
  {
    name: "reserved close code 1004",
    send: () => frame(OP.Close, closeBody(1004)),
    code: 1002,
    reason: /close code/i,
  },
  {
    name: "close code 999",
    send: () => frame(OP.Close, closeBody(999)),
    code: 1002,
    reason: /close code/i,
  },
  {
    name: "close code 5000",
    send: () => frame(OP.Close, closeBody(5000)),
    code: 1002,
    reason: /close code/i,
  },
  {
    name: "a close body of one byte",
    send: () => frame(OP.Close, utf8(0x03)),
    code: 1002,
  },
  {
    name: "a continuation frame with no message started",
    send: () => frame(OP.Continuation, "x"),
    code: 1002,
    reason: /continuation/i,
  },
  {
    name: "a new text frame inside a fragmented message",
    send: () =>
      concat(frame(OP.Text, "a", { fin: false }), frame(OP.Text, "b")),
    code: 1002,
    reason: /continuation/i,
  },
  {
    name: "a second HTTP request after the upgrade",
    send: () => encoder.encode(upgradeHead()),
    code: 1002,
  },
];

/**
 * Opens `total` connections to `port`, `batch` at a time, and drops each
 * abruptly (a reset): one in four right after connecting, one after half a
 * request head, one after the 101, one after the 101 and half a frame.
 * Returns how many got a 101. Bare sockets keep the test's own allocations
 * small next to the server's.
 */
async function flood(
  port: number,
  total: number,
  batch = 200,
): Promise<number> {
  const full = encoder.encode(upgradeHead());
  const one = (i: number): Promise<boolean> =>
    new Promise((resolve, reject) => {
      const socket = netConnect({ host: HOST, port });
      let answer = "";
      let upgraded = false;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`Flood connection ${i} stalled`));
      }, 10_000);
      const drop = (): void => {
        const s = socket as Socket & { resetAndDestroy?: () => void };
        if (typeof s.resetAndDestroy === "function") s.resetAndDestroy();
        else s.destroy();
      };
      socket.on("error", () => {});
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(upgraded);
      });
      socket.once("connect", () => {
        switch (i % 4) {
          case 0:
            return drop();
          case 1:
            socket.write(full.subarray(0, 40));
            return void setTimeout(drop, 1);
          case 2:
            socket.write(full);
            break;
          case 3:
            socket.write(concat(full, frame(OP.Text, "half").subarray(0, 5)));
            break;
        }
        socket.on("data", (chunk: Uint8Array) => {
          answer += decoder.decode(chunk);
          if (answer.length < 12) return;
          upgraded = answer.startsWith("HTTP/1.1 101 ");
          drop();
        });
      });
    });
  let upgraded = 0;
  for (let start = 0; start < total; start += batch) {
    const results = await Promise.all(
      Array.from(
        { length: Math.min(batch, total - start) },
        (_, i) => one(start + i),
      ),
    );
    for (const ok of results) if (ok) upgraded++;
  }
  return upgraded;
}

/** Connects, sends `bytes`, reads the response and waits for the server to hang up. */
async function httpAttack(port: number, bytes: string | Uint8Array) {
  const raw = await RawClient.connect(port);
  try {
    raw.write(bytes);
    const response = await raw.readResponse();
    await raw.waitGone();
    return response;
  } finally {
    raw.destroy();
  }
}

/** Sends an odd but valid head and a message; returns the status and the echo. */
async function validAttack(
  port: number,
  head: string,
  text: string,
): Promise<{ response: HttpResponseHead; echo: string }> {
  const raw = await RawClient.connect(port);
  try {
    raw.write(head);
    const response = await raw.readHttpHead();
    if (response.status !== 101) return { response, echo: "" };
    raw.write(frame(OP.Text, text));
    return { response, echo: await raw.readText() };
  } finally {
    raw.destroy();
  }
}

/**
 * Upgrades `/?tag=…`, sends `bytes`, reads until the close frame, answers
 * it and waits for the server to hang up.
 */
async function framesAttack(port: number, tag: string, bytes: Uint8Array) {
  const raw = await RawClient.connect(port);
  try {
    await raw.handshake(`/?tag=${tag}`);
    raw.write(bytes);
    const close = await raw.readClose(10_000);
    raw.write(frame(OP.Close, closeBody(close.code)));
    await raw.waitGone();
    raw.end();
    return close;
  } finally {
    raw.destroy();
  }
}

/** 20,000 one-byte text messages in one buffer. */
function burst(): Uint8Array {
  const one = frame(OP.Text, "m");
  const bytes = new Uint8Array(one.length * 20_000);
  for (let i = 0; i < 20_000; i++) bytes.set(one, i * one.length);
  return bytes;
}

/**
 * A seeded generator of random frame streams: up to 6 frames with random
 * bits, opcodes, lengths (all three length forms) and payloads, sometimes
 * cut short.
 */
function fuzzStreams(seed: number): () => Uint8Array {
  const random = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return Math.floor((seed / 2 ** 32) * n);
  };
  const buffer = new Uint8Array(6 * (14 + 70_000));
  return () => {
    let p = 0;
    for (let f = 1 + random(6); f > 0; f--) {
      buffer[p++] = random(10) < 7
        ? (random(10) < 8 ? 0x80 : 0) | [0, 1, 2, 8, 9, 10][random(6)]
        : random(256);
      const length = random(10) < 8 ? random(130) : random(70_000);
      const mask = random(10) < 9 ? 0x80 : 0;
      if (length < 126) buffer[p++] = mask | length;
      else if (length < 65536) {
        buffer.set([mask | 126, length >> 8, length & 255], p);
        p += 3;
      } else {
        buffer.set([mask | 127, 0, 0, 0, 0, 0, length >> 16], p);
        buffer.set([(length >> 8) & 255, length & 255], p + 7);
        p += 9;
      }
      if (mask) {
        for (let i = 0; i < 4; i++) buffer[p++] = random(256);
      }
      const sent = random(10) < 8 ? length : random(length + 1);
      for (let i = 0; i < sent; i++) buffer[p++] = random(256);
    }
    return buffer.slice(0, p);
  };
}

/** Upgrades `/?tag=…`, sends a random stream, then FIN; waits for the server to hang up. */
async function fuzzAttack(
  port: number,
  tag: string,
  bytes: Uint8Array,
): Promise<void> {
  const raw = await RawClient.connect(port);
  try {
    await raw.handshake(`/?tag=${tag}`);
    raw.discard = true;
    raw.write(bytes);
    raw.end(); // whatever was cut short ends here
    await raw.waitGone();
  } finally {
    raw.destroy();
  }
}

const BIG_JSON = `{"event":"chat","data":"${"a".repeat(1024 * 1024)}"}`;
const DEEP_JSON = `{"event":"chat","data":${"[".repeat(100_000)}${
  "]".repeat(100_000)
}}`;

/** Sends one JSON event on a fresh connection; returns the server's reply. */
async function jsonAttack(port: number, text: string): Promise<string> {
  const raw = await RawClient.connect(port);
  try {
    await raw.handshake();
    raw.write(frame(OP.Text, text));
    return await raw.readText();
  } finally {
    raw.destroy();
  }
}

describe("hostile inputs, with a canary echoing throughout", () => {
  const watch = new ProcessWatch();
  let server: Server;
  let canary: Canary;
  /** Weak references to the connections opened while tracking. */
  let tracked: Array<WeakRef<Connection>> | undefined;
  let opens = 0;
  const closes = new Map<string, CloseInfo>();
  const closeWaiters = new Map<string, (info: CloseInfo) => void>();
  /** The server's `error` events of the current test. */
  const errors: unknown[] = [];
  /** Every `error` event that was not a peer's violation, all along. */
  const unexpected: string[] = [];
  const chatCalls: unknown[] = [];
  let tagCount = 0;

  /** A fresh tag, for a connection to `/?tag=…`. */
  const nextTag = (): string => `t${++tagCount}`;

  /** The server's close info of the connection tagged `tag`. */
  const serverClose = (tag: string): Promise<CloseInfo> => {
    const known = closes.get(tag);
    if (known !== undefined) {
      closes.delete(tag);
      return Promise.resolve(known);
    }
    return withTimeout(
      new Promise<CloseInfo>((resolve) => closeWaiters.set(tag, resolve)),
      5000,
      `server close of ${tag}`,
    ).finally(() => {
      closeWaiters.delete(tag);
      closes.delete(tag);
    });
  };

  /** After every attack: the canary still echoes and only it is left open. */
  const canaryStillEchoes = async (): Promise<void> => {
    await canary.echo();
    errors.length = 0; // checked by the test; keep memory flat
    await waitFor(
      () => server.connections.size === 1,
      5000,
      `only the canary open (open: ${server.connections.size})`,
    );
  };

  const attackHttp = (bytes: string | Uint8Array) =>
    httpAttack(server.port, bytes);

  /** Closes a tagged connection with `bytes`; adds the server's close info. */
  const attackFrames = async (bytes: Uint8Array) => {
    const tag = nextTag();
    const close = await framesAttack(server.port, tag, bytes);
    return { ...close, server: await serverClose(tag) };
  };

  /**
   * Opens a connection that never reads again and broadcasts 64 KiB
   * messages until the server cuts it; returns its close info.
   */
  const slowConsumer = async () => {
    const tag = nextTag();
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake(`/?tag=${tag}`);
      raw.socket.pause(); // never reads again
      const chunk = new Uint8Array(64 * 1024);
      const started = Date.now();
      let broadcasts = 0;
      while (!closes.has(tag)) {
        if (Date.now() - started > 20_000) {
          throw new Error("Slow consumer not closed after 20 s");
        }
        server.broadcast(chunk);
        broadcasts++;
        await delay(0);
      }
      return { info: await serverClose(tag), broadcasts };
    } finally {
      raw.destroy();
    }
  };

  /**
   * Sends `count` seeded random frame streams (random bits, opcodes,
   * lengths and payloads, up to 6 frames, sometimes cut short), each on its
   * own connection followed by FIN, 50 at a time; returns how many
   * connections the server closed with each code.
   */
  const fuzz = async (
    seed: number,
    count: number,
  ): Promise<Map<number, number>> => {
    const stream = fuzzStreams(seed);
    const counts = new Map<number, number>();
    for (let done = 0; done < count; done += 50) {
      const batch = Array.from({ length: Math.min(50, count - done) }, () => ({
        tag: nextTag(),
        bytes: stream(),
      }));
      await Promise.all(batch.map(async ({ tag, bytes }) => {
        await fuzzAttack(server.port, tag, bytes);
        const { code } = await serverClose(tag);
        counts.set(code, (counts.get(code) ?? 0) + 1);
      }));
    }
    return counts;
  };

  /** Sends 20,000 one-byte messages in one write; reads until the close. */
  const rateBurst = async () => {
    const tag = nextTag();
    const close = await framesAttack(server.port, tag, burst());
    return { close, info: await serverClose(tag) };
  };

  before(async () => {
    watch.install();
    server = await startServer({}, (s) => {
      s.on("message", (data, conn) => conn.send(data));
      s.on("chat", (data) => {
        chatCalls.push(data);
        return data;
      });
      s.on("open", (_request, conn) => {
        opens++;
        tracked?.push(new WeakRef(conn));
      });
      s.on("close", (info, conn) => {
        const tag = conn.request.query.get("tag");
        if (tag === null) return;
        closes.set(tag, info);
        closeWaiters.get(tag)?.(info);
      });
      s.on("error", (error) => {
        errors.push(error);
        if (!(error instanceof ProtocolError)) unexpected.push(String(error));
      });
    });
    canary = await Canary.open(`ws://${HOST}:${server.port}/?canary=1`);
    await canary.echo();
    canary.start(20);
  });

  after(async () => {
    await canary?.stop();
    await canary?.close();
    await stopServer(server);
    watch.uninstall();
  });

  for (const row of HTTP_CASES) {
    test(`HTTP: ${row.name} is answered ${row.status}`, async () => {
      const response = await attackHttp(row.send);
      assert.equal(response.status, row.status, response.raw);
      assert.match(response.headers.get("connection") ?? "", /\bclose\b/i);
      for (const [name, value] of Object.entries(row.headers ?? {})) {
        assert.equal(response.headers.get(name), value, name);
      }
      await canaryStillEchoes();
    });
  }

  for (const row of VALID_CASES) {
    test(`valid: ${row.name} is upgraded (101) and echoes`, async () => {
      const raw = await RawClient.connect(server.port);
      try {
        raw.write(row.send);
        const response = await raw.readHttpHead();
        assert.equal(response.status, 101, response.raw);
        assert.equal(
          response.headers.get("sec-websocket-accept"),
          SAMPLE_ACCEPT,
        );
        raw.write(frame(OP.Text, row.name));
        assert.equal(await raw.readText(), row.name);
      } finally {
        raw.destroy();
      }
      await canaryStillEchoes();
    });
  }

  for (const row of FRAME_CASES) {
    test(`frames: ${row.name} is closed with ${row.code}`, async () => {
      const result = await attackFrames(row.send());
      assert.equal(result.code, row.code, result.reason);
      if (row.reason) assert.match(result.reason, row.reason);
      assert.deepEqual(result.before, [], "no frame before the close");
      assert.equal(result.server.code, row.code);
      assert.equal(result.server.wasClean, false);
      await canaryStillEchoes();
    });
  }

  test(
    "a head sent one byte per 100 ms is parsed and answered (400: no Host)",
    LONG,
    async () => {
      const text = "GET / HTTP/1.1\r\nUpgrade: x\r\n\r\n"; // 30 bytes
      assert.equal(text.length, 30);
      const raw = await RawClient.connect(server.port);
      try {
        for (const byte of encoder.encode(text)) {
          assert.equal(raw.bytesReceived, 0, "no answer before the head ends");
          raw.write(Uint8Array.of(byte));
          await delay(100);
        }
        const response = await raw.readResponse();
        assert.equal(response.status, 400);
        assert.equal(response.body, "Missing header: Host");
        await raw.waitGone();
      } finally {
        raw.destroy();
      }
      await canaryStillEchoes();
    },
  );

  test("a valid handshake and frames sent one byte per write upgrade and echo", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      const bytes = concat(
        encoder.encode(upgradeHead()),
        frame(OP.Text, "slow but valid"),
      );
      for (const byte of bytes) {
        raw.write(Uint8Array.of(byte));
        await delay(1);
      }
      const response = await raw.readHttpHead();
      assert.equal(response.status, 101);
      assert.equal(response.headers.get("sec-websocket-accept"), SAMPLE_ACCEPT);
      assert.equal(await raw.readText(), "slow but valid");
    } finally {
      raw.destroy();
    }
    await canaryStillEchoes();
  });

  test("data frames pipelined with the handshake are processed, in order", async () => {
    const tag = nextTag();
    const raw = await RawClient.connect(server.port);
    try {
      const response = await raw.handshake(`/?tag=${tag}`, {
        extra: concat(
          frame(OP.Text, "first"),
          frame(OP.Ping, "p"),
          frame(OP.Binary, Uint8Array.of(1, 2, 3)),
          frame(OP.Text, "fra", { fin: false }),
          frame(OP.Continuation, "gmented"),
          frame(OP.Close, closeBody(4001, "done")),
        ),
      });
      assert.equal(response.status, 101);
      const close = await raw.readClose();
      assert.equal(close.code, 4001);
      // The pong may overtake the echoes (it is queued while the frames are
      // read, before the handlers run); the messages keep their order.
      const pongs = close.before.filter((f) => f.opcode === OP.Pong);
      const messages = close.before.filter((f) => f.opcode !== OP.Pong);
      assert.deepEqual(pongs.map((f) => decoder.decode(f.payload)), ["p"]);
      assert.deepEqual(
        messages.map((f) => [f.opcode, [...f.payload]]),
        [
          [OP.Text, [...encoder.encode("first")]],
          [OP.Binary, [1, 2, 3]],
          [OP.Text, [...encoder.encode("fragmented")]],
        ],
      );
      await raw.waitGone();
      raw.end();
      const info = await serverClose(tag);
      assert.deepEqual(info, { code: 4001, reason: "done", wasClean: true });
    } finally {
      raw.destroy();
    }
    await canaryStillEchoes();
  });

  test("frames after a close frame are ignored", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake("/", {
        extra: concat(
          frame(OP.Close, closeBody(1000)),
          frame(OP.Text, "after close"),
          frame(OP.Ping, "after close"),
        ),
      });
      const close = await raw.readClose();
      assert.equal(close.code, 1000);
      assert.deepEqual(close.before, []);
      await raw.waitGone();
      await delay(20);
      assert.equal(raw.buffered, 0, "nothing after the close frame");
    } finally {
      raw.destroy();
    }
    await canaryStillEchoes();
  });

  test("a frame cut by FIN is an abnormal closure (1006) on the server", async () => {
    const tag = nextTag();
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake(`/?tag=${tag}`);
      raw.write(frame(OP.Text, "cut short").subarray(0, 6));
      raw.end();
      const info = await serverClose(tag);
      assert.equal(info.code, 1006);
      assert.equal(info.wasClean, false);
      await raw.waitGone();
    } finally {
      raw.destroy();
    }
    await canaryStillEchoes();
  });

  test("1,000 pings in one write get 1,000 pongs and the connection stays open", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake();
      const pings: Uint8Array[] = [];
      for (let i = 0; i < 1000; i++) pings.push(frame(OP.Ping, `${i}`));
      raw.write(concat(...pings));
      for (let i = 0; i < 1000; i++) {
        const pong = await raw.readFrame();
        assert.equal(pong.opcode, OP.Pong);
        assert.equal(decoder.decode(pong.payload), `${i}`);
      }
      raw.write(frame(OP.Text, "still here"));
      assert.equal(await raw.readText(), "still here");
    } finally {
      raw.destroy();
    }
    await canaryStillEchoes();
  });

  test("5,000 empty continuation frames make one empty message", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake();
      const parts = [frame(OP.Text, "", { fin: false })];
      for (let i = 0; i < 5000; i++) {
        parts.push(frame(OP.Continuation, "", { fin: false }));
      }
      parts.push(frame(OP.Continuation, "!"));
      raw.write(concat(...parts));
      assert.equal(await raw.readText(), "!");
    } finally {
      raw.destroy();
    }
    await canaryStillEchoes();
  });

  test(
    "20,000 messages in one burst trip the default rate limit (1008 after at least 10,000 echoes)",
    LONG,
    async () => {
      const { close, info } = await rateBurst();
      assert.equal(close.code, 1008);
      assert.equal(close.reason, "Rate limit exceeded");
      // The bucket starts full (10,000) and refills while the burst is read.
      assert.ok(
        close.before.length >= 10_000 && close.before.length < 20_000,
        `echoes before the close: ${close.before.length}`,
      );
      assert.equal(info.code, 1008);
      await canaryStillEchoes();
    },
  );

  test("JSON naming reserved events is an ordinary message, never a lifecycle event", async () => {
    const reserved = [
      "open",
      "close",
      "error",
      "message",
      "drain",
      "ping",
      "pong",
      "join",
      "leave",
      "connection",
      "upgrade",
      "request",
      "listening",
    ];
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake();
      const opensBefore = opens;
      const errorsBefore = errors.length;
      for (const event of reserved) {
        const text = JSON.stringify({ event, data: { code: 1000 } });
        raw.write(frame(OP.Text, text));
        assert.equal(await raw.readText(), text, event);
      }
      assert.equal(opens, opensBefore, "no open event");
      assert.equal(errors.length, errorsBefore, "no error event");
      assert.equal(server.connections.size, 2, "still open");
      // Routing is on: a custom event goes to its handler, with an ack.
      raw.write(frame(OP.Text, '{"event":"chat","data":"hi","id":7}'));
      assert.equal(await raw.readText(), '{"ack":7,"data":"hi"}');
      assert.deepEqual(chatCalls.splice(0), ["hi"]);
    } finally {
      raw.destroy();
    }
    await canaryStillEchoes();
  });

  test("deeply nested JSON (100,000 levels) is dropped with an error event, not parsed", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake();
      const errorsBefore = errors.length;
      raw.write(frame(OP.Text, DEEP_JSON));
      assert.equal(
        await raw.readText(),
        '{"event":"error","data":{"message":"JSON event too deep: over 32 levels"}}',
      );
      assert.deepEqual(chatCalls, []);
      await waitFor(() => errors.length === errorsBefore + 1, 2000, "error");
      const error = errors[errorsBefore];
      assert.ok(error instanceof ProtocolError);
      assert.equal(error.code, 1008);
      raw.write(frame(OP.Text, "still open"));
      assert.equal(await raw.readText(), "still open");
    } finally {
      raw.destroy();
    }
    await canaryStillEchoes();
  });

  test("huge JSON (over 1 MiB) is dropped with an error event, not parsed", async () => {
    const raw = await RawClient.connect(server.port);
    try {
      await raw.handshake();
      const errorsBefore = errors.length;
      raw.write(frame(OP.Text, BIG_JSON));
      assert.equal(
        await raw.readText(),
        '{"event":"error","data":{"message":"JSON event too large: over 1048576 characters"}}',
      );
      assert.deepEqual(chatCalls, []);
      await waitFor(() => errors.length === errorsBefore + 1, 2000, "error");
      raw.write(frame(OP.Text, "still open"));
      assert.equal(await raw.readText(), "still open");
    } finally {
      raw.destroy();
    }
    await canaryStillEchoes();
  });

  test(
    "500 seeded random frame streams only earn 1002, 1007 or an abnormal closure",
    LONG,
    async () => {
      const counts = new Map<number, number>();
      for (const [code, count] of await fuzz(0x5eed, 500)) {
        counts.set(code, count);
      }
      const summary = JSON.stringify([...counts]);
      const codes = [...counts.keys()];
      assert.deepEqual(
        codes.filter((code) => ![1002, 1006, 1007].includes(code)),
        [],
        summary,
      );
      assert.ok((counts.get(1002) ?? 0) >= 200, summary);
      assert.ok((counts.get(1007) ?? 0) >= 25, summary);
      await canaryStillEchoes();
    },
  );

  test(
    "5,000 connections opened and dropped abruptly leave nothing behind",
    LONG,
    async () => {
      const opensBefore = opens;
      tracked = [];
      const upgraded = await flood(server.port, 5000);
      assert.equal(upgraded, 2500);
      await waitFor(
        () => server.connections.size === 1,
        10_000,
        `only the canary left (open: ${server.connections.size})`,
      );
      assert.equal(opens - opensBefore, 2500);
      // The server keeps no reference to any of those connections.
      const refs = tracked;
      tracked = undefined;
      assert.equal(refs.length, 2500);
      await delay(10);
      await collectGarbage();
      const alive = refs.filter((ref) => ref.deref() !== undefined).length;
      assert.equal(alive, 0, `connections still referenced: ${alive}`);
      await canaryStillEchoes();
    },
  );

  test(
    "a client that never reads while the server broadcasts is closed with 1008, others unaffected",
    LONG,
    async () => {
      const errorsBefore = errors.length;
      const { info, broadcasts } = await slowConsumer();
      assert.equal(info.code, 1008);
      assert.equal(info.wasClean, false);
      assert.match(info.reason, /Send buffer limit exceeded/);
      // 16 MiB (maxBufferedAmount) must be queued before the cut.
      assert.ok(broadcasts > 256, `broadcasts: ${broadcasts}`);
      const error = errors.slice(errorsBefore).find((e) =>
        e instanceof ProtocolError && /Send buffer/.test(e.message)
      );
      assert.ok(error instanceof ProtocolError);
      assert.equal(error.code, 1008);
      await canaryStillEchoes();
    },
  );

  test("the canary echoed throughout; nothing unhandled; no internal error", async () => {
    const stats = await canary.stop();
    assert.deepEqual(stats.failures, []);
    assert.ok(stats.echoed > 50, `canary round trips: ${stats.echoed}`);
    assert.equal(canary.closed, false);
    await canary.echo();
    // Only peers' violations were reported: no internal error of the server.
    assert.deepEqual(unexpected, []);
    assert.deepEqual(watch.errors, []);
  });

  test("server.stop() closes the canary with 1001 and releases every connection at once", async () => {
    const closed = new Promise<number>((resolve) =>
      canary.ws.addEventListener("close", (e: CloseEvent) => resolve(e.code))
    );
    const started = Date.now();
    await server.stop({ timeout: 3000 });
    const elapsed = Date.now() - started;
    // A connection the server forgot to release (a handshake dropped
    // half-way, say) would hold stop() for its whole timeout.
    assert.ok(elapsed < 2000, `stop() took ${elapsed} ms`);
    assert.equal(await withTimeout(closed, 3000, "canary close"), 1001);
    assert.deepEqual(watch.errors, []);
  });
});

/**
 * The memory check: rounds of every attack above against a server in a
 * process of its own. The baseline is the highest RSS after the warm-up
 * rounds; after the measured rounds the server's RSS must be within 10% of
 * it, and its JS heap in use (which a small leak reaches long before RSS
 * does) within 10% or 1 MiB.
 *
 * Each RSS figure is taken with hygiene that gives back free memory, never
 * memory in use: the child runs with one glibc malloc arena and a fixed
 * mmap threshold (`ServerProcess.start`), and `settledRss()` repeats full
 * collections that also return the allocators' free pages (`Bun.shrink()`;
 * glibc's `malloc_trim(0)` on Deno) until RSS stops falling. Without them,
 * Deno's RSS after a round settled at about 63 or 77 MiB in no order (8 to
 * 15 MiB freed but held in glibc's heap below a block still in use), Node's
 * rose by 7.5 MiB after one round in three (the same, once glibc's dynamic
 * mmap threshold let 64 KiB blocks into its heap), Bun's read 30 ms after a
 * collection anywhere from 55 to 67 MiB (freed a moment later), and the
 * check failed about one run in ten without a leak.
 */
/** Rounds of every attack that set the memory check's baseline. */
const WARM_UP_ROUNDS = 2;
/** Rounds of every attack after the baseline, before the verdict. */
const MEASURED_ROUNDS = 4;

describe("the server's memory under attack (the server in its own process)", () => {
  let child: ServerProcess;
  let canary: Canary;
  let baseline = 0;
  let tagCount = 0;
  const nextTag = (): string => `m${++tagCount}`;

  before(async () => {
    child = await ServerProcess.start();
    canary = await Canary.open(`ws://${HOST}:${child.port}/?canary=1`);
    await canary.echo();
    canary.start(20);
  });

  after(async () => {
    await canary?.stop();
    await canary?.close();
    await child?.stop();
  });

  /** One round of every attack of this file, each checked from the client's side. */
  const runRound = async (): Promise<void> => {
    const port = child.port;
    assert.equal(await flood(port, 5000), 2500);
    for (const row of HTTP_CASES) {
      const response = await httpAttack(port, row.send);
      assert.equal(response.status, row.status, row.name);
    }
    for (const row of VALID_CASES) {
      const { response, echo } = await validAttack(port, row.send, row.name);
      assert.equal(response.status, 101, row.name);
      assert.equal(echo, row.name);
    }
    for (const row of FRAME_CASES) {
      const close = await framesAttack(port, nextTag(), row.send());
      assert.equal(close.code, row.code, row.name);
    }
    const stream = fuzzStreams(0x5eed);
    for (let done = 0; done < 500; done += 50) {
      await Promise.all(
        Array.from({ length: 50 }, () => fuzzAttack(port, nextTag(), stream())),
      );
    }
    assert.equal((await framesAttack(port, nextTag(), burst())).code, 1008);
    assert.match(await jsonAttack(port, BIG_JSON), /JSON event too large/);
    assert.match(await jsonAttack(port, DEEP_JSON), /JSON event too deep/);
    // A client that never reads, fed broadcasts until the server cuts it.
    const slow = nextTag();
    const raw = await RawClient.connect(port);
    try {
      await raw.handshake(`/?tag=${slow}`);
      raw.socket.pause();
      const { code } = await child.command("starve", { tag: slow });
      assert.equal(code, 1008);
    } finally {
      raw.destroy();
    }
    await canary.echo();
  };

  /** The child's report once only the canary is left open. */
  const settled = async (): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const reply = await child.command("rss");
      if (reply.size === 1 || Date.now() > deadline) return reply;
      await delay(50);
    }
  };

  /** Each round's settled RSS and JS heap in use, in MiB, for the failure messages. */
  const rounds: string[] = [];
  const heaps: string[] = [];
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  let heapBaseline = 0;
  let last: Record<string, unknown> = {};

  for (let round = 1; round <= WARM_UP_ROUNDS; round++) {
    test(
      `warm-up round ${round} of every attack (the baseline is the highest RSS after them)`,
      LONG,
      async () => {
        // The runtime's first growth is not a leak: a bare Deno.listen
        // server grows by ~60 MiB over its first thousand connections
        // (socket pools, allocator arenas), then stays flat; the JIT's code
        // and the heap's reserve keep growing a little for a few rounds.
        // The baseline is the highest of the warm-up rounds: a leak would
        // keep growing past it.
        await runRound();
        const reply = await settled();
        assert.equal(reply.size, 1);
        rounds.push(mib(reply.rss as number));
        heaps.push(mib(reply.heapUsed as number));
        baseline = Math.max(baseline, reply.rss as number);
        heapBaseline = Math.max(heapBaseline, reply.heapUsed as number);
      },
    );
  }

  for (
    let round = WARM_UP_ROUNDS + 1;
    round <= WARM_UP_ROUNDS + MEASURED_ROUNDS;
    round++
  ) {
    test(`round ${round} of every attack`, LONG, async () => {
      await runRound();
      last = await settled();
      rounds.push(mib(last.rss as number));
      heaps.push(mib(last.heapUsed as number));
      assert.equal(last.size, 1);
      assert.deepEqual(last.unexpected, []);
      assert.deepEqual(last.unhandled, []);
    });
  }

  test(
    `after ${MEASURED_ROUNDS} more rounds, the server's RSS is within 10% of the baseline (and its JS heap within 10% or 1 MiB), the canary echoed throughout, nothing unhandled`,
    { timeout: 10_000 },
    async () => {
      const stats = await canary.stop();
      assert.deepEqual(stats.failures, []);
      assert.ok(stats.echoed > 50, `canary round trips: ${stats.echoed}`);
      assert.equal(last.size, 1);
      assert.deepEqual(last.unexpected, []);
      assert.deepEqual(last.unhandled, []);
      // Both verdicts, so that a failure shows both.
      const problems: string[] = [];
      const rss = last.rss as number;
      const growth = (rss - baseline) / baseline;
      if (!(growth <= 0.1)) {
        problems.push(
          `RSS ${mib(rss)} MiB vs baseline ${mib(baseline)} MiB (+${
            (growth * 100).toFixed(1)
          }%); after each round: ${rounds.join(", ")} MiB`,
        );
      }
      // The JS heap in use after a full collection holds what the server
      // keeps of each connection: a leak of about 100 bytes a connection
      // adds 1 MiB over the measured rounds, a fraction of RSS's 10%.
      const heap = last.heapUsed as number;
      if (!(heap - heapBaseline <= Math.max(0.1 * heapBaseline, 2 ** 20))) {
        problems.push(
          `JS heap in use ${mib(heap)} MiB vs ${
            mib(heapBaseline)
          } MiB after the warm-up; after each round: ${heaps.join(", ")} MiB`,
        );
      }
      assert.deepEqual(problems, []);
    },
  );
});
