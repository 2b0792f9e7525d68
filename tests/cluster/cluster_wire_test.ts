import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  checkFrame,
  decodeWire,
  encodeWire,
  isSequenced,
  WIRE_KINDS,
  WIRE_VERSION,
  WireError,
  type WireKind,
  type WireMessage,
} from "../../src/cluster/wire.ts";
import { SharedMessage } from "../../src/driver/shared_message.ts";
import { encodeFrame } from "../../src/protocol/frame_encoder.ts";

const encodeMessage = (message: string | Uint8Array): Uint8Array =>
  SharedMessage.of(message).plainFrame();
import { Frame } from "../../src/protocol/frame.ts";
import { MemoryHub } from "../../src/cluster/memory_backplane.ts";
import { TestHost } from "../_cluster_host.ts";
import { FakeClock, settle } from "../_fake_clock.ts";

const frame = encodeMessage("héllo");
const head = { node: "node-1", seq: 42 };

/** One message of every kind. */
const SAMPLES: WireMessage[] = [
  { ...head, kind: "all", except: undefined, frame },
  { ...head, kind: "all", except: "c9", frame },
  { ...head, kind: "rooms", rooms: ["a", "b ü", ""], except: "c1", frame },
  { ...head, kind: "user", user: "ann", except: undefined, frame },
  { ...head, kind: "connection", connection: "c7", frame },
  { ...head, kind: "join", connection: "c1", room: "lobby", user: "ann" },
  { ...head, kind: "join", connection: "c1", room: "lobby", user: undefined },
  { ...head, kind: "leave", connection: "c1", room: "lobby" },
  { ...head, kind: "setUser", connection: "c1", user: undefined },
  { ...head, kind: "gone", connection: "c1" },
  {
    ...head,
    kind: "hello",
    snapshot: { connections: 3, members: [["c1", null, ["x", "y"]]] },
  },
  { ...head, kind: "heartbeat", connections: 12 },
  { ...head, kind: "sync" },
  {
    ...head,
    kind: "snapshot",
    snapshot: { connections: 0, members: [] },
  },
  { ...head, kind: "bye" },
  { ...head, kind: "query", id: 5, query: { kind: "connections" } },
  {
    ...head,
    kind: "query",
    id: 6,
    query: { kind: "roomSizes", rooms: ["a", "b"] },
  },
  { ...head, kind: "query", id: 7, query: { kind: "members", room: "a" } },
  { ...head, kind: "query", id: 8, query: { kind: "userRooms", user: "u" } },
  { ...head, kind: "query", id: 9, query: { kind: "takeover", token: "q1w2" } },
  { ...head, kind: "answer", id: 8, value: ["a", "b"] },
];

