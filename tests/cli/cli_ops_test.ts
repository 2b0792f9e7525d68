// `anyws start` in operation, spawned on the runtime running this file: a
// refused handshake is logged at info with the flag that would let it in;
// --log-format json prints one JSON object per line; --metrics serves the
// Prometheus text and /readyz the readiness; --socket listens on a Unix
// socket; start-up errors say where: a syntax error's file, line and
// column, the frame a throwing register() came from (exit 2), and the same
// reason for a port in use on every runtime.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtimeCommand } from "../_cli_process.ts";
import { delay, HOST, OP, RawClient, withTimeout } from "../_clients.ts";
import { parseExposition, sampleValue } from "../_prometheus_parser.ts";

const CLI = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));
const START_MS = 20_000;
const TEST = { timeout: 60_000 };

/** A running `anyws`, its output collected; bounded waits only. */
class Cli {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout = "";
  stderr = "";

  constructor(args: readonly string[]) {
    const [command, prefix] = runtimeCommand(CLI);
    const env: Record<string, string> = { NO_COLOR: "1" };
    for (const [name, value] of Object.entries(process.env)) {
      if (value !== undefined && !name.startsWith("WEBSOCKET_")) {
        env[name] = value;
      }
    }
    this.child = spawn(command, [...prefix, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(this);
    this.child.stdout!.setEncoding("utf8");
    this.child.stderr!.setEncoding("utf8");
    this.child.stdout!.on("data", (text: string) => this.stdout += text);
    this.child.stderr!.on("data", (text: string) => this.stderr += text);
    this.exited = new Promise((resolve) => {
      this.child.on("error", () => resolve(-1));
      this.child.on("close", (code) => {
        running.delete(this);
        resolve(code);
      });
    });
  }

  /** Waits for a stdout line matching `pattern`. */
  async line(pattern: RegExp, ms = START_MS): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.stdout.split("\n").slice(0, -1).find((line) =>
        pattern.test(line)
      );
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out: ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
        );
      }
      await delay(10);
    }
  }

  exit(ms = START_MS): Promise<number | null> {
    return withTimeout(this.exited, ms, `CLI exit; stderr: ${this.stderr}`);
  }

  stop(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null) return;
    try {
      process.kill(pid, "SIGTERM");
    } catch { /* gone */ }
  }
}

const running = new Set<Cli>();
const dir = mkdtempSync(join(tmpdir(), "anyws-cli-ops-"));
writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
const ECHO = join(dir, "echo.ts");
writeFileSync(
  ECHO,
  `export function register(server: { on(e: "message", h: (d: unknown, c: { send(d: unknown): void }) => void): void }): void {
  server.on("message", (data, conn) => conn.send(data));
}
`,
);

