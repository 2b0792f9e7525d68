import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { UpgradeDecision } from "../../src/server/server_host.ts";
import type { UpgradeRequest } from "../../src/protocol/server_handshake.ts";
import type { HttpRequest } from "../../src/protocol/http_request.ts";
import {
  type Authorize,
  resolveServerOptions,
  type ServerOptions,
} from "../../src/server/options.ts";
import {
  type ConnectionCounts,
  decideUpgrade,
} from "../../src/server/upgrade_policy.ts";

function request(target = "/ws"): HttpRequest {
  const url = new URL(target, "http://localhost:8080");
  return {
    method: "GET",
    target,
    path: url.pathname,
    query: url.searchParams,
    version: "1.1",
    headers: new Headers({ host: "localhost:8080" }),
    rawHeaders: [["Host", "localhost:8080"]],
  };
}

function upgrade(fields: Partial<UpgradeRequest> = {}): UpgradeRequest {
  return {
    key: "dGhlIHNhbXBsZSBub25jZQ==",
    protocols: [],
    extensions: [],
    origin: null,
    host: "localhost:8080",
    ...fields,
  };
}

const ONE: ConnectionCounts = { total: 1, fromAddress: 1 };

/** Runs the policy with these options; the request and upgrade can be adjusted. */
function decide(
  options: ServerOptions,
  fields: {
    target?: string;
    upgrade?: Partial<UpgradeRequest>;
    counts?: ConnectionCounts;
  } = {},
): UpgradeDecision | Promise<UpgradeDecision> {
  return decideUpgrade(
    resolveServerOptions(options),
    request(fields.target),
    upgrade(fields.upgrade),
    "203.0.113.7",
    fields.counts ?? ONE,
  );
}

describe("decideUpgrade: checks in order", () => {
  test("accepts a plain request with no subprotocol", () => {
    assert.deepEqual(decide({}), { accept: true, protocol: undefined });
  });

  test("a path outside `paths` gets 404", () => {
    assert.deepEqual(decide({ paths: ["/ws"] }, { target: "/other" }), {
      accept: false,
      status: 404,
      body: "Not Found",
      headers: undefined,
      cause: "paths",
    });
    assert.equal(
      (decide({ paths: ["/ws"] }, { target: "/ws?x=1" }) as UpgradeDecision)
        .accept,
      true,
    );
  });

  test("a cross-site Origin gets 403 under same-origin; its own origin passes", () => {
    assert.deepEqual(
      decide({}, { upgrade: { origin: "https://evil.example" } }),
      {
        accept: false,
        status: 403,
        body: "Origin not allowed",
        headers: undefined,
        cause: "origins",
      },
    );
    assert.equal(
      (decide({}, {
        upgrade: { origin: "http://localhost:8080" },
      }) as UpgradeDecision)
        .accept,
      true,
    );
  });

  test("no Origin is refused with 403 only under requireOrigin", () => {
    const decision = decide({ requireOrigin: true }) as UpgradeDecision & {
      status: number;
      cause: string;
    };
    assert.equal(decision.status, 403);
    assert.equal(decision.cause, "requireOrigin");
  });

  test("over maxConnections gets 503 with Retry-After; at the limit is accepted", () => {
    assert.deepEqual(
      decide({ maxConnections: 2 }, { counts: { total: 3, fromAddress: 1 } }),
      {
        accept: false,
        status: 503,
        body: "Too many connections",
        headers: { "Retry-After": "5" },
        cause: "maxConnections",
      },
    );
    assert.equal(
      (decide({ maxConnections: 2 }, {
        counts: { total: 2, fromAddress: 2 },
      }) as UpgradeDecision)
        .accept,
      true,
    );
    assert.equal(
      (decide({ maxConnections: 0 }, {
        counts: { total: 1e6, fromAddress: 1 },
      }) as UpgradeDecision)
        .accept,
      true,
    );
  });

  test("over maxConnectionsPerIp gets 429 with Retry-After", () => {
    assert.deepEqual(
      decide({ maxConnectionsPerIp: 2 }, {
        counts: { total: 3, fromAddress: 3 },
      }),
      {
        accept: false,
        status: 429,
        body: "Too many connections from your address",
        headers: { "Retry-After": "5" },
        cause: "maxConnectionsPerIp",
      },
    );
    assert.equal(
      (decide({ maxConnectionsPerIp: 2 }, {
        counts: { total: 9, fromAddress: 2 },
      }) as UpgradeDecision)
        .accept,
      true,
    );
  });

  test("the path is checked before the Origin, the Origin before the limits", () => {
    const options: ServerOptions = { paths: ["/ws"], maxConnections: 1 };
    const bad = {
      upgrade: { origin: "https://evil.example" },
      counts: { total: 5, fromAddress: 5 },
    };
    assert.equal(
      (decide(options, { ...bad, target: "/nope" }) as { status: number })
        .status,
      404,
    );
    assert.equal((decide(options, bad) as { status: number }).status, 403);
  });
});

