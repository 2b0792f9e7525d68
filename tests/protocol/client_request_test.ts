// The client's upgrade request (RFC 6455 §4.1), byte for byte: the request
// line from the URL's path and query, Host with the port only when it is
// not the scheme's default (IPv6 literals in brackets), the handshake's own
// fields in order, subprotocols checked as distinct HTTP tokens, extra
// header fields (a record or a Headers object) checked for names, CR/LF,
// non-ASCII and the fields the handshake sets itself, and Origin; TLS
// options. Every refusal is a UsageError thrown before a byte is built, by
// ClientSocket and by connect() (which would otherwise retry a hopeless
// attempt forever).

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  buildUpgradeRequest,
  type UpgradeRequestOptions,
} from "../../src/protocol/client_request.ts";
import { UsageError } from "../../src/protocol/errors.ts";
import { ClientSocket } from "../../src/client/client_socket.ts";
import { connect } from "../../src/client/connect.ts";
import { memoryEngine } from "../../engines/memory.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** The request's lines, without the blank line that ends it. */
function lines(
  url: string,
  options: Partial<UpgradeRequestOptions> = {},
): string[] {
  const bytes = buildUpgradeRequest(new URL(url), { key: KEY, ...options });
  const text = new TextDecoder().decode(bytes);
  assert.ok(text.endsWith("\r\n\r\n"), "the head ends with an empty line");
  return text.slice(0, -4).split("\r\n");
}

/** The value of header `name` (case-insensitive) in `head`, or undefined. */
function field(head: string[], name: string): string | undefined {
  const line = head.find((l) =>
    l.toLowerCase().startsWith(`${name.toLowerCase()}:`)
  );
  return line?.slice(name.length + 1).trim();
}

function refused(
  options: Partial<UpgradeRequestOptions>,
  message: RegExp,
  url = "ws://example.com/",
): void {
  assert.throws(
    () => buildUpgradeRequest(new URL(url), { key: KEY, ...options }),
    (error: unknown) =>
      error instanceof UsageError && message.test(error.message),
    `${JSON.stringify(options)} must be refused with ${message}`,
  );
}

