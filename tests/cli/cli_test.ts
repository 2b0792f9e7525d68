// `anyws start` as a user runs it: the CLI is spawned as a subprocess of the
// runtime running this file (deno run -A cli/main.ts, bun cli/main.ts, node cli/main.ts),
// on 127.0.0.1 and port 0, and driven through its output, real clients and
// signals. Every child is killed in `after`; every wait is bounded.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";
import { CLI_USAGE } from "../../cli/config.ts";
import { runtimeCommand } from "../_cli_process.ts";
import {
  closePayload,
  delay,
  HOST,
  OP,
  openClient,
  RawClient,
  withTimeout,
} from "../_clients.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "cli", "main.ts");
/** Bound for a CLI to print its start line or to exit (2 shared cores). */
const START_MS = 20_000;
/** Per-test bound (bun's own default is 5 s). */
const TEST = { timeout: 60_000 };

/** The start line: `anyws listening on ws://HOST:PORT (open http://HOST:PORT/)`. */
const START_LINE =
  /^anyws listening on (wss?):\/\/([^\s]+):(\d+) \(open (https?):\/\/([^\s/]+):(\d+)\/\)$/;
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** The parent's environment without WEBSOCKET_* and OPENAI_* variables. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (name.startsWith("WEBSOCKET_") || name.startsWith("OPENAI_")) continue;
    env[name] = value;
  }
  env.NO_COLOR = "1";
  return env;
}

const children = new Set<CliProcess>();

