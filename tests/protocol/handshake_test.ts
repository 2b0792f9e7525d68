import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { HttpRequest } from "../../src/protocol/http_request.ts";
import { RequestHeadReader } from "../../src/protocol/request_head_reader.ts";
import {
  computeAcceptKey,
  generateKey,
} from "../../src/protocol/accept_key.ts";
import { validateAcceptResponse } from "../../src/protocol/client_handshake.ts";
import {
  type ExtensionOffer,
  formatExtensions,
  parseExtensions,
} from "../../src/protocol/extensions.ts";
import {
  selectSubprotocol,
  type UpgradeValidation,
  validateUpgrade,
} from "../../src/protocol/server_handshake.ts";

const encoder = new TextEncoder();
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

const BASE: ReadonlyArray<string> = [
  "Host: server.example.com",
  "Upgrade: websocket",
  "Connection: Upgrade",
  `Sec-WebSocket-Key: ${KEY}`,
  "Sec-WebSocket-Version: 13",
];

/** The RFC 6455 §1.3 request with `change` applied to its header lines. */
function head(
  change: (lines: string[]) => string[] = (l) => l,
  requestLine = "GET /chat HTTP/1.1",
): string {
  return requestLine + "\r\n" +
    change([...BASE]).map((l) => l + "\r\n").join("") + "\r\n";
}

function without(name: string): (lines: string[]) => string[] {
  return (lines) =>
    lines.filter((l) => !l.toLowerCase().startsWith(name.toLowerCase() + ":"));
}

function replace(name: string, value: string): (lines: string[]) => string[] {
  return (lines) => [...without(name)(lines), `${name}: ${value}`];
}

function add(...extra: string[]): (lines: string[]) => string[] {
  return (lines) => [...lines, ...extra];
}

function parse(text: string): HttpRequest {
  const result = new RequestHeadReader().push(encoder.encode(text));
  if (result.state !== "complete") {
    throw new Error(`Not complete: ${JSON.stringify(result)}`);
  }
  return result.request;
}

/** The status the server answers: 101 when the handshake is valid. */
function statusOf(
  text: string,
): { status: number; validation?: UpgradeValidation } {
  const result = new RequestHeadReader().push(encoder.encode(text));
  if (result.state === "error") return { status: result.status };
  assert.equal(result.state, "complete");
  if (result.state !== "complete") throw new Error("Unreachable");
  const validation = validateUpgrade(result.request);
  return { status: validation.ok ? 101 : validation.status, validation };
}

describe("computeAcceptKey", () => {
  test("answers the RFC 6455 §1.3 example key with its accept value", () => {
    // RFC 6455 §1.3: SHA-1 = 0xb3 0x7a 0x4f 0x2c 0xc0 0x62 0x4f 0x16 0x90 0xf6
    // 0x46 0x06 0xcf 0x38 0x59 0x45 0xb2 0xbe 0xc4 0xea, base64-encoded
    // "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
    assert.equal(computeAcceptKey(KEY), ACCEPT);
  });

  test("hashes the key exactly as given", () => {
    assert.equal(
      computeAcceptKey("x3JJHMbDL1EzLkh9GBhXDw=="),
      "HSmrc0sMlYUkAGmm5OPpG2HaGWk=",
    );
  });

  test("gives base64 of Web Crypto's SHA-1 for random, odd and non-ASCII keys", async () => {
    const keys = ["", "a", "é", "ключ", "\u{1F600}", "x".repeat(100)];
    for (let i = 0; i < 20; i++) keys.push(generateKey());
    for (const key of keys) {
      const digest = await crypto.subtle.digest(
        "SHA-1",
        encoder.encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
      );
      const expected = btoa(String.fromCharCode(...new Uint8Array(digest)));
      assert.equal(computeAcceptKey(key), expected, JSON.stringify(key));
    }
  });
});

