import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  buildAcceptResponse,
  buildErrorResponse,
  statusText,
} from "../../src/protocol/http_response.ts";

const decoder = new TextDecoder();
const ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

function text(bytes: Uint8Array): string {
  assert.ok(bytes instanceof Uint8Array);
  return decoder.decode(bytes);
}

describe("buildAcceptResponse", () => {
  test("builds the RFC 6455 §4.2.2 response byte for byte", () => {
    assert.equal(
      text(buildAcceptResponse(ACCEPT)),
      "HTTP/1.1 101 Switching Protocols\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
        "\r\n",
    );
  });

  test("adds the subprotocol, the extensions and extra headers in order", () => {
    const bytes = buildAcceptResponse(ACCEPT, {
      protocol: "chat",
      extensions: "permessage-deflate; server_no_context_takeover",
      headers: [["Set-Cookie", "a=1"], ["X-Server", " anyws "], [
        "Set-Cookie",
        "b=2",
      ]],
    });
    assert.equal(
      text(bytes),
      "HTTP/1.1 101 Switching Protocols\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
        "Sec-WebSocket-Protocol: chat\r\n" +
        "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n" +
        "Set-Cookie: a=1\r\n" +
        "X-Server: anyws\r\n" +
        "Set-Cookie: b=2\r\n" +
        "\r\n",
    );
    assert.equal(bytes.length, text(bytes).length);
  });

  test("accepts extra headers as a record or a Headers object", () => {
    assert.equal(
      text(buildAcceptResponse(ACCEPT, { headers: { "X-A": "1" } })).split(
        "\r\n",
      )[4],
      "X-A: 1",
    );
    assert.equal(
      text(
        buildAcceptResponse(ACCEPT, { headers: new Headers({ "X-A": "1" }) }),
      ).split("\r\n")[4],
      "x-a: 1",
    );
  });

  test("leaves out an empty extensions value", () => {
    assert.equal(
      text(buildAcceptResponse(ACCEPT, { extensions: "" })),
      text(buildAcceptResponse(ACCEPT)),
    );
  });

  test("throws a TypeError on a CR LF injected in a header value", () => {
    assert.throws(
      () =>
        buildAcceptResponse(ACCEPT, { headers: { "X-A": "1\r\nX-Evil: 1" } }),
      { name: "TypeError", message: "Invalid header value: X-A" },
    );
    assert.throws(
      () =>
        buildAcceptResponse(ACCEPT, { extensions: "a\r\n\r\nHTTP/1.1 200 OK" }),
      TypeError,
    );
    assert.throws(
      () => buildAcceptResponse(ACCEPT, { headers: { "X-A": "a\nb" } }),
      TypeError,
    );
    assert.throws(
      () => buildAcceptResponse(ACCEPT, { headers: { "X-A": "a\0b" } }),
      TypeError,
    );
    assert.throws(
      () => buildAcceptResponse(ACCEPT, { headers: { "X-A": "café" } }),
      TypeError,
    );
  });

  test("throws a TypeError on an invalid header name", () => {
    assert.throws(
      () => buildAcceptResponse(ACCEPT, { headers: { "X-A\r\nX-B": "1" } }),
      { name: "TypeError", message: 'Invalid header name: "X-A\\r\\nX-B"' },
    );
    assert.throws(
      () => buildAcceptResponse(ACCEPT, { headers: { "": "1" } }),
      TypeError,
    );
    assert.throws(
      () => buildAcceptResponse(ACCEPT, { headers: [["X-A"]] as never }),
      TypeError,
    );
  });

  test("throws a TypeError on a header it writes itself", () => {
    for (
      const name of [
        "Upgrade",
        "connection",
        "Sec-WebSocket-Accept",
        "Sec-WebSocket-Protocol",
        "Content-Length",
      ]
    ) {
      assert.throws(
        () => buildAcceptResponse(ACCEPT, { headers: { [name]: "x" } }),
        {
          name: "TypeError",
          message: `Reserved header in 101 response: ${name}`,
        },
      );
    }
  });

  test("throws a TypeError on an invalid accept value or subprotocol", () => {
    assert.throws(() => buildAcceptResponse("abc"), {
      name: "TypeError",
      message: "Invalid Sec-WebSocket-Accept value",
    });
    assert.throws(() => buildAcceptResponse(ACCEPT + "\r\nX: y"), TypeError);
    assert.throws(
      () => buildAcceptResponse(ACCEPT, { protocol: "a b" }),
      TypeError,
    );
    assert.throws(
      () => buildAcceptResponse(ACCEPT, { protocol: "" }),
      TypeError,
    );
  });
});

