/**
 * The load generator of `npm run bench:cluster`: one Node process that
 * opens WebSocket connections to P servers of one cluster (each on its own
 * port), has one sender per server broadcast, and counts what every
 * connection receives. The same code drives anyws (`/bcast` of
 * examples/bench_server.ts) and Socket.IO (the `b` event of
 * scripts/bench/peers/socketio_server.mjs, spoken as raw Engine.IO 4
 * frames over `ws`, so both cost the generator the same per delivery).
 *
 * Modes:
 * - `throughput`: each sender keeps up to `window` of its messages
 *   published but not yet seen by the probe on the *next* server (a
 *   cross-node receipt), so the rate is what the cluster sustains end to
 *   end. Reports deliveries/s over every connection.
 * - `latency`: each sender sends `rate` messages/s; a probe connection per
 *   server records the delay of every message from another server's
 *   sender (cross-node; with one server, the local delay). Reports
 *   p50/p99/max.
 *
 * Run: `node scripts/bench/cluster_load.ts '<json plan>'`; prints one JSON
 * line (its report) last.
 *
 * @module
 */

import process from "node:process";
import WebSocket from "ws";
import { cpuSeconds } from "./proc_cpu.ts";

/**
 * What to run.
 *
 * @example
 * ```ts
 * import type { LoadPlan } from "./cluster_load.ts";
 * const plan: LoadPlan = {
 *   kind: "anyws", ports: [9001, 9002], receivers: 50, mode: "throughput",
 *   window: 64, rate: 0, warmupMs: 1000, durationMs: 3000,
 * };
 * ```
 */
export interface LoadPlan {
  /** Which server speaks on the ports. */
  kind: "anyws" | "socketio";
  /** One port per server process. */
  ports: number[];
  /** Receiving connections per server (the first is the probe). */
  receivers: number;
  /** See the module documentation. */
  mode: "throughput" | "latency";
  /** Throughput: messages in flight per sender. */
  window: number;
  /** Latency: messages per second per sender. */
  rate: number;
  /** Before counting, in ms. */
  warmupMs: number;
  /** Counting, in ms. */
  durationMs: number;
  /** The server processes, whose CPU time is read while counting (Linux). */
  serverPids?: number[];
  /** The redis-server process, likewise. */
  redisPid?: number;
}

/**
 * The generator's report.
 *
 * @example
 * ```ts
 * import type { LoadReport } from "./cluster_load.ts";
 * const show = (r: LoadReport) => `${r.deliveriesPerS} deliveries/s`;
 * ```
 */
export interface LoadReport {
  deliveriesPerS: number;
  sentPerS: number;
  /** Delay percentiles in ms (cross-node with more than one server). */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  samples: number;
  crossNode: boolean;
  /** The generator's own CPU use, in % of one core, while counting. */
  generatorCpuPct: number;
  /** The servers' CPU time (all processes) per delivery, in µs, when known. */
  serverCpuUsPerDelivery: number | null;
  /** redis-server's CPU use, in % of one core, when known. */
  redisCpuPct: number | null;
  error: string | null;
}

/** One connection, whichever server it speaks to. */
interface Link {
  port: number;
  send(payload: string): void;
  close(): void;
}

const SOCKET_IO_EVENT = '42["b",';

let delivered = 0;

