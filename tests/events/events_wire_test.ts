// The JSON event wire format shared by the server and the clients: what
// encodes to what, how incoming texts are classified, the size and depth
// limits (the same as the server's routing), and the session messages.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_WIRE_LIMITS,
  encodeAck,
  encodeAckError,
  encodeEvent,
  isAckId,
  parseIncoming,
} from "../../src/events/wire.ts";
import {
  EVENT_CLIENT_PARAM,
  HELLO_EVENT,
  isLibraryEvent,
  LIBRARY_EVENT_PREFIX,
  SESSION_EVENT,
} from "../../src/events/names.ts";
import {
  encodeHello,
  encodeSession,
  isResumeToken,
  readHello,
  readSession,
} from "../../src/events/session_messages.ts";
import { DEFAULT_SERVER_OPTIONS } from "../../src/server/options.ts";

const limits = DEFAULT_WIRE_LIMITS;

describe("encoding", () => {
  test("an event is {event, data}, with id only for a request", () => {
    assert.equal(
      encodeEvent("say", { text: "hi" }),
      '{"event":"say","data":{"text":"hi"}}',
    );
    assert.equal(encodeEvent("ping"), '{"event":"ping"}');
    assert.equal(
      encodeEvent("add", [1, 2], 7),
      '{"event":"add","data":[1,2],"id":7}',
    );
    assert.equal(
      encodeEvent("add", null, "r1"),
      '{"event":"add","data":null,"id":"r1"}',
    );
  });

  test("an answer always has data (undefined becomes null) or an error", () => {
    assert.equal(encodeAck(7, 3), '{"ack":7,"data":3}');
    assert.equal(encodeAck(7, undefined), '{"ack":7,"data":null}');
    assert.equal(
      encodeAckError("x", { message: "Nope" }),
      '{"ack":"x","error":{"message":"Nope"}}',
    );
    assert.equal(
      encodeAckError(1, {
        message: "Invalid",
        issues: [{ message: "Expected string" }],
      }),
      '{"ack":1,"error":{"message":"Invalid","issues":[{"message":"Expected string"}]}}',
    );
  });

  test("data JSON cannot encode throws", () => {
    assert.throws(() => encodeEvent("n", 1n), TypeError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => encodeAck(1, cycle), TypeError);
  });
});

describe("parsing", () => {
  test("an event, with and without a usable id", () => {
    assert.deepEqual(
      parseIncoming('{"event":"add","data":[1,2],"id":7}', limits),
      {
        kind: "event",
        event: "add",
        data: [1, 2],
        id: 7,
      },
    );
    assert.deepEqual(parseIncoming('  {"event":"hi"}', limits), {
      kind: "event",
      event: "hi",
      data: undefined,
    });
    // An unusable id: the event is delivered without an answer.
    for (
      const id of ['"' + "x".repeat(129) + '"', "true", "null", "{}", "1e999"]
    ) {
      const parsed = parseIncoming(`{"event":"e","id":${id}}`, limits);
      assert.equal(parsed.kind, "event");
      assert.equal("id" in parsed, false, id);
    }
  });

  test("an answer with data, with an error, and with a malformed error", () => {
    assert.deepEqual(parseIncoming('{"ack":7,"data":3}', limits), {
      kind: "ack",
      id: 7,
      data: 3,
    });
    assert.deepEqual(
      parseIncoming('{"ack":"a","data":1,"error":null}', limits),
      {
        kind: "ack",
        id: "a",
        data: 1,
      },
    );
    assert.deepEqual(
      parseIncoming(
        '{"ack":1,"error":{"message":"Invalid","issues":[{"message":"x"}]}}',
        limits,
      ),
      {
        kind: "ack",
        id: 1,
        data: undefined,
        error: { message: "Invalid", issues: [{ message: "x" }] },
      },
    );
    const odd = parseIncoming('{"ack":1,"error":42}', limits);
    assert.equal(odd.kind, "ack");
    assert.match(
      (odd as { error: { message: string } }).error.message,
      /no error message/,
    );
    const noIssues = parseIncoming(
      '{"ack":1,"error":{"message":"m","issues":"x"}}',
      limits,
    );
    assert.deepEqual((noIssues as { error: unknown }).error, { message: "m" });
  });

  test("a text with both event and ack is an event", () => {
    assert.equal(parseIncoming('{"event":"e","ack":1}', limits).kind, "event");
  });

  test("anything else is other", () => {
    for (
      const text of [
        "hello",
        "",
        "[1,2]",
        '"{"',
        "{not json",
        '{"event":5}',
        '{"ack":true}',
        '{"data":1}',
        "null",
      ]
    ) {
      assert.deepEqual(parseIncoming(text, limits), { kind: "other" }, text);
    }
  });

  test("an object over the size limit is refused before it is parsed", () => {
    const small = { maxJsonSize: 20, maxJsonDepth: 32 };
    assert.equal(parseIncoming('{"event":"e","d":12}', small).kind, "event");
    assert.deepEqual(parseIncoming('{"event":"e","d":123}', small), {
      kind: "refused",
      message: "JSON event too large: over 20 characters",
    });
    // Not an object: not ours to refuse, an ordinary message.
    assert.equal(parseIncoming("x".repeat(100), small).kind, "other");
  });

  test("an object over the depth limit is refused; brackets in strings do not count", () => {
    const shallow = { maxJsonSize: 1000, maxJsonDepth: 3 };
    assert.equal(
      parseIncoming('{"event":"e","data":{"a":[1]}}', shallow).kind,
      "event",
    );
    assert.deepEqual(
      parseIncoming('{"event":"e","data":{"a":[[1]]}}', shallow),
      {
        kind: "refused",
        message: "JSON event too deep: over 3 levels",
      },
    );
    assert.equal(
      parseIncoming('{"event":"e","data":"[[[[[[\\"]]"}', shallow).kind,
      "event",
    );
  });

  test("the default limits are the server's defaults", () => {
    assert.equal(limits.maxJsonSize, DEFAULT_SERVER_OPTIONS.maxJsonSize);
    assert.equal(limits.maxJsonDepth, DEFAULT_SERVER_OPTIONS.maxJsonDepth);
  });

  test("ack ids: strings up to 128 characters and finite numbers", () => {
    assert.equal(isAckId(0), true);
    assert.equal(isAckId(-1.5), true);
    assert.equal(isAckId("x".repeat(128)), true);
    assert.equal(isAckId("x".repeat(129)), false);
    assert.equal(isAckId(Infinity), false);
    assert.equal(isAckId(null), false);
  });
});

