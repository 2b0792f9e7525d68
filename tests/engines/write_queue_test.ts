import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MAX_BATCH, WriteQueue } from "../../engines/_write_queue.ts";

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describe("WriteQueue", () => {
  test("counts queued bytes and drops empty chunks", () => {
    const queue = new WriteQueue();
    assert.equal(queue.empty, true);
    queue.push(bytes(1, 2, 3));
    queue.push(new Uint8Array(0));
    queue.push(bytes(4));
    assert.equal(queue.bytes, 4);
    assert.equal(queue.empty, false);
  });

  test("peek() returns a lone head chunk itself, without copying", () => {
    const queue = new WriteQueue();
    const chunk = bytes(1, 2, 3);
    queue.push(chunk);
    assert.equal(queue.peek(), chunk);
  });

  test("peek() copies small chunks into one batch of at most max bytes", () => {
    const queue = new WriteQueue();
    queue.push(bytes(1, 2));
    queue.push(bytes(3));
    queue.push(bytes(4, 5));
    queue.push(bytes(6, 7, 8));
    const batch = queue.peek(5);
    assert.deepEqual([...batch], [1, 2, 3, 4, 5]);
    queue.consume(batch.length);
    assert.equal(queue.bytes, 3);
    assert.deepEqual([...queue.peek(5)], [6, 7, 8]);
  });

  test("peek() returns a head larger than max whole", () => {
    const queue = new WriteQueue();
    const big = new Uint8Array(MAX_BATCH + 1);
    queue.push(big);
    queue.push(bytes(1));
    assert.equal(queue.peek(), big);
  });

  test("consume() of part of the head keeps a view of the unwritten rest", () => {
    const queue = new WriteQueue();
    const chunk = bytes(1, 2, 3, 4);
    queue.push(chunk);
    queue.consume(3);
    const rest = queue.peek();
    assert.deepEqual([...rest], [4]);
    assert.equal(rest.buffer, chunk.buffer);
    queue.consume(1);
    assert.equal(queue.empty, true);
  });

  test("keeps order across many chunks and compactions", () => {
    const queue = new WriteQueue();
    let expected = 0;
    let next = 0;
    for (let round = 0; round < 5000; round++) {
      queue.push(bytes(next++ & 0xff));
      queue.push(bytes(next++ & 0xff));
      const head = queue.peek(1);
      assert.equal(head[0], expected++ & 0xff);
      queue.consume(1);
    }
    assert.equal(queue.bytes, 5000);
    while (!queue.empty) {
      const head = queue.peek(1);
      assert.equal(head[0], expected++ & 0xff);
      queue.consume(1);
    }
    assert.equal(expected, next);
  });

  test("clear() drops everything", () => {
    const queue = new WriteQueue();
    queue.push(bytes(1, 2));
    queue.clear();
    assert.equal(queue.bytes, 0);
    assert.equal(queue.empty, true);
  });
});
