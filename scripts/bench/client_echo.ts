/**
 * The client process under test of `npm run bench:client`: one client
 * implementation (anyws's `ClientSocket`, `ws`, `ws` with `bufferutil`,
 * or the runtime's own `WebSocket`) opens N connections to an echo server
 * and keeps K text messages of S bytes in flight on each (one is sent
 * each time one comes back). Every echo is checked: it must be the text
 * message sent longest ago on that connection, character for character.
 * After the warm-up it counts echoes over the measured window and reads
 * its own CPU time and the server's from `/proc` at both ends.
 *
 * Runs unchanged on Deno (`deno run -A`), Bun and Node:
 * `node scripts/bench/client_echo.ts '<json plan>'`; prints one JSON line,
 * its report, last (exit status 1 with the report's `error` set when
 * something failed).
 *
 * @module
 */

import process from "node:process";
import type { ClientId } from "./client_kinds.ts";
import { cpuSeconds, machineBusySeconds } from "./proc_cpu.ts";

/**
 * What to run.
 *
 * @example
 * ```ts
 * import type { EchoPlan } from "./client_echo.ts";
 * const plan: EchoPlan = {
 *   client: "anyws", url: "ws://127.0.0.1:9001/echo", connections: 100,
 *   inflight: 16, size: 32, warmupMs: 1000, durationMs: 5000,
 *   serverPid: null, openTimeoutMs: 10_000,
 * };
 * ```
 */
export interface EchoPlan {
  client: ClientId;
  url: string;
  connections: number;
  /** Messages in flight per connection. */
  inflight: number;
  /** Bytes per message (ASCII text: as many characters), at least 16. */
  size: number;
  warmupMs: number;
  durationMs: number;
  /** The echo server, whose CPU time is read over the window (Linux). */
  serverPid: number | null;
  /** How long the connections may take to open. */
  openTimeoutMs: number;
}

/**
 * What the process measured over the window (CPU figures `null` where
 * `/proc` cannot be read), or why it failed.
 *
 * @example
 * ```ts
 * import type { EchoReport } from "./client_echo.ts";
 * const line = (r: EchoReport) => `${r.msgs_per_s} msgs/s, ${r.client_cpu_us_per_msg} µs/msg`;
 * ```
 */
export type EchoReport = {
  client: ClientId;
  /** Echoes received (and checked) in the window. */
  echoes: number;
  seconds: number;
  msgs_per_s: number;
  /** The client process's CPU time (user + system) per echo, µs. */
  client_cpu_us_per_msg: number | null;
  /** The client process's CPU use, % of one core. */
  client_cpu_pct: number | null;
  /** The server's CPU use, % of one core. */
  server_cpu_pct: number | null;
  /**
   * The rest of the machine's busy time (other processes, interrupts), %
   * of one core: a high figure marks a disturbed measurement.
   */
  other_cpu_pct: number | null;
  /** Which implementation ran (version, masking). */
  detail: string;
  error: string | null;
};

/** What a connection tells the load. */
interface LinkEvents {
  open(): void;
  message(data: unknown): void;
  failed(why: string): void;
}

/** One connection of the client under test. */
interface Link {
  send(text: string): void;
}

type Opener = (url: string, events: LinkEvents) => Link;

const PREFIX_ROOM = 16;

/**
 * The browser's WebSocket API, as far as the load uses it: anyws's
 * `ClientSocket` and the runtimes' own `WebSocket` both have it.
 */
interface BrowserLikeSocket {
  addEventListener(type: "open", listener: () => void): void;
  addEventListener(
    type: "message",
    listener: (event: { data: unknown }) => void,
  ): void;
  addEventListener(type: "error", listener: (event: object) => void): void;
  addEventListener(
    type: "close",
    listener: (event: { code: number }) => void,
  ): void;
  send(text: string): unknown;
}

