// Sessions and server-to-client requests on the memory engine, with a fake
// clock: the event client (src/client/event_client.ts) and hand-driven
// sockets against a real Server. A new session, a resume after a drop the
// server saw, a live takeover after a drop it did not see, expiry, unknown
// tokens, the rules for keeping or discarding a session, hostile hellos,
// requests both ways, and memory over many cycles.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "../../src/protocol/errors.ts";
import type { EventMap } from "../../src/driver/connection.ts";
import { Server } from "../../src/server/server.ts";
import { memoryEngine } from "../../engines/memory.ts";
import { FakeClock } from "../_fake_clock.ts";
import { isResumeToken } from "../../src/events/session_messages.ts";
import {
  DisconnectedError,
  RequestRejectedError,
  RequestTimeoutError,
  TooManyRequestsError,
} from "../../src/events/request_errors.ts";
import { encodeClientFrame, OP } from "../_clients.ts";
import {
  type LoggedServer,
  memoryClient,
  RawSession,
  startLoggedServer,
  until,
} from "../_sessions.ts";

/** The server's session counts are these. */
function assertSessions(
  target: LoggedServer,
  expected: { handshaking: number; live: number; suspended: number },
): void {
  assert.deepEqual(target.server.sessions, expected);
}

async function stop(target: LoggedServer): Promise<void> {
  const stopping = target.server.stop({ timeout: 100 });
  // The close timers run on the fake clock.
  for (let i = 0; i < 50; i++) {
    await target.clock.flow(100);
    if (target.server.connections.size === 0) break;
  }
  await stopping;
}

describe("sessions: beginning one", () => {
  test("the hello is answered with a new session first, then the application hears open with the same id", async () => {
    const target = await startLoggedServer();
    target.server.on("open", (_request, conn) => {
      conn.emit("welcome", { id: conn.id });
    });
    const raw = new RawSession(target);
    await until(() => raw.opened, "open");
    await until(() => target.server.sessions.handshaking === 1, "waiting");
    // Open for WebSocket traffic, not yet for the application.
    assert.equal(target.server.connections.size, 0);
    assert.deepEqual(target.log, []);

    raw.socket.send('{"event":"anyws:hello","data":{"version":1}}');
    const session = await raw.session();
    assert.equal(session.resumed, false);
    assert.equal(isResumeToken(session.token), true);
    await until(() => raw.received.length === 2, "welcome");
    assert.deepEqual(raw.received[0], {
      event: "anyws:session",
      data: session,
    });
    assert.deepEqual(raw.received[1], {
      event: "welcome",
      data: { id: session.id },
    });
    assert.deepEqual(target.log, [`open ${session.id}`]);
    assert.equal(target.server.connections.get(session.id)?.id, session.id);
    assertSessions(target, { handshaking: 0, live: 1, suspended: 0 });
    await stop(target);
  });

  test("a connection without the marker is an ordinary one: open at once, no hello expected", async () => {
    const target = await startLoggedServer();
    const raw = new RawSession(target, "/?room=anyws");
    await until(() => raw.opened && target.log.length === 1, "open");
    assert.match(target.log[0], /^open /);
    raw.socket.send('{"event":"anyws:hello","data":{"version":1}}');
    raw.socket.send('{"event":"add","data":[1,2],"id":1}');
    await until(() => raw.received.length === 1, "the answer");
    // The library's hello means nothing here: no session message.
    assert.deepEqual(raw.received, [{ ack: 1, data: 3 }]);
    assertSessions(target, { handshaking: 0, live: 0, suspended: 0 });
    // Its end keeps nothing: it had no session.
    raw.socket.drop();
    await until(() => target.server.connections.size === 0, "closed");
    assertSessions(target, { handshaking: 0, live: 0, suspended: 0 });
    await stop(target);
  });

  test("with sessions: false every hello begins a new session and nothing is kept", async () => {
    const target = await startLoggedServer({ sessions: false });
    const first = await RawSession.hello(target);
    const { id, token } = await first.session();
    first.socket.drop();
    await until(() => target.log.includes(`close ${id} 1006`), "close");
    assert.equal(target.server.sessions.suspended, 0);
    const second = await RawSession.hello(target, token);
    const again = await second.session();
    assert.equal(again.resumed, false);
    assert.notEqual(again.id, id);
    await stop(target);
  });
});

