import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Protocol } from "../../src/protocol/protocol.ts";
import {
  type ProtocolEvent,
  ReadyState,
} from "../../src/protocol/protocol_events.ts";
import { Frame } from "../../src/protocol/frame.ts";
import { encodeFrame } from "../../src/protocol/frame_encoder.ts";
import { ProtocolError, UsageError } from "../../src/protocol/errors.ts";
import {
  clientFrame,
  concat,
  rawFrame,
  receiveSplit,
  run,
  takeEvents,
} from "../_frames.ts";
import { prng } from "../_prng.ts";

const HELLO = [0x48, 0x65, 0x6c, 0x6c, 0x6f];
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const list = (chunks: Uint8Array[]): number[] => [...concat(chunks)];
const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The close frame a server sends (unmasked). */
function closeFrame(code?: number, reason = ""): number[] {
  if (code === undefined) return [0x88, 0x00];
  return [...rawFrame(0x8, [code >> 8, code & 0xff, ...enc(reason)])];
}

/** Parses a server's outgoing bytes back into frames (role client). */
function serverFrames(
  data: Uint8Array,
): Array<{ opcode: number; fin: boolean; payload: number[] }> {
  const frames = [];
  let p = 0;
  while (p < data.length) {
    const b0 = data[p];
    const masked = (data[p + 1] & 0x80) !== 0;
    let length = data[p + 1] & 0x7f;
    p += 2;
    if (length === 126) {
      length = (data[p] << 8) | data[p + 1];
      p += 2;
    } else if (length === 127) {
      length = Number(
        new DataView(data.buffer, data.byteOffset + p, 8).getBigUint64(0),
      );
      p += 8;
    }
    let payload = [
      ...data.subarray(masked ? p + 4 : p, (masked ? p + 4 : p) + length),
    ];
    if (masked) {
      const mask = data.subarray(p, p + 4);
      payload = payload.map((b, i) => b ^ mask[i % 4]);
      p += 4;
    }
    p += length;
    frames.push({ opcode: b0 & 0xf, fin: (b0 & 0x80) !== 0, payload });
  }
  return frames;
}

/** Runs `input` into a fresh server; asserts it failed with `code` and queued exactly that close. */
function assertFails(
  input: Uint8Array,
  code: number,
  options?: ConstructorParameters<typeof Protocol>[0],
): ProtocolError {
  const { protocol, events, outgoing } = run(input, options);
  const last = events.at(-1);
  assert.ok(
    last?.type === "error",
    `expected an error event, got ${JSON.stringify(events.map((e) => e.type))}`,
  );
  assert.equal(last.error.code, code, last.error.message);
  assert.deepEqual(protocol.closeInfo(true), {
    code,
    reason: last.error.message,
    wasClean: false,
  });
  assert.equal(protocol.shouldCloseTransport, true);
  assert.equal(protocol.readyState, ReadyState.Closing);
  const frames = serverFrames(outgoing);
  const close = frames.at(-1)!;
  assert.equal(close.opcode, 0x8);
  assert.equal((close.payload[0] << 8) | close.payload[1], code);
  return last.error;
}

describe("Protocol: RFC 6455 §5.7 examples", () => {
  test("server: a masked text 'Hello' becomes a text event", () => {
    const { events, outgoing } = run(
      bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
    );
    assert.deepEqual(events, [{ type: "text", data: "Hello" }]);
    assert.equal(outgoing.length, 0);
  });

  test("client: an unmasked text 'Hello' and a fragmented 'Hel' + 'lo'", () => {
    const client = { role: "client" } as const;
    assert.deepEqual(run(bytes(0x81, 0x05, ...HELLO), client).events, [{
      type: "text",
      data: "Hello",
    }]);
    assert.deepEqual(
      run(bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f), client)
        .events,
      [{ type: "text", data: "Hello" }],
    );
  });

  test("server: a masked pong 'Hello' becomes a pong event and queues nothing", () => {
    const { events, outgoing } = run(
      bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
    );
    assert.deepEqual(events, [{ type: "pong", data: bytes(...HELLO) }]);
    assert.equal(outgoing.length, 0);
  });

  test("server: a masked ping 'Hello' queues the unmasked pong 'Hello' byte for byte", () => {
    const { events, outgoing } = run(clientFrame(0x9, HELLO));
    assert.deepEqual(events, [{ type: "ping", data: bytes(...HELLO) }]);
    assert.deepEqual([...outgoing], [0x8a, 0x05, ...HELLO]);
  });

  test("client: an unmasked ping 'Hello' queues a masked pong with the same payload", () => {
    const { events, outgoing } = run(bytes(0x89, 0x05, ...HELLO), {
      role: "client",
    });
    assert.deepEqual(events, [{ type: "ping", data: bytes(...HELLO) }]);
    assert.equal(outgoing[0], 0x8a);
    assert.equal(outgoing[1], 0x85);
    assert.deepEqual(serverFrames(outgoing), [{
      opcode: 0xa,
      fin: true,
      payload: HELLO,
    }]);
  });

  test("client: 256-byte and 64 KiB unmasked binary messages", () => {
    const small = new Uint8Array(256).map((_, i) => i);
    const big = new Uint8Array(65536).map((_, i) => i * 3);
    const input = concat([
      bytes(0x82, 0x7e, 0x01, 0x00),
      small,
      bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0),
      big,
    ]);
    assert.deepEqual(run(input, { role: "client" }).events, [
      { type: "binary", data: small },
      { type: "binary", data: big },
    ]);
  });

  test("server: the same messages as masked client frames, split at every boundary of the small ones", () => {
    const input = concat([
      clientFrame(0x1, "Hello"),
      clientFrame(0x1, "Hel", { fin: false }),
      clientFrame(0x9, "Hello"),
      clientFrame(0x0, "lo"),
      clientFrame(0x2, new Uint8Array(256).fill(1)),
    ]);
    const expected = run(input).events;
    assert.equal(expected.length, 4);
    for (let cut = 1; cut < input.length; cut++) {
      const protocol = new Protocol();
      receiveSplit(protocol, input, [cut]);
      assert.deepEqual(takeEvents(protocol), expected, `cut at ${cut}`);
    }
    const protocol = new Protocol();
    receiveSplit(
      protocol,
      input,
      Array.from({ length: input.length - 1 }, (_, i) => i + 1),
    );
    assert.deepEqual(takeEvents(protocol), expected);
  });
});

