import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { jsonDepth } from "../../src/events/json_depth.ts";

describe("jsonDepth", () => {
  test("counts the deepest nesting of objects and arrays", () => {
    assert.equal(jsonDepth("1", 10), 0);
    assert.equal(jsonDepth('"text"', 10), 0);
    assert.equal(jsonDepth("{}", 10), 1);
    assert.equal(jsonDepth("[]", 10), 1);
    assert.equal(jsonDepth('{"a":[1,{"b":2}]}', 10), 3);
    assert.equal(jsonDepth("[[1],[[2]],[3]]", 10), 3);
    assert.equal(jsonDepth('{"a":{"b":{}},"c":[]}', 10), 3);
  });

  test("agrees with the real nesting of generated documents", () => {
    for (let depth = 1; depth <= 40; depth++) {
      let value: unknown = "leaf";
      for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
      assert.equal(jsonDepth(JSON.stringify(value), 100), depth);
    }
  });

  test("skips brackets inside strings, escaped quotes and backslashes included", () => {
    assert.equal(jsonDepth('{"a":"[[[{{{"}', 10), 1);
    assert.equal(jsonDepth('{"a":"\\"[[[\\""}', 10), 1);
    assert.equal(jsonDepth('{"a":"\\\\","b":[[]]}', 10), 3);
    assert.equal(jsonDepth('["\\u005b\\u005b"]', 10), 1);
    assert.equal(jsonDepth(JSON.stringify({ "[{": ['}]\\"{['] }), 10), 2);
  });

  test("stops as soon as the depth passes the limit and returns limit + 1", () => {
    assert.equal(jsonDepth("[[[[[[]]]]]]", 3), 4);
    assert.equal(jsonDepth("[[[[[[]]]]]]", 6), 6);
    assert.equal(jsonDepth("[[[[[[]]]]]]", 5), 6);
    // The rest of the text is not even looked at.
    assert.equal(jsonDepth("[[[[" + "x".repeat(1000), 2), 3);
  });

  test("a depth exactly at the limit is not over it", () => {
    const text = "[".repeat(32) + "]".repeat(32);
    assert.equal(jsonDepth(text, 32), 32);
    assert.equal(jsonDepth("[" + text + "]", 32), 33);
  });

  test("a huge nesting is measured quickly without recursion", () => {
    const text = "[".repeat(1_000_000);
    assert.equal(jsonDepth(text, 32), 33);
    assert.equal(jsonDepth(text, 2_000_000), 1_000_000);
  });

  test("does not need valid JSON: an unterminated string ends the count", () => {
    assert.equal(jsonDepth('[{"a": "[[[', 10), 2);
    assert.equal(jsonDepth("]]][[", 10), 0);
    assert.equal(jsonDepth("", 10), 0);
  });
});
