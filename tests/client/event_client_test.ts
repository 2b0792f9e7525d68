// The event client over a scripted socket and a fake clock: the session
// handshake, events and requests both ways, reconnect decisions and timing,
// the queue, resume, and close. No real sockets, no real sleeps.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { EventClient } from "../../src/client/event_client.ts";
import type { EventClientOptions } from "../../src/client/event_client_options.ts";
import type {
  ClientCloseInfo,
  ReconnectingInfo,
} from "../../src/client/client_events.ts";
import { QueueFullError } from "../../src/client/send_queue.ts";
import {
  DisconnectedError,
  RequestRejectedError,
  RequestTimeoutError,
  TooManyRequestsError,
} from "../../src/events/request_errors.ts";
import { UsageError } from "../../src/protocol/errors.ts";
import { FakeClock } from "../_fake_clock.ts";
import { FakeNetwork, type FakeSocket, settle } from "../_fake_socket.ts";

const URL_ = "ws://example.test/chat";

interface Harness {
  client: EventClient;
  clock: FakeClock;
  net: FakeNetwork;
  log: string[];
  errors: Error[];
}

/** A client on a fake network and clock; `random` 0.5 makes delays exact. */
async function harness(options: EventClientOptions = {}): Promise<Harness> {
  const clock = new FakeClock();
  const net = new FakeNetwork();
  const client = new EventClient(URL_, {
    socket: net.factory,
    clock,
    random: () => 0.5,
    ...options,
  });
  const log: string[] = [];
  const errors: Error[] = [];
  client.on("open", ({ id }) => log.push(`open ${id}`));
  client.on("resume", ({ id }) => log.push(`resume ${id}`));
  client.on(
    "close",
    (info) => log.push(`close ${info.code} ${info.reconnecting}`),
  );
  client.on(
    "reconnecting",
    (info) => log.push(`reconnecting ${info.attempt} ${info.delay}`),
  );
  client.on(
    "reconnected",
    (info) => log.push(`reconnected ${info.attempt} ${info.resumed}`),
  );
  client.on("error", (error) => errors.push(error));
  await settle();
  return { client, clock, net, log, errors };
}

/** Opens the latest socket and answers the hello with a session. */
function accept(
  socket: FakeSocket,
  id = "c1",
  token = "tok1",
  resumed = false,
): void {
  socket.open();
  socket.session(id, token, resumed);
}

function texts(socket: FakeSocket): unknown[] {
  return socket.sentJson();
}

describe("connecting", () => {
  test("marks the URL, sends the hello first, and opens on the session message", async () => {
    const { client, net, log } = await harness({ protocols: "chat.v1" });
    assert.equal(net.sockets.length, 1);
    assert.equal(net.latest.url, "ws://example.test/chat?anyws=1");
    assert.deepEqual(net.latest.protocols, ["chat.v1"]);
    assert.equal(net.latest.binaryType, "arraybuffer");
    assert.equal(client.readyState, 0);
    net.latest.open();
    assert.deepEqual(texts(net.latest), [{
      event: "anyws:hello",
      data: { version: 1 },
    }]);
    assert.equal(client.readyState, 0);
    assert.deepEqual(log, []);
    net.latest.session("c1", "tok1");
    assert.equal(client.readyState, 1);
    assert.equal(client.id, "c1");
    assert.deepEqual(log, ["open c1"]);
  });

  test("with session: false there is no marker, no hello, and open comes with the socket", async () => {
    const { client, net, log } = await harness({ session: false });
    assert.equal(net.latest.url, URL_);
    net.latest.open();
    assert.deepEqual(net.latest.sent, []);
    assert.deepEqual(log, ["open undefined"]);
    assert.equal(client.id, undefined);
  });

  test("what is sent before the session waits and then goes out in order", async () => {
    const { client, net } = await harness();
    client.emit("a", 1);
    client.send("raw");
    net.latest.open();
    client.emit("b", 2);
    assert.equal(client.queuedMessages, 3);
    net.latest.session("c1", "tok1");
    assert.deepEqual(net.latest.sent, [
      '{"event":"anyws:hello","data":{"version":1}}',
      '{"event":"a","data":1}',
      "raw",
      '{"event":"b","data":2}',
    ]);
    assert.equal(client.queuedMessages, 0);
  });

  test("a URL that cannot be a WebSocket URL throws UsageError; http(s) maps to ws(s)", async () => {
    const net = new FakeNetwork();
    assert.throws(
      () => new EventClient("ftp://x", { socket: net.factory }),
      UsageError,
    );
    assert.throws(
      () => new EventClient("not a url", { socket: net.factory }),
      UsageError,
    );
    assert.throws(
      () => new EventClient("ws://x/#frag", { socket: net.factory }),
      UsageError,
    );
    const client = new EventClient("https://x/a?b=1", {
      socket: net.factory,
      session: false,
    });
    await settle();
    assert.equal(net.latest.url, "wss://x/a?b=1");
    client.close();
  });

  test("library names cannot be listened to or emitted", async () => {
    const { client } = await harness();
    assert.throws(() => client.on("anyws:session", () => {}), UsageError);
    assert.throws(() => client.emit("anyws:hello", {}), UsageError);
    await assert.rejects(client.request("anyws:x"), UsageError);
  });
});