describe("Protocol: messages", () => {
  test("binary event data is a copy, not a view of the received bytes", () => {
    const protocol = new Protocol();
    const input = clientFrame(0x2, [1, 2, 3]);
    protocol.receive(input);
    input.fill(0);
    const [event] = takeEvents(protocol);
    assert.deepEqual(event, { type: "binary", data: bytes(1, 2, 3) });
  });

  test("control frames between fragments are delivered in order, the message after its last fragment", () => {
    const { events, outgoing } = run(concat([
      clientFrame(0x2, [1], { fin: false }),
      clientFrame(0x9, "a"),
      clientFrame(0x0, [2], { fin: false }),
      clientFrame(0xa, "b"),
      clientFrame(0x0, [3]),
    ]));
    assert.deepEqual(events, [
      { type: "ping", data: enc("a") },
      { type: "pong", data: enc("b") },
      { type: "binary", data: bytes(1, 2, 3) },
    ]);
    assert.deepEqual([...outgoing], [0x8a, 0x01, 0x61]);
  });

  test("takeEvents returns the events once", () => {
    const protocol = new Protocol();
    protocol.receive(clientFrame(0x1, "x"));
    assert.equal(takeEvents(protocol).length, 1);
    assert.deepEqual(takeEvents(protocol), []);
  });

  test("a message exactly at maxMessageSize is accepted", () => {
    const { events } = run(clientFrame(0x2, new Uint8Array(100)), {
      maxMessageSize: 100,
    });
    assert.equal(events[0].type, "binary");
  });
});