describe("the upgrade request line and Host", () => {
  test("a bare URL asks for / ; path and query are kept as given, percent-encoding included", () => {
    assert.equal(lines("ws://example.com")[0], "GET / HTTP/1.1");
    assert.equal(
      lines("ws://example.com/chat/room%201?a=1&b=%C3%A9")[0],
      "GET /chat/room%201?a=1&b=%C3%A9 HTTP/1.1",
    );
  });

  test("the handshake's fields come in RFC 6455 §4.1 order with version 13 and the key", () => {
    assert.deepEqual(lines("ws://example.com:8080/chat"), [
      "GET /chat HTTP/1.1",
      "Host: example.com:8080",
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Key: ${KEY}`,
      "Sec-WebSocket-Version: 13",
    ]);
  });

  test("Host leaves out the default port (80 for ws:, 443 for wss:) and keeps any other", () => {
    assert.equal(field(lines("ws://example.com:80/"), "Host"), "example.com");
    assert.equal(field(lines("wss://example.com:443/"), "Host"), "example.com");
    assert.equal(
      field(lines("ws://example.com:443/"), "Host"),
      "example.com:443",
    );
    assert.equal(
      field(lines("wss://example.com:80/"), "Host"),
      "example.com:80",
    );
    assert.equal(field(lines("wss://example.com/"), "Host"), "example.com");
  });

  test("Host of an IPv6 literal keeps its brackets, with and without a port", () => {
    assert.equal(field(lines("ws://[::1]:9001/"), "Host"), "[::1]:9001");
    assert.equal(field(lines("ws://[::1]/"), "Host"), "[::1]");
    assert.equal(
      field(lines("wss://[2001:db8::7]:443/"), "Host"),
      "[2001:db8::7]",
    );
  });

  test("Host carries no user info and an international name in its ASCII form", () => {
    const head = lines("ws://user:secret@example.com:81/");
    assert.equal(field(head, "Host"), "example.com:81");
    assert.ok(!head.join("\n").includes("secret"), "the password is not sent");
    assert.equal(
      field(lines("ws://bücher.example/"), "Host"),
      "xn--bcher-kva.example",
    );
  });

  test("a URL that is not ws:/wss:, or has a fragment, is refused", () => {
    refused({}, /Not a WebSocket URL/, "http://example.com/");
    refused({}, /fragment/, "ws://example.com/#part");
  });
});

describe("subprotocols", () => {
  test("are offered in the order given, comma-separated", () => {
    assert.equal(
      field(
        lines("ws://h/", { protocols: ["chat.v2", "chat.v1", "x-Y_1"] }),
        "Sec-WebSocket-Protocol",
      ),
      "chat.v2, chat.v1, x-Y_1",
    );
  });

  test("no list, or an empty one, sends no Sec-WebSocket-Protocol", () => {
    assert.equal(field(lines("ws://h/"), "Sec-WebSocket-Protocol"), undefined);
    assert.equal(
      field(lines("ws://h/", { protocols: [] }), "Sec-WebSocket-Protocol"),
      undefined,
    );
  });

  test("a subprotocol that is not an HTTP token is refused, naming it", () => {
    for (
      const bad of [
        "",
        "a b",
        "a,b",
        "chat/1",
        "(x)",
        "a\r\nX: 1",
        "é",
        'a"b',
        "a;b",
        "{x}",
      ]
    ) {
      refused({ protocols: ["ok", bad] }, /Invalid subprotocol/);
    }
  });

  test("a subprotocol offered twice is refused (they MUST all be unique)", () => {
    refused({ protocols: ["a", "b", "a"] }, /offered twice: a/);
  });

  test("ClientSocket checks its protocols before connecting, as a browser does", () => {
    const engine = memoryEngine();
    assert.throws(
      () =>
        new ClientSocket("ws://127.0.0.1:1/", { protocols: ["a b"], engine }),
      UsageError,
    );
    assert.throws(
      () => new ClientSocket("ws://127.0.0.1:1/", ["x", "x"]),
      UsageError,
    );
    assert.throws(
      () =>
        new ClientSocket("ws://127.0.0.1:1/", {
          protocols: [7 as unknown as string],
          engine,
        }),
      UsageError,
    );
  });
});

describe("extra header fields", () => {
  test("a record's fields are sent after the handshake's, as given", () => {
    const head = lines("ws://h/", {
      headers: {
        Authorization: "Bearer abc",
        "X-Empty": "",
        Cookie: "a=1; b=2",
      },
    });
    assert.deepEqual(head.slice(6), [
      "Authorization: Bearer abc",
      "X-Empty: ",
      "Cookie: a=1; b=2",
    ]);
  });

  test("a Headers object is accepted too", () => {
    const headers = new Headers({ "X-Trace": "t1" });
    headers.append("X-Multi", "a");
    headers.append("X-Multi", "b");
    const head = lines("ws://h/", { headers });
    assert.equal(field(head, "x-trace"), "t1");
    assert.equal(field(head, "x-multi"), "a, b");
  });

  test("a value with CR, LF, NUL or another control character is refused (no header injection)", () => {
    for (
      const value of [
        "a\r\nX-Evil: 1",
        "a\nb",
        "a\rb",
        "a\u0000b",
        "a\u007fb",
        "a\u001bb",
      ]
    ) {
      refused(
        { headers: { "X-A": value } },
        /Invalid character in the X-A header/,
      );
    }
    // A tab inside is field content.
    assert.equal(
      field(lines("ws://h/", { headers: { "X-A": "a\tb" } }), "X-A"),
      "a\tb",
    );
  });

  test("a non-ASCII value is refused, naming the character", () => {
    refused({ headers: { "X-A": "café" } }, /U\+00E9/);
    refused({ headers: { "X-A": "😀" } }, /Invalid character/);
  });

  test("a value with spaces around it is refused (they would be lost)", () => {
    refused({ headers: { "X-A": " a" } }, /spaces around/);
    refused({ headers: { "X-A": "a\t" } }, /spaces around/);
  });

  test("an invalid field name is refused", () => {
    for (const name of ["", "X A", "X:A", "X\r\nY", "é", "X(1)"]) {
      refused({ headers: { [name]: "1" } }, /Invalid header field name/);
    }
  });

  test("a value that is not a string is refused", () => {
    refused({ headers: { "X-A": 1 as unknown as string } }, /must be a string/);
  });

  test("the handshake's own fields, and those that would give the GET a body, are refused in any case", () => {
    for (
      const name of [
        "Host",
        "upgrade",
        "CONNECTION",
        "Sec-WebSocket-Key",
        "sec-websocket-version",
        "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Extensions",
        "Sec-WebSocket-Accept",
        "Origin",
        "Content-Length",
        "Transfer-Encoding",
      ]
    ) {
      refused({ headers: { [name]: "x" } }, /set by the handshake/);
      refused(
        { headers: new Headers({ [name]: "x" }) },
        /set by the handshake/,
      );
    }
  });

  test("ClientSocket refuses bad headers from its constructor, before connecting", () => {
    assert.throws(
      () =>
        new ClientSocket("ws://127.0.0.1:1/", {
          headers: { "X-A": "1\r\n" },
          engine: memoryEngine(),
        }),
      UsageError,
    );
  });
});

describe("Origin", () => {
  test("is sent when given, right after the handshake's fields; absent otherwise", () => {
    const head = lines("ws://h/", { origin: "https://app.example" });
    assert.equal(head[6], "Origin: https://app.example");
    assert.equal(field(lines("ws://h/"), "Origin"), undefined);
    assert.equal(field(lines("ws://h/", { origin: "null" }), "Origin"), "null");
  });

  test("an Origin with CR/LF or non-ASCII is refused", () => {
    refused(
      { origin: "https://a\r\nX: 1" },
      /Invalid character in the Origin header/,
    );
    refused(
      { origin: "https://ä.example" },
      /Invalid character in the Origin header/,
    );
  });

  test("the order is Origin, subprotocols, extensions, then the extra fields", () => {
    const head = lines("ws://h/", {
      origin: "https://a.example",
      protocols: ["p"],
      extensions: [{
        name: "permessage-deflate",
        params: { client_max_window_bits: true },
      }],
      headers: { "X-Last": "1" },
    });
    assert.deepEqual(head.slice(6), [
      "Origin: https://a.example",
      "Sec-WebSocket-Protocol: p",
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
      "X-Last: 1",
    ]);
  });
});

describe("everything is checked before connecting", () => {
  const engine = memoryEngine();
  const bad: Array<[string, string, Record<string, unknown>, RegExp]> = [
    [
      "TLS options on ws://",
      "ws://127.0.0.1:1/",
      { tls: { ca: "x" } },
      /need a wss:\/\/ URL/,
    ],
    ["an empty tls.servername", "wss://127.0.0.1:1/", {
      tls: { servername: "" },
    }, /tls\.servername/],
    ["a tls.ca that is not PEM text", "wss://127.0.0.1:1/", {
      tls: { ca: [1] },
    }, /tls\.ca/],
    ["a tls.rejectUnauthorized that is not a boolean", "wss://127.0.0.1:1/", {
      tls: { rejectUnauthorized: "no" },
    }, /rejectUnauthorized/],
    ["a header with CR/LF", "ws://127.0.0.1:1/", {
      headers: { "X-A": "a\r\nb" },
    }, /U\+000D/],
    [
      "a handshake header",
      "ws://127.0.0.1:1/",
      { headers: { Host: "x" } },
      /set by the handshake/,
    ],
    [
      "a non-ASCII Origin",
      "ws://127.0.0.1:1/",
      { origin: "https://é.example" },
      /Origin/,
    ],
    ["a subprotocol offered twice", "ws://127.0.0.1:1/", {
      protocols: ["a", "a"],
    }, /offered twice/],
    [
      "a URL of another scheme",
      "ftp://127.0.0.1:1/",
      {},
      /Unsupported URL scheme/,
    ],
  ];

  for (const [what, url, options, message] of bad) {
    test(`ClientSocket and connect() throw a UsageError for ${what}`, () => {
      assert.throws(
        () => new ClientSocket(url, { ...options, engine }),
        (error: unknown) =>
          error instanceof UsageError && message.test(error.message),
      );
      // connect() must throw too, not create a client that fails (and
      // retries) every attempt.
      let thrown: unknown;
      try {
        connect(url, { ...options, engine, session: false, reconnect: false })
          .close();
      } catch (error) {
        thrown = error;
      }
      assert.ok(
        thrown instanceof UsageError && message.test(thrown.message),
        `connect() threw ${thrown}`,
      );
    });
  }
});