describe("receiving", () => {
  test("events go to their handlers, everything else to message", async () => {
    const { client, net } = await harness();
    accept(net.latest);
    const seen: unknown[] = [];
    client.on("said", (data) => seen.push(["said", data]));
    client.on("message", (data) => seen.push(["message", data]));
    net.latest.receive('{"event":"said","data":{"text":"hi"}}');
    net.latest.receive('{"event":"unheard","data":1}');
    net.latest.receive("plain text");
    net.latest.receive('{"event":"open","data":1}'); // never the client's own open
    net.latest.receive(new Uint8Array([1, 2]).buffer);
    assert.deepEqual(seen, [
      ["said", { text: "hi" }],
      ["message", '{"event":"unheard","data":1}'],
      ["message", "plain text"],
      ["message", '{"event":"open","data":1}'],
      ["message", new Uint8Array([1, 2])],
    ]);
  });

  test("a message over the JSON limits is reported and dropped", async () => {
    const { client, net, errors } = await harness({
      limits: { maxJsonDepth: 2 },
    });
    accept(net.latest);
    const seen: unknown[] = [];
    client.on("deep", (data) => seen.push(data));
    client.on("message", (data) => seen.push(data));
    net.latest.receive('{"event":"deep","data":{"a":{"b":1}}}');
    assert.deepEqual(seen, []);
    assert.match(errors[0].message, /too deep: over 2 levels/);
  });

  test("unknown library messages are ignored; a malformed session is reported", async () => {
    const { client, net, errors } = await harness();
    accept(net.latest);
    const seen: unknown[] = [];
    client.on("message", (data) => seen.push(data));
    net.latest.receive('{"event":"anyws:future","data":1}');
    net.latest.receive('{"event":"anyws:session","data":{"id":5}}');
    assert.deepEqual(seen, []);
    assert.match(errors[0].message, /Malformed anyws:session/);
  });

  test("a handler that throws is reported and the other handlers still run", async () => {
    const { client, net, errors } = await harness();
    accept(net.latest);
    const seen: unknown[] = [];
    client.on("e", () => {
      throw new Error("boom");
    });
    client.on("e", (data) => seen.push(data));
    net.latest.receive('{"event":"e","data":1}');
    assert.deepEqual(seen, [1]);
    assert.equal(errors[0].message, "boom");
  });
});