describe("decideUpgrade: subprotocols", () => {
  test("picks the client's first offer that the server supports", () => {
    assert.deepEqual(
      decide({ protocols: ["v1.chat", "v2.chat"] }, {
        upgrade: { protocols: ["v2.chat", "v1.chat"] },
      }),
      { accept: true, protocol: "v2.chat" },
    );
  });

  test("no match: accepted without a subprotocol, or 400 under requireProtocol", () => {
    assert.deepEqual(
      decide({ protocols: ["v1.chat"] }, { upgrade: { protocols: ["mqtt"] } }),
      { accept: true, protocol: undefined },
    );
    assert.deepEqual(
      decide({ protocols: ["v1.chat"], requireProtocol: true }, {
        upgrade: { protocols: ["mqtt"] },
      }),
      {
        accept: false,
        status: 400,
        body: "No supported subprotocol",
        headers: undefined,
        cause: "requireProtocol",
      },
    );
  });

  test("a selection function gets the offers and the request", () => {
    const seen: Array<[readonly string[], string]> = [];
    const decision = decide({
      protocols: (offered, req) => {
        seen.push([offered, req.path]);
        return offered.at(-1);
      },
    }, { upgrade: { protocols: ["a", "b"] } });
    assert.deepEqual(decision, { accept: true, protocol: "b" });
    assert.deepEqual(seen, [[["a", "b"], "/ws"]]);
  });

  test("a selection function that picks a protocol the client did not offer is a UsageError (RFC 6455 §4.2.2)", () => {
    assert.throws(
      () =>
        decide({ protocols: () => "evil" }, { upgrade: { protocols: ["a"] } }),
      {
        name: "UsageError",
        message:
          'protocols chose the subprotocol "evil", which the client did not offer (offered: a)',
      },
    );
  });

  test("authorize choosing a protocol the client did not offer is a UsageError (RFC 6455 §4.2.2)", () => {
    assert.throws(
      () =>
        decide({ authorize: () => ({ accept: true, protocol: "evil" }) }, {
          upgrade: { protocols: [] },
        }),
      {
        name: "UsageError",
        message:
          'authorize() chose the subprotocol "evil", which the client did not offer (offered: none)',
      },
    );
  });
});

describe("decideUpgrade: authorize", () => {
  test("gets the request, the remote address and the upgrade", () => {
    const seen: unknown[] = [];
    const authorize: Authorize = (req, context) => {
      seen.push(
        req.query.get("token"),
        context.remoteAddress,
        context.upgrade.host,
      );
      return true;
    };
    assert.deepEqual(decide({ authorize }, { target: "/ws?token=abc" }), {
      accept: true,
      protocol: undefined,
    });
    assert.deepEqual(seen, ["abc", "203.0.113.7", "localhost:8080"]);
  });

  test("false refuses with 401 Unauthorized", () => {
    assert.deepEqual(decide({ authorize: () => false }), {
      accept: false,
      status: 401,
      body: "Unauthorized",
      headers: undefined,
      cause: "authorize",
    });
  });

  test("an accepting object gives data, user, headers and may override the subprotocol", () => {
    const decision = decide({
      protocols: ["a", "b"],
      authorize: () => ({
        accept: true,
        user: "ada",
        data: { role: "admin" },
        protocol: "b",
        headers: { "X-Hello": "1" },
      }),
    }, { upgrade: { protocols: ["a", "b"] } });
    assert.deepEqual(decision, {
      accept: true,
      protocol: "b",
      headers: { "X-Hello": "1" },
      data: { role: "admin" },
      user: "ada",
    });
  });

  test("an accepting object without a subprotocol keeps the one selected from `protocols`", () => {
    const decision = decide({
      protocols: ["a"],
      authorize: () => ({ accept: true, user: "ada" }),
    }, { upgrade: { protocols: ["a"] } });
    assert.equal((decision as { protocol?: string }).protocol, "a");
    assert.equal((decision as { user?: string }).user, "ada");
  });

  test("a refusing object gives its status, body and headers; status defaults to 401", () => {
    assert.deepEqual(
      decide({
        authorize: () => ({
          accept: false,
          status: 403,
          body: "Banned",
          headers: { "X-Why": "spam" },
        }),
      }),
      {
        accept: false,
        status: 403,
        body: "Banned",
        headers: { "X-Why": "spam" },
        cause: "authorize",
      },
    );
    assert.deepEqual(decide({ authorize: () => ({ accept: false }) }), {
      accept: false,
      status: 401,
      body: undefined,
      headers: undefined,
      cause: "authorize",
    });
  });

  test("an async authorize resolves to the same decision", async () => {
    const decision = decide({
      authorize: async () => {
        await Promise.resolve();
        return { accept: true, user: "bob" };
      },
    });
    assert.ok(decision instanceof Promise);
    assert.deepEqual(await decision, {
      accept: true,
      protocol: undefined,
      headers: undefined,
      data: undefined,
      user: "bob",
    });
  });

  test("an authorize that returns something else is a UsageError", () => {
    assert.throws(
      () => decide({ authorize: () => null as unknown as boolean }),
      { name: "UsageError", message: "Invalid authorize result: null" },
    );
  });

  test("authorize is not called when an earlier check refused", () => {
    let calls = 0;
    const decision = decide({
      paths: ["/ws"],
      authorize: () => {
        calls++;
        return true;
      },
    }, { target: "/other" });
    assert.equal((decision as { status: number }).status, 404);
    assert.equal(calls, 0);
  });
});