describe("validateUpgrade: table of requests and statuses", () => {
  const cases: Array<[name: string, text: string, status: number]> = [
    ["the RFC 6455 §1.3 request", head(), 101],
    ["Upgrade in mixed case", head(replace("Upgrade", "WebSocket")), 101],
    [
      "Connection with several tokens",
      head(replace("Connection", "keep-alive, Upgrade")),
      101,
    ],
    ["Connection in upper case", head(replace("Connection", "UPGRADE")), 101],
    [
      "Upgrade listing another protocol too",
      head(replace("Upgrade", "h2c, websocket")),
      101,
    ],
    ["HTTP/1.2", head(undefined, "GET /chat HTTP/1.2"), 101],
    [
      "an absolute-form http target",
      head(undefined, "GET http://a.example/chat HTTP/1.1"),
      101,
    ],
    [
      "an absolute-form wss target",
      head(undefined, "GET wss://a.example/chat HTTP/1.1"),
      101,
    ],
    ["an empty line before the request-line", "\r\n" + head(), 101],
    ["Content-Length: 0", head(add("Content-Length: 0")), 101],
    ["a Host with a port", head(replace("Host", "127.0.0.1:8080")), 101],
    ["an IPv6 Host", head(replace("Host", "[::1]:8080")), 101],
    [
      "subprotocols on two lines",
      head(add("Sec-WebSocket-Protocol: a, b", "Sec-WebSocket-Protocol: c")),
      101,
    ],
    [
      "extensions with parameters",
      head(
        add(
          "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
        ),
      ),
      101,
    ],
    ["POST", head(undefined, "POST /chat HTTP/1.1"), 405],
    ["HEAD", head(undefined, "HEAD /chat HTTP/1.1"), 405],
    ["lowercase get", head(undefined, "get /chat HTTP/1.1"), 405],
    ["HTTP/1.0", head(undefined, "GET /chat HTTP/1.0"), 400],
    ["HTTP/2.0", head(undefined, "GET /chat HTTP/2.0"), 505],
    ["an asterisk-form target", head(undefined, "GET * HTTP/1.1"), 400],
    [
      "an authority-form target",
      head(undefined, "GET a.example:80 HTTP/1.1"),
      400,
    ],
    [
      "an ftp absolute target",
      head(undefined, "GET ftp://a.example/chat HTTP/1.1"),
      400,
    ],
    ["a missing Host", head(without("Host")), 400],
    ["a repeated Host", head(add("Host: other.example.com")), 400],
    ["an empty Host", head(replace("Host", "")), 400],
    ["a Host with a path", head(replace("Host", "a.example/x")), 400],
    ["a missing Upgrade", head(without("Upgrade")), 400],
    ["Upgrade: websocket2", head(replace("Upgrade", "websocket2")), 400],
    ["a missing Connection", head(without("Connection")), 400],
    ["Connection: keep-alive", head(replace("Connection", "keep-alive")), 400],
    ["Connection: upgraded", head(replace("Connection", "upgraded")), 400],
    [
      "Transfer-Encoding: chunked",
      head(add("Transfer-Encoding: chunked")),
      400,
    ],
    ["Content-Length: 5", head(add("Content-Length: 5")), 400],
    [
      "a missing Sec-WebSocket-Version",
      head(without("Sec-WebSocket-Version")),
      400,
    ],
    [
      "Sec-WebSocket-Version: 8",
      head(replace("Sec-WebSocket-Version", "8")),
      426,
    ],
    [
      "Sec-WebSocket-Version: 13, 8",
      head(replace("Sec-WebSocket-Version", "13, 8")),
      426,
    ],
    [
      "Sec-WebSocket-Version: 013",
      head(replace("Sec-WebSocket-Version", "013")),
      426,
    ],
    [
      "a repeated Sec-WebSocket-Version",
      head(add("Sec-WebSocket-Version: 13")),
      400,
    ],
    ["a missing Sec-WebSocket-Key", head(without("Sec-WebSocket-Key")), 400],
    [
      "a repeated Sec-WebSocket-Key",
      head(add(`Sec-WebSocket-Key: ${KEY}`)),
      400,
    ],
    ["an empty Sec-WebSocket-Key", head(replace("Sec-WebSocket-Key", "")), 400],
    [
      "a key of 15 bytes",
      head(replace("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA")),
      400,
    ],
    [
      "a key of 17 bytes",
      head(replace("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAAA=")),
      400,
    ],
    [
      "a key that is not base64",
      head(replace("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZ!==")),
      400,
    ],
    [
      "a key without padding",
      head(replace("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ")),
      400,
    ],
    [
      "a repeated Origin",
      head(add("Origin: http://a.example", "Origin: http://b.example")),
      400,
    ],
    [
      "a subprotocol that is not a token",
      head(add("Sec-WebSocket-Protocol: chat, a/b")),
      400,
    ],
    [
      "a repeated subprotocol",
      head(add("Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Protocol: chat")),
      400,
    ],
    [
      "an extension parameter without a name",
      head(add("Sec-WebSocket-Extensions: foo; =1")),
      400,
    ],
    [
      "an extension quoted value that is not a token",
      head(add('Sec-WebSocket-Extensions: foo; a="b c"')),
      400,
    ],
    [
      "an extension list with a bad separator",
      head(add("Sec-WebSocket-Extensions: foo bar")),
      400,
    ],
    ["obs-fold in a header", head(add("X-A: 1", " 2")), 400],
    [
      "too many header fields",
      head(add(...Array.from({ length: 100 }, (_, i) => `X-${i}: ${i}`))),
      431,
    ],
  ];
  for (const [name, text, status] of cases) {
    test(`answers ${status} to ${name}`, () => {
      const got = statusOf(text);
      assert.equal(got.status, status, JSON.stringify(got.validation));
      // Any chunking gives the same answer.
      const reader = new RequestHeadReader();
      const input = encoder.encode(text);
      let result = reader.push(input.subarray(0, 0));
      for (let i = 0; i < input.length && result.state === "incomplete"; i++) {
        result = reader.push(input.subarray(i, i + 1));
      }
      const chunked = result.state === "error"
        ? result.status
        : result.state === "complete"
        ? ((v) => (v.ok ? 101 : v.status))(validateUpgrade(result.request))
        : 0;
      assert.equal(chunked, status, "one byte at a time");
    });
  }
  test("has at least 30 cases", () => {
    assert.ok(cases.length >= 30);
  });
});