describe("buildErrorResponse", () => {
  test("builds a plain-text error with Connection: close byte for byte", () => {
    assert.equal(
      text(buildErrorResponse(400, { body: "Missing header: Host" })),
      "HTTP/1.1 400 Bad Request\r\n" +
        "Connection: close\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Length: 20\r\n" +
        "\r\n" +
        "Missing header: Host",
    );
  });

  test("uses the reason phrase as the default body", () => {
    assert.equal(
      text(buildErrorResponse(431)),
      "HTTP/1.1 431 Request Header Fields Too Large\r\n" +
        "Connection: close\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Length: 31\r\n" +
        "\r\n" +
        "Request Header Fields Too Large",
    );
  });

  test("sends an empty body when asked to", () => {
    assert.equal(
      text(buildErrorResponse(403, { body: "" })),
      "HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n" +
        "Content-Length: 0\r\n\r\n",
    );
  });

  test("counts the Content-Length of a UTF-8 body in bytes", () => {
    const bytes = buildErrorResponse(400, { body: "héllo ✓" });
    const head = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n" +
      "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\n";
    assert.equal(text(bytes), head + "héllo ✓");
    assert.equal(bytes.length, head.length + 10);
  });

  test("writes the 405 answer of validateUpgrade with its Allow header", () => {
    assert.equal(
      text(
        buildErrorResponse(405, {
          body: "Method not allowed: POST",
          headers: { Allow: "GET" },
        }),
      ),
      "HTTP/1.1 405 Method Not Allowed\r\n" +
        "Connection: close\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Length: 24\r\n" +
        "Allow: GET\r\n" +
        "\r\n" +
        "Method not allowed: POST",
    );
  });

  test("merges a Connection header with close for the 426 answer", () => {
    const headers = {
      "Sec-WebSocket-Version": "13",
      Upgrade: "websocket",
      Connection: "Upgrade",
    };
    assert.equal(
      text(buildErrorResponse(426, { body: "", headers })),
      "HTTP/1.1 426 Upgrade Required\r\n" +
        "Connection: Upgrade, close\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Length: 0\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "Upgrade: websocket\r\n" +
        "\r\n",
    );
    assert.match(
      text(buildErrorResponse(400, { headers: { Connection: "close" } })),
      /\r\nConnection: close\r\n/,
    );
  });

  test("lets a Content-Type header replace the default", () => {
    assert.equal(
      text(
        buildErrorResponse(401, {
          body: "{}",
          headers: { "Content-Type": "application/json" },
        }),
      ),
      "HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: application/json\r\n" +
        "Content-Length: 2\r\n\r\n{}",
    );
  });

  test("throws a TypeError on Content-Length, Transfer-Encoding and injected CR LF", () => {
    assert.throws(
      () => buildErrorResponse(400, { headers: { "Content-Length": "5" } }),
      {
        name: "TypeError",
        message: "Reserved header in error response: Content-Length",
      },
    );
    assert.throws(
      () =>
        buildErrorResponse(400, {
          headers: { "Transfer-Encoding": "chunked" },
        }),
      TypeError,
    );
    assert.throws(
      () =>
        buildErrorResponse(400, {
          headers: { "Retry-After": "1\r\n\r\nHTTP/1.1 200 OK" },
        }),
      { name: "TypeError", message: "Invalid header value: Retry-After" },
    );
  });

  test("throws a RangeError on a status that cannot carry a body", () => {
    for (const status of [101, 199, 204, 205, 304, 600, 99, 400.5, NaN]) {
      assert.throws(() => buildErrorResponse(status), {
        name: "RangeError",
        message: `Invalid status code: ${status}`,
      });
    }
  });

  test("writes an empty reason phrase for an unregistered status", () => {
    assert.match(text(buildErrorResponse(499)), /^HTTP\/1\.1 499 \r\n/);
  });
});

describe("statusText", () => {
  test("gives the RFC 9110 reason phrases of the handshake statuses", () => {
    assert.equal(statusText(101), "Switching Protocols");
    assert.equal(statusText(400), "Bad Request");
    assert.equal(statusText(403), "Forbidden");
    assert.equal(statusText(404), "Not Found");
    assert.equal(statusText(405), "Method Not Allowed");
    assert.equal(statusText(414), "URI Too Long");
    assert.equal(statusText(426), "Upgrade Required");
    assert.equal(statusText(429), "Too Many Requests");
    assert.equal(statusText(431), "Request Header Fields Too Large");
    assert.equal(statusText(500), "Internal Server Error");
    assert.equal(statusText(503), "Service Unavailable");
    assert.equal(statusText(505), "HTTP Version Not Supported");
  });

  test("answers an empty string for an unknown status", () => {
    assert.equal(statusText(299), "");
    assert.equal(statusText(0), "");
  });
});