describe("Protocol: violations fail the connection with the exact close code", () => {
  const cases: Array<
    [string, Uint8Array, number, ConstructorParameters<typeof Protocol>[0]?]
  > = [
    ["RSV1 set without an extension", clientFrame(0x1, "x", { rsv: 4 }), 1002],
    ["RSV2 set without an extension", clientFrame(0x1, "x", { rsv: 2 }), 1002],
    ["RSV3 set without an extension", clientFrame(0x1, "x", { rsv: 1 }), 1002],
    [
      "RSV2 set while only RSV1 is negotiated",
      clientFrame(0x1, "x", { rsv: 2 }),
      1002,
      { allowedRsv: 4 },
    ],
    ["opcode 3", clientFrame(0x3, []), 1002],
    ["opcode 7", clientFrame(0x7, []), 1002],
    ["opcode 0xB", clientFrame(0xb, []), 1002],
    ["opcode 0xF", clientFrame(0xf, []), 1002],
    ["a ping of 126 bytes", clientFrame(0x9, new Uint8Array(126)), 1002],
    [
      "a close of 126 bytes",
      clientFrame(0x8, [0x03, 0xe8, ...new Uint8Array(124)]),
      1002,
    ],
    ["a fragmented ping", clientFrame(0x9, [], { fin: false }), 1002],
    ["a fragmented close", clientFrame(0x8, [], { fin: false }), 1002],
    ["an unmasked frame (server role)", rawFrame(0x1, "x"), 1002],
    ["a masked frame (client role)", clientFrame(0x1, "x"), 1002, {
      role: "client",
    }],
    [
      "a 64-bit length with its MSB set",
      bytes(0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4),
      1002,
    ],
    ["a frame over maxFrameSize", clientFrame(0x2, new Uint8Array(11)), 1009, {
      maxFrameSize: 10,
    }],
    [
      "a frame over maxMessageSize (frame limit defaults to it)",
      clientFrame(0x2, new Uint8Array(11)),
      1009,
      { maxMessageSize: 10 },
    ],
    [
      "fragments over maxMessageSize",
      concat([
        clientFrame(0x2, new Uint8Array(6), { fin: false }),
        clientFrame(0x0, new Uint8Array(6)),
      ]),
      1009,
      { maxMessageSize: 10 },
    ],
    ["a continuation without a start", clientFrame(0x0, "x"), 1002],
    [
      "a text frame while a fragmented message is in progress",
      concat([clientFrame(0x1, "a", { fin: false }), clientFrame(0x1, "b")]),
      1002,
    ],
    [
      "a binary frame while a fragmented message is in progress",
      concat([
        clientFrame(0x2, "a", { fin: false }),
        clientFrame(0x2, "b", { fin: false }),
      ]),
      1002,
    ],
    [
      "invalid UTF-8 in a single text frame",
      clientFrame(0x1, [0xce, 0xba, 0xc0, 0xaf]),
      1007,
    ],
    [
      "invalid UTF-8 at the end of a fragmented text message",
      concat([
        clientFrame(0x1, [0x41], { fin: false }),
        clientFrame(0x0, [0xe2, 0x82]),
      ]),
      1007,
    ],
    ["a close frame with a 1-byte body", clientFrame(0x8, [0x03]), 1002],
    ["a close frame with code 999", clientFrame(0x8, [0x03, 0xe7]), 1002],
    ["a close frame with code 1005", clientFrame(0x8, [0x03, 0xed]), 1002],
    ["a close frame with code 1006", clientFrame(0x8, [0x03, 0xee]), 1002],
    ["a close frame with code 1015", clientFrame(0x8, [0x03, 0xf7]), 1002],
    ["a close frame with code 2000", clientFrame(0x8, [0x07, 0xd0]), 1002],
    ["a close frame with code 5000", clientFrame(0x8, [0x13, 0x88]), 1002],
    [
      "a close frame with an invalid UTF-8 reason",
      clientFrame(0x8, [0x03, 0xe8, 0xff]),
      1007,
    ],
  ];
  for (const [name, input, code, options] of cases) {
    test(`${name}: ${code}`, () => {
      assertFails(input, code, options);
    });
  }

  test("an oversized frame fails from its header alone, before any payload arrives", () => {
    const protocol = new Protocol({ maxMessageSize: 1000 });
    protocol.receive(
      rawFrame(0x2, [], { mask: [1, 2, 3, 4], announcedLength: 5000 }),
    );
    const [event] = takeEvents(protocol);
    assert.ok(event.type === "error");
    assert.equal(event.error.code, 1009);
    assert.equal(event.error.message, "Frame too big: 5000 bytes, limit 1000");
  });

  test("fragments crossing maxMessageSize fail from the crossing fragment's header", () => {
    const protocol = new Protocol({ maxMessageSize: 1000 });
    protocol.receive(clientFrame(0x2, new Uint8Array(600), { fin: false }));
    protocol.receive(
      rawFrame(0x0, [], { mask: [1, 2, 3, 4], announcedLength: 401 }),
    );
    const [event] = takeEvents(protocol);
    assert.ok(event.type === "error");
    assert.equal(event.error.code, 1009);
    assert.equal(
      event.error.message,
      "Message too big: 1001 bytes, limit 1000",
    );
  });

  test("invalid UTF-8 in the first fragment fails before the final fragment arrives (Autobahn 6.4.1)", () => {
    const protocol = new Protocol();
    protocol.receive(
      clientFrame(0x1, [
        0xce,
        0xba,
        0xe1,
        0xbd,
        0xb9,
        0xcf,
        0x83,
        0xce,
        0xbc,
        0xce,
        0xb5,
      ], { fin: false }),
    );
    assert.deepEqual(takeEvents(protocol), []);
    protocol.receive(
      clientFrame(0x0, [0xf4, 0x90, 0x80, 0x80], { fin: false }),
    );
    const [event] = takeEvents(protocol);
    assert.ok(event.type === "error");
    assert.equal(event.error.code, 1007);
  });

  test("invalid UTF-8 fails inside a frame, before the frame's end arrives", () => {
    const protocol = new Protocol();
    const frame = clientFrame(0x1, [0x41, 0xed, 0xa0, 0x80, 0x41, 0x41]);
    protocol.receive(frame.subarray(0, 9)); // header (6) + 3 payload bytes
    const [event] = takeEvents(protocol);
    assert.ok(event.type === "error");
    assert.equal(event.error.code, 1007);
  });

  test("an unexpected exception inside receive becomes a 1011 failure, its message kept from the peer", () => {
    const protocol = new Protocol();
    assert.doesNotThrow(() => protocol.receive(null as unknown as Uint8Array));
    const [event] = takeEvents(protocol);
    assert.ok(event.type === "error");
    assert.equal(event.error.code, 1011);
    assert.match(event.error.message, /^Internal error: /);
    assert.ok(event.error.cause instanceof TypeError);
    assert.deepEqual(list(protocol.takeOutgoing()), closeFrame(1011));
  });

  test("the close frame carries the violation as its reason", () => {
    const { outgoing } = run(clientFrame(0x3, []));
    assert.deepEqual([...outgoing], closeFrame(1002, "Invalid opcode: 3"));
  });

  test("after a failure nothing more is read and nothing more is sent", () => {
    const protocol = new Protocol();
    protocol.receive(
      concat([
        clientFrame(0x1, "before"),
        bytes(0x83, 0x80),
        clientFrame(0x1, "after"),
      ]),
    );
    protocol.receive(clientFrame(0x9, "ping"));
    const events = takeEvents(protocol);
    assert.deepEqual(events.map((e) => e.type), ["text", "error"]);
    assert.equal(protocol.sendText("x"), false);
    assert.equal(protocol.sendPing(), false);
    assert.equal(protocol.sendClose(1000), false);
    assert.equal(serverFrames(concat(protocol.takeOutgoing())).length, 1);
  });

  test("a failure after our close was sent queues no second close frame", () => {
    const protocol = new Protocol();
    protocol.sendClose(1000);
    protocol.takeOutgoing();
    protocol.receive(bytes(0x83));
    assert.equal(takeEvents(protocol)[0].type, "error");
    assert.deepEqual(protocol.takeOutgoing(), []);
    assert.equal(protocol.shouldCloseTransport, true);
  });
});