describe("requests from the client", () => {
  test("resolve with the server's answer", async () => {
    const { client, net } = await harness();
    accept(net.latest);
    const answer = client.request("add", [1, 2]);
    assert.deepEqual(texts(net.latest).at(-1), {
      event: "add",
      data: [1, 2],
      id: 1,
    });
    net.latest.receive('{"ack":1,"data":3}');
    assert.equal(await answer, 3);
  });

  test("reject with RequestRejectedError on an error answer", async () => {
    const { client, net } = await harness();
    accept(net.latest);
    const answer = client.request("save", {});
    net.latest.receive(
      '{"ack":1,"error":{"message":"Invalid","issues":[{"message":"x"}]}}',
    );
    await assert.rejects(answer, (error: unknown) => {
      assert.ok(error instanceof RequestRejectedError);
      assert.deepEqual(error.issues, [{ message: "x" }]);
      return true;
    });
  });

  test("reject with RequestTimeoutError after the timeout (default 10 s); a late answer is ignored", async () => {
    const { client, clock, net } = await harness();
    accept(net.latest);
    const quick = client.request("a", null, { timeout: 50 });
    const slow = client.request("b");
    clock.advance(50);
    await assert.rejects(quick, RequestTimeoutError);
    clock.advance(9949);
    net.latest.receive('{"ack":1,"data":"late"}');
    clock.advance(1);
    await assert.rejects(slow, /No answer to "b" within 10000 ms/);
  });

  test("one sent on a connection that drops rejects with DisconnectedError; one still queued is sent after the reconnect", async () => {
    const { client, clock, net } = await harness();
    accept(net.latest);
    const inFlight = client.request("a");
    net.latest.drop();
    const queued = client.request("b");
    await assert.rejects(inFlight, (error: unknown) => {
      assert.ok(error instanceof DisconnectedError);
      assert.equal(
        error.message,
        'No answer to "a": the connection closed (code 1006)',
      );
      return true;
    });
    clock.advance(1000);
    accept(net.latest, "c1", "tok2", true);
    assert.deepEqual(texts(net.latest).at(-1), { event: "b", id: 2 });
    net.latest.receive('{"ack":2,"data":"ok"}');
    assert.equal(await queued, "ok");
  });

  test("a request that timed out in the queue is not sent any more", async () => {
    const { client, clock, net } = await harness();
    const stale = client.request("stale", null, { timeout: 100 });
    clock.advance(100);
    await assert.rejects(stale, RequestTimeoutError);
    client.emit("fresh");
    accept(net.latest);
    assert.deepEqual(texts(net.latest).slice(1), [{ event: "fresh" }]);
  });

  test("over maxPendingRequests the request rejects with TooManyRequestsError", async () => {
    const { client, net } = await harness({ maxPendingRequests: 1 });
    accept(net.latest);
    client.request("a").catch(() => {});
    await assert.rejects(client.request("b"), TooManyRequestsError);
  });

  test("data JSON cannot encode rejects (request) or throws (emit), sending nothing", async () => {
    const { client, net } = await harness();
    accept(net.latest);
    await assert.rejects(client.request("a", 1n as unknown), TypeError);
    assert.throws(() => client.emit("a", 1n as unknown), TypeError);
    assert.equal(net.latest.sent.length, 1); // the hello
  });
});

