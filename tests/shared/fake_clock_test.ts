// The virtual clock the fuzz and driver tests run the server's timers on.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_fake_clock.ts";

describe("FakeClock", () => {
  test("fires due timers in order of due time, then of creation, each at its due time", () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 31);
    assert.equal(clock.advance(30), 3);
    assert.deepEqual(fired, ["a@10", "b@20", "c@20"]);
    assert.equal(clock.now(), 30);
    assert.equal(clock.nextDue(), 31);
  });

  test("a timer set by a callback fires in the same advance when it falls due within it", () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
    }, 10);
    clock.advance(15);
    assert.deepEqual(fired, [10, 15]);
  });

  test("an interval fires once per period until cleared, even by its own callback", () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const handle = clock.setInterval(() => {
      fired.push(clock.now());
      if (fired.length === 3) clock.clearInterval(handle);
    }, 10);
    clock.advance(100);
    assert.deepEqual(fired, [10, 20, 30]);
    assert.deepEqual(clock.timers(), []);
  });

  test("a cleared timer never fires; clearing undefined or twice is ignored", () => {
    const clock = new FakeClock();
    let fired = false;
    const handle = clock.setTimeout(() => fired = true, 10);
    clock.clearTimeout(handle);
    clock.clearTimeout(handle);
    clock.clearTimeout(undefined);
    assert.equal(clock.advance(50), 0);
    assert.equal(fired, false);
  });

  test("pending() lists the live timers with the file and line that set them", () => {
    const clock = new FakeClock();
    clock.setTimeout(() => {}, 30);
    clock.setInterval(() => {}, 10);
    const pending = clock.timers();
    assert.deepEqual(pending.map((t) => [t.kind, t.due, t.ms]), [
      ["interval", 10, 10],
      ["timeout", 30, 30],
    ]);
    for (const timer of pending) {
      assert.match(timer.owner, /^fake_clock_test\.ts:\d+$/);
    }
  });

  test("a throwing callback stops the advance at its due time; the rest fire on the next advance", () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      throw new Error("boom");
    }, 10);
    clock.setTimeout(() => fired.push(clock.now()), 20);
    assert.throws(() => clock.advance(30), /boom/);
    assert.equal(clock.now(), 10);
    assert.deepEqual(fired, []);
    clock.advance(20);
    assert.deepEqual(fired, [20]);
    assert.equal(clock.now(), 30);
  });

  test("advanceSettled awaits settle() after each callback", async () => {
    const clock = new FakeClock();
    const log: string[] = [];
    clock.setTimeout(() => {
      log.push("first");
      queueMicrotask(() => log.push("microtask of first"));
    }, 10);
    clock.setTimeout(() => log.push("second"), 10);
    const fired = await clock.advanceSettled(10, async () => {
      await null;
      log.push("settled");
    });
    assert.equal(fired, 2);
    assert.deepEqual(log, [
      "first",
      "microtask of first",
      "settled",
      "second",
      "settled",
    ]);
  });
});
