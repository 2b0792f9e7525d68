// ResponseHeadReader: the client's reader of the server's answer to the
// opening handshake. The real 101 responses of Deno.serve, Bun.serve, ws
// and python-websockets (captured byte for byte from each server answering
// the RFC 6455 §1.3 sample key) and anyws's own parse in any chunking and
// pass validateAcceptResponse; limits bite as soon as they are crossed;
// malformed status and field lines are errors with a message, never throws.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ResponseHeadReader,
  type ResponseHeadResult,
} from "../../src/protocol/response_head_reader.ts";
import { validateAcceptResponse } from "../../src/protocol/client_handshake.ts";
import { computeAcceptKey } from "../../src/protocol/accept_key.ts";
import { buildAcceptResponse } from "../../src/protocol/http_response.ts";
import { prng } from "../_prng.ts";

/** Latin-1: one byte per character, so a test can put any byte in a head. */
function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

type Complete = Extract<ResponseHeadResult, { state: "complete" }>;

function complete(result: ResponseHeadResult): Complete {
  assert.equal(result.state, "complete", JSON.stringify(result));
  return result as Complete;
}

function errorOf(result: ResponseHeadResult): string {
  assert.equal(result.state, "error", JSON.stringify(result));
  return (result as { message: string }).message;
}

/** A comparable snapshot of a parsed response. */
function snapshot(result: Complete): unknown {
  const { status, reason, version, headers, rawHeaders } = result.response;
  return {
    status,
    reason,
    version,
    headers: [...headers],
    rawHeaders: rawHeaders.map(([name, value]) => [name, value]),
    rest: [...result.rest],
  };
}

/** Feeds `input` in the given chunk sizes; returns the first result that is not incomplete. */
function feed(
  input: Uint8Array,
  sizes: (index: number) => number,
  reader = new ResponseHeadReader(),
): { result: ResponseHeadResult; fed: number } {
  let pos = 0;
  for (let i = 0; pos < input.length; i++) {
    const size = Math.max(1, sizes(i));
    const result = reader.push(input.subarray(pos, pos + size));
    pos = Math.min(input.length, pos + size);
    if (result.state !== "incomplete") return { result, fed: pos };
  }
  return { result: { state: "incomplete" }, fed: pos };
}

// RFC 6455 §1.3: the sample key and its accept value.
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// Captured from each server answering "GET /chat" with KEY, without and with
// "Sec-WebSocket-Protocol: chat" (Deno 2.9.6 Deno.upgradeWebSocket, Bun 1.4.5
// server.upgrade, ws 8.18.3 WebSocketServer, python3-websockets 10.4 serve).
const CAPTURED: ReadonlyArray<readonly [string, string, string]> = [
  [
    "Deno.serve",
    "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\ndate: Sun, 06 Dec 2026 02:53:24 GMT\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nsec-websocket-protocol: chat\r\ndate: Sun, 06 Dec 2026 02:53:24 GMT\r\n\r\n",
  ],
  [
    "Bun.serve",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nDate: Sun, 06 Dec 2026 02:53:27 GMT\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\nDate: Sun, 06 Dec 2026 02:53:28 GMT\r\n\r\n",
  ],
  [
    "ws",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n",
  ],
  [
    "python-websockets",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nDate: Sun, 06 Dec 2026 02:53:40 GMT\r\nServer: Python/3.11 websockets/10.4\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\nDate: Sun, 06 Dec 2026 02:53:40 GMT\r\nServer: Python/3.11 websockets/10.4\r\n\r\n",
  ],
  [
    "anyws",
    new TextDecoder().decode(buildAcceptResponse(ACCEPT)),
    new TextDecoder().decode(buildAcceptResponse(ACCEPT, { protocol: "chat" })),
  ],
];

// An unmasked text frame "Hi" from the server, right behind the head.
const FRAME = new Uint8Array([0x81, 0x02, 0x48, 0x69]);

