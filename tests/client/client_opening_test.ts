// The client's check of the server's answer (RFC 6455 §4.1, RFC 7692 §5),
// on ClientOpening alone: a refusal (any status but 101) with its status
// and Retry-After (delay-seconds or an HTTP-date); a 101 without a valid
// Upgrade or Connection, with a wrong or missing accept key, a subprotocol
// or an extension that was not offered, a permessage-deflate answer that
// is malformed or answers none of the offers; a head over the limits or not
// HTTP at all. A valid answer opens with the agreed subprotocol and
// compression, the bytes behind the head handed over as the first frames,
// the check made in the read that completes the 101. Then
// the same through a ClientSocket on the memory engine: frames and a close
// right behind the 101 are read.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type ClientOffer,
  ClientOpening,
  type HandshakeFailure,
} from "../../src/client/client_opening.ts";
import type { OpenInit } from "../../src/driver/connection_driver.ts";
import type { ResponseHead } from "../../src/protocol/response_head_reader.ts";
import { deflateOffers } from "../../src/protocol/deflate/client_negotiation.ts";
import { DeflateContexts } from "../../src/protocol/deflate/deflate_contexts.ts";
import {
  type DeflateOptions,
  resolveDeflateOptions,
} from "../../src/protocol/deflate/options.ts";
import { pakoDeflate } from "../../engines/deflate.ts";
import { memoryEngine } from "../../engines/memory.ts";
import { ClientSocket } from "../../src/client/client_socket.ts";
import type { ClientSocketEvents } from "../../src/client/client_socket.ts";
import { withTimeout } from "../_clients.ts";
import { rawFrame } from "../_frames.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
// RFC 6455 §1.3's example: the accept value of KEY.
const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const encoder = new TextEncoder();

type Outcome =
  | { kind: "opened"; init: OpenInit; response: ResponseHead }
  | { kind: "failed"; failure: HandshakeFailure };

interface Setup {
  protocols?: string[];
  deflate?: DeflateOptions | false;
  limits?: ClientOffer["limits"];
}

/** A ClientOpening with the offer `setup` describes, and its outcome. */
function start(setup: Setup = {}): {
  opening: ClientOpening;
  outcome: Promise<Outcome>;
  /** Outcomes reported after the first (must stay empty). */
  extra: Outcome[];
} {
  let deflate: ClientOffer["deflate"];
  if (setup.deflate !== undefined && setup.deflate !== false) {
    const options = resolveDeflateOptions(setup.deflate);
    deflate = {
      contexts: new DeflateContexts(pakoDeflate.codec, options),
      offers: deflateOffers(options),
    };
  }
  const extra: Outcome[] = [];
  let settle: (outcome: Outcome) => void;
  let settled = false;
  const outcome = new Promise<Outcome>((resolve) => settle = resolve);
  const report = (value: Outcome): void => {
    if (settled) extra.push(value);
    settled = true;
    settle(value);
  };
  const opening = new ClientOpening({
    opened: (init, response) => {
      report({ kind: "opened", init, response });
      return true;
    },
    failed: (failure) => report({ kind: "failed", failure }),
  }, {
    key: KEY,
    protocols: setup.protocols ?? [],
    deflate,
    limits: setup.limits ?? { maxHeadBytes: 16384, maxHeaderCount: 100 },
  });
  return {
    opening,
    outcome: withTimeout(outcome, 2000, "the opening's outcome"),
    extra,
  };
}

/** A response head from its status line and field lines. */
function head(status: string, fields: string[]): Uint8Array {
  return encoder.encode([status, ...fields, "", ""].join("\r\n"));
}

const GOOD = [
  "Upgrade: websocket",
  "Connection: Upgrade",
  `Sec-WebSocket-Accept: ${ACCEPT}`,
];

/** A 101 with GOOD's fields, `drop` removed, `add` appended. */
function switching(add: string[] = [], drop: string[] = []): Uint8Array {
  const fields = GOOD.filter((line) =>
    !drop.some((name) => line.toLowerCase().startsWith(name.toLowerCase()))
  );
  return head("HTTP/1.1 101 Switching Protocols", [...fields, ...add]);
}

