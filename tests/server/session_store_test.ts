// The server's helpers for event clients: the resume-session store (tokens,
// expiry on a fake clock, bounds) and the tracking of the server's requests
// to clients.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type SessionSnapshot,
  SessionStore,
} from "../../src/server/session_store.ts";
import { ClientRequests } from "../../src/server/client_requests.ts";
import { isResumeToken } from "../../src/events/session_messages.ts";
import {
  DisconnectedError,
  RequestRejectedError,
  RequestTimeoutError,
} from "../../src/events/request_errors.ts";
import { FakeClock } from "../_fake_clock.ts";

function snapshot(id: string): SessionSnapshot {
  return { id, rooms: ["lobby", "dev"], user: "ada", data: { nick: "ada" } };
}

describe("SessionStore", () => {
  test("a suspended session resumes once with its id, rooms, user and data", () => {
    const store = new SessionStore({ clock: new FakeClock() });
    const token = store.open("c1");
    assert.deepEqual(store.resume(token), { status: "live", id: "c1" });
    assert.equal(store.suspend(token, snapshot("c1")), true);
    assert.equal(store.liveCount, 0);
    assert.equal(store.suspendedCount, 1);
    assert.deepEqual(store.resume(token), {
      status: "resumed",
      session: snapshot("c1"),
    });
    assert.deepEqual(store.resume(token), { status: "unknown" });
  });

  test("a session expires exactly at the end of the window", () => {
    const clock = new FakeClock();
    const store = new SessionStore({ window: 1000, clock });
    const early = store.open("a");
    const late = store.open("b");
    store.suspend(early, snapshot("a"));
    store.suspend(late, snapshot("b"));
    clock.advance(999);
    assert.equal(store.resume(early).status, "resumed");
    clock.advance(1);
    assert.deepEqual(store.resume(late), { status: "unknown" });
    assert.equal(store.suspendedCount, 0);
  });

  test("the default window is two minutes", () => {
    const clock = new FakeClock();
    const store = new SessionStore({ clock });
    assert.equal(store.window, 120_000);
    const token = store.open("a");
    store.suspend(token, snapshot("a"));
    clock.advance(119_999);
    assert.equal(store.suspendedCount, 1);
    clock.advance(1);
    assert.equal(store.suspendedCount, 0);
  });

  test("past maxSessions the oldest suspended session is dropped", () => {
    const store = new SessionStore({ maxSessions: 2, clock: new FakeClock() });
    const tokens = ["a", "b", "c"].map((id) => {
      const token = store.open(id);
      store.suspend(token, snapshot(id));
      return token;
    });
    assert.equal(store.suspendedCount, 2);
    assert.deepEqual(store.resume(tokens[0]), { status: "unknown" });
    assert.equal(store.resume(tokens[1]).status, "resumed");
    assert.equal(store.resume(tokens[2]).status, "resumed");
  });

  test("discard forgets a token live or suspended; unknown tokens cannot be suspended", () => {
    const store = new SessionStore({ clock: new FakeClock() });
    const live = store.open("a");
    store.discard(live);
    assert.equal(store.suspend(live, snapshot("a")), false);
    const suspended = store.open("b");
    store.suspend(suspended, snapshot("b"));
    store.discard(suspended);
    assert.deepEqual(store.resume(suspended), { status: "unknown" });
    assert.equal(store.suspend("never-issued", snapshot("c")), false);
  });

  test("tokens are 256 random bits as 43 base64url characters, all different", () => {
    const store = new SessionStore({ clock: new FakeClock() });
    const tokens = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const token = store.open(`c${i}`);
      assert.equal(token.length, 43);
      assert.ok(isResumeToken(token), token);
      tokens.add(token);
    }
    assert.equal(tokens.size, 500);
  });

  test("tokens encode the random bytes exactly (base64url, no padding)", () => {
    const store = new SessionStore({
      randomBytes: (bytes) => bytes.fill(0xfb),
    });
    // 0xfb 0xfb 0xfb -> 111110 111111 101111 111011 -> "-_v7"
    const token = store.open("c");
    assert.equal(token.slice(0, 4), "-_v7");
    assert.equal(token, "-_v7".repeat(10) + "-_s");
  });

  test("one timer drops each suspended session when its window passes, and clear() stops it", () => {
    const clock = new FakeClock();
    const store = new SessionStore({ window: 1000, clock });
    store.suspend(store.open("a"), snapshot("a"));
    clock.advance(400);
    store.suspend(store.open("b"), snapshot("b"));
    assert.equal(clock.pending, 1, "one timer for the store");
    clock.advance(600); // a expires
    assert.equal(store.suspendedCount, 1);
    assert.equal(clock.pending, 1, "re-armed for b");
    clock.advance(400); // b expires
    assert.equal(store.suspendedCount, 0);
    assert.equal(clock.pending, 0);
    store.suspend(store.open("c"), snapshot("c"));
    store.clear();
    assert.equal(store.suspendedCount, 0);
    assert.equal(store.liveCount, 0);
    assert.equal(clock.pending, 0);
  });

  test("holder names the live token's connection; hold keeps a session for a new window, not for a live token", () => {
    const clock = new FakeClock();
    const store = new SessionStore({ window: 1000, clock });
    const token = store.open("c1");
    assert.equal(store.holder(token), "c1");
    assert.equal(store.hold(token, snapshot("c1")), false, "live");
    assert.equal(store.suspend(token, snapshot("c1")), true);
    assert.equal(store.holder(token), undefined);
    clock.advance(900);
    const taken = store.resume(token);
    assert.equal(taken.status, "resumed");
    // Its new connection went away before it was restored: back it goes.
    assert.equal(store.hold(token, snapshot("c1")), true);
    clock.advance(999);
    assert.equal(store.resume(token).status, "resumed", "a new window");
    const none = new SessionStore({ maxSessions: 0, clock });
    assert.equal(none.hold("t", snapshot("x")), false);
  });

  test("bad options are refused", () => {
    assert.throws(() => new SessionStore({ window: 0 }), RangeError);
    assert.throws(() => new SessionStore({ maxSessions: -1 }), RangeError);
  });
});