describe("sessions: resume", () => {
  test("after a drop the server saw, the client gets back its id, rooms, user and data; resume instead of open; joins before it", async () => {
    const target = await startLoggedServer();
    const { client, sockets, events } = memoryClient(target);
    await until(() => client.readyState === 1, "open");
    const id = client.id!;
    assert.deepEqual(await client.request("enter", "lobby"), ["lobby"]);
    const before = target.server.connections.get(id)!;

    sockets[0].drop();
    await until(() => target.log.includes(`close ${id} 1006`), "server close");
    await until(() => client.readyState === 0, "client notices");
    assert.equal(target.server.sessions.suspended, 1);
    assert.equal(target.server.room("lobby").size, 0);
    assert.equal(target.server.connections.size, 0);

    await target.clock.flow(100); // the client's backoff
    await until(() => client.readyState === 1, "reconnected");
    assert.deepEqual(target.log, [
      `open ${id}`,
      `join lobby ${id}`,
      `close ${id} 1006`,
      `leave lobby ${id}`,
      `join lobby ${id}`,
      `resume ${id}`,
    ]);
    assert.deepEqual(events, [`open ${id}`, "close 1006 true", `resume ${id}`]);
    const after = target.server.connections.get(id)!;
    assert.notEqual(after, before);
    assert.equal(after.id, id);
    assert.deepEqual([...after.rooms], ["lobby"]);
    assert.equal(after.user, "ada");
    assert.deepEqual(after.data, { nick: "ada" });
    assert.equal(target.server.user("ada").size, 1);
    assertSessions(target, { handshaking: 0, live: 1, suspended: 0 });
    // The new connection works, and the token changed.
    assert.equal(await client.request("add", [2, 3]), 5);
    client.close();
    await until(() => target.server.connections.size === 0, "closed");
    assert.equal(target.server.sessions.suspended, 0, "1000: discarded");
    await stop(target);
  });

  test("a live takeover: the server never saw the drop; the old connection closes before the new one resumes, never two open with one id", async () => {
    const target = await startLoggedServer();
    const atResume: string[] = [];
    target.server.on("resume", (_request, conn) => {
      atResume.push(
        `${target.server.connections.size} ${old?.readyState} ${
          target.server.connections.get(conn.id) === conn
        }`,
      );
    });
    const { client, sockets } = memoryClient(target);
    await until(() => client.readyState === 1, "open");
    const id = client.id!;
    await client.request("enter", "lobby");
    const old = target.server.connections.get(id);

    sockets[0].vanish();
    await until(() => client.readyState === 0, "client notices");
    assert.equal(target.server.connections.get(id), old, "still open here");
    await target.clock.flow(100);
    await until(() => client.readyState === 1, "reconnected");
    assert.deepEqual(target.log, [
      `open ${id}`,
      `join lobby ${id}`,
      `close ${id} 1006`,
      `leave lobby ${id}`,
      `join lobby ${id}`,
      `resume ${id}`,
    ]);
    assert.deepEqual(atResume, ["1 3 true"]);
    assert.equal(client.id, id);
    assert.deepEqual([...target.server.connections.get(id)!.rooms], ["lobby"]);
    await stop(target);
  });

  test("two hellos presenting one live token: one resumes it, the other begins a new session", async () => {
    const target = await startLoggedServer();
    const first = await RawSession.hello(target);
    const { id, token } = await first.session();
    const [a, b] = [new RawSession(target), new RawSession(target)];
    await until(() => a.opened && b.opened, "both open");
    a.socket.send(
      `{"event":"anyws:hello","data":{"version":1,"resume":"${token}"}}`,
    );
    b.socket.send(
      `{"event":"anyws:hello","data":{"version":1,"resume":"${token}"}}`,
    );
    const sessions = [await a.session(), await b.session()];
    assert.deepEqual(
      sessions.map((s) => s.resumed).sort(),
      [false, true],
    );
    assert.equal(sessions.find((s) => s.resumed)!.id, id);
    assert.notEqual(sessions.find((s) => !s.resumed)!.id, id);
    assert.equal((await first.whenClosed()).code, 1006);
    assert.equal(target.server.connections.size, 2);
    await stop(target);
  });

  test("a keepalive timeout (1011) suspends the session", async () => {
    const target = await startLoggedServer({
      pingInterval: 1000,
      idleTimeout: 3000,
    });
    const raw = await RawSession.hello(target);
    const { id, token } = await raw.session();
    raw.socket.vanish(); // no pongs any more
    await target.clock.flow(5000);
    await until(() => target.log.includes(`close ${id} 1011`), "keepalive");
    assert.equal(target.server.sessions.suspended, 1);
    const back = await RawSession.hello(target, token);
    assert.deepEqual(await back.session(), {
      ...(await back.session()),
      id,
      resumed: true,
    });
    await stop(target);
  });
});