describe("Protocol: closing handshake", () => {
  test("the peer's close is reported and echoed with its code; later bytes are ignored", () => {
    const protocol = new Protocol();
    protocol.receive(
      concat([
        clientFrame(0x8, [0x03, 0xe8, ...enc("bye")]),
        clientFrame(0x1, "ignored"),
      ]),
    );
    protocol.receive(clientFrame(0x9, "ignored too"));
    assert.equal(protocol.closeReceived, true);
    assert.deepEqual(takeEvents(protocol), [{
      type: "close",
      code: 1000,
      reason: "bye",
    }]);
    assert.equal(protocol.closeSent, false, "queued, not yet taken");
    assert.deepEqual(list(protocol.takeOutgoing()), closeFrame(1000));
    assert.equal(protocol.closeSent, true);
    assert.equal(protocol.readyState, ReadyState.Closing);
    assert.equal(protocol.shouldCloseTransport, true);
    assert.deepEqual(protocol.closeInfo(true), {
      code: 1000,
      reason: "bye",
      wasClean: true,
    });
    assert.equal(protocol.closeInfo(false).wasClean, false);
  });

  test("the reply to a close is queued when the close event is taken: answers to the messages before it go first", () => {
    const protocol = new Protocol();
    protocol.receive(
      concat([
        clientFrame(0x1, "last words"),
        clientFrame(0x9, "p"),
        clientFrame(0x8, [0x03, 0xe8]),
      ]),
    );
    assert.deepEqual(protocol.nextEvent(), {
      type: "text",
      data: "last words",
    });
    assert.equal(protocol.readyState, ReadyState.Open);
    assert.equal(protocol.shouldCloseTransport, false);
    assert.equal(protocol.sendText("echo"), true);
    assert.deepEqual(protocol.nextEvent(), { type: "ping", data: enc("p") });
    assert.deepEqual(protocol.nextEvent(), {
      type: "close",
      code: 1000,
      reason: "",
    });
    assert.equal(protocol.readyState, ReadyState.Closing);
    assert.equal(protocol.sendText("too late"), false);
    assert.deepEqual(
      list(protocol.takeOutgoing()),
      [
        0x81,
        0x04,
        ...enc("echo"),
        0x8a,
        0x01,
        ...enc("p"),
        ...closeFrame(1000),
      ],
    );
    assert.equal(protocol.shouldCloseTransport, true);
    assert.equal(protocol.nextEvent(), undefined);
    assert.equal(protocol.takeOutgoing().length, 0);
  });

  test("the close of a violation is queued when its error event is taken, after the answers before it", () => {
    const protocol = new Protocol();
    protocol.receive(concat([clientFrame(0x1, "ok"), bytes(0x83, 0x80)]));
    assert.deepEqual(protocol.nextEvent(), { type: "text", data: "ok" });
    assert.equal(protocol.sendText("ok"), true);
    const error = protocol.nextEvent();
    assert.equal(error?.type, "error");
    assert.equal(protocol.sendText("late"), false);
    assert.deepEqual(
      list(protocol.takeOutgoing()),
      [0x81, 0x02, ...enc("ok"), ...closeFrame(1002, "Invalid opcode: 3")],
    );
  });

  test("an empty close is reported as 1005 and echoed with an empty body", () => {
    const { protocol, events, outgoing } = run(clientFrame(0x8, []));
    assert.deepEqual(events, [{ type: "close", code: 1005, reason: "" }]);
    assert.deepEqual([...outgoing], [0x88, 0x00]);
    assert.deepEqual(protocol.closeInfo(true), {
      code: 1005,
      reason: "",
      wasClean: true,
    });
  });

  test("a 4000-4999 code is echoed as is", () => {
    assert.deepEqual(
      [...run(clientFrame(0x8, [0x0f, 0xa0])).outgoing],
      closeFrame(4000),
    );
  });

  test("a close in the middle of a fragmented message ends the connection cleanly", () => {
    const { events } = run(
      concat([
        clientFrame(0x1, "part", { fin: false }),
        clientFrame(0x8, [0x03, 0xe9]),
      ]),
    );
    assert.deepEqual(events, [{ type: "close", code: 1001, reason: "" }]);
  });

  test("sendClose starts the handshake; the peer's reply completes it without an echo", () => {
    const protocol = new Protocol();
    assert.equal(protocol.sendClose(1000, "done"), true);
    assert.equal(protocol.readyState, ReadyState.Closing);
    assert.equal(protocol.closeSent, false);
    assert.deepEqual(list(protocol.takeOutgoing()), closeFrame(1000, "done"));
    assert.equal(protocol.closeSent, true);
    assert.equal(protocol.shouldCloseTransport, false);
    // Data may still arrive until the peer's close.
    protocol.receive(
      concat([clientFrame(0x1, "late"), clientFrame(0x8, [0x03, 0xe8])]),
    );
    assert.deepEqual(takeEvents(protocol), [
      { type: "text", data: "late" },
      { type: "close", code: 1000, reason: "" },
    ]);
    assert.deepEqual(protocol.takeOutgoing(), []);
    assert.equal(protocol.shouldCloseTransport, true);
  });

  test("a ping after our close is reported but not answered", () => {
    const protocol = new Protocol();
    protocol.sendClose();
    protocol.takeOutgoing();
    protocol.receive(clientFrame(0x9, "p"));
    assert.deepEqual(takeEvents(protocol), [{ type: "ping", data: enc("p") }]);
    assert.deepEqual(protocol.takeOutgoing(), []);
  });

  test("sendClose without a code sends an empty body; a second call is a no-op", () => {
    const protocol = new Protocol();
    assert.equal(protocol.sendClose(), true);
    assert.equal(protocol.sendClose(1000), false);
    assert.deepEqual(list(protocol.takeOutgoing()), [0x88, 0x00]);
  });

  test("sendClose validates the code and caps the reason at 123 bytes without splitting a character", () => {
    const protocol = new Protocol();
    assert.throws(() => protocol.sendClose(1005), {
      name: "UsageError",
      message: "Invalid close code: 1005",
    });
    assert.throws(() => protocol.sendClose(1006), UsageError);
    assert.throws(() => protocol.sendClose(999), UsageError);
    assert.throws(() => protocol.sendClose(undefined, "why"), UsageError);
    assert.equal(protocol.closeSent, false);
    protocol.sendClose(4001, "é".repeat(100));
    const [frame] = serverFrames(concat(protocol.takeOutgoing()));
    assert.equal(frame.payload.length, 2 + 122);
    assert.equal(
      new TextDecoder().decode(bytes(...frame.payload.slice(2))),
      "é".repeat(61),
    );
  });

  test("receiveEof without a close moves to Closed: sends are dropped, bytes ignored, 1006", () => {
    const protocol = new Protocol();
    protocol.receiveEof();
    assert.equal(protocol.readyState, ReadyState.Closed);
    assert.equal(protocol.sendText("x"), false);
    assert.equal(protocol.sendClose(1000), false);
    assert.equal(protocol.shouldCloseTransport, true);
    protocol.receive(clientFrame(0x1, "x"));
    assert.deepEqual(takeEvents(protocol), []);
    assert.deepEqual(protocol.takeOutgoing(), []);
    assert.deepEqual(protocol.closeInfo(true), {
      code: 1006,
      reason: "",
      wasClean: false,
    });
  });

  test("receiveEof after the peer's close keeps Closing: the reply can still go out", () => {
    const protocol = new Protocol();
    protocol.receive(clientFrame(0x8, [0x03, 0xe8]));
    protocol.receiveEof();
    takeEvents(protocol);
    assert.equal(protocol.readyState, ReadyState.Closing);
    assert.deepEqual(list(protocol.takeOutgoing()), closeFrame(1000));
    assert.equal(protocol.closeInfo(true).wasClean, true);
  });

  test("abort drops everything queued and received; sends fail; the reason is the close info", () => {
    const protocol = new Protocol();
    protocol.receive(concat([clientFrame(0x1, "a"), clientFrame(0x1, "b")]));
    protocol.sendText("queued");
    protocol.abort(new ProtocolError("keepalive", "Keepalive timeout"));
    assert.equal(protocol.readyState, ReadyState.Closed);
    assert.equal(protocol.nextEvent(), undefined);
    assert.deepEqual(protocol.takeOutgoing(), []);
    assert.equal(protocol.outgoingBytes, 0);
    assert.equal(protocol.sendText("x"), false);
    assert.deepEqual(protocol.closeInfo(true), {
      code: 1011,
      reason: "Keepalive timeout",
      wasClean: false,
    });
  });
});

