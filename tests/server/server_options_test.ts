import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_SERVER_OPTIONS,
  resolveServerOptions,
  type ServerOptions,
} from "../../src/server/options.ts";

const MiB = 1024 * 1024;

describe("DEFAULT_SERVER_OPTIONS", () => {
  test("are the documented defaults, every limit on", () => {
    assert.deepEqual({ ...DEFAULT_SERVER_OPTIONS }, {
      hostname: "0.0.0.0",
      port: 8080,
      maxMessageSize: 16 * MiB,
      maxFrameSize: 16 * MiB,
      maxHeadBytes: 16 * 1024,
      maxRequestBodySize: MiB,
      maxHeaderCount: 100,
      handshakeTimeout: 10_000,
      closeTimeout: 5_000,
      pingInterval: 30_000,
      idleTimeout: 60_000,
      maxBufferedAmount: 16 * MiB,
      drainThreshold: MiB,
      maxConnections: 50_000,
      maxConnectionsPerIp: 0,
      maxJsonSize: MiB,
      maxJsonDepth: 32,
      origins: "same-origin",
      requireOrigin: false,
      requireProtocol: false,
      rateLimit: { messages: 10_000, interval: 1_000, action: "close" },
      deflate: false,
      reusePort: false,
      sessions: { enabled: true, window: 120_000, maxSessions: 10_000 },
      clientScript: false,
    });
  });

  test("are frozen", () => {
    assert.equal(Object.isFrozen(DEFAULT_SERVER_OPTIONS), true);
    assert.throws(() => {
      (DEFAULT_SERVER_OPTIONS as { port: number }).port = 1;
    }, TypeError);
  });
});

