import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Connection } from "../../src/driver/connection.ts";
import { Group, type SharedSink } from "../../src/server/group.ts";
import { SharedMessage } from "../../src/driver/shared_message.ts";
import { Frame } from "../../src/protocol/frame.ts";

const encodeMessage = (message: string | Uint8Array): Uint8Array =>
  SharedMessage.of(message).plainFrame();

/** A stand-in connection that records the plain frames it was given. */
class FakeConnection implements SharedSink {
  readonly id: string;
  readonly frames: Uint8Array[] = [];
  open = true;

  constructor(id: string) {
    this.id = id;
  }

  sendShared(message: SharedMessage): boolean {
    if (!this.open) return false;
    this.frames.push(message.plainFrame());
    return true;
  }
}

type Member = Connection & SharedSink;

function groupOf(members: FakeConnection[]): Group {
  const list = members as unknown as Member[];
  return new Group(() => list, () => list.length);
}

const decoder = new TextDecoder();

describe("SharedMessage: the plain frame of a shared message", () => {
  test("a string becomes one unmasked text frame", () => {
    assert.deepEqual(
      encodeMessage("hi"),
      Uint8Array.from([0x81, 0x02, 0x68, 0x69]),
    );
  });

  test("a Uint8Array becomes one unmasked binary frame", () => {
    assert.deepEqual(
      encodeMessage(Uint8Array.from([1, 2, 3])),
      Uint8Array.from([0x82, 0x03, 1, 2, 3]),
    );
  });

  test("a 126-byte text uses the 16-bit length form", () => {
    const bytes = encodeMessage("x".repeat(126));
    assert.deepEqual([...bytes.subarray(0, 4)], [0x81, 126, 0, 126]);
    assert.equal(bytes.length, 4 + 126);
  });

  test("fromFrame reads a relayed frame back (all three length forms) and keeps it as the plain form", () => {
    for (const size of [3, 200, 70_000]) {
      const frame = encodeMessage(new Uint8Array(size).fill(7));
      const message = SharedMessage.fromFrame(frame);
      assert.equal(message.isText, false);
      assert.equal(message.payload.length, size);
      assert.equal(message.plainFrame(), frame);
    }
    assert.equal(SharedMessage.fromFrame(encodeMessage("é")).isText, true);
  });
});

describe("Group", () => {
  test("send encodes the message once and queues the same bytes on every member", () => {
    const a = new FakeConnection("a");
    const b = new FakeConnection("b");
    const count = groupOf([a, b]).broadcast("hello");
    assert.equal(count, 2);
    assert.equal(a.frames.length, 1);
    assert.equal(b.frames.length, 1);
    assert.equal(a.frames[0], b.frames[0]); // the very same bytes
    assert.deepEqual(a.frames[0], encodeMessage("hello"));
  });

  test("emit sends {event, data} JSON text", () => {
    const a = new FakeConnection("a");
    assert.equal(groupOf([a]).emit("said", { text: "hi" }), 1);
    const frame = a.frames[0];
    assert.equal(frame[0], 0x81);
    assert.equal(
      decoder.decode(frame.subarray(2)),
      '{"event":"said","data":{"text":"hi"}}',
    );
  });

  test("emit without data omits the data key", () => {
    const a = new FakeConnection("a");
    groupOf([a]).emit("ping");
    assert.equal(decoder.decode(a.frames[0].subarray(2)), '{"event":"ping"}');
  });

  test("broadcast with a filter reaches only the accepted members and counts them", () => {
    const a = new FakeConnection("a");
    const b = new FakeConnection("b");
    const c = new FakeConnection("c");
    const count = groupOf([a, b, c]).broadcast(
      "x",
      (conn) => conn.id !== "b",
    );
    assert.equal(count, 2);
    assert.equal(a.frames.length, 1);
    assert.equal(b.frames.length, 0);
    assert.equal(c.frames.length, 1);
  });

  test("members that refuse the frame (closing) are not counted", () => {
    const a = new FakeConnection("a");
    const b = new FakeConnection("b");
    b.open = false;
    assert.equal(groupOf([a, b]).broadcast("x"), 1);
  });

  test("an empty group or one whose filter rejects everyone sends nothing and returns 0", () => {
    assert.equal(groupOf([]).broadcast("x"), 0);
    const a = new FakeConnection("a");
    assert.equal(groupOf([a]).broadcast("x", () => false), 0);
    assert.equal(a.frames.length, 0);
  });

  test("is a live view: size and iteration read the members each time", () => {
    const members: FakeConnection[] = [];
    const group = new Group(
      () => members as unknown as Member[],
      () => members.length,
    );
    assert.equal(group.size, 0);
    assert.deepEqual([...group], []);
    members.push(new FakeConnection("a"), new FakeConnection("b"));
    assert.equal(group.size, 2);
    assert.deepEqual([...group].map((c) => c.id), ["a", "b"]);
    assert.equal(group.broadcast("x"), 2);
  });
});

