import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Membership } from "../../src/shared/membership.ts";

describe("Membership.add", () => {
  test("returns the new size of the set, and -1 when the member is already in it", () => {
    const rooms = new Membership<string>();
    assert.equal(rooms.add("lobby", "a"), 1);
    assert.equal(rooms.add("lobby", "b"), 2);
    assert.equal(rooms.add("lobby", "a"), -1);
    assert.equal(rooms.size("lobby"), 2);
    assert.equal(rooms.count, 1);
    assert.equal(rooms.memberCount, 2);
  });

  test("indexes both directions: namesOf and membersOf", () => {
    const rooms = new Membership<string>();
    rooms.add("lobby", "a");
    rooms.add("games", "a");
    rooms.add("games", "b");
    assert.deepEqual([...rooms.namesOf("a")], ["lobby", "games"]);
    assert.deepEqual([...rooms.namesOf("b")], ["games"]);
    assert.deepEqual([...rooms.membersOf("games")], ["a", "b"]);
    assert.deepEqual([...rooms.names()], ["lobby", "games"]);
  });

  test("keys that are Object.prototype names are ordinary names", () => {
    const rooms = new Membership<string>();
    assert.equal(rooms.size("__proto__"), 0);
    assert.equal(rooms.size("constructor"), 0);
    assert.equal(rooms.add("__proto__", "a"), 1);
    assert.equal(rooms.add("constructor", "a"), 1);
    assert.deepEqual([...rooms.names()], ["__proto__", "constructor"]);
    assert.equal(rooms.removeAll("a").length, 2);
    assert.equal(rooms.count, 0);
  });
});

describe("Membership.remove", () => {
  test("returns the size left, and -1 when the member was not in the set", () => {
    const rooms = new Membership<string>();
    rooms.add("lobby", "a");
    rooms.add("lobby", "b");
    assert.equal(rooms.remove("lobby", "a"), 1);
    assert.equal(rooms.remove("lobby", "a"), -1);
    assert.equal(rooms.remove("nowhere", "a"), -1);
    assert.equal(rooms.size("lobby"), 1);
  });

  test("deletes a set with its last member and a member with its last set", () => {
    const rooms = new Membership<string>();
    rooms.add("lobby", "a");
    assert.equal(rooms.remove("lobby", "a"), 0);
    assert.equal(rooms.count, 0);
    assert.equal(rooms.memberCount, 0);
    assert.deepEqual([...rooms.names()], []);
    assert.equal(rooms.namesOf("a").size, 0);
    assert.equal(rooms.membersOf("lobby").size, 0);
  });
});

describe("Membership.removeAll", () => {
  test("removes a member from every set and reports each set with the size left", () => {
    const rooms = new Membership<string>();
    rooms.add("lobby", "a");
    rooms.add("lobby", "b");
    rooms.add("games", "a");
    assert.deepEqual(rooms.removeAll("a"), [["lobby", 1], ["games", 0]]);
    assert.deepEqual([...rooms.names()], ["lobby"]);
    assert.equal(rooms.memberCount, 1);
    assert.deepEqual(rooms.removeAll("a"), []);
  });

  test("10,000 members joining and leaving leave nothing behind", () => {
    const rooms = new Membership<object>();
    for (let i = 0; i < 10_000; i++) {
      const member = {};
      rooms.add(`room-${i % 7}`, member);
      rooms.add("all", member);
      assert.equal(rooms.removeAll(member).length, 2);
    }
    assert.equal(rooms.count, 0);
    assert.equal(rooms.memberCount, 0);
  });
});

describe("Membership views", () => {
  test("namesOf and membersOf of unknown keys are empty and cannot be filled by a caller", () => {
    const rooms = new Membership<string>();
    const names = rooms.namesOf("ghost");
    const members = rooms.membersOf("ghost");
    assert.equal(names.size, 0);
    assert.equal(members.size, 0);
    rooms.add("lobby", "a");
    // The shared empty set stays empty after other sets were filled.
    assert.equal(rooms.namesOf("ghost").size, 0);
    assert.equal(rooms.membersOf("ghost").size, 0);
  });

  test("union yields the members of several sets, each once, in first-seen order", () => {
    const rooms = new Membership<string>();
    rooms.add("a", "x");
    rooms.add("a", "y");
    rooms.add("b", "y");
    rooms.add("b", "z");
    assert.deepEqual([...rooms.union(["a", "b"])], ["x", "y", "z"]);
    assert.deepEqual([...rooms.union(["b"])], ["y", "z"]);
    assert.deepEqual([...rooms.union(["b", "b", "missing"])], ["y", "z"]);
    assert.deepEqual([...rooms.union([])], []);
  });
});