async function opened(
  bytes: Uint8Array,
  setup: Setup = {},
): Promise<{ init: OpenInit; response: ResponseHead }> {
  const { opening, outcome } = start(setup);
  opening.onData(bytes);
  const result = await outcome;
  assert.equal(
    result.kind,
    "opened",
    result.kind === "failed" ? result.failure.message : "",
  );
  return result as { kind: "opened"; init: OpenInit; response: ResponseHead };
}

async function failed(
  bytes: Uint8Array,
  setup: Setup = {},
): Promise<HandshakeFailure> {
  const { opening, outcome, extra } = start(setup);
  opening.onData(bytes);
  const result = await outcome;
  assert.equal(result.kind, "failed", "the handshake must fail");
  // Nothing more is reported, whatever comes next.
  opening.onData(switching());
  assert.equal(opening.onEnd(), true);
  await Promise.resolve();
  assert.deepEqual(extra, []);
  return (result as { kind: "failed"; failure: HandshakeFailure }).failure;
}

describe("a valid 101", () => {
  test("opens with no subprotocol, no compression, no early bytes; the response is kept", async () => {
    const { init, response } = await opened(switching(["Set-Cookie: a=1"]));
    assert.equal(init.protocol, "");
    assert.equal(init.deflate, undefined);
    assert.equal(init.early, undefined);
    assert.equal(init.peerEnded, false);
    assert.equal(response.status, 101);
    assert.equal(response.headers.get("set-cookie"), "a=1");
  });

  test("field names and the Upgrade/Connection values are case-insensitive; Connection may list more tokens", async () => {
    await opened(head("HTTP/1.1 101 Switching Protocols", [
      "UPGRADE: WebSocket",
      "connection: keep-alive, UPGRADE",
      `sec-websocket-accept: ${ACCEPT}`,
    ]));
  });

  test("a head arriving one byte at a time opens the same", async () => {
    const { opening, outcome } = start({ protocols: ["chat"] });
    const bytes = switching(["Sec-WebSocket-Protocol: chat"]);
    for (let i = 0; i < bytes.length; i++) {
      opening.onData(bytes.subarray(i, i + 1));
    }
    const result = await outcome;
    assert.equal(result.kind, "opened");
    assert.equal((result as { init: OpenInit }).init.protocol, "chat");
  });

  test("a status line without a reason phrase is accepted", async () => {
    await opened(head("HTTP/1.1 101", GOOD));
  });
});

describe("a refusal: any status but 101", () => {
  test("gives the status, the reason phrase and the response", async () => {
    const failure = await failed(
      head("HTTP/1.1 403 Forbidden", ["Content-Length: 0"]),
    );
    assert.equal(failure.status, 403);
    assert.equal(failure.retryAfter, undefined);
    assert.equal(
      failure.message,
      "The server refused the upgrade: 403 Forbidden",
    );
    assert.equal(failure.response?.status, 403);
  });

  test("a 200 (a plain HTTP server) is a refusal, even with the upgrade fields", async () => {
    const failure = await failed(head("HTTP/1.1 200 OK", GOOD));
    assert.equal(failure.status, 200);
  });

  test("Retry-After in delay-seconds", async () => {
    for (
      const [value, seconds] of [["120", 120], ["0", 0], [" 7 ", 7]] as const
    ) {
      const failure = await failed(
        head("HTTP/1.1 503 Service Unavailable", [`Retry-After: ${value}`]),
      );
      assert.equal(failure.status, 503);
      assert.equal(failure.retryAfter, seconds, value);
    }
  });

  test("Retry-After as an HTTP-date: seconds from now, in any of the three formats (RFC 9110 §5.6.7)", async () => {
    const when = new Date(Date.now() + 60_000);
    const day = when.toUTCString().slice(0, 3);
    const days: Record<string, string> = {
      Mon: "Monday",
      Tue: "Tuesday",
      Wed: "Wednesday",
      Thu: "Thursday",
      Fri: "Friday",
      Sat: "Saturday",
      Sun: "Sunday",
    };
    const [, dd, mon, yyyy, time] = when.toUTCString().split(" ");
    const formats = [
      when.toUTCString(), // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
      `${days[day]}, ${dd}-${mon}-${yyyy.slice(2)} ${time} GMT`, // rfc850-date
      `${day} ${mon} ${String(Number(dd)).padStart(2, " ")} ${time} ${yyyy}`, // asctime-date
    ];
    for (const value of formats) {
      const failure = await failed(
        head("HTTP/1.1 429 Too Many Requests", [`Retry-After: ${value}`]),
      );
      assert.equal(failure.status, 429);
      const seconds = failure.retryAfter;
      assert.ok(
        seconds !== undefined && seconds >= 58 && seconds <= 61,
        `${value}: ${seconds}`,
      );
    }
  });

  test("Retry-After as a date in the past is 0", async () => {
    const failure = await failed(
      head("HTTP/1.1 503 Service Unavailable", [
        "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT",
      ]),
    );
    assert.equal(failure.retryAfter, 0);
  });

  test("a Retry-After that is neither delay-seconds nor an HTTP-date is ignored, not guessed at", async () => {
    for (
      const value of [
        "1.5",
        "-1",
        "12/25/2030",
        "soon",
        "5 seconds",
        "1e3",
        "",
      ]
    ) {
      const failure = await failed(
        head("HTTP/1.1 503 Service Unavailable", [`Retry-After: ${value}`]),
      );
      assert.equal(failure.status, 503);
      assert.equal(failure.retryAfter, undefined, JSON.stringify(value));
    }
  });
});

