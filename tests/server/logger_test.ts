// The logger option and visible refusals: createLogger's levels and line
// formats; a server without a logger prints nothing (its refusals
// included) but the fallback line of an unhandled error; with one, it logs
// every refusal at info unless a `rejected` handler takes them, and routes
// unhandled errors to it; describeRejection's lines name the option to
// change.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  createLogger,
  describeRejection,
  type Logger,
  type RejectInfo,
  Server,
} from "@anyws/anyws";
import { HOST, OP, RawClient, stopServer, waitFor } from "../_clients.ts";

type Line = [level: string, line: string];

function collector(): {
  lines: Line[];
  write: (l: string, lv: string) => void;
} {
  const lines: Line[] = [];
  return { lines, write: (line, level) => lines.push([level, line]) };
}

/** Runs `body` with console.log/error/warn/info recorded instead of printed. */
async function capturingConsole(
  body: (printed: readonly string[]) => Promise<void>,
): Promise<string[]> {
  const printed: string[] = [];
  const saved = {
    log: console.log,
    error: console.error,
    warn: console.warn,
    info: console.info,
  };
  for (const name of ["log", "error", "warn", "info"] as const) {
    console[name] = (...args: unknown[]) =>
      printed.push(`${name}: ${args.join(" ")}`);
  }
  try {
    await body(printed);
  } finally {
    Object.assign(console, saved);
  }
  return printed;
}

async function refusedHandshake(
  server: Server,
  headers: Record<string, string>,
): Promise<number> {
  const raw = await RawClient.connect(server.port);
  try {
    const response = await raw.handshake("/chat", {
      headers,
      expect101: false,
    });
    return response.status;
  } finally {
    raw.destroy();
  }
}

describe("createLogger", () => {
  test("plain lines are the message alone; levels below the threshold are dropped", () => {
    const { lines, write } = collector();
    const logger = createLogger({ level: "info", write });
    logger.log("debug", "not shown");
    logger.log("info", "shown", { extra: 1 });
    logger.log("error", "also shown");
    assert.deepEqual(lines, [["info", "shown"], ["error", "also shown"]]);
    assert.equal(logger.enabled("debug"), false);
    assert.equal(logger.enabled("warn"), true);
  });

  test("JSON lines: time, level, msg, then the fields; errors and bigints survive", () => {
    const { lines, write } = collector();
    const logger = createLogger({
      format: "json",
      write,
      now: () => Date.UTC(2025, 0, 2, 3, 4, 5),
    });
    logger.log("warn", "careful", {
      count: 2n,
      error: new TypeError("bad"),
      skipped: undefined,
      msg: "cannot override",
    });
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0][1]);
    assert.equal(record.time, "2025-01-02T03:04:05.000Z");
    assert.equal(record.level, "warn");
    assert.equal(record.msg, "careful");
    assert.equal(record.count, "2");
    assert.equal(record.error.name, "TypeError");
    assert.equal(record.error.message, "bad");
    assert.equal("skipped" in record, false);
    assert.deepEqual(Object.keys(record).slice(0, 3), ["time", "level", "msg"]);
  });

  test("silent logs nothing; a bad level or format is a UsageError", () => {
    const { lines, write } = collector();
    const logger = createLogger({ level: "silent", write });
    logger.log("error", "x");
    assert.deepEqual(lines, []);
    assert.throws(
      () => createLogger({ level: "loud" as "info" }),
      /Invalid log level: "loud"/,
    );
    assert.throws(
      () => createLogger({ level: "toString" as "info" }),
      /Invalid log level/,
    );
    assert.throws(
      () => createLogger({ format: "xml" as "json" }),
      /Invalid log format/,
    );
  });
});

describe("describeRejection", () => {
  const request = (headers: Record<string, string>) => ({
    method: "GET",
    target: "/chat?x=1",
    path: "/chat",
    query: new URLSearchParams("x=1"),
    version: "1.1",
    headers: new Headers(headers),
    rawHeaders: [],
  });
  const info = (extra: Partial<RejectInfo>): RejectInfo => ({
    status: 403,
    reason: "Origin not allowed",
    cause: "origins",
    remoteAddress: "127.0.0.1",
    request: request({ origin: "http://localhost:5173" }),
    upgrade: true,
    ...extra,
  });

  test("a foreign Origin names the origin and the option", () => {
    assert.equal(
      describeRejection(info({})),
      "rejected ws upgrade to /chat from 127.0.0.1: 403 Origin http://localhost:5173 not allowed (set the origins option to allow it)",
    );
  });

  test("other causes, plain requests, unreadable heads, Unix sockets", () => {
    assert.equal(
      describeRejection(
        info({ status: 401, reason: "Unauthorized", cause: "authorize" }),
      ),
      "rejected ws upgrade to /chat from 127.0.0.1: 401 Unauthorized (refused by the authorize hook)",
    );
    assert.equal(
      describeRejection(
        info({
          status: 426,
          reason: "Upgrade Required",
          cause: undefined,
          upgrade: false,
        }),
      ),
      "rejected http GET /chat from 127.0.0.1: 426 Upgrade Required",
    );
    assert.equal(
      describeRejection(
        info({
          status: 431,
          reason: "Request Header Fields Too Large",
          cause: undefined,
          request: undefined,
          upgrade: false,
          remoteAddress: "",
        }),
      ),
      "rejected request from the local socket: 431 Request Header Fields Too Large",
    );
  });

  test("hints can be the application's own words", () => {
    assert.match(
      describeRejection(info({}), () => "use --origins"),
      /\(use --origins\)$/,
    );
  });

  test("control characters from the request cannot break the line", () => {
    const line = describeRejection(
      info({ request: request({ origin: "http://a\u0007b" }) }),
    );
    assert.equal(line.includes("\u0007"), false);
  });
});