/** A connection over the browser's API. */
function browserLink(socket: BrowserLikeSocket, events: LinkEvents): Link {
  socket.addEventListener("open", () => events.open());
  socket.addEventListener("message", (event) => events.message(event.data));
  socket.addEventListener("error", (event) =>
    events.failed(
      "message" in event && typeof event.message === "string"
        ? event.message
        : "error event",
    ));
  socket.addEventListener(
    "close",
    (event) => events.failed(`closed with ${event.code}`),
  );
  return { send: (text) => socket.send(text) };
}

/**
 * How the client under test opens a connection, and what it is. Loads
 * only the implementation under test.
 */
async function openerOf(
  client: ClientId,
): Promise<{ open: Opener; detail: string }> {
  if (client === "anyws") {
    const { ClientSocket } = await import("../../mod.ts");
    return {
      detail: "ClientSocket",
      open: (url, events) => browserLink(new ClientSocket(url), events),
    };
  }
  if (client === "WebSocket") {
    const Native = globalThis.WebSocket;
    if (Native === undefined) throw new Error("No global WebSocket here");
    return {
      detail: "globalThis.WebSocket",
      open: (url, events) => browserLink(new Native(url), events),
    };
  }
  // ws reads WS_NO_BUFFER_UTIL once, when it first loads.
  const bufferutil = client === "ws+bufferutil";
  if (bufferutil) delete process.env.WS_NO_BUFFER_UTIL;
  else process.env.WS_NO_BUFFER_UTIL = "1";
  const { WebSocket } = await import("ws");
  const { wsMasking } = await import("./peers/ws_masking.ts");
  const masking = wsMasking();
  if (masking.native !== bufferutil) {
    throw new Error(`${client} asked for, but ws uses ${masking.text}`);
  }
  return {
    detail: masking.text,
    open: (url, events) => {
      const socket = new WebSocket(url);
      socket.on("open", () => events.open());
      socket.on(
        "message",
        (data, isBinary) => events.message(isBinary ? data : data.toString()),
      );
      socket.on("error", (error) => events.failed(error.message));
      socket.on("close", (code) => events.failed(`closed with ${code}`));
      return { send: (text) => socket.send(text) };
    },
  };
}

/**
 * The messages connection `conn` sends in turn: `count` distinct ASCII
 * texts of `size` bytes, so that an echo out of order, lost or changed
 * does not match.
 *
 * @example
 * ```ts
 * import { messageRing } from "./client_echo.ts";
 * messageRing(7, 2, 16); // ["c7m0:xxxxxxxxxxx", "c7m1:xxxxxxxxxxx"]
 * ```
 */
