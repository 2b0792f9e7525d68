// examples/autobahn_client.ts, the Autobahn|Testsuite client testee, run on
// Deno, Bun and Node at once against a stand-in for the suite's
// fuzzingserver (the suite itself is not installable here) built on
// anyws's Server with permessage-deflate: getCaseCount, runCase and
// updateReports as the suite serves them. Each case sends frames (text,
// binary, empty, fragmented with a UTF-8 character split across frames, a
// ping between fragments, 2 MiB, fifty in a row, invalid UTF-8) and checks
// that the echoes come back in order, byte for byte, with their opcodes
// (text as text, binary as binary), and the close code the client answered
// with (the server's own code after its close; 1007 for invalid UTF-8).
// Also: the testee exits with an error when the server cannot be reached.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { Frame, Server } from "../../mod.ts";
import type { Connection } from "../../src/driver/connection.ts";
import { killAll, ROOT, runtimeCommand, Spawned } from "../_cli_process.ts";

const EXAMPLE = `${ROOT}examples/autobahn_client.ts`;
const BIN = `${ROOT}node_modules/.bin`;
const RUNTIMES = ["deno", "bun", "node"] as const;
const encoder = new TextEncoder();

type Message = string | Uint8Array;

/** One case of the stand-in fuzzingserver. */
interface FuzzCase {
  name: string;
  /** What the server sends when the case starts. */
  send(conn: Connection): void;
  /** The echoes expected, in order. */
  expect: Message[];
  /** The server closes with this once the echoes are in (default 1000). */
  close?: { code: number; reason: string };
  /** The close code the client must send (default: the server's). */
  clientCode?: number;
}

/** Bytes with a long period. */
function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return out;
}

const check = encoder.encode("✓"); // e2 9c 93
const big = pattern(2 * 1024 * 1024, 5);
const many = Array.from({ length: 50 }, (_, i) => `message ${i}`);

const CASES: FuzzCase[] = [
  {
    name: "a text message",
    send: (conn) => conn.send("Hello, Autobahn ✓ 😀"),
    expect: ["Hello, Autobahn ✓ 😀"],
  },
  {
    name: "a binary message",
    send: (conn) => conn.send(pattern(1000, 1)),
    expect: [pattern(1000, 1)],
  },
  {
    name: "empty text and binary messages",
    send: (conn) => {
      conn.send("");
      conn.send(new Uint8Array(0));
    },
    expect: ["", new Uint8Array(0)],
  },
  {
    name: "a text message in three fragments, a character split between two",
    send: (conn) => {
      conn.send(new Frame(0x1, encoder.encode("frag"), { fin: false }));
      conn.send(
        new Frame(0x0, Uint8Array.of(...encoder.encode("mented "), check[0]), {
          fin: false,
        }),
      );
      conn.send(new Frame(0x0, check.subarray(1)));
    },
    expect: ["fragmented ✓"],
  },
  {
    name: "a binary message in two fragments with a ping between them",
    send: (conn) => {
      conn.send(new Frame(0x2, Uint8Array.of(1, 2, 3), { fin: false }));
      conn.ping("between");
      conn.send(new Frame(0x0, Uint8Array.of(4, 5)));
    },
    expect: [Uint8Array.of(1, 2, 3, 4, 5)],
  },
  {
    name: "a 2 MiB binary message",
    send: (conn) => conn.send(big),
    expect: [big],
  },
  {
    name: "fifty text messages in a row",
    send: (conn) => many.forEach((text) => conn.send(text)),
    expect: many,
  },
  {
    name: "a close with a code and a reason",
    send: (conn) => conn.send("closing soon"),
    expect: ["closing soon"],
    close: { code: 3001, reason: "case over" },
  },
  {
    name: "invalid UTF-8 in a text message: the client fails with 1007",
    send: (conn) =>
      conn.send(new Frame(0x1, Uint8Array.of(0xce, 0xba, 0xed, 0xa0, 0x80))),
    expect: [],
    clientCode: 1007,
  },
];

/** What the stand-in saw of one agent. */
interface AgentLog {
  /** Per case number: "ok", or what went wrong. */
  cases: Map<number, string>;
  reportsUpdated: boolean;
  deflateOffered: boolean;
}

function describeMessage(message: Message): string {
  return typeof message === "string"
    ? `text(${message.length}): ${JSON.stringify(message.slice(0, 40))}`
    : `binary(${message.length})`;
}

