import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type SchemaOutput,
  type StandardSchema,
  ValidationError,
  withSchema,
} from "../../src/server/validation.ts";

/** A hand-written synchronous Standard Schema: a non-empty string, trimmed. */
const text: StandardSchema<unknown, string> = {
  "~standard": {
    version: 1,
    vendor: "test",
    validate: (value) =>
      typeof value === "string" && value.trim() !== ""
        ? { value: value.trim() }
        : { issues: [{ message: "Expected a non-empty string" }] },
  },
};

/** An asynchronous schema with nested paths in its issues. */
const asyncPoint: StandardSchema<unknown, { x: number; y: number }> = {
  "~standard": {
    version: 1,
    vendor: "test-async",
    validate: async (value) => {
      await Promise.resolve();
      const v = value as { x?: unknown; y?: unknown } | null;
      const issues = [];
      if (typeof v?.x !== "number") {
        issues.push({ message: "Expected number", path: ["point", "x"] });
      }
      if (typeof v?.y !== "number") {
        issues.push({ message: "Expected number", path: [{ key: "y" }] });
      }
      return issues.length > 0
        ? { issues }
        : { value: { x: v!.x as number, y: v!.y as number } };
    },
  },
};

describe("ValidationError", () => {
  test("names the event and lists every issue with its dotted path", () => {
    const error = new ValidationError("chat", [
      { message: "Expected string", path: ["text"] },
      { message: "Too long", path: ["meta", { key: "tags" }, 2] },
      { message: "Unknown key" },
    ]);
    assert.equal(
      error.message,
      "Invalid data for event chat: text: Expected string; meta.tags.2: Too long; Unknown key",
    );
    assert.equal(error.name, "ValidationError");
    assert.equal(error.event, "chat");
    assert.equal(error.issues.length, 3);
    assert.ok(error instanceof Error);
  });

  test("an empty path is left out of the message", () => {
    const error = new ValidationError("x", [{ message: "Bad", path: [] }]);
    assert.equal(error.message, "Invalid data for event x: Bad");
  });
});

describe("withSchema", () => {
  test("a synchronous schema: the handler gets the transformed value and the rest of the arguments, synchronously", () => {
    const seen: Array<[string, number]> = [];
    const handler = withSchema("say", text, (data: string, n: number) => {
      seen.push([data, n]);
      return data.toUpperCase();
    });
    assert.equal(handler("  hi ", 7), "HI");
    assert.deepEqual(seen, [["hi", 7]]);
  });

  test("a synchronous schema that finds issues throws a ValidationError and never calls the handler", () => {
    let calls = 0;
    const handler = withSchema("say", text, () => calls++);
    assert.throws(
      () => handler(42),
      (error: unknown) =>
        error instanceof ValidationError && error.event === "say" &&
        error.message ===
          "Invalid data for event say: Expected a non-empty string",
    );
    assert.equal(calls, 0);
  });

  test("an asynchronous schema: the result is a promise of the handler's result", async () => {
    const handler = withSchema(
      "move",
      asyncPoint,
      async (point) => {
        await Promise.resolve();
        return point.x + point.y;
      },
    );
    const result = handler({ x: 1, y: 2, extra: true });
    assert.ok(result instanceof Promise);
    assert.equal(await result, 3);
  });

  test("an asynchronous schema that finds issues rejects with a ValidationError and never calls the handler", async () => {
    let calls = 0;
    const handler = withSchema("move", asyncPoint, () => calls++);
    await assert.rejects(
      Promise.resolve(handler({ x: "1" })),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.deepEqual(error.issues, [
          { message: "Expected number", path: ["point", "x"] },
          { message: "Expected number", path: [{ key: "y" }] },
        ]);
        assert.equal(
          error.message,
          "Invalid data for event move: point.x: Expected number; y: Expected number",
        );
        return true;
      },
    );
    assert.equal(calls, 0);
  });

  test("a handler's own exception passes through unchanged", () => {
    const boom = new Error("Boom");
    const handler = withSchema("say", text, () => {
      throw boom;
    });
    assert.throws(() => handler("ok"), (error: unknown) => error === boom);
  });

  test("SchemaOutput infers the handler's data type from the schema", () => {
    type Point = SchemaOutput<typeof asyncPoint>;
    const point: Point = { x: 1, y: 2 };
    // A compile-time check (tsc runs over tests/): x is a number.
    const sum: number = point.x + point.y;
    assert.equal(sum, 3);
  });
});
