// Suspended sessions in a cluster's shared storage: the JSON shape of a
// snapshot, its keys, its expiry, one resume per token, and the bound on a
// storage that does not answer.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeSnapshot,
  encodeSnapshot,
  SharedSessions,
} from "../../src/server/shared_sessions.ts";
import { MemoryHub } from "../../src/cluster/memory_backplane.ts";
import type { SessionStorage } from "../../src/cluster/backplane.ts";
import { hasEventClientMarker } from "../../src/events/names.ts";
import { FakeClock, settle } from "../_fake_clock.ts";

describe("snapshots as JSON", () => {
  test("id, rooms, user and data survive; a missing user stays missing", () => {
    const full = { id: "c1", rooms: ["a", "b"], user: "ada", data: { n: 1 } };
    assert.deepEqual(decodeSnapshot(encodeSnapshot(full)), full);
    const bare = { id: "c2", rooms: [], data: {} };
    assert.equal(
      encodeSnapshot(bare),
      '{"v":1,"id":"c2","rooms":[],"data":{}}',
    );
    assert.deepEqual(decodeSnapshot(encodeSnapshot(bare)), bare);
  });

  test("anything else decodes to undefined, never throws", () => {
    for (
      const text of [
        "",
        "not json",
        "null",
        "[]",
        '{"v":2,"id":"c","rooms":[],"data":{}}',
        '{"v":1,"id":"","rooms":[],"data":{}}',
        '{"v":1,"id":"c","rooms":"lobby","data":{}}',
        '{"v":1,"id":"c","rooms":[1],"data":{}}',
        '{"v":1,"id":"c","rooms":[],"user":7,"data":{}}',
      ]
    ) {
      assert.equal(decodeSnapshot(text), undefined, text);
    }
    assert.deepEqual(decodeSnapshot('{"v":1,"id":"c","rooms":[]}'), {
      id: "c",
      rooms: [],
      data: {},
    });
  });
});

describe("SharedSessions", () => {
  test("a snapshot is kept under <namespace>:session:<token> for the window and taken once", async () => {
    const clock = new FakeClock();
    const hub = new MemoryHub({ clock });
    const keys: string[] = [];
    const storage = hub.backplane().sessions;
    const spy: SessionStorage = {
      set: (key, value, ttl) => {
        keys.push(`${key} ${ttl}`);
        return storage.set(key, value, ttl);
      },
      take: (key) => storage.take(key),
    };
    const shared = new SharedSessions(spy, {
      namespace: "chat",
      window: 5000,
      timeout: 1000,
      clock,
    });
    const snapshot = { id: "c1", rooms: ["lobby"], user: "ada", data: {} };
    await shared.set("tok", snapshot);
    assert.deepEqual(keys, ["chat:session:tok 5000"]);
    assert.deepEqual(await shared.take("tok"), snapshot);
    assert.equal(await shared.take("tok"), undefined, "one resume");
    await shared.set("tok", snapshot);
    clock.advance(5000);
    assert.equal(await shared.take("tok"), undefined, "expired");
  });

  test("data JSON cannot encode, a storage that fails or does not answer: a rejection naming why", async () => {
    const clock = new FakeClock();
    const silent: SessionStorage = {
      set: () => new Promise(() => {}),
      take: () => new Promise(() => {}),
    };
    const shared = new SharedSessions(silent, {
      namespace: "anyws",
      window: 5000,
      timeout: 300,
      clock,
    });
    await assert.rejects(
      shared.set("t", { id: "c1", rooms: [], data: { n: 1n } }),
      /The session of c1 was not kept: its data cannot be stored as JSON/,
    );
    const taking = shared.take("t");
    let failure: unknown;
    taking.catch((error) => failure = error);
    clock.advance(299);
    await settle();
    assert.equal(failure, undefined);
    clock.advance(1);
    await assert.rejects(
      taking,
      /did not answer within 300 ms \(taking a session\)/,
    );
    assert.equal(clock.pending, 0);
    const broken = new SharedSessions({
      set: () => Promise.reject(new Error("READONLY")),
      take: () => {
        throw new Error("thrown");
      },
    }, { namespace: "anyws", window: 5000, timeout: 300, clock });
    await assert.rejects(
      broken.set("t", { id: "c", rooms: [], data: {} }),
      /READONLY/,
    );
    await assert.rejects(broken.take("t"), /thrown/);
    assert.equal(clock.pending, 0, "no timer left behind");
  });
});

describe("the event-client marker", () => {
  test("is the anyws query parameter, whatever its value, and nothing else", () => {
    assert.equal(hasEventClientMarker("/?anyws=1"), true);
    assert.equal(hasEventClientMarker("/chat?room=a&anyws=2"), true);
    assert.equal(hasEventClientMarker("/chat?anyws"), true);
    assert.equal(hasEventClientMarker("/anyws?x=1"), false);
    assert.equal(hasEventClientMarker("/chat?room=anyws"), false);
    assert.equal(hasEventClientMarker("/chat?anywsx=1"), false);
    assert.equal(hasEventClientMarker("/chat#?anyws=1"), false);
    assert.equal(hasEventClientMarker("/chat"), false);
  });
});