describe("Protocol: sending", () => {
  test("sendText writes one final text frame (short, long and multi-byte texts)", () => {
    for (
      const text of [
        "",
        "Hello",
        "é€😀",
        "x".repeat(125),
        "y".repeat(126),
        "z".repeat(5000),
        "€".repeat(30000),
      ]
    ) {
      const protocol = new Protocol();
      assert.equal(protocol.sendText(text), true);
      const chunks = protocol.takeOutgoing();
      assert.deepEqual(
        concat(chunks),
        rawFrame(0x1, text),
        `length ${text.length}`,
      );
    }
  });

  test("sendText switches from the ASCII path to UTF-8 at the first non-ASCII character", () => {
    for (
      const text of [
        "hello wörld",
        "a".repeat(200) + "€",
        "a".repeat(255) + "😀",
        "x".repeat(256),
        "x".repeat(257),
      ]
    ) {
      const protocol = new Protocol();
      protocol.sendText(text);
      assert.deepEqual(
        concat(protocol.takeOutgoing()),
        rawFrame(0x1, text),
        `length ${text.length}`,
      );
    }
  });

  test("chunks already taken are never overwritten by later sends", () => {
    const protocol = new Protocol();
    protocol.sendText("first");
    protocol.sendPing(enc("p"));
    const taken = protocol.takeOutgoing();
    const snapshot = taken.map((chunk) => chunk.slice());
    for (let i = 0; i < 3000; i++) {
      protocol.sendText("y".repeat(i % 700));
      protocol.sendBinary(new Uint8Array(i % 50));
      protocol.sendPong();
      protocol.takeOutgoing();
    }
    assert.deepEqual(taken, snapshot);
  });

  test("sendBinary of more than 1 KiB queues the header and the caller's bytes without copying them", () => {
    const protocol = new Protocol();
    const data = new Uint8Array(1025).fill(1);
    protocol.sendBinary(data);
    assert.equal(protocol.outgoingBytes, 1029);
    const chunks = protocol.takeOutgoing();
    assert.deepEqual([...chunks[0]], [0x82, 0x7e, 0x04, 0x01]);
    assert.equal(chunks[1], data);
    assert.equal(protocol.outgoingBytes, 0);
  });

  test("small frames queued one after another come out as one chunk, in order", () => {
    const protocol = new Protocol();
    protocol.sendText("ab");
    protocol.sendBinary(new Uint8Array([1, 2, 3]));
    protocol.sendPing(new Uint8Array([9]));
    protocol.sendText("c");
    const chunks = protocol.takeOutgoing();
    assert.equal(chunks.length, 1);
    assert.deepEqual([...chunks[0]], [
      0x81,
      0x02,
      0x61,
      0x62,
      0x82,
      0x03,
      1,
      2,
      3,
      0x89,
      0x01,
      9,
      0x81,
      0x01,
      0x63,
    ]);
    // A large payload is not copied: header and payload stay two chunks,
    // and the next small frame starts a chunk of its own.
    const big = new Uint8Array(2000);
    protocol.sendBinary(big);
    protocol.sendText("d");
    const next = protocol.takeOutgoing();
    assert.equal(next.length, 3);
    assert.deepEqual([...next[0]], [0x82, 0x7e, 0x07, 0xd0]);
    assert.equal(next[1], big);
    assert.deepEqual([...next[2]], [0x81, 0x01, 0x64]);
  });

  test("sendBinary of up to 1 KiB queues one chunk, a copy next to the header", () => {
    const protocol = new Protocol();
    const data = new Uint8Array(1024).fill(1);
    protocol.sendBinary(data);
    assert.equal(protocol.outgoingBytes, 1028);
    const chunks = protocol.takeOutgoing();
    assert.equal(chunks.length, 1);
    data.fill(2); // the caller's bytes are free again at once
    assert.deepEqual([...chunks[0].subarray(0, 4)], [0x82, 0x7e, 0x04, 0x00]);
    assert.ok(chunks[0].subarray(4).every((byte) => byte === 1));
    assert.equal(chunks[0].length, 1028);
  });

  test("sendBinary of an empty payload is just a header", () => {
    const protocol = new Protocol();
    protocol.sendBinary(new Uint8Array(0));
    assert.deepEqual(list(protocol.takeOutgoing()), [0x82, 0x00]);
  });

  test("sendPing and sendPong write control frames and reject payloads over 125 bytes", () => {
    const protocol = new Protocol();
    assert.equal(protocol.sendPing(enc("hi")), true);
    assert.equal(protocol.sendPong(), true);
    assert.deepEqual(list(protocol.takeOutgoing()), [
      0x89,
      0x02,
      0x68,
      0x69,
      0x8a,
      0x00,
    ]);
    assert.throws(() => protocol.sendPing(new Uint8Array(126)), {
      name: "UsageError",
      message: "Control frame payload too long: 126 bytes",
    });
    assert.throws(() => protocol.sendPong(new Uint8Array(200)), UsageError);
  });

  test("every send returns false after our close, the peer's close, or a failure", () => {
    const setups: Array<(p: Protocol) => void> = [
      (p) => p.sendClose(1000),
      (p) => p.receive(clientFrame(0x8, [])),
      (p) => p.receive(bytes(0x83)),
      (p) => p.abort(),
    ];
    for (const setup of setups) {
      const protocol = new Protocol();
      setup(protocol);
      // The protocol answers the peer's close or violation when its event is taken.
      takeEvents(protocol);
      protocol.takeOutgoing();
      assert.equal(protocol.sendText("x"), false);
      assert.equal(protocol.sendBinary(bytes(1)), false);
      assert.equal(protocol.sendPing(), false);
      assert.equal(protocol.sendPong(), false);
      assert.equal(protocol.sendFrame(Frame.text("x")), false);
      assert.equal(protocol.sendEncoded(bytes(0x81, 0x00)), false);
      assert.equal(protocol.sendClose(1000), false);
      assert.deepEqual(protocol.takeOutgoing(), []);
    }
  });

  test("sendFrame sends fragments and checks their order", () => {
    const protocol = new Protocol();
    assert.throws(() => protocol.sendFrame(new Frame(0x0, enc("x"))), {
      name: "UsageError",
      message: "Continuation frame without a fragmented message",
    });
    assert.equal(
      protocol.sendFrame(new Frame(0x1, enc("Hel"), { fin: false })),
      true,
    );
    assert.throws(() => protocol.sendText("other"), UsageError);
    assert.throws(() => protocol.sendBinary(bytes(1)), UsageError);
    // A broadcast is refused (not thrown at) mid-fragment: it would corrupt the message.
    assert.equal(protocol.sendEncoded(bytes(0x81, 0x00)), false);
    assert.throws(() => protocol.sendFrame(Frame.binary(bytes(1))), {
      message:
        "Cannot start a message while a fragmented message is unfinished",
    });
    assert.equal(protocol.sendFrame(Frame.ping()), true); // control frames may interleave
    assert.equal(protocol.sendFrame(new Frame(0x0, enc("lo"))), true);
    assert.equal(protocol.sendText("next"), true);
    assert.deepEqual(list(protocol.takeOutgoing()), [
      0x01,
      0x03,
      0x48,
      0x65,
      0x6c,
      0x89,
      0x00,
      0x80,
      0x02,
      0x6c,
      0x6f,
      ...rawFrame(0x1, "next"),
    ]);
  });

  test("sendFrame rejects invalid frames with UsageError", () => {
    const protocol = new Protocol();
    assert.throws(() => protocol.sendFrame(new Frame(0x3, bytes())), {
      message: "Invalid opcode: 3",
    });
    assert.throws(
      () => protocol.sendFrame(new Frame(0x1, bytes(), { rsv: 4 })),
      { message: "RSV bits not negotiated: 4" },
    );
    assert.throws(
      () => protocol.sendFrame(new Frame(0x9, bytes(), { fin: false })),
      {
        message: "Control frames cannot be fragmented",
      },
    );
    assert.throws(
      () => protocol.sendFrame(new Frame(0xa, new Uint8Array(126))),
      UsageError,
    );
    assert.throws(() => protocol.sendFrame(new Frame(0x8, bytes(0x03))), {
      message: "Invalid close frame: 1-byte body",
    });
    assert.throws(() => protocol.sendFrame(new Frame(0x8, bytes(0x03, 0xed))), {
      message: "Invalid close code: 1005",
    });
    assert.throws(
      () => protocol.sendFrame(new Frame(0x8, bytes(0x03, 0xe8, 0xff))),
      UsageError,
    );
    assert.deepEqual(protocol.takeOutgoing(), []);
    assert.equal(
      new Protocol({ allowedRsv: 4 }).sendFrame(
        new Frame(0x1, bytes(), { rsv: 4 }),
      ),
      true,
    );
  });

  test("sendFrame with a close frame starts the closing handshake", () => {
    const protocol = new Protocol();
    assert.equal(protocol.sendFrame(Frame.close(1001, "away")), true);
    assert.equal(protocol.readyState, ReadyState.Closing);
    assert.equal(protocol.sendText("after"), false);
    assert.deepEqual(list(protocol.takeOutgoing()), closeFrame(1001, "away"));
    assert.equal(protocol.closeSent, true);
  });

  test("sendEncoded queues pre-encoded bytes as is", () => {
    const protocol = new Protocol();
    const frame = encodeFrame(Frame.text("broadcast"));
    assert.equal(protocol.sendEncoded(frame), true);
    const chunks = protocol.takeOutgoing();
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0], frame);
  });

  test("the client role masks everything it sends, with a different key per frame", () => {
    const client = new Protocol({ role: "client" });
    client.sendText("Hello");
    client.sendText("Hello");
    client.sendBinary(bytes(1, 2, 3));
    client.sendPing(enc("p"));
    client.sendFrame(new Frame(0x1, enc("a".repeat(5000)), { fin: false }));
    client.sendFrame(new Frame(0x0, enc("b")));
    client.sendText("€".repeat(2000));
    client.sendClose(1000, "bye");
    const data = concat(client.takeOutgoing());
    const server = new Protocol();
    server.receive(data.slice());
    assert.deepEqual(takeEvents(server), [
      { type: "text", data: "Hello" },
      { type: "text", data: "Hello" },
      { type: "binary", data: bytes(1, 2, 3) },
      { type: "ping", data: enc("p") },
      { type: "text", data: "a".repeat(5000) + "b" },
      { type: "text", data: "€".repeat(2000) },
      { type: "close", code: 1000, reason: "bye" },
    ]);
    // The two "Hello" frames carry different keys.
    assert.notDeepEqual([...data.subarray(2, 6)], [...data.subarray(13, 17)]);
  });

  test("the client role does not mask the caller's binary data in place", () => {
    const client = new Protocol({ role: "client" });
    const payload = bytes(1, 2, 3, 4, 5);
    client.sendBinary(payload);
    client.sendFrame(Frame.binary(payload));
    assert.deepEqual([...payload], [1, 2, 3, 4, 5]);
  });
});

