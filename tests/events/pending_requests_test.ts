// The request tracker both sides use: ids, answers, timeouts on a fake
// clock, rejection on disconnect, and the bound on waiting requests.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PendingRequests } from "../../src/events/pending_requests.ts";
import {
  DisconnectedError,
  RequestError,
  RequestRejectedError,
  RequestTimeoutError,
  TooManyRequestsError,
} from "../../src/events/request_errors.ts";
import { FakeClock } from "../_fake_clock.ts";

describe("PendingRequests", () => {
  test("hands out increasing ids and resolves each with its own answer", async () => {
    const pending = new PendingRequests({ clock: new FakeClock() });
    const a = pending.add("a", 1000);
    const b = pending.add("b", 1000);
    assert.deepEqual([a.id, b.id], [1, 2]);
    assert.equal(pending.size, 2);
    assert.equal(pending.settle({ id: b.id, data: "B" }), true);
    assert.equal(pending.settle({ id: a.id, data: "A" }), true);
    assert.deepEqual(await Promise.all([a.promise, b.promise]), ["A", "B"]);
    assert.equal(pending.size, 0);
  });

  test("an error answer rejects with RequestRejectedError carrying the issues", async () => {
    const pending = new PendingRequests({ clock: new FakeClock() });
    const { id, promise } = pending.add("save", 1000);
    pending.settle({
      id,
      error: { message: "Invalid", issues: [{ message: "Expected string" }] },
    });
    const error = await promise.then(() => undefined, (e) => e);
    assert.ok(error instanceof RequestRejectedError);
    assert.ok(error instanceof RequestError);
    assert.equal(error.event, "save");
    assert.equal(error.message, "Invalid");
    assert.deepEqual(error.issues, [{ message: "Expected string" }]);
  });

  test("times out exactly at the timeout, and a late answer is ignored", async () => {
    const clock = new FakeClock();
    const pending = new PendingRequests({ clock });
    const { id, promise } = pending.add("slow", 500);
    let outcome: unknown;
    promise.then((v) => (outcome = v), (e) => (outcome = e));
    const read = (): unknown => outcome;
    clock.advance(499);
    await Promise.resolve();
    assert.equal(outcome, undefined);
    assert.equal(pending.has(id), true);
    clock.advance(1);
    await Promise.resolve();
    const error = read();
    assert.ok(error instanceof RequestTimeoutError);
    assert.equal(error.timeout, 500);
    assert.equal(
      error.message,
      'No answer to "slow" within 500 ms',
    );
    assert.equal(pending.settle({ id, data: 1 }), false);
    assert.equal(clock.pending, 0);
  });

  test("an answer clears the timer; an Infinity timeout sets none", async () => {
    const clock = new FakeClock();
    const pending = new PendingRequests({ clock });
    const { id, promise } = pending.add("x", 100);
    assert.equal(clock.pending, 1);
    pending.settle({ id, data: 1 });
    assert.equal(clock.pending, 0);
    assert.equal(await promise, 1);
    pending.add("forever", Infinity);
    assert.equal(clock.pending, 0);
  });

  test("an answer for an id never issued, or of another type, matches nothing", () => {
    const pending = new PendingRequests({ clock: new FakeClock() });
    const { id } = pending.add("x", 100);
    assert.equal(pending.settle({ id: String(id), data: 1 }), false);
    assert.equal(pending.settle({ id: 99, data: 1 }), false);
    assert.equal(pending.size, 1);
  });

  test("rejectAll fails every request but those kept, with the error given", async () => {
    const pending = new PendingRequests({ clock: new FakeClock() });
    const a = pending.add("a", 1000);
    const b = pending.add("b", 1000);
    const c = pending.add("c", 1000);
    const rejected = pending.rejectAll(
      (event) =>
        new DisconnectedError(event, "the connection closed (code 1006)"),
      (id) => id === b.id,
    );
    assert.equal(rejected, 2);
    for (const request of [a, c]) {
      const error = await request.promise.then(() => undefined, (e) => e);
      assert.ok(error instanceof DisconnectedError);
      assert.match(
        error.message,
        /^No answer to "[ac]": the connection closed \(code 1006\)$/,
      );
    }
    assert.equal(pending.has(b.id), true);
    pending.settle({ id: b.id, data: "kept" });
    assert.equal(await b.promise, "kept");
  });

  test("the bound on waiting requests throws TooManyRequestsError and frees up again", () => {
    const pending = new PendingRequests({
      maxPending: 2,
      clock: new FakeClock(),
    });
    const first = pending.add("a", 1000);
    pending.add("b", 1000);
    assert.throws(() => pending.add("c", 1000), (error: unknown) => {
      assert.ok(error instanceof TooManyRequestsError);
      assert.equal(error.limit, 2);
      return true;
    });
    pending.settle({ id: first.id, data: null });
    assert.doesNotThrow(() => pending.add("c", 1000));
  });

  test("cancel rejects one request with the error given", async () => {
    const pending = new PendingRequests({ clock: new FakeClock() });
    const { id, promise } = pending.add("x", 1000);
    assert.equal(pending.cancel(id, () => new Error("queue full")), true);
    assert.equal(pending.cancel(id, () => new Error("again")), false);
    await assert.rejects(promise, /queue full/);
  });

  test("onEmpty is called each time the last waiting request settles, however it settles", async () => {
    const clock = new FakeClock();
    let empty = 0;
    const pending = new PendingRequests({ clock, onEmpty: () => empty++ });
    const a = pending.add("a", 100);
    const b = pending.add("b", 100);
    pending.settle({ id: a.id, data: 1 });
    assert.equal(empty, 0, "b still waits");
    clock.advance(100);
    await assert.rejects(b.promise);
    assert.equal(empty, 1, "after the timeout");
    const c = pending.add("c", 100);
    pending.cancel(c.id, () => new Error("not sent"));
    await assert.rejects(c.promise);
    assert.equal(empty, 2, "after a cancel");
    const d = pending.add("d", 100);
    pending.rejectAll(() => new Error("gone"));
    await assert.rejects(d.promise);
    assert.equal(empty, 3, "after rejectAll");
    pending.rejectAll(() => new Error("nothing"));
    assert.equal(empty, 3, "nothing was waiting");
  });

  test("bad timeouts and bounds are refused", () => {
    const pending = new PendingRequests({ clock: new FakeClock() });
    for (const timeout of [0, -1, Number.NaN]) {
      assert.throws(() => pending.add("x", timeout), RangeError);
    }
    assert.throws(() => new PendingRequests({ maxPending: 0 }), RangeError);
    assert.throws(() => new PendingRequests({ maxPending: 1.5 }), RangeError);
  });
});