describe("requests from the server", () => {
  test("the handler's value is the answer, sync or async", async () => {
    const { client, net } = await harness();
    accept(net.latest);
    client.on("double", (n) => (n as number) * 2);
    client.on("later", async (n) => {
      await Promise.resolve();
      return `got ${n}`;
    });
    client.on("nothing", () => {});
    net.latest.receive('{"event":"double","data":21,"id":"s1"}');
    net.latest.receive('{"event":"later","data":1,"id":2}');
    net.latest.receive('{"event":"nothing","id":3}');
    await settle();
    assert.deepEqual(texts(net.latest).slice(1), [
      { ack: "s1", data: 42 },
      { ack: 3, data: null },
      { ack: 2, data: "got 1" },
    ]);
  });

  test("only the last handler answers", async () => {
    const { client, net } = await harness();
    accept(net.latest);
    client.on("q", () => "first");
    client.on("q", () => "last");
    net.latest.receive('{"event":"q","id":1}');
    assert.deepEqual(texts(net.latest).slice(1), [{ ack: 1, data: "last" }]);
  });

  test("a handler that throws or rejects answers with its error message (and issues)", async () => {
    const { client, net, errors } = await harness();
    accept(net.latest);
    client.on("bad", () => {
      throw Object.assign(new Error("Invalid"), { issues: [{ message: "x" }] });
    });
    client.on("worse", () => Promise.reject(new Error("Nope")));
    net.latest.receive('{"event":"bad","id":1}');
    net.latest.receive('{"event":"worse","id":2}');
    await settle();
    assert.deepEqual(texts(net.latest).slice(1), [
      { ack: 1, error: { message: "Invalid", issues: [{ message: "x" }] } },
      { ack: 2, error: { message: "Nope" } },
    ]);
    assert.equal(errors.length, 2);
  });

  test("a request without a handler is answered with an error at once", async () => {
    const { net } = await harness();
    accept(net.latest);
    net.latest.receive('{"event":"confirm","data":1,"id":9}');
    assert.deepEqual(texts(net.latest).at(-1), {
      ack: 9,
      error: { message: 'No handler for "confirm" on the client' },
    });
  });

  test("an answer ready after its connection dropped is not sent on the next one", async () => {
    const { client, clock, net } = await harness();
    accept(net.latest);
    let release!: (value: string) => void;
    client.on(
      "slow",
      () => new Promise<string>((resolve) => (release = resolve)),
    );
    net.latest.receive('{"event":"slow","id":1}');
    const first = net.latest;
    first.drop();
    clock.advance(1000);
    accept(net.latest, "c1", "tok2", true);
    release("done");
    await settle();
    assert.deepEqual(texts(net.latest), [{
      event: "anyws:hello",
      data: { version: 1, resume: "tok1" },
    }]);
    assert.equal(first.sent.length, 1);
  });
});

