import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isOriginAllowed } from "../../src/server/origin_policy.ts";

describe("isOriginAllowed: same-origin", () => {
  test("allows an origin whose host and port equal Host", () => {
    assert.equal(
      isOriginAllowed("http://localhost:8080", "localhost:8080", "same-origin"),
      true,
    );
    assert.equal(
      isOriginAllowed(
        "https://app.example.com:8443",
        "app.example.com:8443",
        "same-origin",
      ),
      true,
    );
  });

  test("refuses another host, another port, or a subdomain", () => {
    const host = "localhost:8080";
    assert.equal(
      isOriginAllowed("https://evil.example", host, "same-origin"),
      false,
    );
    assert.equal(
      isOriginAllowed("http://localhost:9090", host, "same-origin"),
      false,
    );
    assert.equal(
      isOriginAllowed("http://a.example.com", "example.com", "same-origin"),
      false,
    );
  });

  test("fills in the scheme's default port on either side", () => {
    assert.equal(
      isOriginAllowed("http://example.com", "example.com:80", "same-origin"),
      true,
    );
    assert.equal(
      isOriginAllowed("https://example.com", "example.com", "same-origin"),
      true,
    );
    assert.equal(
      isOriginAllowed("https://example.com:443", "example.com", "same-origin"),
      true,
    );
    // The default port of https is 443, so Host "example.com" means 443, not 80.
    assert.equal(
      isOriginAllowed("https://example.com", "example.com:80", "same-origin"),
      false,
    );
  });

  test("compares case-insensitively", () => {
    assert.equal(
      isOriginAllowed("HTTP://LocalHost:8080", "localhost:8080", "same-origin"),
      true,
    );
    assert.equal(
      isOriginAllowed("http://localhost:8080", "LOCALHOST:8080", "same-origin"),
      true,
    );
  });

  test("handles IPv6 hosts with and without a port", () => {
    assert.equal(
      isOriginAllowed("http://[::1]:8080", "[::1]:8080", "same-origin"),
      true,
    );
    assert.equal(isOriginAllowed("http://[::1]", "[::1]", "same-origin"), true);
    assert.equal(
      isOriginAllowed("http://[::1]:8080", "[::1]:9090", "same-origin"),
      false,
    );
  });

  test('refuses the opaque origin "null" and origins with a path or another scheme', () => {
    const host = "localhost:8080";
    assert.equal(isOriginAllowed("null", host, "same-origin"), false);
    assert.equal(
      isOriginAllowed("http://localhost:8080/", host, "same-origin"),
      false,
    );
    assert.equal(
      isOriginAllowed("file://localhost:8080", host, "same-origin"),
      false,
    );
    assert.equal(isOriginAllowed("", host, "same-origin"), false);
  });
});

describe("isOriginAllowed: lists and wildcards", () => {
  test('"*" allows any origin, even "null"', () => {
    assert.equal(isOriginAllowed("https://evil.example", "a:1", "*"), true);
    assert.equal(isOriginAllowed("null", "a:1", "*"), true);
    assert.equal(isOriginAllowed("https://x", "a:1", ["*"]), true);
  });

  test("an exact origin in a list matches case-insensitively, and only exactly", () => {
    const rule = ["https://app.example.com"];
    assert.equal(isOriginAllowed("https://app.example.com", "x", rule), true);
    assert.equal(isOriginAllowed("HTTPS://APP.EXAMPLE.COM", "x", rule), true);
    assert.equal(
      isOriginAllowed("https://app.example.com.evil", "x", rule),
      false,
    );
    assert.equal(isOriginAllowed("http://app.example.com", "x", rule), false);
  });

  test("a RegExp in a list is tested against the origin as sent", () => {
    const rule = [/^https:\/\/[a-z]+\.example\.com$/];
    assert.equal(isOriginAllowed("https://app.example.com", "x", rule), true);
    assert.equal(isOriginAllowed("https://evil.com", "x", rule), false);
  });

  test('"same-origin" in a list combines with the other entries', () => {
    const rule = ["same-origin", "https://app.example.com"] as const;
    assert.equal(
      isOriginAllowed("http://localhost:8080", "localhost:8080", rule),
      true,
    );
    assert.equal(
      isOriginAllowed("https://app.example.com", "localhost:8080", rule),
      true,
    );
    assert.equal(
      isOriginAllowed("https://other.example", "localhost:8080", rule),
      false,
    );
  });

  test("an empty list allows no browser origin", () => {
    assert.equal(
      isOriginAllowed("http://localhost:8080", "localhost:8080", []),
      false,
    );
  });
});

describe("isOriginAllowed: requests without Origin", () => {
  test("are allowed by default, whatever the rule", () => {
    assert.equal(isOriginAllowed(null, "localhost:8080", "same-origin"), true);
    assert.equal(isOriginAllowed(null, "localhost:8080", []), true);
  });

  test("are refused with requireOrigin", () => {
    assert.equal(
      isOriginAllowed(null, "localhost:8080", "*", { requireOrigin: true }),
      false,
    );
    assert.equal(
      isOriginAllowed(
        "http://localhost:8080",
        "localhost:8080",
        "same-origin",
        {
          requireOrigin: true,
        },
      ),
      true,
    );
  });
});
