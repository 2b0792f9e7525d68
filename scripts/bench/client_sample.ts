/**
 * One measurement of `npm run bench:client`: one client implementation on
 * one runtime in one pass. A fresh echo server (`Bun.serve`, the same for
 * every client) on a free port pinned to core 0, the client process under
 * test (`client_echo.ts`) pinned to core 1 for its budget, the server
 * stopped. A server that does not start or dies, or a client that fails,
 * gives a sample with an error, never a hang.
 *
 * @module
 */

import { relative } from "node:path";
import type { EchoPlan, EchoReport } from "./client_echo.ts";
import type { ClientId } from "./client_kinds.ts";
import type { ClientSettings } from "./client_options.ts";
import { formatNumber } from "./format.ts";
import { ROOT } from "./paths.ts";
import { freePort, runReporting, withServer } from "./processes.ts";
import { peerOf, type Runtime, scriptCommand } from "./servers.ts";

/**
 * The echo server every client talks to: `Bun.serve`
 * (`peers/bun_server.ts`), the fastest server measured here (1.31 M
 * echoes/s against the C load client in docs/bench/results.md, ten times
 * what a JavaScript client sends) and neither anyws nor a client under
 * test.
 *
 * @example
 * ```ts
 * import { ECHO_SERVER } from "./client_sample.ts";
 * console.log(ECHO_SERVER.label); // "Bun.serve"
 * ```
 */
export const ECHO_SERVER: { label: string; command: string[] } = {
  label: peerOf("bun", "Bun.serve").id,
  command: peerOf("bun", "Bun.serve").command,
};

/** The client process under test. */
const ECHO_SCRIPT = "scripts/bench/client_echo.ts";

/** How long every connection may take to open. */
const OPEN_TIMEOUT_MS = 10_000;

/**
 * One measurement: a client on a runtime in a pass, the figures of its
 * report (`msgs_per_s`, `client_cpu_us_per_msg`, `client_cpu_pct`,
 * `server_cpu_pct`, `other_cpu_pct`: those it could measure), the report
 * itself (or `null`), and the error that spoils it, if any.
 *
 * @example
 * ```ts
 * import type { ClientSample } from "./client_sample.ts";
 * const sample: ClientSample = {
 *   pass: 1,
 *   runtime: "node",
 *   clientId: "ws",
 *   metrics: {},
 *   report: null,
 *   error: "Client killed after 22 s",
 *   wallMs: 22_000,
 * };
 * ```
 */
export interface ClientSample {
  pass: number;
  runtime: Runtime;
  clientId: ClientId;
  metrics: Record<string, number>;
  report: EchoReport | null;
  error: string | null;
  wallMs: number;
}

/** The figures of a report that are samples' metrics. */
const METRICS = [
  "msgs_per_s",
  "client_cpu_us_per_msg",
  "client_cpu_pct",
  "server_cpu_pct",
  "other_cpu_pct",
] as const;

/**
 * Measures `client` on `runtime`: starts the echo server, runs the client
 * process under test, stops the server.
 *
 * @example
 * ```ts
 * import { measureClient } from "./client_sample.ts";
 * import { parseClientSettings } from "./client_options.ts";
 * const settings = parseClientSettings(["--quick", "--connections=5"]);
 * const sample = await measureClient(settings, 1, "bun", "anyws");
 * console.log(sample.error ?? sample.report?.msgs_per_s);
 * ```
 */
export async function measureClient(
  settings: ClientSettings,
  pass: number,
  runtime: Runtime,
  client: ClientId,
): Promise<ClientSample> {
  const started = performance.now();
  const sample: ClientSample = {
    pass,
    runtime,
    clientId: client,
    metrics: {},
    report: null,
    error: null,
    wallMs: 0,
  };
  const port = await freePort();
  const { error } = await withServer(
    ECHO_SERVER.command,
    port,
    { pin: settings.pin },
    async (server) => {
      const plan: EchoPlan = {
        client,
        url: `ws://127.0.0.1:${port}/echo`,
        connections: settings.connections,
        inflight: settings.inflight,
        size: settings.size,
        warmupMs: settings.warmupMs,
        durationMs: settings.durationMs,
        serverPid: server.pid,
        openTimeoutMs: OPEN_TIMEOUT_MS,
      };
      const run = await runReporting(
        [...scriptCommand(runtime, ECHO_SCRIPT), JSON.stringify(plan)],
        {
          budgetMs: OPEN_TIMEOUT_MS + settings.warmupMs + settings.durationMs +
            15_000,
          pin: settings.pin,
          what: "Client",
        },
      );
      const report = run.report as EchoReport | null;
      sample.report = report;
      sample.error = report?.error ?? run.error;
      for (const key of METRICS) {
        const value = report?.[key];
        if (typeof value === "number") sample.metrics[key] = value;
      }
    },
  );
  if (error !== null) sample.error = error;
  sample.wallMs = performance.now() - started;
  return sample;
}

/**
 * The progress line of a sample: its figures and the CPU use, or its error.
 *
 * @example
 * ```ts
 * import { describeClientSample, type ClientSample } from "./client_sample.ts";
 * const line = (sample: ClientSample): string => describeClientSample(sample);
 * // "71.2 k msgs/s, 4.13 µs CPU/msg, CPU client 98% server 31% other 2%"
 * ```
 */
export function describeClientSample(sample: ClientSample): string {
  if (sample.error !== null) return `error: ${sample.error}`;
  const m = sample.metrics;
  const pct = (value: number | undefined): string =>
    value === undefined ? "?" : `${value.toFixed(0)}%`;
  const other = m.other_cpu_pct;
  return `${formatNumber(m.msgs_per_s)} msgs/s, ${
    formatNumber(m.client_cpu_us_per_msg, "µs")
  } CPU/msg, CPU client ${pct(m.client_cpu_pct)} server ${
    pct(m.server_cpu_pct)
  } other ${pct(other)}${
    other !== undefined && other > 25 ? " (disturbed)" : ""
  }`;
}

/**
 * The echo server's command as the report shows it (relative paths).
 *
 * @example
 * ```ts
 * import { echoServerCommand } from "./client_sample.ts";
 * echoServerCommand(); // "bun scripts/bench/peers/bun_server.ts"
 * ```
 */
export function echoServerCommand(): string {
  return ECHO_SERVER.command.map((part, i) =>
    i === 0 ? part.split("/").pop() : relative(ROOT, part) || part
  ).join(" ");
}