describe("reconnecting", () => {
  test("after a drop: close, reconnecting with the backoff delay, a new socket exactly then, reconnected", async () => {
    const { client, clock, net, log } = await harness();
    accept(net.latest);
    net.latest.drop();
    assert.deepEqual(log, [
      "open c1",
      "close 1006 true",
      "reconnecting 1 1000",
    ]);
    assert.equal(client.readyState, 0);
    clock.advance(999);
    await settle();
    assert.equal(net.sockets.length, 1);
    clock.advance(1);
    assert.equal(net.sockets.length, 2);
    accept(net.latest, "c2", "tok2");
    assert.deepEqual(log.slice(3), ["reconnected 1 false", "open c2"]);
    assert.equal(client.id, "c2");
  });

  test("failed attempts back off 1, 2, 4, 8, 16, 30, 30 s (random 0.5)", async () => {
    const { clock, net, log } = await harness();
    accept(net.latest);
    net.latest.drop();
    for (let attempt = 1; attempt <= 7; attempt++) {
      clock.advance(clock.nextIn()!);
      net.latest.fail();
    }
    assert.deepEqual(log.filter((line) => line.startsWith("reconnecting")), [
      "reconnecting 1 1000",
      "reconnecting 2 2000",
      "reconnecting 3 4000",
      "reconnecting 4 8000",
      "reconnecting 5 16000",
      "reconnecting 6 30000",
      "reconnecting 7 30000",
      "reconnecting 8 30000",
    ]);
    // Failed attempts are not connections: no close for them.
    assert.equal(log.filter((line) => line.startsWith("close")).length, 1);
  });

  test("the jitter comes from the injected random source", async () => {
    const { clock, net, log } = await harness({ random: () => 0 });
    accept(net.latest);
    net.latest.drop();
    clock.advance(500);
    net.latest.fail();
    assert.deepEqual(log.filter((line) => line.startsWith("reconnecting")), [
      "reconnecting 1 500",
      "reconnecting 2 1000",
    ]);
  });

  test("the backoff starts again after a connection stayed up 5 s, not after a shorter one", async () => {
    const { clock, net, log } = await harness();
    accept(net.latest);
    net.latest.drop(); // attempt 1: 1 s
    clock.advance(1000);
    accept(net.latest);
    clock.advance(4999);
    net.latest.drop(); // up 4.999 s: attempt 2, 2 s
    clock.advance(2000);
    accept(net.latest);
    clock.advance(5000);
    net.latest.drop(); // up 5 s: attempt 1 again
    assert.deepEqual(log.filter((line) => line.startsWith("reconnecting")), [
      "reconnecting 1 1000",
      "reconnecting 2 2000",
      "reconnecting 1 1000",
    ]);
  });

  test("retries per close code: 1001/1006/1011/1012/1013/1014 yes; 1000/1002/1008/4000 no", async () => {
    const expected: Record<number, boolean> = {
      1001: true,
      1006: true,
      1011: true,
      1012: true,
      1013: true,
      1014: true,
      1000: false,
      1002: false,
      1005: false,
      1008: false,
      1009: false,
      3000: false,
      4000: false,
    };
    for (const [code, retried] of Object.entries(expected)) {
      const { client, net, log } = await harness();
      accept(net.latest);
      net.latest.drop({ code: Number(code), wasClean: true });
      assert.equal(log[1], `close ${code} ${retried}`);
      assert.equal(client.readyState, retried ? 0 : 3, code);
    }
  });

  test("a close code outside 1000-4999 (Deno reports 0 for a dropped TCP connection) counts as 1006", async () => {
    const { client, net, log } = await harness();
    accept(net.latest);
    net.latest.drop({ code: 0 });
    assert.deepEqual(log.slice(1), ["close 1006 true", "reconnecting 1 1000"]);
    assert.equal(client.readyState, 0);
  });

  test("retries per handshake status: 5xx, 408, 429 yes; 401, 403, 404 no", async () => {
    for (
      const [status, retried] of [
        [500, true],
        [503, true],
        [408, true],
        [429, true],
        [401, false],
        [403, false],
        [404, false],
      ] as const
    ) {
      const { client, net, log } = await harness();
      net.latest.fail({ status });
      assert.equal(client.readyState, retried ? 0 : 3, String(status));
      assert.equal(
        log[0],
        retried ? "reconnecting 1 1000" : "close 1006 false",
        String(status),
      );
    }
  });

  test("a Retry-After longer than the backoff is honoured (up to maxDelay)", async () => {
    const { net, log } = await harness();
    net.latest.fail({ status: 429, retryAfter: 5 });
    assert.deepEqual(log, ["reconnecting 1 5000"]);
    const other = await harness();
    other.net.latest.fail({ status: 503, retryAfter: 3600 });
    assert.deepEqual(other.log, ["reconnecting 1 30000"]);
  });

  test("a socket that never opens is abandoned after the handshake timeout and retried", async () => {
    const { clock, net, log, errors } = await harness({
      handshakeTimeout: 3000,
    });
    clock.advance(2999);
    assert.deepEqual(log, []);
    clock.advance(1);
    assert.equal(net.latest.closeCalls.length, 1);
    assert.deepEqual(log, ["reconnecting 1 1000"]);
    assert.match(
      errors[0].message,
      /Handshake timeout: no anyws:session message .* within 3000 ms/,
    );
    // The abandoned socket's late events change nothing.
    net.latest.open();
    assert.deepEqual(log, ["reconnecting 1 1000"]);
  });

  test("a server that opens but never sends the session message is left after the timeout", async () => {
    const { clock, net, log } = await harness();
    net.latest.open();
    clock.advance(10_000);
    assert.deepEqual(log, ["reconnecting 1 1000"]);
    await settle();
    assert.equal(net.latest.readyState, 3);
  });

  test("shouldReconnect overrides the decision", async () => {
    const seen: Array<[number, number]> = [];
    const { client, net } = await harness({
      shouldReconnect: (disconnect, attempt) => {
        seen.push([disconnect.code, attempt]);
        return disconnect.code === 4001;
      },
    });
    accept(net.latest);
    net.latest.drop({ code: 4001 });
    assert.equal(client.readyState, 0);
    assert.deepEqual(seen, [[4001, 1]]);
  });

  test("after maxAttempts failed attempts the client gives up, reporting what was not sent", async () => {
    const { client, clock, net, log, errors } = await harness({
      reconnect: { maxAttempts: 2 },
    });
    accept(net.latest);
    net.latest.drop();
    const pending = client.request("x");
    client.emit("y");
    clock.advance(1000);
    net.latest.fail();
    clock.advance(2000);
    net.latest.fail();
    assert.equal(client.readyState, 3);
    assert.equal(log.at(-1), "close 1006 false");
    await assert.rejects(
      pending,
      /the client stopped reconnecting \(code 1006\)/,
    );
    assert.match(errors.at(-1)!.message, /2 queued message\(s\) were not sent/);
    assert.equal(client.send("z"), false);
  });

  test("reconnect: false ends the client at the first drop", async () => {
    const { client, net, log } = await harness({ reconnect: false });
    accept(net.latest);
    net.latest.drop();
    assert.deepEqual(log, ["open c1", "close 1006 false"]);
    assert.equal(client.readyState, 3);
  });
});

