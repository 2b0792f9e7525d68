/**
 * The rows and the table of `npm run bench:client`: per runtime and peer
 * client, the medians over the passes of anyws's `ClientSocket` and of
 * that peer (echoes/s, the client process's CPU time per echo, the CPU
 * use of client, server and the rest of the machine) and anyws's ratios
 * to the peer. A runtime with several peers (Node: ws, ws+bufferutil, its
 * built-in WebSocket) has a row for each, with the same anyws figures.
 *
 * @module
 */

import { CLIENT_DEFS, type ClientId, peersOn } from "./client_kinds.ts";
import type { ClientSample } from "./client_sample.ts";
import { failedPassList, formatNumber, formatRatio } from "./format.ts";
import { summarise, type Summary } from "./rows.ts";
import { type Runtime, RUNTIME_DEFS } from "./servers.ts";

/**
 * One row: anyws and one peer client on one runtime.
 *
 * @example
 * ```ts
 * import type { ClientRow } from "./client_rows.ts";
 * const faster = (row: ClientRow): boolean => (row.throughputRatio ?? 0) > 1;
 * ```
 */
export interface ClientRow {
  runtime: Runtime;
  peer: ClientId;
  anyws: Summary;
  other: Summary;
  /** anyws's echoes/s over the peer's (above 1: anyws is faster). */
  throughputRatio: number | null;
  /** anyws's CPU time per echo over the peer's (below 1: anyws is cheaper). */
  cpuRatio: number | null;
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  return a !== undefined && b !== undefined && b > 0 ? a / b : null;
}

/**
 * The rows of `samples`: for each of `runtimes`, one per peer client of
 * `peers` that runs there.
 *
 * @example
 * ```ts
 * import { clientRows } from "./client_rows.ts";
 * import type { ClientSample } from "./client_sample.ts";
 * const rows = (samples: ClientSample[]) =>
 *   clientRows(samples, ["node", "bun"], ["ws", "WebSocket"]);
 * ```
 */
export function clientRows(
  samples: readonly ClientSample[],
  runtimes: readonly Runtime[],
  peers: readonly ClientId[],
): ClientRow[] {
  const of = (runtime: Runtime, client: ClientId): Summary =>
    summarise(
      samples.filter((s) => s.runtime === runtime && s.clientId === client),
    );
  return runtimes.flatMap((runtime) => {
    const anyws = of(runtime, "anyws");
    return peersOn(runtime, peers).map((peer): ClientRow => {
      const other = of(runtime, peer);
      return {
        runtime,
        peer,
        anyws,
        other,
        throughputRatio: ratio(
          anyws.metrics.msgs_per_s,
          other.metrics.msgs_per_s,
        ),
        cpuRatio: ratio(
          anyws.metrics.client_cpu_us_per_msg,
          other.metrics.client_cpu_us_per_msg,
        ),
      };
    });
  });
}

function figure(summary: Summary, key: string, unit = ""): string {
  const value = summary.metrics[key];
  if (value === undefined) return summary.errors.length > 0 ? "error" : "–";
  return formatNumber(value, unit);
}

function pair(row: ClientRow, key: string): string {
  const f = (summary: Summary): string => {
    const value = summary.metrics[key];
    return value === undefined ? "–" : value.toFixed(0);
  };
  return `${f(row.anyws)} / ${f(row.other)}`;
}

/**
 * The Markdown table of `rows`: echoes/s and CPU time per echo of anyws
 * and the peer, anyws's ratios, and the CPU use (% of one core) of the
 * client, the server and the rest of the machine while each measured.
 *
 * @example
 * ```ts
 * import { type ClientRow, clientTable } from "./client_rows.ts";
 * const table = (rows: ClientRow[]): string => clientTable(rows);
 * // "| runtime | peer client | anyws msgs/s | ..."
 * ```
 */
export function clientTable(rows: readonly ClientRow[]): string {
  const lines = [
    "| runtime | peer client | anyws msgs/s | peer msgs/s | anyws / peer | anyws CPU per msg | peer CPU per msg | anyws / peer | client CPU % (anyws / peer) | server CPU % (anyws / peer) | other CPU % (anyws / peer) |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const row of rows) {
    lines.push(
      `| ${RUNTIME_DEFS[row.runtime].label} | ${
        CLIENT_DEFS[row.peer].label
      } | ${figure(row.anyws, "msgs_per_s")} | ${
        figure(row.other, "msgs_per_s")
      } | ${formatRatio(row.throughputRatio ?? undefined)} | ${
        figure(row.anyws, "client_cpu_us_per_msg", "µs")
      } | ${figure(row.other, "client_cpu_us_per_msg", "µs")} | ${
        formatRatio(row.cpuRatio ?? undefined)
      } | ${pair(row, "client_cpu_pct")} | ${pair(row, "server_cpu_pct")} | ${
        pair(row, "other_cpu_pct")
      } |`,
    );
  }
  return lines.join("\n");
}

/**
 * The failed passes of every client, one line each (empty when none).
 *
 * @example
 * ```ts
 * import { type ClientRow, clientErrors } from "./client_rows.ts";
 * const failed = (rows: ClientRow[]): boolean => clientErrors(rows) !== "";
 * ```
 */
export function clientErrors(rows: readonly ClientRow[]): string {
  return failedPassList(
    rows.flatMap((row) =>
      [["anyws", row.anyws] as const, [row.peer, row.other] as const].map((
        [client, summary],
      ) => ({
        name: `${RUNTIME_DEFS[row.runtime].label}, ${
          CLIENT_DEFS[client].label
        }`,
        errors: summary.errors,
      }))
    ),
  );
}