describe("ResponseHeadReader: the real 101 responses", () => {
  for (const [server, plain, withProtocol] of CAPTURED) {
    test(`${server}: parsed whole, with the first frame as rest, and accepted by validateAcceptResponse`, () => {
      assert.equal(computeAcceptKey(KEY), ACCEPT);
      for (
        const [head, protocol] of [[plain, undefined], [
          withProtocol,
          "chat",
        ]] as const
      ) {
        const result = complete(
          new ResponseHeadReader().push(concat(bytes(head), FRAME)),
        );
        const { response, rest } = result;
        assert.equal(response.status, 101);
        assert.equal(response.reason, "Switching Protocols");
        assert.equal(response.version, "1.1");
        assert.equal(response.headers.get("upgrade"), "websocket");
        assert.deepEqual([...rest], [...FRAME]);
        const validation = validateAcceptResponse(response, {
          accept: ACCEPT,
          protocols: ["chat"],
        });
        assert.deepEqual(validation, { ok: true, protocol, extensions: [] });
      }
    });

    test(`${server}: byte by byte, complete exactly at the last byte of the head`, () => {
      for (const head of [plain, withProtocol]) {
        const input = concat(bytes(head), FRAME);
        const whole = snapshot(
          complete(new ResponseHeadReader().push(input)),
        );
        const { result, fed } = feed(bytes(head), () => 1);
        assert.equal(fed, head.length);
        const oneByOne = complete(result);
        assert.equal(oneByOne.rest.length, 0);
        assert.deepEqual(
          snapshot(oneByOne),
          { ...(whole as object), rest: [] },
        );
      }
    });

    test(`${server}: every split into two chunks gives the same response and rest`, () => {
      const input = concat(bytes(withProtocol), FRAME);
      const whole = snapshot(complete(new ResponseHeadReader().push(input)));
      for (let cut = 1; cut < input.length; cut++) {
        const reader = new ResponseHeadReader();
        let result = reader.push(input.subarray(0, cut));
        let rest: Uint8Array = new Uint8Array(0);
        if (result.state === "incomplete") {
          result = reader.push(input.subarray(cut));
        } else {
          rest = input.subarray(cut);
        }
        const parsed = complete(result);
        assert.deepEqual(
          snapshot({ ...parsed, rest: concat(parsed.rest, rest) }),
          whole,
          `cut at ${cut}`,
        );
      }
    });
  }

  test("random chunkings (seeded) of every captured head agree with the whole", () => {
    const rng = prng(0x101);
    for (const [, plain, withProtocol] of CAPTURED) {
      for (const head of [plain, withProtocol]) {
        const input = concat(bytes(head), FRAME);
        const whole = snapshot(complete(new ResponseHeadReader().push(input)));
        for (let run = 0; run < 50; run++) {
          const { result, fed } = feed(input, () => rng.int(1, 24));
          const parsed = complete(result);
          const late = input.subarray(fed);
          assert.deepEqual(
            snapshot({ ...parsed, rest: concat(parsed.rest, late) }),
            whole,
          );
        }
      }
    }
  });
});

describe("ResponseHeadReader: what the parsed response holds", () => {
  test("rawHeaders keeps order, case and repeats; values lose their OWS; Headers combines repeats", () => {
    const { response } = complete(
      new ResponseHeadReader().push(bytes(
        "HTTP/1.1 101 Switching Protocols\r\n" +
          "Upgrade:websocket\r\n" +
          "X-Multi:  one \t\r\n" +
          "x-multi: two\r\n" +
          "Empty:\r\n\r\n",
      )),
    );
    assert.deepEqual(response.rawHeaders.map(([n, v]) => [n, v]), [
      ["Upgrade", "websocket"],
      ["X-Multi", "one"],
      ["x-multi", "two"],
      ["Empty", ""],
    ]);
    assert.equal(response.headers.get("x-multi"), "one, two");
    assert.equal(response.headers.get("empty"), "");
    assert.ok(Object.isFrozen(response));
  });

  test("a reason phrase may be empty, missing its SP, hold HTAB and obs-text (read as ISO-8859-1)", () => {
    const cases: Array<[string, string]> = [
      ["HTTP/1.1 101 \r\n\r\n", ""],
      ["HTTP/1.1 101\r\n\r\n", ""],
      ["HTTP/1.1 101 Cambio\tde protocolo\r\n\r\n", "Cambio\tde protocolo"],
      [
        "HTTP/1.1 101 Protokollwechsel \xe9\x80\xff\r\n\r\n",
        "Protokollwechsel \xe9\x80\xff",
      ],
    ];
    for (const [head, reason] of cases) {
      for (const sizes of [() => head.length, () => 1]) {
        const { result } = feed(bytes(head), sizes);
        const { response } = complete(result);
        assert.equal(response.status, 101);
        assert.equal(response.reason, reason, JSON.stringify(head));
      }
    }
  });

  test("other statuses and HTTP/1.0 parse too; the body that follows is rest, and validateAcceptResponse refuses them", () => {
    const { response, rest } = complete(
      new ResponseHeadReader().push(bytes(
        "HTTP/1.0 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden",
      )),
    );
    assert.equal(response.status, 403);
    assert.equal(response.version, "1.0");
    assert.equal(new TextDecoder().decode(rest), "forbidden");
    assert.deepEqual(
      validateAcceptResponse(response, { accept: computeAcceptKey(KEY) }),
      { ok: false, message: "Unexpected response status: 403" },
    );
  });

  test("validateAcceptResponse on parsed heads: an unoffered subprotocol, a wrong or repeated accept, and an extension offered or not", () => {
    const parse = (head: string) =>
      complete(new ResponseHeadReader().push(bytes(head))).response;
    const base = "HTTP/1.1 101 Switching Protocols\r\n" +
      "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    const withChat = parse(CAPTURED[2][2]);
    assert.deepEqual(validateAcceptResponse(withChat, { accept: ACCEPT }), {
      ok: false,
      message: "Unexpected subprotocol: chat",
    });
    const wrongAccept = parse(
      base + "Sec-WebSocket-Accept: x3JJHMbDL1EzLkh9GBhXDw==\r\n\r\n",
    );
    assert.equal(
      validateAcceptResponse(wrongAccept, { accept: ACCEPT }).ok,
      false,
    );
    // Two accept fields combine into "a, a": not the expected value.
    const twice = parse(
      base + `Sec-WebSocket-Accept: ${ACCEPT}\r\n` +
        `Sec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`,
    );
    assert.deepEqual(validateAcceptResponse(twice, { accept: ACCEPT }), {
      ok: false,
      message: "Missing or invalid header: Sec-WebSocket-Accept",
    });
    const deflate = parse(
      base + `Sec-WebSocket-Accept: ${ACCEPT}\r\n` +
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=15\r\n\r\n",
    );
    const offered = validateAcceptResponse(deflate, {
      accept: ACCEPT,
      extensions: ["permessage-deflate"],
    });
    assert.equal(offered.ok, true);
    assert.deepEqual(validateAcceptResponse(deflate, { accept: ACCEPT }), {
      ok: false,
      message: "Unexpected extension: permessage-deflate",
    });
  });
});