describe("library names", () => {
  test("the prefix marks library messages and nothing else", () => {
    assert.equal(LIBRARY_EVENT_PREFIX, "anyws:");
    assert.equal(isLibraryEvent(HELLO_EVENT), true);
    assert.equal(isLibraryEvent(SESSION_EVENT), true);
    assert.equal(isLibraryEvent("anyws"), false);
    assert.equal(isLibraryEvent("chat:anyws:"), false);
    assert.equal(EVENT_CLIENT_PARAM, "anyws");
  });
});

describe("session messages", () => {
  test("hello, with and without a token, reads back", () => {
    assert.equal(encodeHello(), '{"event":"anyws:hello","data":{"version":1}}');
    assert.equal(
      encodeHello("tok_1-A"),
      '{"event":"anyws:hello","data":{"version":1,"resume":"tok_1-A"}}',
    );
    const parsed = parseIncoming(encodeHello("tok"), limits);
    assert.equal(parsed.kind, "event");
    assert.deepEqual(readHello((parsed as { data: unknown }).data), {
      version: 1,
      resume: "tok",
    });
  });

  test("a hello with a malformed token is a hello without one; a non-hello is undefined", () => {
    assert.deepEqual(readHello({ version: 1, resume: "a b" }), { version: 1 });
    assert.deepEqual(readHello({ version: 1, resume: "x".repeat(129) }), {
      version: 1,
    });
    assert.deepEqual(readHello({ version: 2, resume: 5 }), { version: 2 });
    assert.equal(readHello({ resume: "tok" }), undefined);
    assert.equal(readHello(null), undefined);
    assert.equal(readHello("hello"), undefined);
  });

  test("session messages read back; malformed ones are undefined", () => {
    const text = encodeSession({ id: "c1", token: "t0k", resumed: true });
    assert.equal(
      text,
      '{"event":"anyws:session","data":{"id":"c1","token":"t0k","resumed":true}}',
    );
    assert.deepEqual(readSession(JSON.parse(text).data), {
      id: "c1",
      token: "t0k",
      resumed: true,
    });
    for (
      const bad of [
        null,
        { id: "c1", token: "t0k" },
        { id: "", token: "t0k", resumed: false },
        { id: "c1", token: "bad token", resumed: false },
        { id: 1, token: "t0k", resumed: false },
        { id: "x".repeat(129), token: "t0k", resumed: false },
      ]
    ) {
      assert.equal(readSession(bad), undefined, JSON.stringify(bad));
    }
  });

  test("resume tokens are base64url text of 1 to 128 characters", () => {
    assert.equal(isResumeToken("AZaz09-_"), true);
    assert.equal(isResumeToken(""), false);
    assert.equal(isResumeToken("a=b"), false);
    assert.equal(isResumeToken("x".repeat(128)), true);
    assert.equal(isResumeToken("x".repeat(129)), false);
  });
});