describe("a 101 that breaks RFC 6455 §4.1: the client fails the connection", () => {
  test("Upgrade missing or not websocket", async () => {
    for (
      const response of [
        switching([], ["Upgrade"]),
        switching(["Upgrade: h2c"], ["Upgrade"]),
        switching(["Upgrade: websocket2"], ["Upgrade"]),
      ]
    ) {
      const failure = await failed(response);
      assert.equal(
        failure.message,
        "Invalid handshake response: Missing or invalid header: Upgrade",
      );
      assert.equal(failure.status, undefined, "a 101 is no refusal");
    }
  });

  test("Connection missing or without the Upgrade token", async () => {
    for (
      const response of [
        switching([], ["Connection"]),
        switching(["Connection: keep-alive"], ["Connection"]),
        switching(["Connection: upgraded"], ["Connection"]),
      ]
    ) {
      const failure = await failed(response);
      assert.equal(
        failure.message,
        "Invalid handshake response: Missing or invalid header: Connection",
      );
    }
  });

  test("the accept key wrong, missing, of another key or repeated", async () => {
    for (
      const response of [
        switching(["Sec-WebSocket-Accept: x3JJHMbDL1EzLkh9GBhXDw=="], [
          "Sec-WebSocket-Accept",
        ]),
        switching([], ["Sec-WebSocket-Accept"]),
        switching([`Sec-WebSocket-Accept: ${ACCEPT.toLowerCase()}`], [
          "Sec-WebSocket-Accept",
        ]),
        switching([`Sec-WebSocket-Accept: ${ACCEPT}`]),
      ]
    ) {
      const failure = await failed(response);
      assert.equal(
        failure.message,
        "Invalid handshake response: Missing or invalid header: Sec-WebSocket-Accept",
      );
    }
  });

  test("a subprotocol that was not offered: another one, one when none was offered, two at once", async () => {
    const other = await failed(
      switching(["Sec-WebSocket-Protocol: c"]),
      { protocols: ["a", "b"] },
    );
    assert.equal(
      other.message,
      "Invalid handshake response: Unexpected subprotocol: c",
    );
    const unasked = await failed(switching(["Sec-WebSocket-Protocol: a"]));
    assert.match(unasked.message, /Unexpected subprotocol: a/);
    const two = await failed(
      switching(["Sec-WebSocket-Protocol: a", "Sec-WebSocket-Protocol: b"]),
      { protocols: ["a", "b"] },
    );
    assert.match(two.message, /Unexpected subprotocol: a, b/);
    const empty = await failed(
      switching(["Sec-WebSocket-Protocol: "]),
      { protocols: ["a"] },
    );
    assert.match(empty.message, /Unexpected subprotocol/);
  });

  test("an offered subprotocol is agreed; a server that picks none leaves it empty", async () => {
    const { init } = await opened(
      switching(["Sec-WebSocket-Protocol: b"]),
      { protocols: ["a", "b"] },
    );
    assert.equal(init.protocol, "b");
    const none = await opened(switching(), { protocols: ["a", "b"] });
    assert.equal(none.init.protocol, "");
  });

  test("an extension that was not offered: permessage-deflate when nothing was offered, an unknown one beside an offered one", async () => {
    const unasked = await failed(
      switching(["Sec-WebSocket-Extensions: permessage-deflate"]),
    );
    assert.equal(
      unasked.message,
      "Invalid handshake response: Unexpected extension: permessage-deflate",
    );
    const unknown = await failed(
      switching(["Sec-WebSocket-Extensions: x-webkit-deflate-frame"]),
      { deflate: {} },
    );
    assert.match(
      unknown.message,
      /Unexpected extension: x-webkit-deflate-frame/,
    );
    const malformed = await failed(
      switching(["Sec-WebSocket-Extensions: permessage-deflate;;"]),
      { deflate: {} },
    );
    assert.match(malformed.message, /Sec-WebSocket-Extensions/);
  });
});