after(async () => {
  for (const cli of running) cli.stop();
  await delay(50);
  for (const cli of running) cli.child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the CLI with `args` on 127.0.0.1:0; returns it and its port. */
async function start(args: readonly string[]): Promise<[Cli, number]> {
  const cli = new Cli(["start", "--host", HOST, "--port", "0", ...args]);
  const line = await cli.line(/anyws listening on /);
  // A plain line or a JSON one: the URL names the port.
  const port = Number(/wss?:\/\/[^\s"]+:(\d+)/.exec(line)?.[1]);
  return [cli, port];
}

describe("anyws start: refusals and logs", () => {
  test(
    "a foreign Origin's 403 is logged at info with the --origins to set",
    TEST,
    async () => {
      const [cli, port] = await start(["--handler", ECHO]);
      try {
        const raw = await RawClient.connect(port);
        const response = await raw.handshake("/chat", {
          headers: { Origin: "http://localhost:5173" },
          expect101: false,
        });
        raw.destroy();
        assert.equal(response.status, 403);
        const line = await cli.line(/^rejected /, 5000);
        assert.equal(
          line,
          `rejected ws upgrade to /chat from ${HOST}: 403 Origin http://localhost:5173 not allowed ` +
            "(set --origins http://localhost:5173 to allow it, or --origins '*' for any)",
        );
      } finally {
        cli.stop();
        assert.equal(await cli.exit(), 0);
      }
    },
  );

  test(
    "--log-format json: every line is one JSON object, the refusal with its fields",
    TEST,
    async () => {
      const [cli, port] = await start([
        "--handler",
        ECHO,
        "--log-format",
        "json",
        "--max-connections-per-ip",
        "1",
      ]);
      try {
        const first = await RawClient.connect(port);
        await first.handshake("/");
        const second = await RawClient.connect(port);
        const response = await second.handshake("/", { expect101: false });
        assert.equal(response.status, 429);
        second.destroy();
        first.destroy();
        await cli.line(/"event":"rejected"/, 5000);
        await cli.line(/"event":"close"/, 5000);
        const records = cli.stdout.trim().split("\n").map((line) =>
          JSON.parse(line)
        );
        for (const record of records) {
          assert.equal(typeof record.time, "string");
          assert.equal(record.level, "info");
          assert.equal(typeof record.msg, "string");
        }
        const rejected = records.find((r) => r.event === "rejected");
        assert.equal(rejected.status, 429);
        assert.equal(rejected.cause, "maxConnectionsPerIp");
        assert.equal(rejected.remoteAddress, HOST);
        assert.match(rejected.msg, /\(see --max-connections-per-ip\)$/);
        assert.equal(records[0].event, "listening");
        assert.ok(records.some((r) => r.event === "open"));
      } finally {
        cli.stop();
        assert.equal(await cli.exit(), 0);
      }
    },
  );

  test(
    "--log-level warn keeps info lines (the start line, refusals) out",
    TEST,
    async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, HOST, resolve));
      const port = (probe.address() as { port: number }).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const cli = new Cli([
        "start",
        "--host",
        HOST,
        "--port",
        String(port),
        "--handler",
        ECHO,
        "--log-level",
        "warn",
      ]);
      try {
        // No start line to wait for: connect until it listens.
        let raw: RawClient | undefined;
        for (let i = 0; i < 200 && raw === undefined; i++) {
          raw = await RawClient.connect(port, 1000).catch(() => undefined);
          if (raw === undefined) await delay(50);
        }
        assert.ok(raw !== undefined, "the CLI never listened");
        const response = await raw.handshake("/", {
          headers: { Origin: "http://elsewhere.example" },
          expect101: false,
        });
        raw.destroy();
        assert.equal(response.status, 403);
        await delay(200);
      } finally {
        cli.stop();
        assert.equal(await cli.exit(), 0);
      }
      assert.equal(cli.stdout, "");
      assert.equal(cli.stderr, "");
    },
  );
});

describe("anyws start --metrics, /readyz, --socket", () => {
  test(
    "--metrics serves the Prometheus text; /readyz answers 200",
    TEST,
    async () => {
      const [cli, port] = await start(["--handler", ECHO, "--metrics"]);
      try {
        const raw = await RawClient.connect(port);
        await raw.handshake("/");
        raw.sendFrame(OP.Text, "counted");
        assert.equal(await raw.readText(), "counted");
        raw.destroy();
        const response = await fetch(`http://${HOST}:${port}/metrics`);
        assert.match(
          response.headers.get("content-type") ?? "",
          /version=0.0.4/,
        );
        const families = parseExposition(await response.text());
        assert.equal(sampleValue(families, "anyws_messages_received_total"), 1);
        const ready = await fetch(`http://${HOST}:${port}/readyz`);
        assert.equal(ready.status, 200);
        assert.deepEqual(await ready.json(), { status: "ready" });
      } finally {
        cli.stop();
        assert.equal(await cli.exit(), 0);
      }
    },
  );

  test(
    "without --metrics there is no /metrics (the handler's 426)",
    TEST,
    async () => {
      const [cli, port] = await start(["--handler", ECHO]);
      try {
        const response = await fetch(`http://${HOST}:${port}/metrics`);
        assert.equal(response.status, 426);
        await response.body?.cancel();
      } finally {
        cli.stop();
        assert.equal(await cli.exit(), 0);
      }
    },
  );

  test("--socket PATH listens on a Unix domain socket", TEST, async () => {
    const path = join(dir, "cli.sock");
    const cli = new Cli(["start", "--socket", path, "--handler", ECHO]);
    try {
      assert.equal(
        await cli.line(/anyws listening on /),
        `anyws listening on ws+unix://${path}`,
      );
      const socket = connect({ path, allowHalfOpen: true });
      const raw = new RawClient(socket);
      await new Promise<void>((resolve) => socket.once("connect", resolve));
      await raw.handshake("/");
      raw.sendFrame(OP.Text, "unix");
      assert.equal(await raw.readText(), "unix");
      raw.destroy();
    } finally {
      cli.stop();
      assert.equal(await cli.exit(), 0);
    }
  });
});

describe("anyws start: start-up errors say where", () => {
  /** Runs the CLI to its exit; returns the code and stderr. */
  async function fail(
    args: readonly string[],
  ): Promise<[number | null, string]> {
    const cli = new Cli(["start", "--host", HOST, "--port", "0", ...args]);
    const code = await cli.exit();
    assert.equal(cli.stdout, "");
    return [code, cli.stderr];
  }

  test(
    "a handler with a syntax error: file, line and column, exit 2",
    TEST,
    async () => {
      for (
        const [name, source, line, column] of [
          [
            "broken.ts",
            'export function register(server) {\n  server.on("message", (d, c) => { c.send(d) );\n}\n',
            2,
            46,
          ],
          [
            "broken.js",
            "export function register(server) {\n  server.on('x', () => {\n    let y = ;\n  });\n}\n",
            3,
            13,
          ],
        ] as const
      ) {
        const file = join(dir, name);
        writeFileSync(file, source);
        const [code, stderr] = await fail(["--handler", file]);
        assert.equal(code, 2, stderr);
        assert.equal(stderr.split("\n").length, 2, stderr);
        assert.match(
          stderr,
          new RegExp(
            `^anyws: Cannot load handler ${
              file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
            }: syntax error in .*${
              name.replace(".", "\\.")
            }:${line}:${column}: \\S`,
          ),
        );
      }
    },
  );

  test(
    "a register() that throws: its message and the frame it came from, exit 2",
    TEST,
    async () => {
      const file = join(dir, "throws.ts");
      writeFileSync(
        file,
        'export function register() {\n  setUp();\n}\nfunction setUp() {\n  throw new Error("no database configured");\n}\n',
      );
      const [code, stderr] = await fail(["--handler", file]);
      assert.equal(code, 2, stderr);
      assert.match(
        stderr,
        /^anyws: register\(\) of .*throws\.ts failed: Error: no database configured, thrown from setUp \(.*throws\.ts:5:\d+\)\n$/,
      );
    },
  );

  test("a port in use: the same reason on every runtime", TEST, async () => {
    const blocker: NetServer = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, HOST, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const cli = new Cli([
        "start",
        "--host",
        HOST,
        "--port",
        String(port),
        "--handler",
        ECHO,
      ]);
      assert.equal(await cli.exit(), 2);
      assert.equal(
        cli.stderr,
        `anyws: Cannot listen on ${HOST}:${port}: listen EADDRINUSE: address already in use ${HOST}:${port}\n`,
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

before(() => {
  assert.ok(CLI.endsWith("main.ts"));
});