describe("validateUpgrade: details", () => {
  test("extracts key, protocols, extensions, origin and host", () => {
    const validation = validateUpgrade(parse(head(add(
      "Origin: http://example.com",
      "Sec-WebSocket-Protocol: chat, superchat",
      "Sec-WebSocket-Protocol: ,v3 ,",
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-webkit",
      'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits="10"',
    ))));
    assert.equal(validation.ok, true);
    if (!validation.ok) return;
    const { key, protocols, extensions, origin, host } = validation.upgrade;
    assert.equal(key, KEY);
    assert.deepEqual(protocols, ["chat", "superchat", "v3"]);
    assert.equal(origin, "http://example.com");
    assert.equal(host, "server.example.com");
    assert.deepEqual(
      extensions.map((e) => [e.name, { ...e.params }]),
      [
        ["permessage-deflate", { client_max_window_bits: true }],
        ["x-webkit", {}],
        ["permessage-deflate", { server_max_window_bits: "10" }],
      ],
    );
  });

  test("reports a null origin and empty lists when the client sends none", () => {
    const validation = validateUpgrade(parse(head()));
    assert.deepEqual(validation, {
      ok: true,
      upgrade: {
        key: KEY,
        protocols: [],
        extensions: [],
        origin: null,
        host: "server.example.com",
      },
    });
  });

  test("takes the host from an absolute-form target (RFC 9112 §3.2.2)", () => {
    const validation = validateUpgrade(
      parse(head(undefined, "GET ws://b.example:81/x HTTP/1.1")),
    );
    assert.equal(validation.ok && validation.upgrade.host, "b.example:81");
  });

  test("answers 405 with Allow: GET", () => {
    assert.deepEqual(
      validateUpgrade(parse(head(undefined, "PUT /chat HTTP/1.1"))),
      {
        ok: false,
        status: 405,
        message: "Method not allowed: PUT",
        headers: { Allow: "GET" },
      },
    );
  });

  test("answers 426 with the supported version and an Upgrade header", () => {
    assert.deepEqual(
      validateUpgrade(parse(head(replace("Sec-WebSocket-Version", "8")))),
      {
        ok: false,
        status: 426,
        message: "Unsupported WebSocket version: 8",
        headers: {
          "Sec-WebSocket-Version": "13",
          Upgrade: "websocket",
          Connection: "Upgrade",
        },
      },
    );
  });

  test("answers 400 with the supported version when Sec-WebSocket-Version is missing", () => {
    assert.deepEqual(
      validateUpgrade(parse(head(without("Sec-WebSocket-Version")))),
      {
        ok: false,
        status: 400,
        message: "Missing header: Sec-WebSocket-Version",
        headers: { "Sec-WebSocket-Version": "13" },
      },
    );
  });

  test("names the failed check in the message", () => {
    const message = (text: string): string => {
      const v = validateUpgrade(parse(text));
      return v.ok ? "ok" : v.message;
    };
    assert.equal(message(head(without("Host"))), "Missing header: Host");
    assert.equal(message(head(add("Host: b"))), "Duplicate header: Host");
    assert.equal(
      message(head(without("Upgrade"))),
      "Missing or invalid header: Upgrade",
    );
    assert.equal(
      message(head(without("Connection"))),
      "Missing or invalid header: Connection",
    );
    assert.equal(
      message(head(without("Sec-WebSocket-Key"))),
      "Missing header: Sec-WebSocket-Key",
    );
    assert.equal(
      message(head(replace("Sec-WebSocket-Key", "abc"))),
      "Invalid header: Sec-WebSocket-Key",
    );
    assert.equal(
      message(head(undefined, "GET /chat HTTP/1.0")),
      "Unsupported HTTP version: 1.0",
    );
  });

  test("returns a frame sent right after the head in `rest`", () => {
    const frame = new Uint8Array([0x81, 0x80, 0xa1, 0xb2, 0xc3, 0xd4]); // empty masked text
    const input = new Uint8Array([...encoder.encode(head()), ...frame]);
    const result = new RequestHeadReader().push(input);
    assert.equal(result.state, "complete");
    if (result.state !== "complete") return;
    assert.equal(validateUpgrade(result.request).ok, true);
    assert.deepEqual(result.rest, frame);
  });

  test("checks the HTTP version of a request built by hand", () => {
    const request = { ...parse(head()), version: "2.0" };
    assert.equal((validateUpgrade(request) as { status: number }).status, 505);
  });
});