describe("sessions: when nothing is resumed", () => {
  test("an expired token begins a new session; the snapshot is dropped when the window passes", async () => {
    const target = await startLoggedServer({ sessions: { window: 1000 } });
    const raw = await RawSession.hello(target);
    const { id, token } = await raw.session();
    raw.socket.drop();
    await until(() => target.log.includes(`close ${id} 1006`), "close");
    assert.equal(target.server.sessions.suspended, 1);
    await target.clock.flow(999);
    assert.equal(target.server.sessions.suspended, 1);
    await target.clock.flow(1);
    assert.equal(target.server.sessions.suspended, 0, "the sweep ran");
    const late = await RawSession.hello(target, token);
    const session = await late.session();
    assert.equal(session.resumed, false);
    assert.notEqual(session.id, id);
    assert.equal(target.log.at(-1), `open ${session.id}`);
    await stop(target);
  });

  test("an unknown, malformed or oversized token begins a new session", async () => {
    const target = await startLoggedServer();
    for (const token of ["AAAA", "x".repeat(200), "not a token!"]) {
      const raw = new RawSession(target);
      await until(() => raw.opened, "open");
      raw.socket.send(JSON.stringify({
        event: "anyws:hello",
        data: { version: 1, resume: token },
      }));
      const session = await raw.session();
      assert.equal(session.resumed, false, token);
    }
    await stop(target);
  });

  test("a close with 1000 or 1001 from the client discards the session", async () => {
    const target = await startLoggedServer();
    for (const code of [1000, 1001]) {
      const raw = await RawSession.hello(target);
      const { id, token } = await raw.session();
      raw.socket.close(code);
      await until(() => target.log.includes(`close ${id} ${code}`), "close");
      const again = await RawSession.hello(target, token);
      assert.equal((await again.session()).resumed, false, String(code));
    }
    assert.equal(target.server.sessions.suspended, 0);
    await stop(target);
  });

  test("a close on purpose by the server (conn.close, conn.terminate, stop) discards the session", async () => {
    const target = await startLoggedServer();
    for (const how of ["close", "terminate"] as const) {
      const raw = await RawSession.hello(target);
      const { id, token } = await raw.session();
      const conn = target.server.connections.get(id)!;
      if (how === "close") conn.close(4000, "bye");
      else conn.terminate();
      await until(
        () => target.log.some((l) => l.startsWith(`close ${id}`)),
        how,
      );
      assert.equal(target.server.sessions.suspended, 0, how);
      const again = await RawSession.hello(target, token);
      assert.equal((await again.session()).resumed, false, how);
    }
    const raw = await RawSession.hello(target);
    const { token } = await raw.session();
    await stop(target);
    assert.equal(target.server.sessions.suspended, 0);
    await target.server.listen();
    target.url = `ws://127.0.0.1:${target.server.port}/`;
    const after = await RawSession.hello(target, token);
    assert.equal((await after.session()).resumed, false, "after stop()");
    await stop(target);
  });
});

