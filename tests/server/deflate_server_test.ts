// permessage-deflate on a server (RFC 7692), end to end on the runtime's own
// engine: negotiation in the 101, compressed messages both ways, the
// violations that fail a connection, bombs, compress-once broadcast to a mix
// of compressed and plain receivers, and interop with python-websockets.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { Server } from "@anyws/anyws";
import {
  concatBytes,
  encodeClientFrame,
  HOST,
  OP,
  RawClient,
  runPython,
  type ServerFrame,
  waitFor,
  withTimeout,
} from "../_clients.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const OFFER = "permessage-deflate; client_max_window_bits";
const RSV1 = 4;

/** A message as a client compresses it (RFC 7692 §7.2.1: sync flush, tail removed). */
function compress(data: string | Uint8Array): Uint8Array {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const out = deflateRawSync(bytes, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  return out.subarray(0, out.length - 4);
}

/** A compressed payload inflated (RFC 7692 §7.2.2: the tail appended). */
function inflate(payload: Uint8Array): Uint8Array {
  return inflateRawSync(concatBytes(payload, Uint8Array.of(0, 0, 0xff, 0xff)), {
    finishFlush: 2, /* Z_SYNC_FLUSH */
  });
}

const text = (frame: ServerFrame): string =>
  decoder.decode(frame.rsv & RSV1 ? inflate(frame.payload) : frame.payload);

let server: Server;
const received: Array<string | Uint8Array> = [];
const errors: unknown[] = [];

before(async () => {
  server = new Server({
    hostname: HOST,
    port: 0,
    deflate: true,
    maxMessageSize: 64 * 1024,
  });
  server.on("message", (data, conn) => {
    received.push(data);
    if (data === "broadcast") {
      server.broadcast("x".repeat(2000) + " to all");
      return;
    }
    conn.send(data);
  });
  server.on("error", (error) => errors.push(error));
  await server.listen();
});

after(() => withTimeout(server.stop({ timeout: 500 }), 5000, "stop"));

/** A raw client's handshake offering `offer` (`null`: offering nothing). */
async function handshake(
  offer: string | null = OFFER,
): Promise<{ raw: RawClient; extensions: string | undefined }> {
  const raw = await RawClient.connect(server.port);
  const head = await raw.handshake("/", {
    headers: offer === null ? {} : { "Sec-WebSocket-Extensions": offer },
  });
  return { raw, extensions: head.headers.get("sec-websocket-extensions") };
}

describe("permessage-deflate: negotiation", () => {
  test("shared mode answers with both no_context_takeover parameters", async () => {
    const { raw, extensions } = await handshake();
    raw.destroy();
    assert.equal(
      extensions,
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    );
  });

  test("no offer, an unknown extension, or only bad offers: no extension in the 101", async () => {
    for (
      const offer of [
        null as string | null,
        "x-webkit-deflate-frame",
        "permessage-deflate; server_max_window_bits=8",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; unknown_param",
      ]
    ) {
      const { raw, extensions } = await handshake(offer);
      raw.destroy();
      assert.equal(extensions, undefined, String(offer));
    }
  });

  test("the first acceptable of several offers wins", async () => {
    const { raw, extensions } = await handshake(
      "permessage-deflate; server_max_window_bits=8, permessage-deflate; client_max_window_bits",
    );
    raw.destroy();
    assert.match(extensions!, /^permessage-deflate;/);
  });
});

describe("permessage-deflate: messages", () => {
  test('RFC 7692 §7.2.3.1: a compressed "Hello" from the client arrives as Hello', async () => {
    const { raw } = await handshake();
    try {
      const hello = Uint8Array.of(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00);
      raw.sendFrame(OP.Text, hello, { rsv: RSV1 });
      const echo = await raw.readFrame();
      assert.equal(text(echo), "Hello");
      // Under the 1 KiB threshold: sent back uncompressed.
      assert.equal(echo.rsv, 0);
    } finally {
      raw.destroy();
    }
  });

  test("a message over the threshold comes back compressed, RSV1 on its only frame", async () => {
    const { raw } = await handshake();
    try {
      const long = "chat ".repeat(400);
      raw.sendFrame(OP.Text, compress(long), { rsv: RSV1 });
      const echo = await raw.readFrame();
      assert.equal(echo.rsv, RSV1);
      assert.ok(echo.payload.length < long.length / 4);
      assert.equal(text(echo), long);
    } finally {
      raw.destroy();
    }
  });

  test("a compressed message in several frames: RSV1 on the first only", async () => {
    const { raw } = await handshake();
    try {
      const long = "fragmented ".repeat(300);
      const payload = compress(long);
      const cut = Math.floor(payload.length / 2);
      raw.write(concatBytes(
        encodeClientFrame(OP.Text, payload.subarray(0, cut), {
          fin: false,
          rsv: RSV1,
        }),
        encodeClientFrame(OP.Continuation, payload.subarray(cut)),
      ));
      assert.equal(text(await raw.readFrame()), long);
    } finally {
      raw.destroy();
    }
  });

  test("a message whose deflate stream ends with BFINAL=1 is read, and so is the next", async () => {
    const { raw } = await handshake();
    try {
      // A final block (BFINAL=1), as some clients send: no tail to strip.
      const final = deflateRawSync(encoder.encode("final block"));
      raw.sendFrame(OP.Text, final, { rsv: RSV1 });
      assert.equal(text(await raw.readFrame()), "final block");
      raw.sendFrame(OP.Text, compress("after it"), { rsv: RSV1 });
      assert.equal(text(await raw.readFrame()), "after it");
    } finally {
      raw.destroy();
    }
  });

  test("uncompressed messages still work on a compressed connection, and pings are never compressed", async () => {
    const { raw } = await handshake();
    try {
      raw.sendFrame(OP.Binary, new Uint8Array([1, 2, 3]));
      const echo = await raw.readFrame();
      assert.deepEqual([...echo.payload], [1, 2, 3]);
      raw.sendFrame(OP.Ping, "p");
      const pong = await raw.readFrame();
      assert.equal(pong.opcode, OP.Pong);
      assert.equal(pong.rsv, 0);
    } finally {
      raw.destroy();
    }
  });
});

describe("permessage-deflate: violations", () => {
  const cases: Array<[string, Uint8Array, number]> = [
    [
      "RSV1 on a continuation frame (RFC 7692 §6.1)",
      concatBytes(
        encodeClientFrame(OP.Text, compress("a"), { fin: false, rsv: RSV1 }),
        encodeClientFrame(OP.Continuation, compress("b"), { rsv: RSV1 }),
      ),
      1002,
    ],
    [
      "RSV1 on a control frame",
      encodeClientFrame(OP.Ping, "p", { rsv: RSV1 }),
      1002,
    ],
    [
      "RSV2 (not negotiated)",
      encodeClientFrame(OP.Text, "x", { rsv: 2 }),
      1002,
    ],
    [
      "a payload that is not DEFLATE",
      encodeClientFrame(OP.Text, Uint8Array.of(0xff, 0xff, 0xff, 0xff), {
        rsv: RSV1,
      }),
      1007,
    ],
    [
      "compressed text that is not UTF-8",
      encodeClientFrame(OP.Text, compress(Uint8Array.of(0xc3, 0x28)), {
        rsv: RSV1,
      }),
      1007,
    ],
  ];
  for (const [name, bytes, code] of cases) {
    test(`${name}: close ${code}`, async () => {
      const { raw } = await handshake();
      try {
        raw.write(bytes);
        const { code: got } = await raw.readUntilClose();
        assert.equal(got, code);
      } finally {
        raw.destroy();
      }
    });
  }

  test("RSV1 without negotiation fails with 1002", async () => {
    const { raw } = await handshake(null);
    try {
      raw.sendFrame(OP.Text, compress("hello"), { rsv: RSV1 });
      assert.equal((await raw.readUntilClose()).code, 1002);
    } finally {
      raw.destroy();
    }
  });

  test("a bomb: 64 KiB of DEFLATE inflating far past maxMessageSize is stopped with 1009", async () => {
    const { raw } = await handshake();
    try {
      const bomb = compress(new Uint8Array(64 * 1024 * 1024));
      assert.ok(bomb.length < 128 * 1024, `${bomb.length} bytes`);
      raw.sendFrame(OP.Binary, bomb, { rsv: RSV1 });
      const close = await raw.readUntilClose(20_000);
      assert.equal(close.code, 1009);
    } finally {
      raw.destroy();
    }
  });
});

describe("permessage-deflate: broadcast", () => {
  test("one broadcast to compressed and plain receivers: each can read it; compressed receivers get the very same bytes", async () => {
    const a = await handshake();
    const b = await handshake();
    const plain = await handshake(null);
    try {
      await waitFor(() => server.connections.size >= 3, 2000, "three open");
      a.raw.sendFrame(OP.Text, "broadcast");
      const [fa, fb, fp] = await Promise.all([
        a.raw.readFrame(),
        b.raw.readFrame(),
        plain.raw.readFrame(),
      ]);
      const expected = "x".repeat(2000) + " to all";
      assert.equal(text(fa), expected);
      assert.equal(text(fb), expected);
      assert.equal(text(fp), expected);
      assert.equal(fa.rsv, RSV1);
      assert.equal(fp.rsv, 0);
      assert.deepEqual(fa.payload, fb.payload);
    } finally {
      a.raw.destroy();
      b.raw.destroy();
      plain.raw.destroy();
    }
  });
});

describe("permessage-deflate: python-websockets", () => {
  for (
    const [name, deflate] of [
      ["its default offer", undefined],
      ["context takeover asked on both sides", {}],
      ["no context takeover", {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
      }],
      ["window bits 10 / 9", {
        server_max_window_bits: 10,
        client_max_window_bits: 9,
      }],
    ] as const
  ) {
    test(`${name}: agreed, and text and binary of every size echo intact`, async () => {
      const [report] = await runPython({
        uri: `ws://${HOST}:${server.port}/`,
        ...(deflate === undefined ? {} : { deflate }),
        steps: [
          { op: "extensions" },
          { op: "echo", kind: "text", size: 10 },
          { op: "echo", kind: "text", size: 5000 },
          { op: "echo", kind: "binary", size: 70_000 - 10_000 },
          { op: "echo", kind: "text", size: 2000 },
          { op: "close", code: 1000 },
        ],
      });
      assert.equal(report.connect_error, undefined);
      const [extensions, ...echoes] = report.results;
      assert.equal(extensions.extensions?.[0]?.name, "permessage-deflate");
      for (const echo of echoes.slice(0, 4)) {
        assert.equal(echo.ok, true, JSON.stringify(echo));
      }
      assert.equal(report.close_code, 1000);
    });
  }
});

describe("permessage-deflate: no error on the way", () => {
  test("the server reported only the violations the tests sent", () => {
    for (const error of errors) {
      assert.match(String(error), /ProtocolError/);
    }
  });

  test("the messages arrived as sent", () => {
    assert.ok(received.includes("Hello"));
    assert.ok(
      received.some((m) => typeof m === "string" && m.startsWith("chat")),
    );
  });
});