describe("ResponseHeadReader: malformed heads are errors with a message", () => {
  const OK = "HTTP/1.1 101 Switching Protocols\r\n";
  const cases: Array<[string, string, RegExp]> = [
    [
      "a bare LF ending the status line",
      "HTTP/1.1 101 OK\n\r\n",
      /^Bare LF in response head$/,
    ],
    [
      "a bare LF ending a field line",
      OK + "Upgrade: websocket\n\r\n",
      /^Bare LF in response head$/,
    ],
    [
      "an empty line before the status line",
      "\r\n" + OK + "\r\n",
      /^Invalid status line$/,
    ],
    ["a request line", "GET / HTTP/1.1\r\n\r\n", /^Invalid status line/],
    ["no status code", "HTTP/1.1\r\n\r\n", /^Invalid status line$/],
    [
      "two spaces before the code",
      "HTTP/1.1  101 OK\r\n\r\n",
      /^Invalid status line$/,
    ],
    ["a four-digit code", "HTTP/1.1 1010 OK\r\n\r\n", /^Invalid status line$/],
    [
      "a letter in the code",
      "HTTP/1.1 1O1 OK\r\n\r\n",
      /^Invalid status line: bad status code$/,
    ],
    [
      "a code under 100",
      "HTTP/1.1 099 Odd\r\n\r\n",
      /^Invalid status line: bad status code$/,
    ],
    [
      "a code over 599",
      "HTTP/1.1 600 Odd\r\n\r\n",
      /^Invalid status line: bad status code$/,
    ],
    [
      "a lower-case name",
      "http/1.1 101 OK\r\n\r\n",
      /^Invalid status line: bad HTTP version$/,
    ],
    [
      "a two-digit minor version",
      "HTTP/1.10 101 OK\r\n\r\n",
      /^Invalid status line/,
    ],
    ["HTTP/2.0", "HTTP/2.0 101 OK\r\n\r\n", /^Unsupported HTTP version: 2\.0$/],
    [
      "a control byte in the reason",
      "HTTP/1.1 101 O\x01K\r\n\r\n",
      /^Invalid character in (status line|response head): 0x01$/,
    ],
    [
      "a CR inside the reason",
      "HTTP/1.1 101 O\rK\r\n\r\n",
      /^Invalid character in status line: 0x0d$/,
    ],
    [
      "DEL in the reason",
      "HTTP/1.1 101 O\x7fK\r\n\r\n",
      /^Invalid character in (status line|response head): 0x7f$/,
    ],
    [
      "a folded field line",
      OK + "Upgrade: web\r\n socket\r\n\r\n",
      /^Invalid header field: obsolete line folding$/,
    ],
    [
      "whitespace before the first field",
      OK + " Upgrade: websocket\r\n\r\n",
      /^Invalid header field: obsolete line folding$/,
    ],
    [
      "whitespace before a colon",
      OK + "Upgrade : websocket\r\n\r\n",
      /^Invalid header field: whitespace before colon$/,
    ],
    [
      "a field name that is not a token",
      OK + "Up(grade): websocket\r\n\r\n",
      /^Invalid header field name$/,
    ],
    [
      "a field line without a colon",
      OK + "Upgrade websocket\r\n\r\n",
      /^Invalid header field: whitespace before colon$/,
    ],
    [
      "an empty field name",
      OK + ": websocket\r\n\r\n",
      /^Invalid header field name: empty$/,
    ],
    [
      "obs-text in a field value",
      OK + "X-Name: caf\xe9\r\n\r\n",
      /^Invalid (header field value: X-Name|character in response head: 0xe9)$/,
    ],
    [
      "NUL in a field value",
      OK + "X-Name: a\x00b\r\n\r\n",
      /^Invalid (header field value: X-Name|character in response head: 0x00)$/,
    ],
  ];
  for (const [what, head, message] of cases) {
    test(`${what}: whole and byte by byte`, () => {
      for (const sizes of [() => head.length, () => 1]) {
        const { result } = feed(bytes(head), sizes);
        assert.match(errorOf(result), message);
      }
    });
  }

  test("an error repeats on later pushes; a push after complete throws", () => {
    const failed = new ResponseHeadReader();
    const first = failed.push(bytes("HTTP/9.9 101 OK\r\n"));
    assert.equal(failed.push(bytes("more")), first);
    const done = new ResponseHeadReader();
    complete(done.push(bytes("HTTP/1.1 101 OK\r\n\r\n")));
    assert.throws(() => done.push(new Uint8Array(1)), /already complete/);
  });
});