describe("sessions: hostile hellos", () => {
  const cases: Array<[string, (raw: RawSession) => void, RegExp]> = [
    ["garbage", (raw) => raw.socket.send("hello?"), /must be anyws:hello/],
    [
      "binary",
      (raw) => raw.socket.send(new Uint8Array([1, 2, 3])),
      /not binary/,
    ],
    [
      "an event before the hello",
      (raw) => raw.socket.send('{"event":"add","data":[1,2],"id":1}'),
      /must be anyws:hello/,
    ],
    [
      "a hello without a version",
      (raw) => raw.socket.send('{"event":"anyws:hello","data":{}}'),
      /Malformed anyws:hello/,
    ],
    [
      "a wrong version",
      (raw) => raw.socket.send('{"event":"anyws:hello","data":{"version":2}}'),
      /^Unsupported event protocol version 2 \(this server speaks 1\)$/,
    ],
    [
      "a hello over maxJsonSize",
      (raw) =>
        raw.socket.send(JSON.stringify({
          event: "anyws:hello",
          data: { version: 1, padding: "x".repeat(2000) },
        })),
      /must be anyws:hello/,
    ],
    [
      "two hellos at once",
      (raw) => {
        const hello = '{"event":"anyws:hello","data":{"version":1}}';
        raw.socket.writeRaw(
          new Uint8Array([
            ...encodeClientFrame(OP.Text, hello),
            ...encodeClientFrame(OP.Text, hello),
          ]),
        );
      },
      /^anyws:hello sent twice$/,
    ],
  ];
  for (const [name, send, reason] of cases) {
    test(`${name}: close 1008 with a reason`, async () => {
      const target = await startLoggedServer({ maxJsonSize: 1024 });
      const raw = new RawSession(target);
      await until(() => raw.opened, "open");
      send(raw);
      const closed = await raw.whenClosed();
      assert.equal(closed.code, 1008);
      assert.match(closed.reason, reason);
      const seen = target.log.filter((line) => !line.startsWith("error "));
      if (name === "two hellos at once") {
        // The first hello began a session: the application saw it.
        assert.match(seen[0], /^open /);
        assert.match(seen[1], /^close .* 1008$/);
      } else {
        assert.deepEqual(seen, [], "no open, no close");
      }
      assert.ok(target.log.some((line) => line.startsWith("error ")));
      assertSessions(target, { handshaking: 0, live: 0, suspended: 0 });
      await stop(target);
    });
  }

  test("a message between the hello and the session message: close 1008", async () => {
    const target = await startLoggedServer();
    const first = await RawSession.hello(target);
    const { token } = await first.session();
    first.socket.vanish(); // live: its resume waits for a takeover
    const raw = new RawSession(target);
    await until(() => raw.opened, "open");
    raw.socket.writeRaw(
      new Uint8Array([
        ...encodeClientFrame(
          OP.Text,
          `{"event":"anyws:hello","data":{"version":1,"resume":"${token}"}}`,
        ),
        ...encodeClientFrame(OP.Text, '{"event":"add","data":[1,2]}'),
      ]),
    );
    const closed = await raw.whenClosed();
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, "Nothing may be sent before anyws:session");
    await stop(target);
  });

  test("no hello within handshakeTimeout: close 1008", async () => {
    const target = await startLoggedServer({ handshakeTimeout: 2000 });
    const raw = new RawSession(target);
    await until(() => raw.opened, "open");
    await target.clock.flow(1999);
    assert.equal(raw.closed, undefined);
    await target.clock.flow(1);
    const closed = await raw.whenClosed();
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, "No anyws:hello within 2000 ms");
    assert.deepEqual(target.log, ["error No anyws:hello within 2000 ms"]);
    await stop(target);
  });

  test("library events go to no handler, not even message; server.on refuses their names", async () => {
    const target = await startLoggedServer();
    const messages: unknown[] = [];
    target.server.on("message", (data) => {
      messages.push(data);
    });
    assert.throws(
      () => target.server.on("anyws:hello", () => {}),
      (error: unknown) =>
        error instanceof UsageError && /reserved/.test(error.message),
    );
    const raw = await RawSession.hello(target);
    await raw.session();
    raw.socket.send('{"event":"anyws:later","data":1}');
    raw.socket.send('{"event":"add","data":[1,1],"id":9}');
    await until(() => raw.received.length === 2, "the answer");
    assert.deepEqual(raw.received[1], { ack: 9, data: 2 });
    assert.deepEqual(messages, []);
    assert.equal(raw.closed, undefined);
    await stop(target);
  });
});