describe("the queue", () => {
  test("messages sent during the outage are delivered once, in order, after the reconnect", async () => {
    const { client, clock, net } = await harness();
    accept(net.latest);
    net.latest.drop();
    for (let i = 0; i < 5; i++) client.emit("n", i);
    client.send(new Uint8Array([7]));
    assert.equal(
      client.bufferedAmount,
      5 * '{"event":"n","data":0}'.length + 1,
    );
    clock.advance(1000);
    accept(net.latest, "c1", "tok2", true);
    const second = net.latest;
    assert.deepEqual(second.sent.slice(1), [
      ...[0, 1, 2, 3, 4].map((i) => `{"event":"n","data":${i}}`),
      new Uint8Array([7]),
    ]);
    // A later drop does not send them again.
    second.drop();
    clock.advance(clock.nextIn()!);
    accept(net.latest, "c1", "tok3", true);
    assert.equal(net.latest.sent.length, 1);
  });

  test("past the bounds emit, send and request fail with QueueFullError, and nothing is lost silently", async () => {
    const { client } = await harness({
      queue: { maxMessages: 2, maxBytes: 1000 },
    });
    client.emit("a");
    client.send("b");
    assert.throws(() => client.emit("c"), QueueFullError);
    assert.throws(() => client.send("d"), QueueFullError);
    await assert.rejects(client.request("e"), QueueFullError);
    assert.equal(client.queuedMessages, 2);
  });

  test("open handlers' messages go before the queued ones (a login reaches the server first)", async () => {
    const { client, clock, net } = await harness();
    client.on("open", () => client.emit("login", "ada"));
    accept(net.latest);
    net.latest.drop();
    client.emit("say", "offline message");
    clock.advance(1000);
    accept(net.latest, "c2", "tok2");
    assert.deepEqual(texts(net.latest).slice(1), [
      { event: "login", data: "ada" },
      { event: "say", data: "offline message" },
    ]);
  });
});

describe("resume", () => {
  test("the token from the session is presented; a resumed session keeps its id and emits resume, not open", async () => {
    const { client, clock, net, log } = await harness();
    accept(net.latest, "c1", "tok1");
    net.latest.drop();
    clock.advance(1000);
    net.latest.open();
    assert.deepEqual(texts(net.latest), [{
      event: "anyws:hello",
      data: { version: 1, resume: "tok1" },
    }]);
    net.latest.session("c1", "tok2", true);
    assert.deepEqual(log, [
      "open c1",
      "close 1006 true",
      "reconnecting 1 1000",
      "reconnected 1 true",
      "resume c1",
    ]);
    assert.equal(client.id, "c1");
    // The next reconnect (attempt 2: the connection was not up 5 s)
    // presents the new token.
    net.latest.drop();
    clock.advance(2000);
    assert.equal(net.sockets.length, 3);
    net.latest.open();
    assert.deepEqual(texts(net.latest), [{
      event: "anyws:hello",
      data: { version: 1, resume: "tok2" },
    }]);
  });

  test("an expired or unknown token gives a new session: open with the new id", async () => {
    const { client, clock, net, log } = await harness();
    accept(net.latest, "c1", "tok1");
    net.latest.drop();
    clock.advance(1000);
    accept(net.latest, "c9", "tok9", false);
    assert.deepEqual(log.slice(-2), ["reconnected 1 false", "open c9"]);
    assert.equal(client.id, "c9");
  });

  test("a token re-issued mid-connection is the one presented next", async () => {
    const { clock, net } = await harness();
    accept(net.latest, "c1", "tok1");
    net.latest.session("c1", "tok1b");
    net.latest.drop();
    clock.advance(1000);
    net.latest.open();
    assert.deepEqual(texts(net.latest), [{
      event: "anyws:hello",
      data: { version: 1, resume: "tok1b" },
    }]);
  });
});