/** Opens a connection; `onPayload` hears the payload of each broadcast when given. */
function open(
  kind: LoadPlan["kind"],
  port: number,
  onPayload: ((payload: string) => void) | undefined,
): Promise<Link> {
  const url = kind === "anyws"
    ? `ws://127.0.0.1:${port}/bcast`
    : `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`connect timeout: ${url}`)),
      15_000,
    );
    const link: Link = {
      port,
      send: kind === "anyws"
        ? (payload) => ws.send(payload)
        : (payload) => ws.send(`${SOCKET_IO_EVENT}${JSON.stringify(payload)}]`),
      close: () => ws.terminate(),
    };
    ws.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    if (kind === "anyws") {
      ws.on("open", () => {
        clearTimeout(timer);
        resolve(link);
      });
      ws.on("message", (data) => {
        delivered++;
        if (onPayload !== undefined) onPayload(String(data));
      });
      return;
    }
    // Engine.IO 4: "0{…}" open, then Socket.IO "40" connect → "40{…}";
    // "2" ping → "3" pong; "42[…]" an event.
    ws.on("message", (data) => {
      const text = String(data);
      if (text.startsWith("42")) {
        delivered++;
        if (onPayload !== undefined) {
          onPayload(JSON.parse(text.slice(SOCKET_IO_EVENT.length, -1)));
        }
      } else if (text === "2") ws.send("3");
      else if (text.startsWith("0")) ws.send("40");
      else if (text.startsWith("40")) {
        clearTimeout(timer);
        resolve(link);
      }
    });
  });
}

async function openAll(
  count: number,
  make: (i: number) => Promise<Link>,
): Promise<Link[]> {
  const links: Link[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 50); j++) batch.push(make(j));
    links.push(...await Promise.all(batch));
  }
  return links;
}

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * Runs `plan`; resolves with the report (never rejects: failures are in
 * `error`).
 *
 * @example
 * ```ts
 * import { runLoad } from "./cluster_load.ts";
 * const report = await runLoad({
 *   kind: "anyws", ports: [9001], receivers: 10, mode: "latency",
 *   window: 0, rate: 100, warmupMs: 500, durationMs: 1000,
 * });
 * console.log(report.p99Ms);
 * ```
 */
export async function runLoad(plan: LoadPlan): Promise<LoadReport> {
  const servers = plan.ports.length;
  const sent = new Array(servers).fill(0);
  const acked = new Array(servers).fill(0);
  const delays: number[] = [];
  let recording = false;
  let stopped = false;
  const links: Link[] = [];
  const pumps: Array<() => void> = [];
  const report: LoadReport = {
    deliveriesPerS: 0,
    sentPerS: 0,
    p50Ms: null,
    p99Ms: null,
    maxMs: null,
    samples: 0,
    crossNode: servers > 1,
    generatorCpuPct: 0,
    serverCpuUsPerDelivery: null,
    redisCpuPct: null,
    error: null,
  };
  const serversCpu = () =>
    (plan.serverPids ?? []).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  try {
    // Probes: the first receiver of each server.
    const probe = (server: number) => (payload: string) => {
      const [from, seq, at] = payload.split(":");
      const sender = Number(from);
      if (servers > 1 && sender === server) return;
      if (sender === (server + servers - 1) % servers) {
        // The next server's probe acknowledges this sender's messages.
        const n = Number(seq);
        if (n > acked[sender]) {
          acked[sender] = n;
          pumps[sender]?.();
        }
      }
      if (recording) delays.push(performance.now() - Number(at));
    };
    const receivers = await openAll(
      servers * plan.receivers,
      (i) => {
        const server = i % servers;
        const isProbe = i < servers;
        return open(
          plan.kind,
          plan.ports[server],
          isProbe ? probe(server) : undefined,
        );
      },
    );
    links.push(...receivers);
    const senders = await openAll(
      servers,
      (i) => open(plan.kind, plan.ports[i], undefined),
    );
    links.push(...senders);
    const payload = (server: number) =>
      `${server}:${++sent[server]}:${performance.now().toFixed(3)}`;

    // Until every server's messages reach the next one (the nodes met).
    const meetDeadline = Date.now() + 20_000;
    for (;;) {
      for (let s = 0; s < servers; s++) senders[s].send(payload(s));
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (acked.every((n, s) => n === sent[s])) break;
      if (Date.now() > meetDeadline) {
        throw new Error(
          `the servers do not relay each other's messages (acked ${acked}, sent ${sent})`,
        );
      }
    }

    let ticker: ReturnType<typeof setInterval>;
    if (plan.mode === "throughput") {
      for (let s = 0; s < servers; s++) {
        pumps[s] = () => {
          while (!stopped && sent[s] - acked[s] < plan.window) {
            senders[s].send(payload(s));
          }
        };
      }
      // A lost acknowledgement must not stall a sender for good.
      ticker = setInterval(() => pumps.forEach((pump) => pump()), 50);
      pumps.forEach((pump) => pump());
    } else {
      const owed = new Array(servers).fill(0);
      ticker = setInterval(() => {
        for (let s = 0; s < servers; s++) {
          owed[s] += plan.rate / 100;
          while (owed[s] >= 1) {
            owed[s]--;
            senders[s].send(payload(s));
          }
        }
      }, 10);
    }
    await new Promise((resolve) => setTimeout(resolve, plan.warmupMs));
    const start = performance.now();
    const cpu = process.cpuUsage();
    const serversAtStart = serversCpu();
    const redisAtStart = cpuSeconds(plan.redisPid ?? -1);
    const deliveredAtStart = delivered;
    const sentAtStart = sent.reduce((a, b) => a + b, 0);
    recording = true;
    await new Promise((resolve) => setTimeout(resolve, plan.durationMs));
    recording = false;
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    const serversUsed = serversCpu() - serversAtStart;
    const redisUsed = cpuSeconds(plan.redisPid ?? -1) - redisAtStart;
    stopped = true;
    clearInterval(ticker);
    report.deliveriesPerS = Math.round(
      (delivered - deliveredAtStart) / seconds,
    );
    if (Number.isFinite(serversUsed) && plan.serverPids?.length) {
      report.serverCpuUsPerDelivery = Math.round(
        serversUsed * 1e8 / Math.max(1, delivered - deliveredAtStart),
      ) / 100;
    }
    if (Number.isFinite(redisUsed)) {
      report.redisCpuPct = Math.round(redisUsed * 100 / seconds);
    }
    report.sentPerS = Math.round(
      (sent.reduce((a, b) => a + b, 0) - sentAtStart) / seconds,
    );
    report.generatorCpuPct = Math.round(
      (used.user + used.system) / 1e4 / seconds,
    );
    delays.sort((a, b) => a - b);
    report.samples = delays.length;
    const round = (value: number | null) =>
      value === null ? null : Math.round(value * 100) / 100;
    report.p50Ms = round(percentile(delays, 0.5));
    report.p99Ms = round(percentile(delays, 0.99));
    report.maxMs = round(delays.at(-1) ?? null);
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  } finally {
    stopped = true;
    for (const link of links) link.close();
  }
  return report;
}

if (import.meta.main) {
  const plan = JSON.parse(process.argv[2] ?? "{}") as LoadPlan;
  const report = await runLoad(plan);
  console.log(JSON.stringify(report));
  process.exit(0);
}