describe("Group on a clustered server (a remote side)", () => {
  function clustered(members: FakeConnection[]) {
    const published: Array<{ frame: Uint8Array; except: string | undefined }> =
      [];
    const list = members as unknown as Member[];
    const group = new Group(
      () => list,
      () => list.length,
      (frame, except) => published.push({ frame, except }),
    );
    return { group, published };
  }

  test("the other nodes get the very frame bytes the local members were sent (framed once)", () => {
    const a = new FakeConnection("a");
    const { group, published } = clustered([a]);
    assert.equal(group.emit("said", { text: "hi" }), 1);
    assert.equal(published.length, 1);
    assert.equal(published[0].frame, a.frames[0]); // the same object
    assert.equal(published[0].except, undefined);
  });

  test("a group with no local member still publishes once", () => {
    const { group, published } = clustered([]);
    assert.equal(group.broadcast("x"), 0);
    assert.deepEqual(published.map((p) => p.frame), [encodeMessage("x")]);
  });

  test("{ except } leaves one connection out here and names it for the other nodes", () => {
    const a = new FakeConnection("a");
    const b = new FakeConnection("b");
    const { group, published } = clustered([a, b]);
    assert.equal(group.broadcast("x", { except: "a" }), 1);
    assert.equal(a.frames.length, 0);
    assert.equal(b.frames.length, 1);
    assert.equal(published[0].except, "a");
    const asConn = b as unknown as Connection;
    assert.equal(group.emit("e", 1, { except: asConn }), 1);
    assert.equal(published[1].except, "b");
    assert.equal(a.frames.length, 1);
  });

  test("a filter function cannot cross nodes: a UsageError, nothing sent anywhere", () => {
    const a = new FakeConnection("a");
    const { group, published } = clustered([a]);
    assert.throws(
      () => group.broadcast("x", () => true),
      (error: Error) =>
        error.name === "UsageError" && /cannot cross nodes/.test(error.message),
    );
    assert.equal(a.frames.length, 0);
    assert.equal(published.length, 0);
  });

  test("a control frame cannot be broadcast across nodes: a UsageError", () => {
    const { group, published } = clustered([new FakeConnection("a")]);
    assert.throws(
      () => group.broadcast(Frame.ping()),
      (error: Error) => error.name === "UsageError",
    );
    assert.equal(published.length, 0);
  });

  test("group.local sends to this node's members only, and takes a filter", () => {
    const a = new FakeConnection("a");
    const b = new FakeConnection("b");
    const { group, published } = clustered([a, b]);
    assert.equal(group.local.broadcast("x", (conn) => conn.id === "b"), 1);
    assert.equal(b.frames.length, 1);
    assert.equal(a.frames.length, 0);
    assert.equal(published.length, 0);
    const plain = groupOf([a]);
    assert.equal(plain.local, plain); // without a cluster: the group itself
  });
});