describe("close", () => {
  test("closes with the code given, stops reconnecting, and rejects waiting requests", async () => {
    const { client, clock, net, log } = await harness();
    accept(net.latest);
    const pending = client.request("x");
    client.close(4000, "bye");
    assert.equal(client.readyState, 2);
    assert.deepEqual(net.latest.closeCalls, [{ code: 4000, reason: "bye" }]);
    await settle();
    assert.equal(client.readyState, 3);
    assert.deepEqual(log.slice(1), ["close 4000 false"]);
    await assert.rejects(pending, DisconnectedError);
    clock.advance(60_000);
    assert.equal(net.sockets.length, 1);
    assert.equal(client.send("late"), false);
    assert.equal(client.emit("late"), false);
    await assert.rejects(client.request("late"), /the client is closed/);
  });

  test("close while a reconnect waits cancels it and ends at once", async () => {
    const { client, clock, net, log } = await harness();
    accept(net.latest);
    net.latest.drop();
    client.emit("queued");
    client.close();
    assert.equal(client.readyState, 3);
    assert.deepEqual(log.slice(-1), ["close 1000 false"]);
    clock.advance(60_000);
    assert.equal(net.sockets.length, 1);
    assert.equal(clock.pending, 0);
  });

  test("close before the first connection opens ends at once and abandons the socket", async () => {
    const { client, net, log } = await harness();
    client.close(1000, "changed my mind");
    assert.equal(client.readyState, 3);
    assert.deepEqual(log, ["close 1000 false"]);
    assert.equal(net.latest.closeCalls.length, 1);
  });

  test("close before the client even started connecting creates no socket", async () => {
    const net = new FakeNetwork();
    const client = new EventClient(URL_, { socket: net.factory });
    const closes: ClientCloseInfo[] = [];
    client.on("close", (info) => closes.push(info));
    client.close();
    await settle();
    assert.equal(net.sockets.length, 0);
    assert.deepEqual(closes, [{
      code: 1000,
      reason: "",
      wasClean: true,
      reconnecting: false,
    }]);
  });

  test("a close code a client may not send, or a reason over 123 bytes, throws UsageError", async () => {
    const { client } = await harness();
    for (const code of [999, 1001, 1005, 1006, 2999, 5000]) {
      assert.throws(() => client.close(code), UsageError, String(code));
    }
    assert.throws(() => client.close(1000, "é".repeat(62)), UsageError);
  });

  test("a close handler that closes the client stops the reconnect", async () => {
    const { client, clock, net } = await harness();
    const attempts: ReconnectingInfo[] = [];
    client.on("reconnecting", (info) => attempts.push(info));
    client.on("close", ({ reconnecting }) => {
      if (reconnecting) client.close();
    });
    accept(net.latest);
    net.latest.drop();
    clock.advance(60_000);
    assert.deepEqual(attempts, []);
    assert.equal(net.sockets.length, 1);
    assert.equal(client.readyState, 3);
  });
});

describe("the socket factory", () => {
  test("a factory that throws is an error and a failed attempt, retried", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const net = new FakeNetwork();
    const client = new EventClient(URL_, {
      clock,
      random: () => 0.5,
      socket: (url, protocols) => {
        if (calls++ === 0) throw new Error("no network");
        return net.factory(url, protocols);
      },
    });
    const errors: Error[] = [];
    client.on("error", (error) => errors.push(error));
    await settle();
    assert.match(errors[0].message, /Could not create a socket/);
    clock.advance(1000);
    accept(net.latest);
    assert.equal(client.readyState, 1);
    client.close();
  });

  test("without options.socket the runtime's global WebSocket is used", () => {
    const client = new EventClient("ws://127.0.0.1:9/", { reconnect: false });
    client.close();
    assert.equal(client.readyState, 3);
  });
});

