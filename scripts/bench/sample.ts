/**
 * One measurement of `npm run bench`: one case on one server in one pass.
 * A fresh server on a free port, the load client for the case's budget,
 * the server stopped; a server that does not start, crashes or refuses
 * connections gives a sample with an error, never a hang.
 *
 * @module
 */

import { type CaseDef, type CaseId, isCpu } from "./case_model.ts";
import { CASES } from "./cases.ts";
import { formatNumber } from "./format.ts";
import { type ClientReport, runClient } from "./load_client.ts";
import type { Settings } from "./options.ts";
import { freePort, withServer } from "./processes.ts";
import { type Impl, type Runtime, serverCommand } from "./servers.ts";

/**
 * One measurement: one case on one server in one pass.
 *
 * @example
 * ```ts
 * import type { Sample } from "./sample.ts";
 * const sample: Sample = {
 *   pass: 1,
 *   case: "echo16",
 *   runtime: "node",
 *   impl: "native",
 *   peer: "ws+bufferutil",
 *   metrics: { msgs_per_s: 250_000 },
 *   error: null,
 *   client: null,
 *   wallMs: 8_000,
 * };
 * ```
 */
export interface Sample {
  pass: number;
  case: CaseId;
  runtime: Runtime;
  impl: Impl;
  /**
   * A native sample's peer (servers.ts `PeerDef.id`); absent in results
   * recorded when each runtime had one peer (then it is the first).
   */
  peer?: string;
  metrics: Record<string, number>;
  error: string | null;
  /** The client's JSON line, as reported. */
  client: ClientReport | null;
  wallMs: number;
}

/**
 * Measures one case on one server (anyws, or the native peer `peer`):
 * starts it, runs the load client, stops it. A peer that cannot run the
 * case (a compression case on Deno.serve) gives a sample with that error:
 * callers skip such peers (see `serverCommand`).
 *
 * @example
 * ```ts
 * import { CASES } from "./cases.ts";
 * import { parseSettings } from "./options.ts";
 * import { measureSample } from "./sample.ts";
 * const settings = parseSettings(["--quick"]);
 * const sample = await measureSample(settings, 1, CASES.echo1, "node", "native", "ws+bufferutil");
 * console.log(sample.error ?? sample.metrics.p99_us);
 * ```
 */
export async function measureSample(
  settings: Settings,
  pass: number,
  caseDef: CaseDef,
  runtime: Runtime,
  impl: Impl,
  peer?: string,
): Promise<Sample> {
  const started = performance.now();
  const sample: Sample = {
    pass,
    case: caseDef.id,
    runtime,
    impl,
    ...(impl === "native" && peer !== undefined ? { peer } : {}),
    metrics: {},
    error: null,
    client: null,
    wallMs: 0,
  };
  const how = serverCommand(
    runtime,
    impl,
    peer,
    caseDef.deflate?.anyws ?? null,
  );
  if ("unsupported" in how) {
    sample.error = how.unsupported;
    return sample;
  }
  const port = await freePort();
  const { error } = await withServer(
    how.command,
    port,
    { pin: settings.pin },
    async (server) => {
      const budget = caseDef.budgetMs(settings);
      const args = [
        "--port",
        String(port),
        "--server-pid",
        String(server.pid),
        "--timeout",
        String(budget),
        ...caseDef.clientArgs(settings),
      ];
      const run = await runClient(args, budget + 10_000, settings.pin);
      sample.client = run.report;
      if (run.report) {
        const extracted = caseDef.extract(run.report, settings);
        sample.metrics = extracted.metrics;
        sample.error = extracted.error;
      }
      if (run.error !== null) sample.error = run.error;
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
 * import { describeSample, type Sample } from "./sample.ts";
 * const line = (sample: Sample): string => describeSample(sample);
 * // "13.1 k msgs/s, 0.42 MB/s, 7045 µs p50 latency, ..., CPU client 20% server 43% other 3%"
 * ```
 */
export function describeSample(sample: Sample): string {
  const def = CASES[sample.case];
  if (sample.error !== null) return `error: ${sample.error}`;
  const parts: string[] = [];
  for (const metric of def.metrics) {
    if (isCpu(metric)) continue;
    const value = sample.metrics[metric.key];
    if (value === undefined) continue;
    // formatNumber already names some units ("MB/s"): do not say it twice.
    const label = metric.unit === metric.label ? "" : ` ${metric.label}`;
    parts.push(`${formatNumber(value, metric.unit)}${label}`);
  }
  const extension = sample.client?.extension;
  if (def.deflate !== undefined) {
    parts.push(
      typeof extension === "string" ? `agreed "${extension}"` : "no extension",
    );
  }
  const cl = sample.metrics.client_cpu_pct;
  const sv = sample.metrics.server_cpu_pct;
  const other = sample.metrics.other_cpu_pct;
  if (cl !== undefined) {
    parts.push(
      `CPU client ${cl.toFixed(0)}% server ${sv?.toFixed(0) ?? "?"}% other ${
        other?.toFixed(0) ?? "?"
      }%${other !== undefined && other > 25 ? " (disturbed)" : ""}`,
    );
  }
  return parts.join(", ");
}