describe("requests both ways", () => {
  test("conn.ask resolves with the client's answer; an error answer, a timeout and a closed connection reject", async () => {
    const target = await startLoggedServer();
    const { client, sockets } = memoryClient(target, { reconnect: false });
    client.on("confirm", (data) => `yes to ${(data as { q: string }).q}`);
    client.on("fail", () => {
      throw new Error("client says no");
    });
    client.on("slow", () => new Promise(() => {}));
    await until(() => client.readyState === 1, "open");
    const conn = target.server.connections.get(client.id!)!;

    assert.equal(await conn.ask("confirm", { q: "delete" }), "yes to delete");
    await assert.rejects(conn.ask("fail"), (error: unknown) => {
      assert.ok(error instanceof RequestRejectedError);
      assert.equal(error.message, "client says no");
      assert.equal(error.event, "fail");
      return true;
    });
    await assert.rejects(conn.ask("nobody"), /No handler for "nobody"/);

    const late = conn.ask("slow", undefined, { timeout: 500 });
    await target.clock.flow(499);
    await target.clock.flow(1);
    await assert.rejects(late, (error: unknown) => {
      assert.ok(error instanceof RequestTimeoutError);
      assert.equal(error.timeout, 500);
      return true;
    });
    await assert.rejects(
      conn.ask("anyws:session"),
      (error: unknown) => error instanceof UsageError,
    );

    const cut = conn.ask("slow");
    sockets[0].drop();
    await assert.rejects(cut, (error: unknown) => {
      assert.ok(error instanceof DisconnectedError);
      assert.match(error.message, /the connection closed \(code 1006\)/);
      return true;
    });
    await assert.rejects(
      conn.ask("confirm", { q: "again" }),
      DisconnectedError,
    );
    await stop(target);
  });

  test("answers are typed by the server's fourth type parameter", async () => {
    interface Out extends EventMap {
      confirm: { q: string };
    }
    interface Answers extends EventMap {
      confirm: boolean;
    }
    const clock = new FakeClock();
    const engine = memoryEngine({ clock });
    const server = new Server<Record<string, unknown>, EventMap, Out, Answers>(
      engine,
      { hostname: "127.0.0.1", port: 0 },
    );
    const answers: boolean[] = [];
    server.on("open", async (_request, conn) => {
      // The answer's type is Answers["confirm"]: no cast.
      const yes: boolean = await conn.ask("confirm", { q: "sure?" });
      answers.push(yes);
    });
    await server.listen();
    const { client } = memoryClient({
      server: server as unknown as Server,
      engine,
      clock,
      log: [],
      url: `ws://127.0.0.1:${server.port}/`,
    });
    client.on("confirm", (data) => (data as { q: string }).q === "sure?");
    await until(() => answers.length === 1, "the typed answer");
    assert.deepEqual(answers, [true]);
    client.close();
    await until(() => server.connections.size === 0, "closed");
    await server.stop({ timeout: 100 });
  });

  test("past 1024 waiting requests on one connection the next rejects with TooManyRequestsError", async () => {
    const target = await startLoggedServer();
    const { client } = memoryClient(target, { reconnect: false });
    client.on("slow", () => new Promise(() => {}));
    await until(() => client.readyState === 1, "open");
    const conn = target.server.connections.get(client.id!)!;
    const waiting = Array.from({ length: 1024 }, () => conn.ask("slow"));
    for (const request of waiting) request.catch(() => {});
    await assert.rejects(conn.ask("slow"), TooManyRequestsError);
    client.close();
    const outcomes = await Promise.allSettled(waiting);
    assert.ok(
      outcomes.every((o) =>
        o.status === "rejected" && o.reason instanceof DisconnectedError
      ),
    );
    await stop(target);
  });

  test("a late answer from an event client goes to no handler; from another client it is a message", async () => {
    const target = await startLoggedServer();
    const messages: string[] = [];
    target.server.on("message", (data) => {
      messages.push(String(data));
    });
    const raw = await RawSession.hello(target);
    const { id } = await raw.session();
    raw.socket.send('{"ack":77,"data":"too late"}');
    const plain = new RawSession(target, "/");
    await until(() => plain.opened, "plain open");
    plain.socket.send('{"ack":77,"data":"mine"}');
    await until(() => messages.length === 1, "message");
    assert.deepEqual(messages, ['{"ack":77,"data":"mine"}']);
    assert.ok(target.server.connections.get(id));
    await stop(target);
  });
});

describe("sessions: memory", () => {
  test("10,000 begin/suspend/resume/discard cycles leave no session, token, timer or request behind", async () => {
    const target = await startLoggedServer({
      sessions: { window: 60_000, maxSessions: 100 },
    });
    // 100 clients at a time, 100 rounds: each client begins a session,
    // then drops (suspended, resumed in the next round) or closes with
    // 1000 (discarded); every third is asked something that times out.
    const CLIENTS = 100;
    const ROUNDS = 100;
    const CYCLES = CLIENTS * ROUNDS;
    const tokens: Array<string | undefined> = Array.from(
      { length: CLIENTS },
      () => undefined,
    );
    let resumed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const raws = await Promise.all(
        tokens.map((token) => RawSession.hello(target, token)),
      );
      const sessions = await Promise.all(raws.map((raw) => raw.session()));
      sessions.forEach((session, i) => {
        if (session.resumed) resumed++;
        const conn = target.server.connections.get(session.id)!;
        if ((round + i) % 3 === 0) {
          conn.ask("anything", i, { timeout: 10 }).catch(() => {});
        }
        if ((round + i) % 2 === 0) {
          tokens[i] = session.token;
          raws[i].socket.drop();
        } else {
          tokens[i] = undefined;
          raws[i].socket.close(1000);
        }
      });
      await until(() => target.server.connections.size === 0, "closed");
      await target.clock.flow(10);
    }
    // Every drop but the last round's was resumed in the next round.
    assert.equal(resumed, (ROUNDS - 1) * CLIENTS / 2);
    assert.equal(CYCLES, 10_000);
    assert.ok(target.server.sessions.suspended <= 100);
    await target.clock.flow(60_000);
    assertSessions(target, { handshaking: 0, live: 0, suspended: 0 });
    assert.deepEqual(target.clock.timers(), []);
    await stop(target);
  });
});