describe("wire format", () => {
  test("every kind survives encode then decode unchanged", () => {
    const kinds = new Set<WireKind>();
    for (const message of SAMPLES) {
      const decoded = decodeWire(encodeWire(message));
      assert.deepEqual(decoded, message);
      kinds.add(message.kind);
    }
    assert.deepEqual([...kinds].sort(), Object.keys(WIRE_KINDS).sort());
  });

  test("the envelope is version, kind, node id length, node id, 8-byte sequence number", () => {
    const bytes = encodeWire({ node: "ab", seq: 2 ** 32 + 5, kind: "bye" });
    assert.deepEqual(
      [...bytes.subarray(0, 13)],
      [WIRE_VERSION, 35, 2, 0x61, 0x62, 0, 0, 0, 1, 0, 0, 0, 5],
    );
    assert.equal(new TextDecoder().decode(bytes.subarray(13)), "{}");
  });

  test("a delivery message carries the frame bytes as they are, at its end", () => {
    const bytes = encodeWire({
      ...head,
      kind: "all",
      except: undefined,
      frame,
    });
    assert.deepEqual(bytes.subarray(bytes.length - frame.length), frame);
  });

  test("sequence numbers up to 2^53 - 1 round-trip; larger or negative are refused", () => {
    const seq = Number.MAX_SAFE_INTEGER;
    assert.equal(
      decodeWire(encodeWire({ ...head, seq, kind: "sync" })).seq,
      seq,
    );
    assert.throws(
      () => encodeWire({ ...head, seq: -1, kind: "sync" }),
      TypeError,
    );
    assert.throws(
      () => encodeWire({ ...head, seq: 1.5, kind: "sync" }),
      TypeError,
    );
    const bytes = encodeWire({ ...head, seq: 0, kind: "sync" });
    bytes[3 + head.node.length] = 0x00;
    bytes[3 + head.node.length + 1] = 0x20; // high word 0x200000: 2^53
    assert.throws(() => decodeWire(bytes), /over 2\^53/);
  });

  test("only codes below 32 are sequenced", () => {
    for (const [kind, code] of Object.entries(WIRE_KINDS)) {
      assert.equal(isSequenced(kind as WireKind), code < 32, kind);
    }
  });

  test("a message of another version is refused with a WireError naming the version", () => {
    const bytes = encodeWire({ ...head, kind: "bye" });
    bytes[0] = 2;
    assert.throws(
      () => decodeWire(bytes),
      (error) =>
        error instanceof WireError && error.version === 2 &&
        /version 2/.test(error.message),
    );
  });

  test("truncated, unknown or malformed messages are refused with a WireError", () => {
    const good = encodeWire({
      ...head,
      kind: "rooms",
      rooms: ["r"],
      except: undefined,
      frame,
    });
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(0), /empty/],
      [good.subarray(0, 5), /truncated/],
      [good.subarray(0, 20), /truncated/],
      [Uint8Array.of(1, 99, 1, 0x61, 0, 0, 0, 0, 0, 0, 0, 0), /unknown kind/],
      [Uint8Array.of(1, 35, 0, 0, 0, 0, 0, 0, 0, 0, 0), /node id/],
      [Uint8Array.of(1, 35, 1, 0x20, 0, 0, 0, 0, 0, 0, 0, 0), /node id/],
      [withBody(35, "not json"), /invalid JSON/],
      [withBody(35, "[1]"), /not an object/],
      [withBody(16, '{"c": 1, "r": "x"}'), /"c"/],
      [withBody(32, '{"n": -1}'), /"n"/],
      [withBody(34, '{"n": 1, "m": [["c", 5, []]]}'), /"m"/],
      [withBody(48, '{"i": 1, "q": "everything"}'), /unknown query/],
      [withBody(48, '{"i": 1, "q": "members"}'), /"a"/],
      [withRaw(1, [0, 0, 0, 0, 0x81, 0x05, 0x68]), /bad frame/],
      [withRaw(1, [0, 0, 0, 0, 0x81, 0x81, 0, 0, 0, 0, 0x68]), /masked/],
      [withRaw(4, [0, 0, 0, 1, 0xff, 0x81, 0x00]), /UTF-8/],
    ];
    for (const [bytes, pattern] of cases) {
      assert.throws(
        () => decodeWire(bytes),
        (error) => error instanceof WireError && pattern.test(error.message),
        `${pattern}`,
      );
    }
  });

  test("encodeWire refuses a frame that could corrupt a client's stream", () => {
    const masked = Uint8Array.of(0x81, 0x81, 1, 2, 3, 4, 0x41);
    const fragment = Uint8Array.of(0x01, 0x01, 0x41);
    const continuation = Uint8Array.of(0x80, 0x01, 0x41);
    const short = Uint8Array.of(0x82, 0x7e, 0x01);
    for (
      const bad of [masked, fragment, continuation, short, frame.subarray(1)]
    ) {
      assert.throws(
        () =>
          encodeWire({ ...head, kind: "all", except: undefined, frame: bad }),
        TypeError,
      );
    }
    assert.throws(
      () => encodeWire({ ...head, node: "", kind: "bye" }),
      TypeError,
    );
  });

  test("checkFrame accepts complete text, binary, close, ping and pong frames of every length encoding", () => {
    for (const size of [0, 125, 126, 65535, 65536]) {
      assert.equal(
        checkFrame(encodeMessage(new Uint8Array(size))),
        undefined,
        `${size}`,
      );
    }
    assert.equal(checkFrame(encodeFrame(Frame.ping())), undefined);
    assert.equal(checkFrame(encodeFrame(Frame.close(1000))), undefined);
  });
});

describe("ClusterNode and the wire version", () => {
  test("a node ignores messages of another version, counts each, reports each version once, and keeps working", async () => {
    const hub = new MemoryHub();
    const host = new TestHost();
    const backplane = hub.backplane();
    host.attach(backplane, { nodeName: "a", clock: new FakeClock() });
    host.open("a1");
    const other = hub.backplane();
    const future = encodeWire({
      node: "x",
      seq: 1,
      kind: "all",
      except: undefined,
      frame,
    });
    future[0] = 2;
    await other.publish("anyws:ops", future);
    await other.publish("anyws:ops", future);
    await other.publish("anyws:ops", Uint8Array.of(1, 2, 3));
    await other.publish(
      "anyws:ops",
      encodeWire({
        node: "x",
        seq: 1,
        kind: "hello",
        snapshot: { connections: 0, members: [] },
      }),
    );
    await other.publish(
      "anyws:ops",
      encodeWire({ node: "x", seq: 2, kind: "all", except: undefined, frame }),
    );
    await settle();
    assert.equal(host.node.stats.rejected, 3);
    assert.deepEqual(host.errors.map((e) => e.code), ["version", "malformed"]);
    assert.match(host.errors[0].message, /version 2/);
    assert.deepEqual(host.textsOf("a1"), ["héllo"]);
    await host.node.close();
    await backplane.close();
    await other.close();
  });
});

/** A message of kind `code` from node "x" with a JSON body. */
function withBody(code: number, json: string): Uint8Array {
  return withRaw(code, [...new TextEncoder().encode(json)]);
}

/** A message of kind `code` from node "x" with these body bytes. */
function withRaw(code: number, body: number[]): Uint8Array {
  return Uint8Array.of(1, code, 1, 0x78, 0, 0, 0, 0, 0, 0, 0, 1, ...body);
}
