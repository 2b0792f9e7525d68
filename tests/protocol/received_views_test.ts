// Protocol.receive(bytes, true): a read the caller gives up. Binary
// messages that fill at least a quarter of its buffer are handed out as
// views of it, unmasked where they lie; everything else is copied, and the
// bytes delivered are the same either way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Protocol } from "../../src/protocol/protocol.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { clientFrame, concat, rawFrame, takeEvents } from "../_frames.ts";
import { prng } from "../_prng.ts";

/** Payload bytes that differ from position to position and from run to run. */
function payload(length: number, seed: number): Uint8Array {
  return prng(seed).bytes(length);
}

/** The binary messages `protocol` reported, in order. */
function binaries(protocol: Protocol): Uint8Array[] {
  return takeEvents(protocol).map((event) => {
    assert.equal(event.type, "binary");
    return (event as { data: Uint8Array }).data;
  });
}

const LENGTHS = [
  ...Array.from({ length: 130 }, (_, i) => i),
  200,
  1023,
  4096,
  4099,
  16 * 1024 + 1,
  70_000,
];

test("a given-up read delivers every binary message intact, for every length and offset in the read", () => {
  for (const length of LENGTHS) {
    // 0..7 bytes of a ping frame before the message move its header and
    // payload across every alignment; a second message follows it.
    for (let lead = 0; lead < 8; lead++) {
      const seed = length * 8 + lead + 1;
      const message = payload(length, seed);
      const after = payload(lead * 3, seed + 1);
      const mask = Array.from(payload(4, seed + 2));
      const ping = lead < 2
        ? new Uint8Array(0)
        : clientFrame(Opcode.Ping, payload(lead - 2, seed + 3));
      const read = concat([
        ping,
        rawFrame(Opcode.Binary, message, { mask }),
        clientFrame(Opcode.Binary, after),
      ]);
      const protocol = new Protocol();
      protocol.receive(read, true);
      const events = takeEvents(protocol);
      const data = events.filter((event) => event.type === "binary").map((
        event,
      ) => (event as { data: Uint8Array }).data);
      assert.equal(data.length, 2, `length ${length}, lead ${lead}`);
      assert.deepEqual(data[0], message, `length ${length}, lead ${lead}`);
      assert.deepEqual(data[1], after, `length ${length}, lead ${lead}`);
    }
  }
});

test("a binary message filling at least a quarter of a given-up read is a view of it", () => {
  const message = payload(16 * 1024, 7);
  const read = concat([
    clientFrame(Opcode.Binary, message),
    clientFrame(Opcode.Binary, payload(40_000, 8)),
  ]);
  const protocol = new Protocol();
  protocol.receive(read, true);
  const [first, second] = binaries(protocol);
  // 16 KiB of a 56 KiB read: a quarter or more.
  assert.equal(first.buffer, read.buffer);
  assert.deepEqual(first, message);
  assert.equal(second.buffer, read.buffer);
  // The application owns it: writing to it changes no other message.
  first.fill(0);
  assert.deepEqual(second, payload(40_000, 8));
});

test("a binary message under a quarter of a given-up read is copied, so it holds no large buffer", () => {
  const small = payload(1000, 9);
  const read = concat([
    clientFrame(Opcode.Binary, small),
    clientFrame(Opcode.Binary, payload(8000, 10)),
  ]);
  const protocol = new Protocol();
  protocol.receive(read, true);
  const [first] = binaries(protocol);
  assert.notEqual(first.buffer, read.buffer);
  assert.equal(first.buffer.byteLength, 1000);
  assert.deepEqual(first, small);
});

test("without giving up the read every binary message is a copy", () => {
  const message = payload(16 * 1024, 11);
  const read = clientFrame(Opcode.Binary, message);
  const protocol = new Protocol();
  protocol.receive(read);
  const [data] = binaries(protocol);
  assert.notEqual(data.buffer, read.buffer);
  assert.deepEqual(data, message);
  // A later given-up read is not confused with this one.
  const next = clientFrame(Opcode.Binary, payload(100, 12));
  protocol.receive(next, true);
  const [kept] = binaries(protocol);
  assert.equal(kept.buffer, next.buffer);
  protocol.receive(clientFrame(Opcode.Binary, payload(100, 13)));
  const [copied] = binaries(protocol);
  assert.equal(copied.byteLength, copied.buffer.byteLength);
});

test("a binary message split over given-up reads is copied together, intact", () => {
  for (const length of [1, 2, 3, 5, 126, 1000, 70_000]) {
    const message = payload(length, length);
    const frame = clientFrame(Opcode.Binary, message);
    for (const cut of [1, 2, 6, 7, 8, frame.length - 1]) {
      if (cut <= 0 || cut >= frame.length) continue;
      const protocol = new Protocol();
      protocol.receive(frame.slice(0, cut), true);
      protocol.receive(frame.slice(cut), true);
      const [data] = binaries(protocol);
      assert.deepEqual(data, message, `length ${length}, cut ${cut}`);
    }
  }
});

test("text messages in a given-up read are decoded as before", () => {
  const read = concat([
    clientFrame(Opcode.Text, "héllo"),
    clientFrame(Opcode.Text, "x".repeat(20_000)),
  ]);
  const protocol = new Protocol();
  protocol.receive(read, true);
  const events = takeEvents(protocol);
  assert.deepEqual(events.map((event) => event.type), ["text", "text"]);
  assert.equal((events[0] as { data: string }).data, "héllo");
  assert.equal((events[1] as { data: string }).data, "x".repeat(20_000));
});
