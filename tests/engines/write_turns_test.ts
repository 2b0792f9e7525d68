// WriteTurns: the Deno engine's bound on writes outstanding at once, with
// waiting connections served in the order they asked.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_WRITES_IN_FLIGHT,
  WriteTurns,
} from "../../engines/_write_turns.ts";

describe("WriteTurns", () => {
  test("gives free turns at once, without a promise", () => {
    const turns = new WriteTurns(2);
    assert.equal(turns.take(), undefined);
    assert.equal(turns.take(), undefined);
    assert.ok(turns.take() instanceof Promise);
  });

  test("serves the waiting in the order they asked, one turn per give", async () => {
    const turns = new WriteTurns(1);
    assert.equal(turns.take(), undefined);
    const order: number[] = [];
    const waits = [0, 1, 2].map((i) => turns.take()!.then(() => order.push(i)));
    turns.give();
    await Promise.resolve();
    await Promise.resolve();
    assert.deepEqual(order, [0]);
    turns.give();
    turns.give();
    await Promise.all(waits);
    assert.deepEqual(order, [0, 1, 2]);
  });

  test("a connection that asks again goes behind those already waiting", async () => {
    const turns = new WriteTurns(1);
    assert.equal(turns.take(), undefined); // A writes
    const order: string[] = [];
    const b = turns.take()!.then(() => order.push("B"));
    turns.give(); // A done, B's turn
    const again = turns.take()!.then(() => order.push("A again"));
    await b;
    turns.give();
    await again;
    assert.deepEqual(order, ["B", "A again"]);
    turns.give();
    assert.equal(
      turns.take(),
      undefined,
      "the turn came back once nobody waits",
    );
  });

  test("never has more than its size outstanding, over thousands of writes", async () => {
    const turns = new WriteTurns(MAX_WRITES_IN_FLIGHT);
    let outstanding = 0;
    let most = 0;
    const writer = async (writes: number) => {
      for (let i = 0; i < writes; i++) {
        const turn = turns.take();
        if (turn !== undefined) await turn;
        outstanding++;
        most = Math.max(most, outstanding);
        await new Promise((resolve) => setTimeout(resolve, 0));
        outstanding--;
        turns.give();
      }
    };
    await Promise.all(Array.from({ length: 300 }, () => writer(5)));
    assert.equal(most, MAX_WRITES_IN_FLIGHT);
    assert.equal(outstanding, 0);
  });
});
