// The event client's send queue: order, the count and byte bounds, overflow
// as an error that leaves the queue unchanged, and UTF-8 byte counting.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_QUEUE_LIMITS,
  QueueFullError,
  SendQueue,
  utf8Length,
} from "../../src/client/send_queue.ts";
import { prng } from "../_prng.ts";

describe("SendQueue", () => {
  test("the defaults are 1000 messages and 1 MiB", () => {
    assert.deepEqual({ ...DEFAULT_QUEUE_LIMITS }, {
      maxMessages: 1000,
      maxBytes: 1024 * 1024,
    });
  });

  test("messages come out in the order they went in, with their sizes", () => {
    const queue = new SendQueue();
    queue.push("a");
    queue.push(new Uint8Array([1, 2, 3]));
    queue.push("é", 7);
    assert.equal(queue.length, 3);
    assert.equal(queue.bytes, 1 + 3 + 2);
    assert.deepEqual(queue.shift(), { data: "a", bytes: 1 });
    assert.deepEqual(queue.shift(), {
      data: new Uint8Array([1, 2, 3]),
      bytes: 3,
    });
    assert.equal(queue.holds(7), true);
    assert.deepEqual(queue.shift(), { data: "é", bytes: 2, ackId: 7 });
    assert.equal(queue.holds(7), false);
    assert.equal(queue.shift(), undefined);
    assert.equal(queue.bytes, 0);
  });

  test("past maxMessages a push throws QueueFullError and the queue is unchanged", () => {
    const queue = new SendQueue({ maxMessages: 2 });
    queue.push("1");
    queue.push("2");
    assert.throws(() => queue.push("3"), (error: unknown) => {
      assert.ok(error instanceof QueueFullError);
      assert.equal(error.message, "Send queue full: 2 messages wait (limit 2)");
      assert.equal(error.limits.maxMessages, 2);
      return true;
    });
    assert.deepEqual(queue.clear().map((item) => item.data), ["1", "2"]);
  });

  test("past maxBytes a push throws QueueFullError; a message that fits exactly is taken", () => {
    const queue = new SendQueue({ maxBytes: 10 });
    queue.push("12345");
    assert.throws(
      () => queue.push("123456"),
      /5 bytes wait and the message has 6 \(limit 10\)/,
    );
    queue.push("12345");
    assert.equal(queue.bytes, 10);
    assert.throws(() => queue.push(new Uint8Array(1)), QueueFullError);
    assert.equal(queue.length, 2);
  });

  test("queued bytes are a copy: reusing the buffer does not change what is sent", () => {
    const queue = new SendQueue();
    const buffer = new Uint8Array([1, 2]);
    queue.push(buffer);
    buffer[0] = 9;
    assert.deepEqual(queue.shift()?.data, new Uint8Array([1, 2]));
  });

  test("a long queue drained one by one keeps its order", () => {
    const queue = new SendQueue({ maxMessages: 5000 });
    for (let i = 0; i < 5000; i++) queue.push(String(i));
    for (let i = 0; i < 2500; i++) assert.equal(queue.shift()?.data, String(i));
    for (let i = 5000; i < 7500; i++) queue.push(String(i));
    for (let i = 2500; i < 7500; i++) {
      assert.equal(queue.shift()?.data, String(i));
    }
    assert.equal(queue.length, 0);
  });

  test("bad limits are refused", () => {
    assert.throws(() => new SendQueue({ maxMessages: -1 }), RangeError);
    assert.throws(() => new SendQueue({ maxBytes: 1.5 }), RangeError);
  });
});

describe("utf8Length", () => {
  test("counts what TextEncoder produces, lone surrogates included", () => {
    const encoder = new TextEncoder();
    const rng = prng(11);
    const pieces = [
      "a",
      "é",
      "€",
      "😀",
      "\ud800",
      "\udc00",
      "\u07ff",
      "\u0800",
      "\uffff",
    ];
    for (let i = 0; i < 500; i++) {
      let text = "";
      const length = rng.int(0, 12);
      for (let j = 0; j < length; j++) text += rng.pick(pieces);
      assert.equal(
        utf8Length(text),
        encoder.encode(text).length,
        JSON.stringify(text),
      );
    }
  });
});