describe("Protocol: options", () => {
  test("rejects invalid options with UsageError", () => {
    assert.throws(() => new Protocol({ maxMessageSize: -1 }), {
      message: "Invalid maxMessageSize: -1",
    });
    assert.throws(() => new Protocol({ maxFrameSize: NaN }), UsageError);
    assert.throws(() => new Protocol({ allowedRsv: 8 }), {
      message: "Invalid allowedRsv: 8",
    });
    assert.throws(() => new Protocol({ role: "peer" as "server" }), {
      message: "Invalid role: peer",
    });
  });

  test("starts Open with nothing sent, received or failed", () => {
    const protocol = new Protocol();
    assert.equal(protocol.readyState, ReadyState.Open);
    assert.equal(protocol.closeSent, false);
    assert.equal(protocol.closeReceived, false);
    assert.deepEqual(protocol.closeInfo(true), {
      code: 1006,
      reason: "",
      wasClean: false,
    });
    assert.equal(protocol.shouldCloseTransport, false);
    assert.equal(protocol.outgoingBytes, 0);
  });
});

// ---------------------------------------------------------------------------
// Seeded randomized tests.

type Expected = { type: "text"; data: string } | {
  type: "binary";
  data: Uint8Array;
} | {
  type: "ping" | "pong";
  data: Uint8Array;
};