describe("resolveServerOptions", () => {
  test("without options gives the defaults", () => {
    assert.deepEqual(resolveServerOptions(), { ...DEFAULT_SERVER_OPTIONS });
    assert.deepEqual(resolveServerOptions({}), { ...DEFAULT_SERVER_OPTIONS });
  });

  test("keeps what is given and fills in the rest", () => {
    const resolved = resolveServerOptions({
      hostname: "127.0.0.1",
      port: 0,
      pingInterval: 0,
      paths: ["/ws"],
      rateLimit: false,
    });
    assert.equal(resolved.hostname, "127.0.0.1");
    assert.equal(resolved.port, 0);
    assert.equal(resolved.pingInterval, 0);
    assert.deepEqual(resolved.paths, ["/ws"]);
    assert.equal(resolved.rateLimit, false);
    assert.equal(resolved.idleTimeout, 60_000);
    assert.equal(resolved.maxJsonDepth, 32);
  });

  test("maxFrameSize defaults to the given maxMessageSize", () => {
    assert.equal(
      resolveServerOptions({ maxMessageSize: 1000 }).maxFrameSize,
      1000,
    );
    assert.equal(
      resolveServerOptions({ maxMessageSize: 1000, maxFrameSize: 10 })
        .maxFrameSize,
      10,
    );
  });

  test("undefined values count as not given", () => {
    const resolved = resolveServerOptions({
      port: undefined,
      maxJsonSize: undefined,
      rateLimit: undefined,
    });
    assert.equal(resolved.port, 8080);
    assert.equal(resolved.maxJsonSize, MiB);
    assert.deepEqual(resolved.rateLimit, DEFAULT_SERVER_OPTIONS.rateLimit);
  });

  test("does not modify the options it is given", () => {
    const options: ServerOptions = { port: 0, maxJsonSize: undefined };
    resolveServerOptions(options);
    assert.deepEqual(options, { port: 0, maxJsonSize: undefined });
  });

  for (
    const [key, value, message] of [
      ["port", -1, "Invalid option port: -1 (an integer from 0 to 65535)"],
      [
        "port",
        65536,
        "Invalid option port: 65536 (an integer from 0 to 65535)",
      ],
      ["port", 1.5, "Invalid option port: 1.5 (an integer from 0 to 65535)"],
      [
        "maxMessageSize",
        Number.NaN,
        "Invalid option maxMessageSize: NaN (an integer from 1 to 9007199254740991)",
      ],
      [
        "maxJsonDepth",
        -3,
        "Invalid option maxJsonDepth: -3 (an integer from 1 to 1000)",
      ],
      [
        "maxJsonSize",
        "10",
        'Invalid option maxJsonSize: "10" (an integer from 0 to 1073741824)',
      ],
      [
        "idleTimeout",
        Infinity,
        "Invalid option idleTimeout: Infinity (an integer from 0 to 2147483647)",
      ],
      [
        "maxHeaderCount",
        0,
        "Invalid option maxHeaderCount: 0 (an integer from 1 to 10000)",
      ],
      [
        "hostname",
        "",
        'Invalid option hostname: "" (a host name or IP address, such as "127.0.0.1")',
      ],
    ] as const
  ) {
    test(`rejects ${key} = ${String(value)} with a UsageError`, () => {
      assert.throws(
        () => resolveServerOptions({ [key]: value } as ServerOptions),
        { name: "UsageError", message },
      );
    });
  }

  for (
    const rateLimit of [
      { messages: 0, interval: 1000 },
      { messages: 10, interval: 0 },
      { messages: Number.NaN, interval: 1000 },
      { messages: 10, interval: 1000, action: "ignore" },
    ]
  ) {
    test(`rejects rateLimit ${JSON.stringify(rateLimit)}`, () => {
      assert.throws(
        () => resolveServerOptions({ rateLimit } as ServerOptions),
        {
          name: "UsageError",
          message: new RegExp(
            `^Invalid option rateLimit: ${
              JSON.stringify(rateLimit).replace(/[{}[\]()*+?.^$|]/g, "\\$&")
            } `,
          ),
        },
      );
    });
  }

  test("sessions: true, false, or bounds; anything else is a UsageError naming the option", () => {
    assert.deepEqual(resolveServerOptions({ sessions: true }).sessions, {
      enabled: true,
      window: 120_000,
      maxSessions: 10_000,
    });
    assert.deepEqual(resolveServerOptions({ sessions: false }).sessions, {
      enabled: false,
      window: 120_000,
      maxSessions: 10_000,
    });
    assert.deepEqual(
      resolveServerOptions({ sessions: { window: 5000, maxSessions: 0 } })
        .sessions,
      { enabled: true, window: 5000, maxSessions: 0 },
    );
    for (
      const sessions of [
        { window: 0 },
        { window: 1.5 },
        { window: 2 ** 31 },
        { maxSessions: -1 },
        { maxSessions: Number.NaN },
        "yes",
        null,
      ]
    ) {
      assert.throws(
        () =>
          resolveServerOptions({
            sessions: sessions as ServerOptions["sessions"],
          }),
        (error: Error) =>
          error.name === "UsageError" &&
          /^Invalid option sessions/.test(error.message),
        JSON.stringify(sessions),
      );
    }
  });

  test("clientScript: true is /anyws.js, a path is kept, anything else is a UsageError", () => {
    assert.equal(resolveServerOptions({}).clientScript, false);
    assert.equal(
      resolveServerOptions({ clientScript: true }).clientScript,
      "/anyws.js",
    );
    assert.equal(
      resolveServerOptions({ clientScript: "/static/ws-client.js" })
        .clientScript,
      "/static/ws-client.js",
    );
    for (const bad of ["anyws.js", "/a b.js", "/a.js?v=1", "", 7]) {
      assert.throws(
        () =>
          resolveServerOptions({
            clientScript: bad as ServerOptions["clientScript"],
          }),
        (error: Error) =>
          error.name === "UsageError" &&
          error.message.startsWith("Invalid option clientScript"),
        String(bad),
      );
    }
  });

  test("accepts a rate limit with either action or none", () => {
    for (const action of ["close", "drop", undefined] as const) {
      const rateLimit = { messages: 5, interval: 100, action };
      assert.deepEqual(
        resolveServerOptions({ rateLimit }).rateLimit,
        rateLimit,
      );
    }
  });
});