describe("parseExtensions", () => {
  const plain = (offers: ExtensionOffer[] | null): unknown =>
    offers === null ? null : offers.map((o) => [o.name, { ...o.params }]);

  test("parses names, bare parameters, token and quoted values", () => {
    assert.deepEqual(
      plain(parseExtensions('a; x; y=1 ; z = "2", b ;q="\\3"')),
      [["a", { x: true, y: "1", z: "2" }], ["b", { q: "3" }]],
    );
  });

  test("ignores empty list elements", () => {
    assert.deepEqual(plain(parseExtensions(" , a ,, b, ")), [["a", {}], [
      "b",
      {},
    ]]);
    assert.deepEqual(plain(parseExtensions("")), []);
  });

  test("leaves out (declines) an offer that repeats a parameter", () => {
    assert.deepEqual(
      plain(
        parseExtensions("permessage-deflate; a=1; a=2, permessage-deflate"),
      ),
      [["permessage-deflate", {}]],
    );
  });

  test("keeps a __proto__ parameter as a plain entry", () => {
    const offers = parseExtensions("a; __proto__=x; constructor")!;
    assert.equal(Object.getPrototypeOf(offers[0].params), null);
    assert.equal(offers[0].params["__proto__"], "x");
    assert.equal(offers[0].params["constructor"], true);
  });

  test("answers null to values that do not match the §9.1 grammar", () => {
    for (
      const bad of [
        "a b",
        "a;",
        "a; =1",
        "a; b=",
        'a; b="c',
        'a; b="c d"',
        'a; b=""',
        "a; b=c=d",
        "a/b",
        ";a",
        'a; b="c\\',
        "a; b c",
      ]
    ) {
      assert.equal(parseExtensions(bad), null, bad);
    }
  });
});

describe("formatExtensions", () => {
  test("writes extensions with bare and valued parameters", () => {
    assert.equal(
      formatExtensions([
        {
          name: "permessage-deflate",
          params: {
            server_max_window_bits: "10",
            client_no_context_takeover: true,
          },
        },
        { name: "x-b", params: {} },
      ]),
      "permessage-deflate; server_max_window_bits=10; client_no_context_takeover, x-b",
    );
    assert.equal(formatExtensions([]), "");
  });

  test("round-trips through parseExtensions", () => {
    const text = "a; x; y=1, b";
    assert.equal(formatExtensions(parseExtensions(text)!), text);
  });

  test("throws a TypeError for a name or value that is not a token", () => {
    assert.throws(
      () => formatExtensions([{ name: "a b", params: {} }]),
      TypeError,
    );
    assert.throws(
      () => formatExtensions([{ name: "a", params: { "b\r\n": true } }]),
      TypeError,
    );
    assert.throws(
      () => formatExtensions([{ name: "a", params: { b: "1\r\nX: y" } }]),
      {
        name: "TypeError",
        message: 'Invalid extension parameter value: "1\\r\\nX: y"',
      },
    );
  });
});