describe("ResponseHeadReader: limits", () => {
  const OK = "HTTP/1.1 101 Switching Protocols\r\n";

  test("a head of exactly maxHeadBytes passes; one byte more fails, as soon as it arrives", () => {
    const head = OK + "X-Pad: " + "a".repeat(100) + "\r\n\r\n";
    complete(
      new ResponseHeadReader({ maxHeadBytes: head.length }).push(bytes(head)),
    );
    const reader = new ResponseHeadReader({ maxHeadBytes: head.length - 1 });
    const { result, fed } = feed(bytes(head), () => 1, reader);
    assert.equal(
      errorOf(result),
      `Response head too large: more than ${head.length - 1} bytes`,
    );
    assert.equal(fed, head.length, "fails on the byte over the limit");
  });

  test("a server that streams an endless field line is stopped at the default 16384 bytes", () => {
    const reader = new ResponseHeadReader();
    let result = reader.push(bytes(OK + "X-Endless: "));
    let fed = 0;
    const chunk = bytes("z".repeat(1024));
    while (result.state === "incomplete" && fed < 1024 * 1024) {
      result = reader.push(chunk);
      fed += chunk.length;
    }
    assert.equal(
      errorOf(result),
      "Response head too large: more than 16384 bytes",
    );
    assert.ok(fed <= 16 * 1024, `${fed} bytes read`);
  });

  test("maxHeaderCount fields pass; one more fails", () => {
    const fields = (n: number) =>
      OK + Array.from({ length: n }, (_, i) => `X-${i}: ${i}\r\n`).join("") +
      "\r\n";
    const passed = complete(
      new ResponseHeadReader({ maxHeaderCount: 3 }).push(bytes(fields(3))),
    );
    assert.equal(passed.response.rawHeaders.length, 3);
    assert.equal(
      errorOf(
        new ResponseHeadReader({ maxHeaderCount: 3 }).push(bytes(fields(4))),
      ),
      "Too many header fields: more than 3",
    );
    // The default is 100.
    complete(new ResponseHeadReader().push(bytes(fields(100))));
    assert.equal(
      errorOf(new ResponseHeadReader().push(bytes(fields(101)))),
      "Too many header fields: more than 100",
    );
  });

  test("limits that are not positive integers are refused with a RangeError", () => {
    for (const limits of [{ maxHeadBytes: 0 }, { maxHeaderCount: 1.5 }]) {
      assert.throws(() => new ResponseHeadReader(limits), RangeError);
    }
  });
});
