// The client side of the client matrix (tests/client/client_matrix_test.ts), run
// as a child process on Deno, Bun or Node: anyws's ClientSocket and
// connect() against every target in MATRIX_TARGETS (JSON), all at once,
// trusting the CA in the file MATRIX_CA for wss:// targets. For each it
// prints one line, `result {"name":…,"report":{…}}`: what it observed (the
// parent test judges it), then `done`.
//
// On each target: open (readyState, bufferedAmount, the agreed subprotocol
// and extensions), text, binary, 64 KiB of text and 1 MiB of bytes echoed, a
// fragmented message from the server, the server's ping answered (the
// `ping-me` command, or staying connected to a server that drops silent
// clients), the client's heartbeat pings answered (staying connected past
// its own idleTimeout), a close from the client (its code and reason as the
// server saw them) and one from the server, and the event client: an event
// sent back, and a request answered (anyws servers).

import { readFileSync } from "node:fs";
import process from "node:process";
import { ClientSocket, type ClientSocketOptions, connect } from "../mod.ts";

/** One server to run the scenario against. */
export interface MatrixTarget {
  name: string;
  /** The quiet server: no heartbeat of its own. */
  url: string;
  /** A server that pings and drops clients that do not answer (anyws only). */
  beatUrl?: string;
  /** Whether the server answers the `add` request (anyws only). */
  requests: boolean;
}

/** What the scenario observed on one target. */
export interface MatrixReport {
  constructedState?: number;
  constructedBuffered?: number;
  openState?: number;
  protocol?: string;
  extensions?: string;
  text?: boolean;
  binary?: boolean;
  binaryType?: string;
  bigText?: boolean;
  bigBinary?: boolean;
  bufferedAfterSend?: number;
  bufferedAfterEcho?: number;
  fragmented?: string;
  serverPing?: string;
  clientPing?: string;
  closingState?: number;
  clientClose?: { code: number; reason: string; wasClean: boolean };
  serverSawClose?: string;
  serverClose?: { code: number; reason: string; wasClean: boolean };
  closedState?: number;
  eventEcho?: unknown;
  request?: unknown;
  errors: string[];
  failure?: string;
  eventFailure?: string;
  ms?: number;
}

const WAIT = 20_000;
const MiB = 1024 * 1024;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function within<T>(promise: Promise<T>, what: string, ms = WAIT): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Incompressible bytes (xorshift). */
function noise(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Compressible text with some variety, `size` characters. */
function prose(size: number): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const part = `{"n":${i},"user":"u${i % 97}","text":"héllo ✓ ${i * 7}"},`;
    parts.push(part);
    length += part.length;
  }
  return parts.join("").slice(0, size);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A ClientSocket whose messages are awaited in order. */
class Peer {
  readonly socket: ClientSocket;
  readonly closed: Promise<{ code: number; reason: string; wasClean: boolean }>;
  readonly #queue: unknown[] = [];
  readonly #waiters: Array<(data: unknown) => void> = [];

  constructor(url: string, options: ClientSocketOptions, errors: string[]) {
    this.socket = new ClientSocket(url, options);
    this.socket.addEventListener("message", (event) => {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter(event.data);
      else this.#queue.push(event.data);
    });
    this.socket.addEventListener("error", (event) => {
      errors.push(event.message);
    });
    this.closed = new Promise((resolve) => {
      this.socket.addEventListener("close", (event) => {
        resolve({
          code: event.code,
          reason: event.reason,
          wasClean: event.wasClean,
        });
      });
    });
  }

  opened(): Promise<void> {
    return within(
      new Promise<void>((resolve, reject) => {
        this.socket.addEventListener("open", () => resolve());
        this.socket.addEventListener("close", (event) => {
          reject(new Error(`closed before open: ${event.code}`));
        });
      }),
      "open",
    );
  }

  next(what: string): Promise<unknown> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift());
    return within(
      Promise.race([
        new Promise((resolve) => this.#waiters.push(resolve)),
        this.closed.then(({ code }) => {
          throw new Error(`closed (${code}) while waiting for: ${what}`);
        }),
      ]),
      what,
    );
  }

  async ask(text: string): Promise<string> {
    this.socket.send(text);
    return String(
      await this.next(text.length > 40 ? `${text.slice(0, 40)}…` : text),
    );
  }
}

/** Heartbeat timing: the servers' (beating ones) and the client's. */
const PING_INTERVAL = 100;
const IDLE_TIMEOUT = 1500;

/**
 * The scenario's first part, with every target at once: open, then stay
 * silent past the idle timeouts; only answered pings keep the
 * connections. Nothing heavy runs meanwhile, so a busy event loop cannot
 * pass for a missing pong.
 */
async function heartbeats(
  target: MatrixTarget,
  base: ClientSocketOptions,
  report: MatrixReport,
): Promise<Peer> {
  const main = new Peer(target.url, {
    ...base,
    // The client's heartbeat: ping a server silent for PING_INTERVAL, give
    // up on one silent for IDLE_TIMEOUT.
    pingInterval: PING_INTERVAL,
    idleTimeout: IDLE_TIMEOUT,
  }, report.errors);
  report.constructedState = main.socket.readyState;
  report.constructedBuffered = main.socket.bufferedAmount;
  const beating = target.beatUrl === undefined
    ? undefined
    : stayConnected(target.beatUrl, base, report);
  await main.opened();
  report.openState = main.socket.readyState;
  report.protocol = main.socket.protocol;
  report.extensions = main.socket.extensions;
  if (target.beatUrl === undefined) {
    report.serverPing = await main.ask("ping-me");
  }
  await delay(IDLE_TIMEOUT + 500);
  report.clientPing = main.socket.readyState === 1
    ? await main.ask("still there")
    : `closed ${main.socket.readyState}`;
  if (beating !== undefined) report.serverPing = await beating;
  return main;
}

