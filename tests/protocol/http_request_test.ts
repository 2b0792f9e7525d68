import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isToken } from "../../src/protocol/http_fields.ts";
import {
  fieldText,
  type HttpRequest,
  releaseParsedFields,
} from "../../src/protocol/http_request.ts";
import {
  RequestHeadReader,
  type RequestHeadResult,
} from "../../src/protocol/request_head_reader.ts";

function bytes(text: string): Uint8Array {
  // Latin-1: one byte per character, so tests can put any byte in a head.
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function complete(
  result: RequestHeadResult,
): { request: HttpRequest; rest: Uint8Array } {
  assert.equal(result.state, "complete", JSON.stringify(result));
  if (result.state !== "complete") throw new Error("Unreachable");
  return result;
}

function errorOf(result: RequestHeadResult): [number, string] {
  assert.equal(result.state, "error", JSON.stringify(result));
  if (result.state !== "error") throw new Error("Unreachable");
  return [result.status, result.message];
}

function pairs(headers: Headers): string[][] {
  const out: string[][] = [];
  headers.forEach((value, name) => out.push([name, value]));
  return out;
}

/** A comparable snapshot of a request (Headers and URLSearchParams are opaque). */
function snapshot(request: HttpRequest): unknown {
  return {
    method: request.method,
    target: request.target,
    path: request.path,
    query: [...request.query],
    version: request.version,
    headers: pairs(request.headers),
    rawHeaders: request.rawHeaders.map(([n, v]) => [n, v]),
  };
}

/** Feeds `input` one byte at a time; returns the first non-incomplete result. */
function byteByByte(input: Uint8Array, reader = new RequestHeadReader()): {
  result: RequestHeadResult;
  at: number;
} {
  for (let i = 0; i < input.length; i++) {
    const result = reader.push(input.subarray(i, i + 1));
    if (result.state !== "incomplete") return { result, at: i };
  }
  return { result: { state: "incomplete" }, at: input.length };
}

const HEAD = "GET /chat/room%201?user=ann&tag=a+b&tag=c HTTP/1.1\r\n" +
  "Host: server.example.com\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
  "X-Multi: one\r\n" +
  "x-multi:  two \t\r\n" +
  "Sec-WebSocket-Version: 13\r\n" +
  "\r\n";

// A masked text frame "Hi": FIN + text, MASK + length 2, mask key, payload.
const FRAME = new Uint8Array([0x81, 0x82, 0x01, 0x02, 0x03, 0x04, 0x49, 0x6b]);

describe("RequestHeadReader: parsing", () => {
  test("parses the request-line, the target parts and the header fields", () => {
    const { request, rest } = complete(
      new RequestHeadReader().push(bytes(HEAD)),
    );
    assert.equal(request.method, "GET");
    assert.equal(request.target, "/chat/room%201?user=ann&tag=a+b&tag=c");
    assert.equal(request.path, "/chat/room%201");
    assert.equal(request.query.get("user"), "ann");
    assert.deepEqual(request.query.getAll("tag"), ["a b", "c"]);
    assert.equal(request.version, "1.1");
    assert.equal(request.headers.get("host"), "server.example.com");
    assert.equal(request.headers.get("X-MULTI"), "one, two");
    assert.deepEqual(request.rawHeaders.map(([n, v]) => [n, v]), [
      ["Host", "server.example.com"],
      ["Upgrade", "websocket"],
      ["Connection", "Upgrade"],
      ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
      ["X-Multi", "one"],
      ["x-multi", "two"],
      ["Sec-WebSocket-Version", "13"],
    ]);
    assert.deepEqual(rest, new Uint8Array(0));
  });

  test("returns the bytes of a frame that follows the head in the same chunk", () => {
    const input = new Uint8Array([...bytes(HEAD), ...FRAME]);
    const { rest } = complete(new RequestHeadReader().push(input));
    assert.deepEqual(rest, FRAME);
    // `rest` is a copy: the engine may reuse its buffer after the call.
    input.fill(0);
    assert.deepEqual(rest, FRAME);
  });

  test("returns only the bytes after the blank line when the head spans chunks", () => {
    const input = new Uint8Array([...bytes(HEAD), ...FRAME]);
    const reader = new RequestHeadReader();
    assert.equal(reader.push(input.subarray(0, 30)).state, "incomplete");
    assert.equal(
      reader.push(input.subarray(30, HEAD.length - 3)).state,
      "incomplete",
    );
    const { rest } = complete(reader.push(input.subarray(HEAD.length - 3)));
    assert.deepEqual(rest, FRAME);
  });

  test("gives the same result for one byte at a time as for one chunk", () => {
    const whole = complete(new RequestHeadReader().push(bytes(HEAD)));
    const { result, at } = byteByByte(bytes(HEAD));
    assert.equal(at, HEAD.length - 1);
    const split = complete(result);
    assert.deepEqual(snapshot(split.request), snapshot(whole.request));
    assert.deepEqual(split.rest, new Uint8Array(0));
  });

  test("gives the same result for every split into two chunks", () => {
    const input = new Uint8Array([...bytes(HEAD), ...FRAME]);
    const expected = snapshot(
      complete(new RequestHeadReader().push(input)).request,
    );
    for (let cut = 0; cut <= input.length; cut++) {
      const reader = new RequestHeadReader();
      let result = reader.push(input.subarray(0, cut));
      if (result.state === "incomplete") {
        result = reader.push(input.subarray(cut));
      }
      const { request, rest } = complete(result);
      assert.deepEqual(snapshot(request), expected, `cut at ${cut}`);
      // Once complete, later chunks go to the frame decoder, not to `rest`.
      const expectedRest = cut < HEAD.length
        ? input.slice(HEAD.length)
        : input.slice(HEAD.length, cut);
      assert.deepEqual(rest, expectedRest, `cut at ${cut}`);
    }
  });

  test("reads a head in one chunk exactly as byte by byte", () => {
    // One chunk takes the quick path (string functions), one byte at a time
    // the byte-by-byte one: both must give the same request.
    const heads = [
      HEAD,
      "GET / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.0\r\nA:\r\nB: \t \r\nC:x:y: z\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost:a\r\nX-Tab:\tv\t\r\n\r\n",
      "GET http://a.example/p?q HTTP/1.1\r\nHOST: a.example\r\n\r\n",
      `GET / HTTP/1.1\r\n${"F: v\r\n".repeat(100)}\r\n`,
    ];
    for (const head of heads) {
      const whole = complete(new RequestHeadReader().push(bytes(head)));
      const split = complete(byteByByte(bytes(head)).result);
      assert.deepEqual(snapshot(whole.request), snapshot(split.request), head);
      assert.equal(
        fieldText(whole.request),
        fieldText(split.request),
        head,
      );
    }
  });

  test("refuses in one chunk what it refuses byte by byte", () => {
    const heads = [
      "GET / HTTP/1.1\r\nA : b\r\n\r\n",
      "GET / HTTP/1.1\r\n b: c\r\n\r\n",
      "GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",
      "GET / HTTP/1.1\r\nA: b\x00\r\n\r\n",
      "GET / HTTP/1.1\r\nA: \xe9\r\n\r\n",
      "GET /\t HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\nA: b\r\n\r\n",
      "GET / HTTP/1.1\r\nA: b\n\r\n",
      "GET / HTTP/2.0\r\n\r\n",
      `GET / HTTP/1.1\r\n${"F: v\r\n".repeat(101)}\r\n`,
    ];
    for (const head of heads) {
      // The status is the same; the message may differ (byte by byte, a
      // bad byte is refused before its line is complete).
      const [whole] = errorOf(new RequestHeadReader().push(bytes(head)));
      const [split] = errorOf(byteByByte(bytes(head)).result);
      assert.equal(whole, split, JSON.stringify(head));
    }
  });

  test("reads heads pushed in turns by many readers without mixing their fields", () => {
    // Readers share scratch space within one push: what a reader has read
    // must survive the pushes of others in between.
    const heads = [0, 1, 2].map((n) =>
      `GET /r${n} HTTP/1.1\r\nHost: h${n}\r\nX-N: ${n}\r\n` +
      `X-Long: ${String(n).repeat(40)}\r\n\r\n`
    );
    for (const piece of [1, 7, 20]) {
      const readers = heads.map(() => new RequestHeadReader());
      const results: Array<RequestHeadResult | undefined> = [];
      for (
        let at = 0;
        results.filter(Boolean).length < heads.length;
        at += piece
      ) {
        heads.forEach((head, n) => {
          if (results[n] !== undefined || at >= head.length) return;
          const result = readers[n].push(bytes(head.slice(at, at + piece)));
          if (result.state !== "incomplete") results[n] = result;
        });
      }
      results.forEach((result, n) => {
        const { request } = complete(result!);
        assert.equal(request.path, `/r${n}`);
        assert.deepEqual(request.rawHeaders, [
          ["Host", `h${n}`],
          ["X-N", String(n)],
          ["X-Long", String(n).repeat(40)],
        ], `piece ${piece}`);
      });
    }
  });

  test("reads a head whose fields pass the shared scratch space (a large maxHeadBytes)", () => {
    const fields = Array.from(
      { length: 40 },
      (_, i) => `X-F${i}: ${"v".repeat(1000)}`,
    );
    const head = `GET / HTTP/1.1\r\n${fields.join("\r\n")}\r\n\r\n`;
    for (const chunks of [1, 3]) {
      const reader = new RequestHeadReader({ maxHeadBytes: 65536 });
      const size = Math.ceil(head.length / chunks);
      let result: RequestHeadResult = { state: "incomplete" };
      for (let at = 0; at < head.length; at += size) {
        result = reader.push(bytes(head.slice(at, at + size)));
      }
      const { request } = complete(result);
      assert.equal(request.rawHeaders.length, 40);
      assert.deepEqual(request.rawHeaders[39], ["X-F39", "v".repeat(1000)]);
    }
  });

  test("skips empty lines before the request-line", () => {
    const { request } = complete(
      new RequestHeadReader().push(
        bytes("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
      ),
    );
    assert.equal(request.method, "GET");
    assert.deepEqual(request.rawHeaders.map(([n, v]) => [n, v]), [[
      "Host",
      "a",
    ]]);
  });

  test("accepts a head without header fields and empty field values", () => {
    const a = complete(
      new RequestHeadReader().push(bytes("GET / HTTP/1.1\r\n\r\n")),
    );
    assert.deepEqual(a.request.rawHeaders, []);
    const b = complete(
      new RequestHeadReader().push(bytes("GET / HTTP/1.1\r\nX-Empty:\r\n\r\n")),
    );
    assert.deepEqual(b.request.rawHeaders.map(([n, v]) => [n, v]), [[
      "X-Empty",
      "",
    ]]);
    assert.equal(b.request.headers.get("x-empty"), "");
  });

  test("splits the path of absolute-form, asterisk-form and query-only targets", () => {
    const path = (target: string): [string, string] => {
      const { request } = complete(
        new RequestHeadReader().push(bytes(`GET ${target} HTTP/1.1\r\n\r\n`)),
      );
      return [request.path, request.query.toString()];
    };
    assert.deepEqual(path("http://a.example:8080/chat?x=1"), ["/chat", "x=1"]);
    assert.deepEqual(path("wss://a.example"), ["/", ""]);
    assert.deepEqual(path("https://a.example?x=%41"), ["/", "x=A"]);
    assert.deepEqual(path("*"), ["*", ""]);
    assert.deepEqual(path("/?"), ["/", ""]);
    assert.deepEqual(path("/a/b?"), ["/a/b", ""]);
  });

  test("keeps the HTTP minor version as sent", () => {
    const { request } = complete(
      new RequestHeadReader().push(bytes("GET / HTTP/1.0\r\n\r\n")),
    );
    assert.equal(request.version, "1.0");
  });

  test("throws when pushed to after completing", () => {
    const reader = new RequestHeadReader();
    complete(reader.push(bytes("GET / HTTP/1.1\r\n\r\n")));
    assert.throws(() => reader.push(new Uint8Array([1])), {
      message: "Request head already complete: push after complete",
    });
  });

  test("accepts an empty push", () => {
    const reader = new RequestHeadReader();
    assert.deepEqual(reader.push(new Uint8Array(0)), { state: "incomplete" });
  });
});

describe("RequestHeadReader: rejections", () => {
  const cases: Array<[string, string, number]> = [
    [
      "garbage line before the request-line",
      "xx\r\nGET / HTTP/1.1\r\n\r\n",
      400,
    ],
    ["bare LF ending the request-line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400],
    ["bare LF ending a header field", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400],
    ["bare LF ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400],
    [
      "bare CR inside a field value",
      "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
      400,
    ],
    [
      "obs-fold continuation line",
      "GET / HTTP/1.1\r\nX-A: 1\r\n  2\r\n\r\n",
      400,
    ],
    [
      "tab-folded continuation line",
      "GET / HTTP/1.1\r\nX-A: 1\r\n\t2\r\n\r\n",
      400,
    ],
    [
      "whitespace before the first header field",
      "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
      400,
    ],
    [
      "space between field name and colon",
      "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
      400,
    ],
    [
      "tab between field name and colon",
      "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n",
      400,
    ],
    ["field line without a colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400],
    ["empty field name", "GET / HTTP/1.1\r\n: a\r\n\r\n", 400],
    ["separator in field name", "GET / HTTP/1.1\r\nX(a): a\r\n\r\n", 400],
    ["NUL in a field value", "GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n", 400],
    ["DEL in a field value", "GET / HTTP/1.1\r\nX-A: a\x7fb\r\n\r\n", 400],
    [
      "non-ASCII byte in a field value",
      "GET / HTTP/1.1\r\nX-A: caf\xe9\r\n\r\n",
      400,
    ],
    ["non-ASCII byte in the target", "GET /caf\xe9 HTTP/1.1\r\n\r\n", 400],
    ["tab in the request-line", "GET\t/ HTTP/1.1\r\n\r\n", 400],
    ["two spaces in the request-line", "GET  / HTTP/1.1\r\n\r\n", 400],
    ["trailing space in the request-line", "GET / HTTP/1.1 \r\n\r\n", 400],
    ["HTTP/0.9 style request-line", "GET /\r\n\r\n", 400],
    ["lowercase protocol name", "GET / http/1.1\r\n\r\n", 400],
    ["two-digit minor version", "GET / HTTP/1.10\r\n\r\n", 400],
    ["separator in the method", "G(T / HTTP/1.1\r\n\r\n", 400],
    ["fragment in the target", "GET /a#b HTTP/1.1\r\n\r\n", 400],
    ["HTTP/2.0 in an HTTP/1 request-line", "GET / HTTP/2.0\r\n\r\n", 505],
    ["HTTP/0.9 version", "GET / HTTP/0.9\r\n\r\n", 505],
  ];
  for (const [name, head, status] of cases) {
    test(`rejects with ${status}: ${name}`, () => {
      const [got] = errorOf(new RequestHeadReader().push(bytes(head)));
      assert.equal(got, status);
      const { result } = byteByByte(bytes(head));
      assert.equal(errorOf(result)[0], status, "one byte at a time");
    });
  }

  test("rejects binary garbage as soon as it arrives, before any line ends", () => {
    // The start of a TLS ClientHello sent to a plain-text port.
    const reader = new RequestHeadReader();
    assert.deepEqual(
      reader.push(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00])),
      {
        state: "error",
        status: 400,
        message: "Invalid character in request head: 0x16",
      },
    );
  });

  test("rejects a control byte in a partial header line before its CR LF", () => {
    const reader = new RequestHeadReader();
    assert.equal(
      reader.push(bytes("GET / HTTP/1.1\r\nX-A: a")).state,
      "incomplete",
    );
    assert.deepEqual(errorOf(reader.push(bytes("\x01"))), [
      400,
      "Invalid character in request head: 0x01",
    ]);
  });

  test("names the problem in the message", () => {
    const message = (head: string): string =>
      errorOf(new RequestHeadReader().push(bytes(head)))[1];
    assert.equal(
      message("GET / HTTP/1.1\nX: 1\r\n\r\n"),
      "Bare LF in request head",
    );
    assert.equal(
      message("GET / HTTP/1.1\r\nX : 1\r\n\r\n"),
      "Invalid header field: whitespace before colon",
    );
    assert.equal(
      message("GET / HTTP/1.1\r\nX: 1\r\n 2\r\n\r\n"),
      "Invalid header field: obsolete line folding",
    );
    assert.equal(
      message("GET / HTTP/2.0\r\n\r\n"),
      "Unsupported HTTP version: 2.0",
    );
    assert.equal(
      message("GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n"),
      "Invalid header field value: X-A",
    );
    assert.equal(
      message("GET / HTTP/1.1\r\nX-A: a\x7f"),
      "Invalid character in request head: 0x7f",
    );
  });

  test("repeats the same error on later pushes", () => {
    const reader = new RequestHeadReader();
    const first = reader.push(bytes("GET / HTTP/1.1\nHost: a\r\n\r\n"));
    assert.equal(first.state, "error");
    assert.equal(reader.push(bytes("GET / HTTP/1.1\r\n\r\n")), first);
  });
});

describe("RequestHeadReader: limits", () => {
  function headers(count: number): string {
    let out = "GET / HTTP/1.1\r\n";
    for (let i = 0; i < count; i++) out += `X-H${i}: ${i}\r\n`;
    return out;
  }

  test("accepts exactly 100 header fields by default", () => {
    const { request } = complete(
      new RequestHeadReader().push(bytes(headers(100) + "\r\n")),
    );
    assert.equal(request.rawHeaders.length, 100);
  });

  test("answers 431 to the 101st header field before the blank line arrives", () => {
    const result = new RequestHeadReader().push(bytes(headers(101)));
    assert.deepEqual(result, {
      state: "error",
      status: 431,
      message: "Too many header fields: more than 100",
    });
  });

  test("applies a custom header count limit", () => {
    const reader = new RequestHeadReader({ maxHeaderCount: 2 });
    assert.equal(reader.push(bytes(headers(2))).state, "incomplete");
    assert.equal(errorOf(reader.push(bytes("X-Third: 3\r\n")))[0], 431);
  });

  test("answers 431 as soon as the head passes 16384 bytes, without a blank line", () => {
    // One long header line: 16385 bytes in total, no CR LF at the end.
    const start = "GET / HTTP/1.1\r\nX-Big: ";
    const big = start + "a".repeat(16385 - start.length);
    assert.equal(big.length, 16385);
    const reader = new RequestHeadReader();
    assert.equal(reader.push(bytes(big.slice(0, 16384))).state, "incomplete");
    assert.deepEqual(reader.push(bytes("a")), {
      state: "error",
      status: 431,
      message: "Request head too large: more than 16384 bytes",
    });
  });

  test("answers 431 for an oversized head pushed in one chunk", () => {
    const head = headers(60).replace(
      /: (\d+)/g,
      (_m, n) => `: ${n}${"v".repeat(300)}`,
    );
    assert.ok(head.length > 16384);
    assert.equal(errorOf(new RequestHeadReader().push(bytes(head)))[0], 431);
  });

  test("accepts a head of exactly maxHeadBytes and refuses one byte more", () => {
    const head = "GET / HTTP/1.1\r\nHost: abc\r\n\r\n"; // 29 bytes
    assert.equal(head.length, 29);
    complete(new RequestHeadReader({ maxHeadBytes: 29 }).push(bytes(head)));
    const { result, at } = byteByByte(
      bytes(head),
      new RequestHeadReader({ maxHeadBytes: 28 }),
    );
    assert.deepEqual(errorOf(result), [
      431,
      "Request head too large: more than 28 bytes",
    ]);
    assert.equal(at, 28, "detected at the 29th byte");
    // Bytes after a head that fits do not count towards the limit.
    const { rest } = complete(
      new RequestHeadReader({ maxHeadBytes: 29 }).push(
        new Uint8Array([...bytes(head), ...FRAME]),
      ),
    );
    assert.deepEqual(rest, FRAME);
  });

  test("counts leading empty lines towards maxHeadBytes", () => {
    const head = "\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    assert.equal(
      errorOf(new RequestHeadReader({ maxHeadBytes: 20 }).push(bytes(head)))[0],
      431,
    );
    complete(new RequestHeadReader({ maxHeadBytes: 22 }).push(bytes(head)));
  });

  test("answers 414 to a request-line longer than maxRequestLineBytes before its end", () => {
    const line = "GET /" + "a".repeat(15) + " HTTP/1.1"; // 29 bytes
    assert.equal(line.length, 29);
    complete(
      new RequestHeadReader({ maxRequestLineBytes: 29 }).push(
        bytes(line + "\r\n\r\n"),
      ),
    );
    const reader = new RequestHeadReader({ maxRequestLineBytes: 28 });
    assert.equal(reader.push(bytes(line.slice(0, 28))).state, "incomplete");
    assert.deepEqual(reader.push(bytes(line.slice(28, 29))), {
      state: "error",
      status: 414,
      message: "Request line too long: more than 28 bytes",
    });
  });

  test("does not count the CR of the request-line towards its limit", () => {
    const reader = new RequestHeadReader({ maxRequestLineBytes: 14 });
    assert.equal(reader.push(bytes("GET / HTTP/1.1\r")).state, "incomplete");
    complete(reader.push(bytes("\n\r\n")));
  });

  test("answers 414 by default to a request-line over 8192 bytes", () => {
    const head = "GET /" + "a".repeat(8200) + " HTTP/1.1\r\n\r\n";
    assert.equal(errorOf(new RequestHeadReader().push(bytes(head)))[0], 414);
  });

  test("rejects limits that are not positive integers", () => {
    assert.throws(() => new RequestHeadReader({ maxHeadBytes: 0 }), {
      name: "RangeError",
      message: "Invalid maxHeadBytes: 0",
    });
    assert.throws(
      () => new RequestHeadReader({ maxHeaderCount: 1.5 }),
      RangeError,
    );
    assert.throws(
      () => new RequestHeadReader({ maxRequestLineBytes: NaN }),
      RangeError,
    );
  });
});

describe("releaseParsedFields", () => {
  test("a released request parses the same fields again from its head text", () => {
    const head = "GET /a?b=c HTTP/1.1\r\n" +
      "Host: example.com:8080\r\n" +
      "X-Time: 12:30:45\r\n" +
      "X-Empty:\r\n" +
      "x-multi: one\r\n" +
      "X-Multi:  two \t\r\n" +
      "\r\n";
    const { request } = complete(new RequestHeadReader().push(bytes(head)));
    const before = snapshot(request);
    const rawBefore = request.rawHeaders;
    releaseParsedFields(request);
    assert.notEqual(request.rawHeaders, rawBefore);
    assert.deepEqual(snapshot(request), before);
    assert.deepEqual(request.rawHeaders, [
      ["Host", "example.com:8080"],
      ["X-Time", "12:30:45"],
      ["X-Empty", ""],
      ["x-multi", "one"],
      ["X-Multi", "two"],
    ]);
  });

  test("a request without header fields has none after release", () => {
    const { request } = complete(
      new RequestHeadReader().push(bytes("GET / HTTP/1.1\r\n\r\n")),
    );
    releaseParsedFields(request);
    assert.deepEqual(request.rawHeaders, []);
    assert.equal([...request.headers].length, 0);
  });

  test("parsed fields are kept between two uses until released", () => {
    const { request } = complete(new RequestHeadReader().push(bytes(HEAD)));
    assert.equal(request.rawHeaders, request.rawHeaders);
    assert.equal(request.headers, request.headers);
  });

  test("leaves requests of other kinds alone", () => {
    const request: HttpRequest = {
      method: "GET",
      target: "/",
      path: "/",
      query: new URLSearchParams(),
      version: "1.1",
      headers: new Headers({ host: "a" }),
      rawHeaders: [["Host", "a"]],
    };
    releaseParsedFields(request);
    assert.deepEqual(request.rawHeaders, [["Host", "a"]]);
  });
});

describe("isToken", () => {
  test("accepts tchar strings and rejects separators, spaces, non-ASCII and the empty string", () => {
    assert.equal(isToken("permessage-deflate"), true);
    assert.equal(isToken("!#$%&'*+-.^_`|~09AZaz"), true);
    assert.equal(isToken(""), false);
    assert.equal(isToken("a b"), false);
    assert.equal(isToken("a,b"), false);
    assert.equal(isToken('a"b'), false);
    assert.equal(isToken("a/b"), false);
    assert.equal(isToken("café"), false);
    assert.equal(isToken("a\u0100"), false);
  });
});