/** One running `anyws` process with its output collected. */
class CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  stdout = "";
  stderr = "";
  exit: { code: number | null; signal: string | null } | undefined;

  constructor(
    args: readonly string[],
    options: { env?: Record<string, string>; cwd?: string } = {},
  ) {
    const [command, prefix] = runtimeCommand(CLI);
    this.child = spawn(command, [...prefix, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...baseEnv(), ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(this);
    this.child.stdout!.setEncoding("utf8");
    this.child.stderr!.setEncoding("utf8");
    this.child.stdout!.on("data", (text: string) => this.stdout += text);
    this.child.stderr!.on("data", (text: string) => this.stderr += text);
    this.exited = new Promise((resolve) => {
      this.child.on("error", (error) => {
        this.stderr += `[spawn] ${error.message}\n`;
        this.exit = { code: -1, signal: null };
        resolve(this.exit);
      });
      // "close": the process exited and its pipes are drained.
      this.child.on("close", (code, signal) => {
        this.exit ??= { code, signal };
        children.delete(this);
        resolve(this.exit);
      });
    });
  }

  /** Complete stdout lines so far. */
  lines(): string[] {
    const lines = this.stdout.split("\n");
    lines.pop();
    return lines;
  }

  /** Waits (bounded) for a stdout line matching `pattern`. */
  async line(pattern: RegExp, ms = 10_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (const line of this.lines()) {
        const match = pattern.exec(line);
        if (match !== null) return match;
      }
      if (this.exit !== undefined) {
        throw new Error(
          `The CLI exited (${this.exit.code}) without printing ${pattern}${this.#output()}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out after ${ms} ms: ${pattern}${this.#output()}`,
        );
      }
      await delay(10);
    }
  }

  /** Waits (bounded) for the process to exit. */
  waitExit(
    ms = START_MS,
  ): Promise<{ code: number | null; signal: string | null }> {
    return withTimeout(this.exited, ms, `CLI exit${this.#output()}`);
  }

  /** Sends `signal` if the process still runs. */
  kill(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (this.exit !== undefined || pid === undefined) return;
    // Not child.kill(): Deno 2.9's node:child_process then reports the exit
    // as "killed by signal" even when the child handled it and exited 0.
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }

  #output(): string {
    return `\n--- stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
  }
}

/** A started CLI and the port its start line names. */
interface Started {
  cli: CliProcess;
  port: number;
  /** The whole start line. */
  line: string;
  match: RegExpExecArray;
}

/** Spawns `anyws` and waits for its start line. */
async function startCli(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<Started> {
  const cli = new CliProcess(args, options);
  const { input } = await cli.line(/^anyws listening on /, START_MS);
  const match = START_LINE.exec(input);
  assert.ok(match !== null, `Unexpected start line: ${input}`);
  return { cli, port: Number(match[3]), line: input, match };
}

/** Spawns `anyws` and waits for it to exit on its own. */
async function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<
  { code: number | null; signal: string | null; stdout: string; stderr: string }
> {
  const cli = new CliProcess(args, options);
  const { code, signal } = await cli.waitExit();
  return { code, signal, stdout: cli.stdout, stderr: cli.stderr };
}

/** SIGTERM, then waits for a clean exit; returns the whole stdout. */
async function stopCli(cli: CliProcess): Promise<string> {
  cli.kill("SIGTERM");
  const exit = await cli.waitExit();
  assert.deepEqual(exit, { code: 0, signal: null }, cli.stderr);
  return cli.stdout;
}

/** A port that was free a moment ago (bound on 127.0.0.1:0, then closed). */
async function freePort(): Promise<number> {
  const server = createServer();
  await withTimeout(
    new Promise<void>((resolve) => server.listen(0, HOST, resolve)),
    5000,
    "listen for a free port",
  );
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Asserts the shape of a configuration error: one line, status 2, no stack. */
function assertOneLineError(
  result: {
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
  },
  expected: string | RegExp,
): void {
  const context = `stdout: ${result.stdout}\nstderr: ${result.stderr}`;
  assert.equal(result.signal, null, context);
  assert.equal(result.code, 2, context);
  assert.equal(result.stdout, "", context);
  assert.equal(result.stderr.endsWith("\n"), true, context);
  assert.equal(result.stderr.split("\n").length, 2, `Not one line: ${context}`);
  assert.doesNotMatch(result.stderr, /^\s*at\s/m, context);
  assert.doesNotMatch(result.stderr, /\bat .*:\d+:\d+/, context);
  const line = result.stderr.slice(0, -1);
  if (typeof expected === "string") assert.equal(line, expected);
  else assert.match(line, expected);
}

// ── fixtures ──────────────────────────────────────────────────────────────

const dir = mkdtempSync(join(tmpdir(), "anyws-cli-test-"));
/** A project of the user's: a package.json and an echo handler module. */
writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
const ECHO_HANDLER = join(dir, "echo_handler.ts");
writeFileSync(
  ECHO_HANDLER,
  `// A handler module: register(server) is all the CLI asks for.
interface Conn { send(data: string): void }
interface Server {
  on(event: "message", handler: (data: unknown, conn: Conn) => void): unknown;
}

export function register(server: Server): void {
  server.on("message", (data, conn) => conn.send(\`echo:\${data}\`));
}
`,
);
const NO_REGISTER = join(dir, "no_register.ts");
writeFileSync(NO_REGISTER, "export const name = 'not a handler';\n");

after(async () => {
  for (const cli of children) cli.kill("SIGKILL");
  await withTimeout(
    Promise.all([...children].map((cli) => cli.exited)),
    10_000,
    "killing leftover CLI processes",
  ).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

// ── tests ─────────────────────────────────────────────────────────────────

describe("anyws start --handler (a running server)", () => {
  let started: Started;

  before(async () => {
    // Run from the user's project directory, with a relative handler path.
    started = await startCli([
      "start",
      "--host",
      HOST,
      "--port",
      "0",
      "--handler",
      "./echo_handler.ts",
    ], { cwd: dir });
  });

  after(async () => {
    if (started !== undefined) await stopCli(started.cli);
  });

  test(
    "prints one start line with the bound ws:// URL and the page's http:// URL",
    TEST,
    () => {
      const { port, line, cli } = started;
      assert.ok(port > 0 && port < 65536, `port ${port}`);
      assert.equal(
        line,
        `anyws listening on ws://${HOST}:${port} (open http://${HOST}:${port}/)`,
      );
      assert.equal(cli.lines()[0], line);
      assert.equal(cli.stderr, "");
    },
  );

  test(
    "loads the handler module relative to the working directory and calls register(server)",
    TEST,
    async () => {
      const client = await openClient(`ws://${HOST}:${started.port}/`);
      try {
        client.ws.send("hello");
        assert.equal(await client.next(), "echo:hello");
        client.ws.send("h\u00e9llo \u{1F600}");
        assert.equal(await client.next(), "echo:h\u00e9llo \u{1F600}");
      } finally {
        await client.close();
      }
    },
  );

  test(
    "logs 'open <id> <address> <path>' and 'close <id> <address> <code>' per connection",
    TEST,
    async () => {
      const { cli, port } = started;
      const seen = cli.lines().length;
      const client = await openClient(`ws://${HOST}:${port}/rooms/7?x=1`);
      const open = await cli.line(
        new RegExp(`^open (${UUID}) 127\\.0\\.0\\.1 /rooms/7$`),
      );
      const id = open[1];
      const closed = await client.close(4321, "bye");
      assert.equal(closed.code, 4321);
      const close = await cli.line(new RegExp(`^close ${id} `));
      assert.equal(close.input, `close ${id} 127.0.0.1 4321`);
      // Exactly those two lines for this connection, in that order.
      const mine = cli.lines().slice(seen).filter((line) => line.includes(id));
      assert.deepEqual(mine, [open.input, close.input]);
      assert.equal(cli.stderr, "");
    },
  );

  test("logs a different id for each connection", TEST, async () => {
    const { cli, port } = started;
    const a = await openClient(`ws://${HOST}:${port}/a`);
    const openA = await cli.line(
      new RegExp(`^open (${UUID}) 127\\.0\\.0\\.1 /a$`),
    );
    const b = await openClient(`ws://${HOST}:${port}/b`);
    const openB = await cli.line(
      new RegExp(`^open (${UUID}) 127\\.0\\.0\\.1 /b$`),
    );
    assert.notEqual(openA[1], openB[1]);
    await a.close(1000);
    await b.close(1000);
    await cli.line(new RegExp(`^close ${openA[1]} 127\\.0\\.0\\.1 1000$`));
    await cli.line(new RegExp(`^close ${openB[1]} 127\\.0\\.0\\.1 1000$`));
  });
});

describe("anyws start --quiet", () => {
  test("prints the start line and no line per connection", TEST, async () => {
    const { cli, port, line } = await startCli([
      "start",
      "--quiet",
      "--host",
      HOST,
      "--port",
      "0",
      "--handler",
      ECHO_HANDLER,
    ]);
    const client = await openClient(`ws://${HOST}:${port}/`);
    client.ws.send("quiet");
    assert.equal(await client.next(), "echo:quiet");
    assert.equal((await client.close(1000)).code, 1000);
    // Give a log line time to show up if one were coming.
    await delay(200);
    const stdout = await stopCli(cli);
    assert.equal(stdout, `${line}\n`);
    assert.equal(cli.stderr, "");
  });
});

describe("anyws start: configuration from the environment", () => {
  test(
    "WEBSOCKET_HOST, WEBSOCKET_PORT, WEBSOCKET_HANDLER and WEBSOCKET_MAX_MESSAGE_SIZE alone configure the server",
    TEST,
    async () => {
      const chosen = await freePort();
      const { cli, port, line } = await startCli(["start"], {
        env: {
          WEBSOCKET_HOST: HOST,
          WEBSOCKET_PORT: String(chosen),
          WEBSOCKET_HANDLER: ECHO_HANDLER,
          WEBSOCKET_MAX_MESSAGE_SIZE: "16",
        },
      });
      assert.equal(port, chosen);
      assert.equal(
        line,
        `anyws listening on ws://${HOST}:${chosen} (open http://${HOST}:${chosen}/)`,
      );
      const client = await openClient(`ws://${HOST}:${port}/`);
      client.ws.send("x".repeat(16));
      assert.equal(await client.next(), `echo:${"x".repeat(16)}`);
      // One byte over WEBSOCKET_MAX_MESSAGE_SIZE.
      client.ws.send("x".repeat(17));
      const closed = await withTimeout(
        client.closed,
        5000,
        "close for 17 bytes",
      );
      assert.equal(closed.code, 1009);
      await stopCli(cli);
    },
  );

  test(
    "flags win over the environment (host, port, handler, limit)",
    TEST,
    async () => {
      const { cli, port, line } = await startCli([
        "start",
        "--host",
        HOST,
        "--port",
        "0",
        "--handler",
        ECHO_HANDLER,
        "--max-message-size=64",
      ], {
        env: {
          WEBSOCKET_HOST: "0.0.0.0",
          // Invalid: it must not even be looked at when --port is given.
          WEBSOCKET_PORT: "not-a-port",
          WEBSOCKET_HANDLER: join(dir, "missing_handler.ts"),
          WEBSOCKET_MAX_MESSAGE_SIZE: "4",
        },
      });
      assert.equal(
        line,
        `anyws listening on ws://${HOST}:${port} (open http://${HOST}:${port}/)`,
      );
      const client = await openClient(`ws://${HOST}:${port}/`);
      try {
        client.ws.send("y".repeat(64));
        assert.equal(await client.next(), `echo:${"y".repeat(64)}`);
      } finally {
        await client.close(1000);
      }
      await stopCli(cli);
    },
  );
});

describe("anyws: help and bad configuration", () => {
  test("--help prints the usage on stdout and exits 0", TEST, async () => {
    const result = await runCli(["--help"]);
    assert.deepEqual(result, {
      code: 0,
      signal: null,
      stdout: `${CLI_USAGE}\n`,
      stderr: "",
    });
  });

  test("no arguments prints the usage and exits 0", TEST, async () => {
    const result = await runCli([]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `${CLI_USAGE}\n`);
  });

  test(
    "a non-numeric --port exits 2 with one line on stderr and no stack trace",
    TEST,
    async () => {
      assertOneLineError(
        await runCli(["start", "--port", "abc"]),
        "anyws: Invalid port in --port: abc",
      );
    },
  );

  test(
    "an out-of-range WEBSOCKET_PORT exits 2 with one line naming the variable",
    TEST,
    async () => {
      assertOneLineError(
        await runCli(["start"], { env: { WEBSOCKET_PORT: "70000" } }),
        "anyws: Invalid port in WEBSOCKET_PORT: 70000",
      );
    },
  );

  test("an unknown option exits 2 with one line", TEST, async () => {
    assertOneLineError(
      await runCli(["start", "--bogus"]),
      "anyws: Unknown option: --bogus",
    );
  });

  test("--tls-cert without --tls-key exits 2 with one line", TEST, async () => {
    assertOneLineError(
      await runCli(["start", "--tls-cert", join(dir, "cert.pem")]),
      "anyws: TLS needs both --tls-cert and --tls-key",
    );
  });

  test(
    "a missing certificate file exits 2 with one line naming it, no stack trace",
    TEST,
    async () => {
      const cert = join(dir, "no_such_cert.pem");
      const key = join(dir, "no_such_key.pem");
      assertOneLineError(
        await runCli([
          "start",
          "--host",
          HOST,
          "--port",
          "0",
          "--handler",
          ECHO_HANDLER,
          "--tls-cert",
          cert,
          "--tls-key",
          key,
        ]),
        new RegExp(
          `^anyws: Cannot read --tls-cert file ${escape(cert)}: \\S.*$`,
        ),
      );
    },
  );

  test(
    "a missing handler module exits 2 with one line naming it",
    TEST,
    async () => {
      const missing = join(dir, "no_such_handler.ts");
      assertOneLineError(
        await runCli(["start", "--port", "0", "--handler", missing]),
        new RegExp(`^anyws: Cannot load handler ${escape(missing)}: \\S.*$`),
      );
    },
  );

  test(
    "a handler module without register() exits 2 with one line",
    TEST,
    async () => {
      assertOneLineError(
        await runCli(["start", "--port", "0", "--handler", NO_REGISTER]),
        `anyws: Handler ${NO_REGISTER} does not export a register(server) function`,
      );
    },
  );

  test(
    "a port already in use exits 2 with one line naming host and port",
    TEST,
    async () => {
      const blocker: NetServer = createServer();
      await withTimeout(
        new Promise<void>((resolve) => blocker.listen(0, HOST, resolve)),
        5000,
        "blocker listen",
      );
      const port = (blocker.address() as { port: number }).port;
      try {
        assertOneLineError(
          await runCli([
            "start",
            "--host",
            HOST,
            "--port",
            String(port),
            "--handler",
            ECHO_HANDLER,
          ]),
          new RegExp(
            `^anyws: Cannot listen on ${escape(HOST)}:${port}: \\S.*$`,
          ),
        );
      } finally {
        await new Promise<void>((resolve) => blocker.close(() => resolve()));
      }
    },
  );
});

describe("anyws start --tls-cert --tls-key (wss://)", () => {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");

  before(() => {
    // A self-signed P-256 certificate for 127.0.0.1, valid for a day.
    execFileSync("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ], { stdio: "ignore", timeout: 10_000 });
  });

  test(
    "prints a wss:// start line and echoes over TLS verified against the certificate",
    TEST,
    async () => {
      const { cli, port, line } = await startCli([
        "start",
        "--host",
        HOST,
        "--port",
        "0",
        "--handler",
        ECHO_HANDLER,
        "--tls-cert",
        cert,
        "--tls-key",
        key,
      ]);
      assert.equal(
        line,
        `anyws listening on wss://${HOST}:${port} (open https://${HOST}:${port}/)`,
      );
      const socket: TLSSocket = tlsConnect({
        host: HOST,
        port,
        ca: readFileSync(cert, "utf8"),
      });
      const raw = new RawClient(socket);
      try {
        await withTimeout(
          new Promise<void>((resolve, reject) => {
            socket.once("secureConnect", () => resolve());
            socket.once("error", reject);
          }),
          5000,
          "TLS handshake",
        );
        assert.equal(
          socket.authorized,
          true,
          String(socket.authorizationError),
        );
        await raw.handshake("/secure");
        raw.sendFrame(OP.Text, "over tls");
        const frame = await raw.readFrame();
        assert.equal(frame.opcode, OP.Text);
        assert.equal(new TextDecoder().decode(frame.payload), "echo:over tls");
        raw.sendFrame(OP.Close, closePayload(1000, "done"));
        const close = await raw.readUntilClose();
        assert.equal(close.code, 1000);
        await cli.line(new RegExp(`^close ${UUID} 127\\.0\\.0\\.1 1000$`));
      } finally {
        raw.destroy();
      }
      await stopCli(cli);
    },
  );
});

describe("anyws start: graceful stop", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(
      `${signal}: every client gets close 1001 "Server shutting down" and the process exits 0`,
      TEST,
      async () => {
        const { cli, port } = await startCli([
          "start",
          "--host",
          HOST,
          "--port",
          "0",
          "--handler",
          ECHO_HANDLER,
        ]);
        // A runtime WebSocket, and a raw client that sees the close frame itself.
        const ws = await openClient(`ws://${HOST}:${port}/`);
        const raw = await RawClient.connect(port);
        try {
          await raw.handshake("/raw");
          await cli.line(new RegExp(`^open ${UUID} 127\\.0\\.0\\.1 /$`));
          await cli.line(new RegExp(`^open ${UUID} 127\\.0\\.0\\.1 /raw$`));
          cli.kill(signal);
          const close = await raw.readUntilClose();
          assert.deepEqual(
            {
              code: close.code,
              reason: close.reason,
              frames: close.before.length,
            },
            { code: 1001, reason: "Server shutting down", frames: 0 },
          );
          // Complete the closing handshake, then close TCP once the server
          // did, as a browser would.
          raw.sendFrame(OP.Close, closePayload(1001));
          await raw.waitGone();
          raw.end();
          const wsClose = await withTimeout(ws.closed, 5000, "WebSocket close");
          assert.deepEqual(
            { code: wsClose.code, reason: wsClose.reason },
            { code: 1001, reason: "Server shutting down" },
          );
          const exit = await cli.waitExit();
          assert.deepEqual(exit, { code: 0, signal: null }, cli.stderr);
        } finally {
          raw.destroy();
          ws.ws.close();
        }
        const lines = cli.lines();
        assert.ok(
          lines.includes(`${signal}: closing 2 connection(s)`),
          cli.stdout,
        );
        const closes = lines.filter((line) => line.startsWith("close "));
        assert.equal(closes.length, 2, cli.stdout);
        for (const line of closes) {
          assert.match(
            line,
            new RegExp(`^close ${UUID} 127\\.0\\.0\\.1 1001$`),
          );
        }
        assert.equal(cli.stderr, "");
      },
    );
  }
});

describe("anyws start without --handler (the demo chat)", () => {
  test(
    "serves the demo: GET /healthz is 200 with the health JSON, and /ws welcomes",
    TEST,
    async () => {
      const { cli, port } = await startCli([
        "start",
        "--host",
        HOST,
        "--port",
        "0",
      ]);
      const response = await withTimeout(
        fetch(`http://${HOST}:${port}/healthz`),
        5000,
        "GET /healthz",
      );
      const body = await response.text();
      assert.equal(response.status, 200, body);
      assert.deepEqual(JSON.parse(body), { status: "ok", connections: 0 });
      const client = await openClient(`ws://${HOST}:${port}/ws`);
      try {
        const welcome = JSON.parse(String(await client.next()));
        assert.equal(welcome.event, "welcome");
        const open = await cli.line(
          new RegExp(`^open (${UUID}) 127\\.0\\.0\\.1 /ws$`),
        );
        assert.equal(welcome.data.id, open[1]);
        // No OPENAI_API_KEY in this environment: no assistant.
        assert.equal(welcome.data.assistant, false);
      } finally {
        await client.close(1000);
      }
      await stopCli(cli);
    },
  );
});

/** Escapes `text` for a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