function same(a: Message, b: Message): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The fuzzingserver stand-in: anyws's Server with the suite's three paths. */
class FuzzingServer {
  readonly server = new Server({
    hostname: "127.0.0.1",
    port: 0,
    deflate: true,
    maxMessageSize: 8 * 1024 * 1024,
    origins: "*",
    rateLimit: false,
  });
  readonly agents = new Map<string, AgentLog>();
  readonly #running = new Map<Connection, {
    log: AgentLog;
    number: number;
    fuzz: FuzzCase;
    received: Message[];
    timer: ReturnType<typeof setTimeout>;
  }>();

  constructor() {
    const { server } = this;
    server.on("open", (request, conn) => {
      const log = this.#agent(request.query.get("agent") ?? "");
      switch (request.path) {
        case "/getCaseCount":
          // The suite asks without an agent.
          conn.send(String(CASES.length));
          conn.close(1000);
          return;
        case "/updateReports":
          log.reportsUpdated = true;
          conn.close(1000);
          return;
        case "/runCase": {
          const number = Number(request.query.get("case"));
          const fuzz = CASES[number - 1];
          if (fuzz === undefined) {
            log.cases.set(number, "no such case");
            conn.close(1011);
            return;
          }
          log.deflateOffered ||= /permessage-deflate/.test(
            request.headers.get("sec-websocket-extensions") ?? "",
          );
          const run = {
            log,
            number,
            fuzz,
            received: [] as Message[],
            timer: setTimeout(() => {
              log.cases.set(
                number,
                `timed out with ${run.received.length} of ${fuzz.expect.length} echoes`,
              );
              conn.close(1011);
            }, 10_000),
          };
          this.#running.set(conn, run);
          // With no echo expected, the client is the one to close.
          fuzz.send(conn);
          return;
        }
        default:
          conn.close(1008, "unknown path");
      }
    });
    server.on("message", (data, conn) => {
      const run = this.#running.get(conn);
      if (run === undefined) return;
      run.received.push(typeof data === "string" ? data : data.slice());
      if (run.received.length < run.fuzz.expect.length) return;
      const close = run.fuzz.close ?? { code: 1000, reason: "" };
      conn.close(close.code, close.reason);
    });
    server.on("close", (info, conn) => {
      const run = this.#running.get(conn);
      if (run === undefined) return;
      this.#running.delete(conn);
      clearTimeout(run.timer);
      if (run.log.cases.has(run.number)) return;
      run.log.cases.set(
        run.number,
        this.#verdict(run.fuzz, run.received, info.code),
      );
    });
    server.on("error", () => {});
  }

  #agent(name: string): AgentLog {
    let log = this.agents.get(name);
    if (log === undefined) {
      log = {
        cases: new Map(),
        reportsUpdated: false,
        deflateOffered: false,
      };
      this.agents.set(name, log);
    }
    return log;
  }

  #verdict(fuzz: FuzzCase, received: Message[], code: number): string {
    const expected = fuzz.expect;
    if (received.length !== expected.length) {
      return `${received.length} echoes, expected ${expected.length}`;
    }
    for (let i = 0; i < expected.length; i++) {
      if (!same(received[i], expected[i])) {
        return `echo ${i}: ${describeMessage(received[i])}, expected ${
          describeMessage(expected[i])
        }`;
      }
    }
    const clientCode = fuzz.clientCode ?? fuzz.close?.code ?? 1000;
    if (code !== clientCode) {
      return `the client closed with ${code}, expected ${clientCode}`;
    }
    return "ok";
  }
}

const fuzzing = new FuzzingServer();

before(async () => {
  await fuzzing.server.listen();
});

after(async () => {
  await killAll();
  await fuzzing.server.stop({ timeout: 500 });
});

function runExample(
  runtime: (typeof RUNTIMES)[number],
  args: string[],
): Spawned {
  return runtime === "deno"
    ? new Spawned(`${BIN}/deno`, ["run", "-A", EXAMPLE, ...args])
    : new Spawned(`${BIN}/${runtime}`, [EXAMPLE, ...args]);
}

describe("examples/autobahn_client.ts against a fuzzingserver stand-in", () => {
  const runs = new Map<string, Promise<Spawned>>();
  before(() => {
    const base = `ws://127.0.0.1:${fuzzing.server.port}`;
    for (const runtime of RUNTIMES) {
      const child = runExample(runtime, [base, `anyws-${runtime}`]);
      runs.set(
        runtime,
        child.waitExit(60_000).then(() => child, () => {
          child.kill("SIGKILL");
          return child;
        }),
      );
    }
  });

  for (const runtime of RUNTIMES) {
    test(`on ${runtime}: every case echoed byte for byte with its opcode, then the reports`, async () => {
      const child = await runs.get(runtime)!;
      assert.deepEqual(child.exit, { code: 0, signal: null }, child.output());
      const log = fuzzing.agents.get(`anyws-${runtime}`);
      assert.ok(log !== undefined, `the agent anyws-${runtime} never came`);
      const verdicts = CASES.map((fuzz, i) =>
        `${i + 1} ${fuzz.name}: ${log.cases.get(i + 1) ?? "never run"}`
      );
      assert.deepEqual(
        verdicts,
        CASES.map((fuzz, i) => `${i + 1} ${fuzz.name}: ok`),
      );
      assert.equal(log.reportsUpdated, true);
      assert.equal(log.deflateOffered, true, "permessage-deflate offered");
      const lines = child.lines();
      assert.equal(lines[0], `${CASES.length} cases`);
      assert.equal(
        lines.at(-1),
        `reports updated for anyws-${runtime}`,
        child.output(),
      );
      assert.match(
        lines.find((line) => line.startsWith(`case ${CASES.length}/`)) ?? "",
        /close 1007 \(Invalid UTF-8/,
      );
    });
  }
});

describe("examples/autobahn_client.ts without a server", () => {
  test("exits with an error that says why", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const address = probe.address();
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const port = typeof address === "object" && address !== null
      ? address.port
      : 0;
    const [command, prefix] = runtimeCommand(EXAMPLE);
    const child = new Spawned(command, [...prefix, `ws://127.0.0.1:${port}`]);
    const exit = await child.waitExit(30_000);
    assert.notEqual(exit.code, 0, child.output());
    assert.match(
      child.stderr,
      new RegExp(
        `getCaseCount: no case count \\(Connection refused: 127\\.0\\.0\\.1:${port}\\)`,
      ),
    );
  });
});
