import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Connection } from "../../src/driver/connection.ts";
import { ConnectionSet } from "../../src/server/connection_set.ts";

function fake(id: string): Connection {
  return { id } as unknown as Connection;
}

describe("ConnectionSet", () => {
  test("is a live read-only view of the map it wraps: size, get, has, iteration in opening order", () => {
    const byId = new Map<string, Connection>();
    const set = new ConnectionSet(byId);
    assert.equal(set.size, 0);
    assert.equal(set.get("a"), undefined);
    assert.equal(set.has("a"), false);
    assert.deepEqual([...set], []);

    const a = fake("a");
    const b = fake("b");
    byId.set("a", a);
    byId.set("b", b);
    assert.equal(set.size, 2);
    assert.equal(set.get("a"), a);
    assert.equal(set.has("b"), true);
    assert.deepEqual([...set].map((c) => c.id), ["a", "b"]);

    byId.delete("a");
    assert.equal(set.size, 1);
    assert.equal(set.get("a"), undefined);
    assert.equal(set.has("a"), false);
    assert.deepEqual([...set].map((c) => c.id), ["b"]);
  });

  test("offers no way to change the connections", () => {
    const set = new ConnectionSet(new Map());
    const methods = Object.getOwnPropertyNames(ConnectionSet.prototype);
    for (const name of ["set", "add", "delete", "clear"]) {
      assert.equal(methods.includes(name), false, name);
      assert.equal(name in set, false, name);
    }
  });

  test("ids that are Object.prototype names are not found", () => {
    const set = new ConnectionSet(new Map());
    assert.equal(set.get("__proto__"), undefined);
    assert.equal(set.get("constructor"), undefined);
    assert.equal(set.has("toString"), false);
  });
});