describe("permessage-deflate answers (RFC 7692 §5, §7)", () => {
  const shared = { mode: "shared" } as const;
  const dedicated = { mode: "dedicated", windowBits: 11 } as const;

  test("shared mode: the first offer accepted as made, or the second (the server keeps its context)", async () => {
    const first = await opened(
      switching([
        "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover",
      ]),
      { deflate: shared },
    );
    assert.deepEqual(first.init.deflate?.parameters, {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
    const second = await opened(
      switching([
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10",
      ]),
      { deflate: shared },
    );
    assert.equal(
      second.init.deflate?.parameters.serverNoContextTakeover,
      false,
    );
    assert.equal(second.init.deflate?.parameters.clientMaxWindowBits, 10);
  });

  test("a server that declines compression: the connection opens without it", async () => {
    const { init } = await opened(switching(), { deflate: shared });
    assert.equal(init.deflate, undefined);
  });

  test("dedicated mode: a smaller server window answers the first offer; none, or a larger one, the fallback offer", async () => {
    const smaller = await opened(
      switching([
        "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=9",
      ]),
      { deflate: dedicated },
    );
    assert.equal(smaller.init.deflate?.parameters.serverMaxWindowBits, 9);
    // The fallback offer (no server_max_window_bits) takes a plain answer.
    const plain = await opened(
      switching(["Sec-WebSocket-Extensions: permessage-deflate"]),
      { deflate: dedicated },
    );
    assert.equal(plain.init.deflate?.parameters.serverMaxWindowBits, 15);
    // RFC 7692 §7.1.2.1: an answer to an offer without
    // server_max_window_bits "MAY include" it: a larger window answers the
    // fallback offer.
    const larger = await opened(
      switching([
        "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12",
      ]),
      { deflate: dedicated },
    );
    assert.equal(larger.init.deflate?.parameters.serverMaxWindowBits, 12);
  });

  test("malformed or unacceptable answers fail the connection, naming the problem", async () => {
    const cases: Array<[string, RegExp]> = [
      [
        "permessage-deflate; server_max_window_bits=7",
        /server_max_window_bits/,
      ],
      [
        "permessage-deflate; server_max_window_bits=16",
        /server_max_window_bits/,
      ],
      [
        "permessage-deflate; server_max_window_bits=010",
        /server_max_window_bits/,
      ],
      ["permessage-deflate; client_max_window_bits", /client_max_window_bits/],
      [
        "permessage-deflate; client_max_window_bits=16",
        /client_max_window_bits/,
      ],
      ["permessage-deflate; x_unknown=1", /x_unknown/],
      [
        "permessage-deflate; server_no_context_takeover=1",
        /server_no_context_takeover/,
      ],
      [
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        /Repeated parameter/,
      ],
      ["permessage-deflate, permessage-deflate", /Several permessage-deflate/],
    ];
    for (const [answer, message] of cases) {
      const failure = await failed(
        switching([`Sec-WebSocket-Extensions: ${answer}`]),
        { deflate: shared },
      );
      assert.match(failure.message, /^Invalid handshake response: /, answer);
      assert.match(failure.message, message, answer);
      assert.equal(failure.response?.status, 101);
    }
  });
});

describe("a head that is not a valid HTTP response, or too large", () => {
  test("garbage, HTTP/2, a bad status code, a field without a colon, LF-only lines: invalid", async () => {
    const cases: Array<[string, RegExp]> = [
      ["SSH-2.0-OpenSSH_9.2\r\n\r\n", /Invalid status line/],
      ["HTTP/2.0 101 Switching Protocols\r\n\r\n", /Unsupported HTTP version/],
      ["HTTP/1.1 1O1 Switching Protocols\r\n\r\n", /bad status code/],
      ["HTTP/1.1 101 Switching Protocols\r\nUpgrade websocket\r\n\r\n", /./],
      ["HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n", /./],
      ["\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n", /./],
    ];
    for (const [text, message] of cases) {
      const failure = await failed(encoder.encode(text));
      assert.match(failure.message, /^Invalid handshake response: /, text);
      assert.match(failure.message, message, text);
      assert.equal(failure.status, undefined);
    }
  });

  test("a head over maxHeadBytes fails as soon as the limit is crossed, without its end", async () => {
    const { opening, outcome } = start({
      limits: { maxHeadBytes: 256, maxHeaderCount: 100 },
    });
    opening.onData(encoder.encode("HTTP/1.1 101 Switching Protocols\r\n"));
    opening.onData(encoder.encode(`X-Pad: ${"a".repeat(300)}`));
    const result = await outcome;
    assert.equal(result.kind, "failed");
    assert.match(
      (result as { failure: HandshakeFailure }).failure.message,
      /^Invalid handshake response: .*(large|long|limit|exceed)/i,
    );
  });

  test("more header lines than maxHeaderCount fail", async () => {
    const failure = await failed(
      switching(["X-1: 1", "X-2: 2"]),
      { limits: { maxHeadBytes: 16384, maxHeaderCount: 4 } },
    );
    assert.match(failure.message, /^Invalid handshake response: .*header/i);
  });

  test("a status line that never ends fails at maxHeadBytes", async () => {
    const { opening, outcome } = start({
      limits: { maxHeadBytes: 1024, maxHeaderCount: 100 },
    });
    for (let i = 0; i < 20; i++) {
      opening.onData(encoder.encode("A".repeat(100)));
    }
    assert.equal((await outcome).kind, "failed");
  });
});

describe("what comes with and after the head", () => {
  test("bytes behind the head in the same read are the first frames; the 101 is checked in that read, so later reads are the open connection's", async () => {
    const { opening, outcome, extra } = start();
    const first = rawFrame(0x1, "one");
    const second = rawFrame(0x2, [1, 2, 3]);
    const response = switching();
    const joined = new Uint8Array(response.length + first.length);
    joined.set(response);
    joined.set(first, response.length);
    opening.onData(joined);
    // The accept key is computed synchronously: the opening is done within
    // the read (a FIN now is no longer its business).
    assert.equal(opening.onEnd(), true);
    // The driver hands later reads to the open connection; the opening,
    // done, takes no part in them.
    opening.onData(second);
    const result = await outcome;
    assert.equal(result.kind, "opened");
    const { init } = result as { init: OpenInit };
    assert.deepEqual(init.early, [first]);
    assert.equal(init.peerEnded, false);
    assert.deepEqual(extra, []);
  });

  test("a close frame right behind a complete 101 is the open connection's first frame", async () => {
    const { opening, outcome } = start();
    const close = rawFrame(0x8, [0x03, 0xe8, ...encoder.encode("bye")]);
    const response = switching();
    const joined = new Uint8Array(response.length + close.length);
    joined.set(response);
    joined.set(close, response.length);
    opening.onData(joined);
    const result = await outcome;
    assert.equal(result.kind, "opened");
    const { init } = result as { init: OpenInit };
    assert.deepEqual(init.early, [close]);
    assert.equal(init.peerEnded, false);
  });

  test("a FIN before the head is complete fails the handshake, and the driver may end its side", async () => {
    const { opening, outcome } = start();
    opening.onData(encoder.encode("HTTP/1.1 101 Switching"));
    assert.equal(opening.onEnd(), true);
    const result = await outcome;
    assert.equal(result.kind, "failed");
    assert.equal(
      (result as { failure: HandshakeFailure }).failure.message,
      "The server closed the connection before answering the handshake",
    );
  });

  test("a bad 101 followed by a FIN: one failure, for the bad answer", async () => {
    const { opening, outcome, extra } = start();
    opening.onData(switching([], ["Upgrade"]));
    // Failed in the read: the driver may end its side.
    assert.equal(opening.onEnd(), true);
    const result = await outcome;
    assert.equal(result.kind, "failed");
    assert.match(
      (result as { failure: HandshakeFailure }).failure.message,
      /Upgrade/,
    );
    assert.deepEqual(extra, []);
  });
});

describe("through a ClientSocket (memory engine)", () => {
  async function acceptOf(key: string): Promise<string> {
    const digest = await crypto.subtle.digest(
      "SHA-1",
      encoder.encode(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`),
    );
    return btoa(String.fromCharCode(...new Uint8Array(digest)));
  }

  test("a 101, a text frame and a close frame in one write, then FIN: open, the message, close 1000 with its reason", async () => {
    const engine = memoryEngine();
    const listener = await engine.listen(
      { hostname: "127.0.0.1", port: 0 },
      (transport) => {
        let request = "";
        return {
          async onData(bytes) {
            request += new TextDecoder().decode(bytes);
            if (!request.includes("\r\n\r\n")) return;
            const key = /sec-websocket-key: (.*)\r\n/i.exec(request)![1];
            const head = encoder.encode(
              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
                `Connection: Upgrade\r\nSec-WebSocket-Accept: ${await acceptOf(
                  key,
                )}\r\n\r\n`,
            );
            const text = rawFrame(0x1, "early");
            const close = rawFrame(0x8, [
              0x03,
              0xe8,
              ...encoder.encode("done"),
            ]);
            const all = new Uint8Array(
              head.length + text.length + close.length,
            );
            all.set(head);
            all.set(text, head.length);
            all.set(close, head.length + text.length);
            transport.write(all);
            transport.end();
          },
          onDrain() {},
          onEnd() {},
          onClose() {},
        };
      },
    );
    try {
      const socket = new ClientSocket(`ws://127.0.0.1:${listener.port}/`, {
        engine,
        deflate: false,
      });
      const seen: string[] = [];
      const closed = new Promise<ClientSocketEvents["close"]>((resolve) => {
        socket.addEventListener("open", () => seen.push("open"));
        socket.addEventListener(
          "message",
          (event) => seen.push(`message ${event.data}`),
        );
        socket.addEventListener(
          "error",
          (event) => seen.push(`error ${event.message}`),
        );
        socket.addEventListener("close", resolve);
      });
      const event = await withTimeout(closed, 3000, "close");
      assert.deepEqual(seen, ["open", "message early"]);
      assert.equal(event.code, 1000);
      assert.equal(event.reason, "done");
      assert.equal(socket.readyState, 3);
      assert.equal(socket.bufferedAmount, 0);
    } finally {
      await listener.close();
    }
  });

  test("a refusal with Retry-After: error, then close 1006 with the status and retryAfter", async () => {
    const engine = memoryEngine();
    const listener = await engine.listen(
      { hostname: "127.0.0.1", port: 0 },
      (transport) => ({
        onData() {
          transport.write(encoder.encode(
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 9\r\nContent-Length: 0\r\n\r\n",
          ));
          transport.end();
        },
        onDrain() {},
        onEnd() {},
        onClose() {},
      }),
    );
    try {
      const socket = new ClientSocket(`ws://127.0.0.1:${listener.port}/`, {
        engine,
      });
      const errors: string[] = [];
      socket.addEventListener("error", (event) => errors.push(event.message));
      const event = await withTimeout(
        new Promise<ClientSocketEvents["close"]>((resolve) =>
          socket.addEventListener("close", resolve)
        ),
        3000,
        "close",
      );
      assert.deepEqual(errors, [
        "The server refused the upgrade: 503 Service Unavailable",
      ]);
      assert.equal(event.code, 1006);
      assert.equal(event.wasClean, false);
      assert.equal(event.status, 503);
      assert.equal(event.retryAfter, 9);
    } finally {
      await listener.close();
    }
  });
});