describe("ClientRequests", () => {
  test("sends the request as {event, data, id} and resolves with the client's answer", async () => {
    const requests = new ClientRequests<object>({ clock: new FakeClock() });
    const conn = {};
    const sent: string[] = [];
    const answer = requests.request(
      conn,
      (text) => sent.push(text) > 0,
      "confirm",
      { text: "Delete?" },
    );
    assert.deepEqual(sent, [
      '{"event":"confirm","data":{"text":"Delete?"},"id":1}',
    ]);
    assert.equal(requests.pending(conn), 1);
    assert.equal(requests.settle(conn, { id: 1, data: true }), true);
    assert.equal(await answer, true);
    assert.equal(requests.settle({}, { id: 1, data: true }), false);
  });

  test("ids are per connection", () => {
    const requests = new ClientRequests<object>({ clock: new FakeClock() });
    const sent: string[] = [];
    const send = (text: string) => sent.push(text) > 0;
    requests.request({}, send, "a").catch(() => {});
    requests.request({}, send, "b").catch(() => {});
    assert.deepEqual(sent.map((text) => JSON.parse(text).id), [1, 1]);
  });

  test("an error answer, a timeout, a closed connection and an unsendable request reject", async () => {
    const clock = new FakeClock();
    const requests = new ClientRequests<object>({ clock, timeout: 100 });
    const conn = {};
    const send = () => true;
    const rejected = requests.request(conn, send, "a");
    requests.settle(conn, { id: 1, error: { message: "No handler" } });
    await assert.rejects(rejected, RequestRejectedError);
    const slow = requests.request(conn, send, "b");
    clock.advance(100);
    await assert.rejects(slow, RequestTimeoutError);
    const dropped = requests.request(conn, send, "c");
    assert.equal(requests.closed(conn, 1006), 1);
    await assert.rejects(dropped, (error: unknown) => {
      assert.ok(error instanceof DisconnectedError);
      assert.equal(
        error.message,
        'No answer to "c": the connection closed (code 1006)',
      );
      return true;
    });
    await assert.rejects(
      requests.request(conn, () => false, "d"),
      /the connection is not open/,
    );
    await assert.rejects(requests.request(conn, send, "e", 1n), TypeError);
    assert.equal(requests.pending(conn), 0);
  });

  test("a connection holds a tracker only while requests wait", async () => {
    const clock = new FakeClock();
    const requests = new ClientRequests<object>({ clock, timeout: 100 });
    const [a, b, c] = [{}, {}, {}];
    const answered = requests.request(a, () => true, "x");
    const timedOut = requests.request(b, () => true, "y");
    const closed = requests.request(c, () => true, "z");
    assert.equal(requests.connections, 3);
    assert.equal(requests.has(a), true);
    requests.settle(a, { id: 1, data: 1 });
    await answered;
    requests.closed(c, 1001);
    await assert.rejects(closed, DisconnectedError);
    clock.advance(100);
    await assert.rejects(timedOut, RequestTimeoutError);
    assert.equal(requests.connections, 0);
    assert.equal(requests.has(a), false);
  });

  test("the per-connection bound rejects the request over it", async () => {
    const requests = new ClientRequests<object>({
      clock: new FakeClock(),
      maxPending: 1,
    });
    const conn = {};
    requests.request(conn, () => true, "a").catch(() => {});
    await assert.rejects(requests.request(conn, () => true, "b"), /limit 1/);
  });
});
