import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  EventRegistry,
  isPromiseLike,
} from "../../src/events/event_registry.ts";

type Failure = { error: unknown; event: string; args: unknown[] };

function registry(): { events: EventRegistry; failures: Failure[] } {
  const failures: Failure[] = [];
  const events = new EventRegistry((error, event, args) =>
    failures.push({ error, event, args })
  );
  return { events, failures };
}

describe("EventRegistry", () => {
  test("emit calls the handlers in registration order with the arguments and returns the last one's value", () => {
    const { events } = registry();
    const calls: string[] = [];
    events.on("greet", (name: string, n: number) => {
      calls.push(`first ${name} ${n}`);
      return 1;
    });
    events.on("greet", (name: string) => {
      calls.push(`second ${name}`);
      return 2;
    });
    assert.equal(events.emit("greet", "ada", 3), 2);
    assert.deepEqual(calls, ["first ada 3", "second ada"]);
  });

  test("dispatch calls the handlers in order with the payload and context and returns the last one's value", () => {
    const { events } = registry();
    const calls: unknown[][] = [];
    events.on("m", (...args: unknown[]) => {
      calls.push(args);
      return "first";
    });
    events.on("m", (...args: unknown[]) => {
      calls.push(args);
      return "second";
    });
    const conn = { id: "c1" };
    assert.equal(events.dispatch("m", "hello", conn), "second");
    assert.deepEqual(calls, [["hello", conn], ["hello", conn]]);
    assert.equal(events.dispatch("none", 1, 2), undefined);
  });

  test("dispatch reports a throwing or rejecting handler with both arguments; the others still run", async () => {
    const { events, failures } = registry();
    const thrown = new Error("Thrown");
    const rejected = new Error("Rejected");
    let after = 0;
    events.on("m", () => {
      throw thrown;
    });
    events.on("m", () => Promise.reject(rejected));
    events.on("m", () => after++);
    assert.equal(events.dispatch("m", "payload", "context"), 0);
    assert.equal(after, 1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(failures, [
      { error: thrown, event: "m", args: ["payload", "context"] },
      { error: rejected, event: "m", args: ["payload", "context"] },
    ]);
  });

  test("emit of an event without handlers returns undefined", () => {
    const { events } = registry();
    assert.equal(events.emit("nobody"), undefined);
  });

  test("a throwing handler is reported with its event and arguments; the others still run", () => {
    const { events, failures } = registry();
    const boom = new Error("Boom");
    let after = 0;
    events.on("x", () => {
      throw boom;
    });
    events.on("x", () => after++);
    events.emit("x", "a", 1);
    assert.equal(after, 1);
    assert.equal(failures.length, 1);
    assert.equal(failures[0].error, boom);
    assert.equal(failures[0].event, "x");
    assert.deepEqual(failures[0].args, ["a", 1]);
  });

  test("a throwing last handler makes emit return undefined", () => {
    const { events } = registry();
    events.on("x", () => 1);
    events.on("x", () => {
      throw new Error("Boom");
    });
    assert.equal(events.emit("x"), undefined);
  });

  test("a rejecting handler is reported once it rejects, without an unhandled rejection", async () => {
    const { events, failures } = registry();
    const boom = new Error("Async boom");
    const result = events.emit("x");
    assert.equal(result, undefined);
    events.on("x", () => Promise.reject(boom));
    const returned = events.emit("x", 5);
    assert.ok(returned instanceof Promise);
    assert.equal(failures.length, 0);
    await returned.catch(() => {});
    await Promise.resolve();
    assert.equal(failures.length, 1);
    assert.equal(failures[0].error, boom);
    assert.deepEqual(failures[0].args, [5]);
  });

  test("on returns an unsubscribe function; off removes one registration and reports whether it found it", () => {
    const { events } = registry();
    const calls: string[] = [];
    const a = () => calls.push("a");
    const b = () => calls.push("b");
    const offA = events.on("x", a);
    events.on("x", b);
    events.on("x", a);
    offA();
    events.emit("x");
    assert.deepEqual(calls, ["b", "a"]);
    assert.equal(events.off("x", b), true);
    assert.equal(events.off("x", b), false);
    assert.equal(events.off("missing", b), false);
    assert.equal(events.off("x", a), true);
    assert.equal(events.has("x"), false);
    assert.equal(events.size, 0);
  });

  test("has, size and handlers describe the registrations", () => {
    const { events } = registry();
    const a = () => {};
    events.on("x", a);
    events.on("y", a);
    assert.equal(events.has("x"), true);
    assert.equal(events.has("z"), false);
    assert.equal(events.size, 2);
    assert.deepEqual(events.handlers("x"), [a]);
    assert.deepEqual(events.handlers("z"), []);
  });

  test("handlers added or removed during emit do not change that emit", () => {
    const { events } = registry();
    const calls: string[] = [];
    const late = () => calls.push("late");
    const second = () => calls.push("second");
    events.on("x", () => {
      calls.push("first");
      events.on("x", late);
      events.off("x", second);
    });
    events.on("x", second);
    events.emit("x");
    assert.deepEqual(calls, ["first", "second"]);
    calls.length = 0;
    events.emit("x"); // the list is now [first, late]; first adds one more late
    assert.deepEqual(calls, ["first", "late"]);
    assert.equal(events.handlers("x").length, 3);
  });

  test("Object.prototype names are ordinary event names", () => {
    const { events } = registry();
    assert.equal(events.has("__proto__"), false);
    assert.equal(events.has("constructor"), false);
    assert.equal(events.has("toString"), false);
    assert.equal(events.emit("constructor"), undefined);
    events.on("__proto__", () => "proto");
    assert.equal(events.emit("__proto__"), "proto");
    assert.equal(events.has("hasOwnProperty"), false);
  });

  test("a handler that is not a function is refused with a TypeError", () => {
    const { events } = registry();
    assert.throws(
      () => events.on("x", "nope" as unknown as () => void),
      { name: "TypeError", message: "Handler for x is not a function" },
    );
    assert.equal(events.has("x"), false);
  });
});

describe("isPromiseLike", () => {
  test("is true for promises and thenables, false for everything else", () => {
    assert.equal(isPromiseLike(Promise.resolve(1)), true);
    assert.equal(isPromiseLike({ then: () => {} }), true);
    assert.equal(isPromiseLike({ then: 1 }), false);
    assert.equal(isPromiseLike(null), false);
    assert.equal(isPromiseLike(undefined), false);
    assert.equal(isPromiseLike(1), false);
    assert.equal(isPromiseLike(() => {}), false);
  });
});