function randomText(rng: ReturnType<typeof prng>, units: number): string {
  const alphabet = [
    "a",
    "b",
    "Z",
    " ",
    "é",
    "€",
    "😀",
    "κ",
    "\u0000",
    "\ufeff",
  ];
  let text = "";
  while (text.length < units) text += rng.pick(alphabet);
  return text;
}

function randomSize(rng: ReturnType<typeof prng>): number {
  const r = rng.next();
  if (r < 0.5) return rng.int(0, 130);
  if (r < 0.8) return rng.int(0, 2000);
  if (r < 0.95) return rng.pick([125, 126, 127, 65535, 65536, 65537]);
  return rng.int(0, 70000);
}

/** Sends random traffic through `sender`; returns what the receiver should report. */
function sendRandom(
  rng: ReturnType<typeof prng>,
  sender: Protocol,
  count: number,
): Expected[] {
  const expected: Expected[] = [];
  for (let i = 0; i < count; i++) {
    const kind = rng.int(0, 5);
    if (kind === 0) {
      const text = randomText(rng, randomSize(rng) >> 1);
      sender.sendText(text);
      expected.push({ type: "text", data: text });
    } else if (kind === 1) {
      const data = rng.bytes(randomSize(rng));
      sender.sendBinary(data);
      expected.push({ type: "binary", data: data.slice() });
    } else if (kind === 2 || kind === 3) {
      // Fragmented, with control frames between fragments.
      const text = kind === 2;
      const whole = text
        ? new TextEncoder().encode(randomText(rng, randomSize(rng) >> 1))
        : rng.bytes(randomSize(rng));
      const fragments = rng.int(1, 5);
      let start = 0;
      for (let f = 0; f < fragments; f++) {
        const last = f === fragments - 1;
        const end = last ? whole.length : rng.int(start, whole.length);
        sender.sendFrame(
          new Frame(f === 0 ? (text ? 1 : 2) : 0, whole.slice(start, end), {
            fin: last,
          }),
        );
        start = end;
        if (!last && rng.next() < 0.4) {
          const data = rng.bytes(rng.int(0, 125));
          sender.sendPong(data);
          expected.push({ type: "pong", data: data.slice() });
        }
      }
      expected.push(
        text
          ? {
            type: "text",
            data: new TextDecoder("utf-8", { ignoreBOM: true }).decode(whole),
          }
          : { type: "binary", data: whole },
      );
    } else {
      const data = rng.bytes(rng.int(0, 125));
      if (kind === 4) sender.sendPing(data);
      else sender.sendPong(data);
      expected.push({ type: kind === 4 ? "ping" : "pong", data: data.slice() });
    }
  }
  return expected;
}