/** The rest, with every target at once: echoes, closes, the event client. */
async function exchanges(
  target: MatrixTarget,
  base: ClientSocketOptions,
  tls: ClientSocketOptions["tls"],
  main: Peer,
  report: MatrixReport,
): Promise<void> {
  // Awaited at the end; a failure is reported, never left unhandled.
  const events = eventClient(target, tls, report).catch((error) => {
    report.eventFailure = String(error);
  });
  const tag = `${Math.random().toString(36).slice(2)}`;
  if ((await main.ask(`tag ${tag}`)) !== `tagged ${tag}`) {
    throw new Error("the tag was not acknowledged");
  }

  const greeting = "héllo, wörld ✓ 😀";
  report.text = (await main.ask(greeting)) === greeting;

  const small = noise(300, 7);
  main.socket.send(small);
  const echoed = await main.next("binary echo");
  report.binaryType = Object.prototype.toString.call(echoed);
  report.binary = echoed instanceof ArrayBuffer &&
    sameBytes(new Uint8Array(echoed), small);

  const text = prose(64 * 1024);
  report.bigText = (await main.ask(text)) === text;

  // 1 MiB: 256 KiB of noise (the compressor cannot shrink it) in 1 MiB of
  // text's bytes (which it can: the machine's CPU is shared).
  const bigBytes = new TextEncoder().encode(prose(MiB)).subarray(0, MiB);
  bigBytes.set(noise(256 * 1024, 11), 100_000);
  main.socket.send(bigBytes);
  report.bufferedAfterSend = main.socket.bufferedAmount;
  const bigEcho = await main.next("1 MiB binary echo");
  report.bigBinary = bigEcho instanceof ArrayBuffer &&
    sameBytes(new Uint8Array(bigEcho), bigBytes);
  report.bufferedAfterEcho = main.socket.bufferedAmount;

  report.fragmented = await main.ask("fragment 4");

  main.socket.close(4000, "client bye");
  report.closingState = main.socket.readyState;
  report.clientClose = await within(main.closed, "the client's close");

  // The close as the server saw it, asked on a second connection, which
  // the server then closes.
  const second = new Peer(target.url, base, report.errors);
  await second.opened();
  const asked = `closed ${tag} `;
  for (let i = 0; i < 50; i++) {
    const answer = await second.ask(`closed? ${tag}`);
    if (answer !== `${asked}?`) {
      report.serverSawClose = answer.slice(asked.length);
      break;
    }
    await delay(20);
  }
  second.socket.send("close 4001 server bye");
  report.serverClose = await within(second.closed, "the server's close");
  report.closedState = second.socket.readyState;
  await events;
}

/** Stays connected, silent, to a server that drops silent clients. */
async function stayConnected(
  url: string,
  options: ClientSocketOptions,
  report: MatrixReport,
): Promise<string> {
  const peer = new Peer(url, {
    ...options,
    pingInterval: 0,
    idleTimeout: 0,
  }, report.errors);
  await peer.opened();
  await delay(IDLE_TIMEOUT + 500);
  if (peer.socket.readyState !== 1) {
    const { code } = await peer.closed;
    return `dropped ${code}`;
  }
  const answer = await peer.ask("still here");
  peer.socket.close();
  await within(peer.closed, "close");
  return answer === "still here" ? "stayed" : answer;
}

/** The event client: an event sent back, and a request (anyws). */
async function eventClient(
  target: MatrixTarget,
  tls: ClientSocketOptions["tls"],
  report: MatrixReport,
): Promise<void> {
  const client = connect(target.url, {
    session: false,
    reconnect: false,
    ...(target.url.startsWith("wss:") ? { tls } : {}),
  });
  client.on("error", (error) => {
    report.errors.push(`event client: ${error.message}`);
  });
  try {
    const back = within(
      new Promise((resolve) => client.on("hello", resolve)),
      "the hello event",
    );
    client.emit("hello", { from: "matrix", n: 1 });
    report.eventEcho = await back;
    if (target.requests) {
      report.request = await client.request("add", [2, 3], { timeout: WAIT });
    }
  } finally {
    client.close();
  }
}

const targets = JSON.parse(process.env.MATRIX_TARGETS!) as MatrixTarget[];
const tls = { ca: readFileSync(process.env.MATRIX_CA!, "utf8") };
const runs = targets.map((target) => {
  const base: ClientSocketOptions = {
    protocols: ["x-unknown", "echo.v1"],
    ...(target.url.startsWith("wss:") ? { tls } : {}),
  };
  return { target, base, report: { errors: [] } as MatrixReport };
});
const started = Date.now();
const mains = await Promise.all(
  runs.map(({ target, base, report }) =>
    within(heartbeats(target, base, report), "the heartbeats", 20_000).catch(
      (error) => {
        report.failure = String(error);
        return undefined;
      },
    )
  ),
);
await Promise.all(runs.map(async ({ target, base, report }, i) => {
  const main = mains[i];
  if (main !== undefined) {
    try {
      await within(
        exchanges(target, base, tls, main, report),
        "the exchanges",
        60_000,
      );
    } catch (error) {
      report.failure = String(error);
    }
  }
  report.ms = Date.now() - started;
  console.log(`result ${JSON.stringify({ name: target.name, report })}`);
}));
console.log("done");