export function messageRing(
  conn: number,
  count: number,
  size: number,
): string[] {
  const ring: string[] = [];
  for (let k = 0; k < count; k++) ring.push(`c${conn}m${k}:`.padEnd(size, "x"));
  return ring;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `plan`; resolves with the report (failures are in `error`).
 *
 * @example
 * ```ts
 * import { runEcho } from "./client_echo.ts";
 * const report = await runEcho({
 *   client: "WebSocket", url: "ws://127.0.0.1:9001/echo", connections: 5,
 *   inflight: 16, size: 32, warmupMs: 200, durationMs: 1000,
 *   serverPid: null, openTimeoutMs: 5000,
 * });
 * console.log(report.error ?? report.msgs_per_s);
 * ```
 */
export async function runEcho(plan: EchoPlan): Promise<EchoReport> {
  const report: EchoReport = {
    client: plan.client,
    echoes: 0,
    seconds: 0,
    msgs_per_s: 0,
    client_cpu_us_per_msg: null,
    client_cpu_pct: null,
    server_cpu_pct: null,
    other_cpu_pct: null,
    detail: "",
    error: null,
  };
  if (!(plan.size >= PREFIX_ROOM && plan.inflight >= 1)) {
    report.error =
      `size must be at least ${PREFIX_ROOM} and inflight at least 1`;
    return report;
  }
  let stopped = false;
  let failure: string | null = null;
  let echoes = 0;
  const fail = (why: string): void => {
    if (stopped) return;
    stopped = true;
    failure = why;
    wake();
  };
  let wake = (): void => {};
  const failed = new Promise<void>((resolve) => wake = resolve);
  try {
    const { open, detail } = await openerOf(plan.client);
    report.detail = detail;
    // Twice the window, so that a lost or repeated echo cannot line up.
    const ringSize = Math.max(64, 2 * plan.inflight);
    let opened = 0;
    let allOpen = (): void => {};
    const ready = new Promise<void>((resolve) => allOpen = resolve);
    const links: Link[] = [];
    const starts: Array<() => void> = [];
    for (let conn = 0; conn < plan.connections; conn++) {
      const ring = messageRing(conn, ringSize, plan.size);
      let sent = 0;
      let received = 0;
      const link = open(plan.url, {
        open: () => {
          if (++opened === plan.connections) allOpen();
        },
        message: (data) => {
          if (stopped) return;
          const expected = ring[received % ringSize];
          if (data !== expected) {
            fail(
              `connection ${conn}: echo ${received} was ${
                typeof data === "string"
                  ? JSON.stringify(data.slice(0, 40))
                  : "binary"
              }, expected ${JSON.stringify(expected)}`,
            );
            return;
          }
          received++;
          echoes++;
          link.send(ring[sent++ % ringSize]);
        },
        failed: (why) => fail(`connection ${conn}: ${why}`),
      });
      links.push(link);
      starts.push(() => {
        for (let i = 0; i < plan.inflight; i++) {
          link.send(ring[sent++ % ringSize]);
        }
      });
    }
    const timedOut = sleep(plan.openTimeoutMs).then(() => "timeout");
    const first = await Promise.race([ready, failed, timedOut]);
    if (first === "timeout" && !stopped) {
      fail(
        `${opened} of ${plan.connections} connections open after ${plan.openTimeoutMs} ms`,
      );
    }
    if (!stopped) {
      for (const start of starts) start();
      await Promise.race([sleep(plan.warmupMs), failed]);
    }
    if (!stopped) {
      const startedAt = performance.now();
      const echoesAtStart = echoes;
      const cpuAtStart = cpuSeconds("self");
      const serverAtStart = plan.serverPid === null
        ? NaN
        : cpuSeconds(plan.serverPid);
      const busyAtStart = machineBusySeconds();
      await Promise.race([sleep(plan.durationMs), failed]);
      const seconds = (performance.now() - startedAt) / 1000;
      const cpu = cpuSeconds("self") - cpuAtStart;
      const server = plan.serverPid === null
        ? NaN
        : cpuSeconds(plan.serverPid) - serverAtStart;
      const busy = machineBusySeconds() - busyAtStart;
      const counted = echoes - echoesAtStart;
      report.echoes = counted;
      report.seconds = Math.round(seconds * 1000) / 1000;
      report.msgs_per_s = Math.round(counted / seconds);
      const finite = (value: number): number | null =>
        Number.isFinite(value) ? Math.round(value * 100) / 100 : null;
      report.client_cpu_us_per_msg = counted > 0
        ? finite(cpu * 1e6 / counted)
        : null;
      report.client_cpu_pct = finite(cpu * 100 / seconds);
      report.server_cpu_pct = finite(server * 100 / seconds);
      report.other_cpu_pct = finite(
        Math.max(0, busy - cpu - server) * 100 / seconds,
      );
      stopped = true;
    }
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  stopped = true;
  report.error = failure;
  return report;
}

if (import.meta.main) {
  const plan = JSON.parse(process.argv[2] ?? "{}") as EchoPlan;
  const report = await runEcho(plan);
  console.log(JSON.stringify(report));
  process.exit(report.error === null ? 0 : 1);
}