/** Feeds `data` in random chunks (sometimes single bytes, sometimes 64 KiB reads). */
function feedRandomly(
  rng: ReturnType<typeof prng>,
  receiver: Protocol,
  data: Uint8Array,
): void {
  let p = 0;
  while (p < data.length) {
    const mode = rng.next();
    const size = mode < 0.1
      ? 1
      : mode < 0.5
      ? rng.int(1, 200)
      : mode < 0.8
      ? rng.int(1, 5000)
      : 65536;
    receiver.receive(data.slice(p, p + size));
    p += size;
  }
}

describe("Protocol: seeded randomized round trips", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const clientToServer = seed % 2 === 1;
    test(`seed ${seed}: ${clientToServer ? "client -> server" : "server -> client"}, random chunking`, () => {
      const rng = prng(seed);
      const sender = new Protocol({
        role: clientToServer ? "client" : "server",
      });
      const receiver = new Protocol({
        role: clientToServer ? "server" : "client",
      });
      const expected = sendRandom(rng, sender, 60);
      sender.sendClose(1000, "done");
      feedRandomly(rng, receiver, concat(sender.takeOutgoing()));
      const events = takeEvents(receiver);
      assert.deepEqual(events, [...expected, {
        type: "close",
        code: 1000,
        reason: "done",
      }]);
      // The receiver answered every ping and echoed the close.
      const replies = concat(receiver.takeOutgoing());
      sender.receive(replies);
      const answers = takeEvents(sender);
      const pings = expected.filter((e) => e.type === "ping");
      assert.deepEqual(answers, [
        ...pings.map((p) => ({ type: "pong", data: p.data })),
        { type: "close", code: 1000, reason: "" },
      ]);
      assert.equal(sender.shouldCloseTransport, true);
      assert.equal(receiver.shouldCloseTransport, true);
    });
  }
});

describe("Protocol: seeded garbage never throws and ends in a defined state", () => {
  function mutate(rng: ReturnType<typeof prng>, data: Uint8Array): Uint8Array {
    const out = data.slice();
    const flips = rng.int(1, 4);
    for (let i = 0; i < flips && out.length > 0; i++) {
      const at = rng.int(0, Math.min(out.length - 1, 400));
      out[at] ^= 1 << rng.int(0, 7);
    }
    return out;
  }

  function checkDefined(
    protocol: Protocol,
    events: ProtocolEvent[],
    context: string,
  ): void {
    const errors = events.filter((e) => e.type === "error");
    const closes = events.filter((e) => e.type === "close");
    assert.ok(
      errors.length + closes.length <= 1,
      `${context}: more than one terminal event`,
    );
    const outgoing = serverFrames(concat(protocol.takeOutgoing()));
    const failed = errors[0]?.type === "error" ? errors[0].error : undefined;
    if (failed !== undefined) {
      assert.equal(errors.length, 1, context);
      assert.equal(
        events.at(-1),
        errors[0],
        `${context}: error is not the last event`,
      );
      assert.ok(
        errors[0].type === "error" && errors[0].error instanceof ProtocolError,
        context,
      );
      assert.ok(
        [1002, 1007, 1009].includes(failed.code),
        `${context}: code ${failed.code}`,
      );
      assert.equal(protocol.closeInfo(true).code, failed.code, context);
      assert.equal(outgoing.at(-1)?.opcode, 0x8, `${context}: no close queued`);
      assert.equal(protocol.readyState, ReadyState.Closing);
      assert.equal(protocol.shouldCloseTransport, true);
    } else if (protocol.closeReceived) {
      assert.equal(events.at(-1)?.type, "close", context);
      assert.equal(outgoing.at(-1)?.opcode, 0x8, context);
      assert.equal(protocol.readyState, ReadyState.Closing);
    } else {
      assert.equal(errors.length, 0, context);
      assert.equal(protocol.readyState, ReadyState.Open, context);
      assert.ok(
        outgoing.every((f) => f.opcode === 0xa),
        `${context}: only pongs may be queued`,
      );
    }
  }

  test("300 streams of random bytes, mutated valid frames and truncations", () => {
    const rng = prng(0xbad5eed);
    let failures = 0;
    for (let i = 0; i < 300; i++) {
      const context = `stream ${i}`;
      let data: Uint8Array;
      const kind = i % 3;
      if (kind === 0) {
        data = rng.bytes(rng.int(0, 3000));
        // Mostly masked, plausible first bytes so that parsing goes deeper.
        if (data.length > 2 && rng.next() < 0.7) {
          data[0] = rng.pick([0x81, 0x82, 0x01, 0x80, 0x89, 0x8a, 0x88]);
          data[1] |= 0x80;
        }
      } else {
        const sender = new Protocol({ role: "client" });
        sendRandom(rng, sender, rng.int(1, 8));
        if (rng.next() < 0.3) {
          sender.sendClose(rng.pick([1000, 1001, 4000]), "x");
        }
        data = concat(sender.takeOutgoing());
        if (kind === 1) data = mutate(rng, data);
        else data = data.subarray(0, rng.int(0, data.length)).slice();
      }
      const protocol = new Protocol({
        maxMessageSize: rng.pick([100, 5000, 16 * 1024 * 1024]),
      });
      try {
        feedRandomly(rng, protocol, data);
      } catch (error) {
        assert.fail(`${context}: receive threw ${error}`);
      }
      const events = takeEvents(protocol);
      checkDefined(protocol, events, context);
      if (events.some((e) => e.type === "error")) failures++;
    }
    // The corpus exercises both outcomes.
    assert.ok(failures > 50 && failures < 290, `${failures} failures`);
  });
});