describe("a server's logging", () => {
  test("without a logger, a refusal prints nothing; an unhandled error prints the fallback line", async () => {
    const lines = await capturingConsole(async (printed) => {
      const server = new Server({ hostname: HOST, port: 0 });
      server.on("message", () => {
        throw new Error("handler bug");
      });
      await server.listen();
      try {
        assert.equal(
          await refusedHandshake(server, { Origin: "http://evil.example" }),
          403,
        );
        const raw = await RawClient.connect(server.port);
        await raw.handshake("/");
        raw.sendFrame(OP.Text, "boom");
        await waitFor(() => printed.length > 0, 2000, "the fallback line");
        raw.destroy();
      } finally {
        await stopServer(server);
      }
    });
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(
      lines[0],
      /^error: anyws: unhandled error on connection .*handler bug/,
    );
  });

  test("with a logger: refusals at info, unhandled errors at error", async () => {
    const { lines, write } = collector();
    const server = new Server({
      hostname: HOST,
      port: 0,
      logger: { level: "info", write },
    });
    server.on("message", () => {
      throw new Error("handler bug");
    });
    await server.listen();
    try {
      assert.equal(
        await refusedHandshake(server, { Origin: "http://localhost:5173" }),
        403,
      );
      await waitFor(() => lines.length === 1, 2000, "the refusal");
      assert.deepEqual(lines[0], [
        "info",
        `rejected ws upgrade to /chat from ${HOST}: 403 Origin http://localhost:5173 not allowed (set the origins option to allow it)`,
      ]);
      const raw = await RawClient.connect(server.port);
      await raw.handshake("/");
      raw.sendFrame(OP.Text, "boom");
      await waitFor(() => lines.length === 2, 2000, "the error");
      raw.destroy();
      assert.equal(lines[1][0], "error");
      assert.match(lines[1][1], /unhandled error .*handler bug/);
    } finally {
      await stopServer(server);
    }
  });

  test("a `rejected` handler takes the refusals: the logger does not repeat them", async () => {
    const { lines, write } = collector();
    const seen: RejectInfo[] = [];
    const server = new Server({ hostname: HOST, port: 0, logger: { write } });
    server.on("rejected", (info) => seen.push(info));
    await server.listen();
    try {
      assert.equal(
        await refusedHandshake(server, { Origin: "http://evil.example" }),
        403,
      );
      await waitFor(() => seen.length === 1, 2000, "the event");
      assert.deepEqual(lines, []);
      assert.equal(
        seen[0].request?.headers.get("origin"),
        "http://evil.example",
      );
    } finally {
      await stopServer(server);
    }
  });

  test("a logger that throws cannot keep the refusal from the client", async () => {
    const printed = await capturingConsole(async () => {
      const server = new Server({
        hostname: HOST,
        port: 0,
        logger: {
          enabled: () => true,
          log: () => {
            throw new Error("log sink down");
          },
        },
      });
      await server.listen();
      try {
        assert.equal(
          await refusedHandshake(server, { Origin: "http://evil.example" }),
          403,
        );
      } finally {
        await stopServer(server);
      }
    });
    // The logger's own failure goes to the last resort, the console.
    assert.ok(
      printed.some((line) => /log sink down/.test(line)),
      printed.join(),
    );
  });

  test("a Logger object of the application's own is used as it is", async () => {
    const records: Array<[string, string, Record<string, unknown>?]> = [];
    const logger: Logger = {
      enabled: () => true,
      log: (level, message, fields) => records.push([level, message, fields]),
    };
    const server = new Server({ hostname: HOST, port: 0, logger });
    await server.listen();
    try {
      assert.equal(
        await refusedHandshake(server, { Origin: "http://evil.example" }),
        403,
      );
      await waitFor(() => records.length === 1, 2000, "the record");
      const [level, , fields] = records[0];
      assert.equal(level, "info");
      assert.equal(fields?.status, 403);
      assert.equal(fields?.cause, "origins");
      assert.equal(fields?.origin, "http://evil.example");
      assert.equal(fields?.remoteAddress, HOST);
    } finally {
      await stopServer(server);
    }
    assert.throws(
      () => new Server({ logger: 42 as unknown as Logger }),
      /Invalid option logger/,
    );
  });
});