describe("edge cases", () => {
  test("protocol and extensions come from the current socket", async () => {
    const { client, net } = await harness();
    net.latest.protocol = "chat.v1";
    net.latest.extensions = "permessage-deflate";
    accept(net.latest);
    assert.equal(client.protocol, "chat.v1");
    assert.equal(client.extensions, "permessage-deflate");
    client.close();
    await settle();
    assert.equal(client.protocol, "");
    assert.equal(client.extensions, "");
  });

  test("binary views arrive as Uint8Array; other data types are reported", async () => {
    const { client, net, errors } = await harness();
    accept(net.latest);
    const seen: unknown[] = [];
    client.on("message", (data) => seen.push(data));
    const bytes = new Uint8Array([0, 1, 2, 3]);
    net.latest.receive(bytes.subarray(1, 3));
    net.latest.receive(new DataView(bytes.buffer, 2, 2));
    net.latest.receive({ size: 3 }); // a Blob-like object
    assert.deepEqual(seen, [new Uint8Array([1, 2]), new Uint8Array([2, 3])]);
    assert.match(
      errors[0].message,
      /Unsupported message data from the socket: \[object Object\]/,
    );
  });

  test("an answer JSON cannot encode is replaced by an error answer", async () => {
    const { client, net, errors } = await harness();
    accept(net.latest);
    client.on("big", () => 1n);
    net.latest.receive('{"event":"big","id":1}');
    assert.deepEqual(texts(net.latest).at(-1), {
      ack: 1,
      error: { message: "Answer could not be encoded" },
    });
    assert.match(errors[0].message, /Could not encode the answer to request 1/);
  });

  test("a failing handler without an error handler, or a failing error handler, goes to console.error", async () => {
    const net = new FakeNetwork();
    const client = new EventClient(URL_, { socket: net.factory });
    await settle();
    accept(net.latest);
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => logged.push(args);
    try {
      client.on("e", () => {
        throw new Error("handler bug");
      });
      net.latest.receive('{"event":"e"}');
      client.on("error", () => {
        throw new Error("error handler bug");
      });
      net.latest.receive('{"event":"e"}');
    } finally {
      console.error = original;
    }
    assert.equal(logged.length, 2);
    assert.equal(logged[0][0], 'anyws: a "e" handler failed');
    assert.equal(logged[1][0], "anyws: an error handler failed");
    client.close();
  });

  test("a socket error's message is in the reported error", async () => {
    const { net, errors } = await harness();
    net.latest.fail();
    assert.match(
      errors[0].message,
      /^WebSocket error \(ws:\/\/example\.test\/chat\): connection failed$/,
    );
  });

  test("close twice is harmless; http: maps to ws:", async () => {
    const net = new FakeNetwork();
    const client = new EventClient("http://x/", {
      socket: net.factory,
      session: false,
    });
    await settle();
    assert.equal(net.latest.url, "ws://x/");
    net.latest.open();
    client.close();
    client.close();
    assert.equal(net.latest.closeCalls.length, 1);
  });

  test("bad options throw UsageError", () => {
    const socket = new FakeNetwork().factory;
    assert.throws(
      () => new EventClient(URL_, { socket, handshakeTimeout: 0 }),
      UsageError,
    );
    assert.throws(
      () => new EventClient(URL_, { socket, requestTimeout: -5 }),
      UsageError,
    );
    assert.throws(
      () => new EventClient(URL_, { socket, reconnect: { jitter: 2 } }),
      /Invalid backoff jitter: 2/,
    );
  });

  test("without options.socket and without a global WebSocket, construction throws UsageError", () => {
    const global = globalThis as { WebSocket?: unknown };
    const saved = Object.getOwnPropertyDescriptor(globalThis, "WebSocket");
    Object.defineProperty(globalThis, "WebSocket", {
      value: undefined,
      configurable: true,
      writable: true,
    });
    try {
      assert.equal(global.WebSocket, undefined);
      assert.throws(
        () => new EventClient(URL_),
        /no global WebSocket: pass options\.socket/,
      );
    } finally {
      if (saved) Object.defineProperty(globalThis, "WebSocket", saved);
    }
  });
});