describe("selectSubprotocol", () => {
  test("picks the first of the client's protocols that the server supports", () => {
    assert.equal(selectSubprotocol(["v2", "v1"], ["v1", "v2"]), "v2");
    assert.equal(selectSubprotocol(["x", "v1", "v2"], ["v2", "v1"]), "v1");
  });

  test("matches case-sensitively and answers undefined when nothing matches", () => {
    assert.equal(selectSubprotocol(["Chat"], ["chat"]), undefined);
    assert.equal(selectSubprotocol([], ["chat"]), undefined);
    assert.equal(selectSubprotocol(["chat"], []), undefined);
  });
});

describe("generateKey", () => {
  test("generates distinct valid 16-byte keys", () => {
    const a = generateKey();
    const b = generateKey();
    assert.match(a, /^[A-Za-z0-9+/]{22}==$/);
    assert.equal(atob(a).length, 16);
    assert.notEqual(a, b);
  });

  test("encodes its random bytes as btoa does", () => {
    for (let i = 0; i < 50; i++) {
      const key = generateKey();
      const raw = atob(key);
      assert.equal(btoa(raw), key);
    }
  });

  test("generates keys that validateUpgrade accepts", () => {
    const key = generateKey();
    const validation = validateUpgrade(
      parse(head(replace("Sec-WebSocket-Key", key))),
    );
    assert.equal(validation.ok && validation.upgrade.key, key);
  });
});

describe("validateAcceptResponse", () => {
  const good = (
    extra: Record<string, string> = {},
  ): { status: number; headers: Headers } => ({
    status: 101,
    headers: new Headers({
      Upgrade: "websocket",
      Connection: "Upgrade",
      "Sec-WebSocket-Accept": ACCEPT,
      ...extra,
    }),
  });

  test("accepts the RFC 6455 §1.3 response", () => {
    assert.deepEqual(validateAcceptResponse(good(), { accept: ACCEPT }), {
      ok: true,
      protocol: undefined,
      extensions: [],
    });
  });

  test("reports the selected subprotocol and extensions", () => {
    const result = validateAcceptResponse(
      good({
        "Sec-WebSocket-Protocol": "chat",
        "Sec-WebSocket-Extensions": "pmd; a=1",
      }),
      { accept: ACCEPT, protocols: ["x", "chat"], extensions: ["pmd"] },
    );
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.protocol, "chat");
    assert.deepEqual(result.extensions.map((e) => [e.name, { ...e.params }]), [[
      "pmd",
      { a: "1" },
    ]]);
  });

  test("fails each check of RFC 6455 §4.1 with its message", () => {
    const message = (
      response: { status: number; headers: Headers },
      protocols?: string[],
    ) => {
      const result = validateAcceptResponse(response, {
        accept: ACCEPT,
        protocols,
      });
      return result.ok ? "ok" : result.message;
    };
    assert.equal(
      message({ ...good(), status: 200 }),
      "Unexpected response status: 200",
    );
    assert.equal(
      message(good({ Upgrade: "h2c" })),
      "Missing or invalid header: Upgrade",
    );
    assert.equal(
      message(good({ Connection: "close" })),
      "Missing or invalid header: Connection",
    );
    assert.equal(
      message(good({ "Sec-WebSocket-Accept": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" })),
      "Missing or invalid header: Sec-WebSocket-Accept",
    );
    assert.equal(
      message(good({ "Sec-WebSocket-Extensions": "pmd" })),
      "Unexpected extension: pmd",
    );
    assert.equal(
      message(good({ "Sec-WebSocket-Protocol": "chat" })),
      "Unexpected subprotocol: chat",
    );
    assert.equal(
      message(good({ "Sec-WebSocket-Protocol": "a, b" }), ["a", "b"]),
      "Unexpected subprotocol: a, b",
    );
  });

  test("validates a response against the key it was computed from", () => {
    const key = generateKey();
    const accept = computeAcceptKey(key);
    const response = good({ "Sec-WebSocket-Accept": accept });
    assert.equal(validateAcceptResponse(response, { accept }).ok, true);
    assert.equal(
      validateAcceptResponse(response, { accept: ACCEPT }).ok,
      false,
    );
  });
});
