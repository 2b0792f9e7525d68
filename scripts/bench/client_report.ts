/**
 * The report of `npm run bench:client`: the table on stdout, and two
 * files: the Markdown report (notes with the date, the machine and its
 * load, the table, errors, method) and the same run as JSON beside it
 * (`client.md` and `client.json`).
 *
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import { CLIENT_DEFS } from "./client_kinds.ts";
import type { ClientSettings } from "./client_options.ts";
import { clientErrors, clientRows, clientTable } from "./client_rows.ts";
import {
  type ClientSample,
  ECHO_SERVER,
  echoServerCommand,
} from "./client_sample.ts";
import { ROOT } from "./paths.ts";
import { RUNTIME_DEFS } from "./servers.ts";

/**
 * What a run measured: everything the report is made from.
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * import type { ClientRunRecord } from "./client_report.ts";
 * const record = JSON.parse(readFileSync(".bench/client.json", "utf8")) as ClientRunRecord;
 * ```
 */
export interface ClientRunRecord {
  generated: string;
  elapsedSeconds: number;
  settings: Omit<ClientSettings, "out" | "publish" | "dryRun">;
  machine: Record<string, string | number | boolean>;
  /** The 1-minute load average once the run ended (it includes the run). */
  loadAverageAtEnd: string;
  versions: Record<string, string>;
  samples: ClientSample[];
}

/** Above this load average at the start, other work shared the cores. */
const LOADED = 0.7;
/** Above this share of a core taken by other work, a measurement was disturbed. */
const DISTURBED_PCT = 25;

/**
 * Why the figures of `record` are not to be trusted, in a sentence, or
 * `null`: the machine was loaded when the run started, or other work took
 * a large share of a core while a client was measured.
 *
 * @example
 * ```ts
 * import { type ClientRunRecord, loadWarning } from "./client_report.ts";
 * const warn = (record: ClientRunRecord) => loadWarning(record) ?? "quiet machine";
 * ```
 */
export function loadWarning(record: ClientRunRecord): string | null {
  const reasons: string[] = [];
  const load = Number(record.machine.loadAverageAtStart);
  if (load > LOADED) {
    reasons.push(
      `the load average was ${record.machine.loadAverageAtStart} when the run started (above ${LOADED} on ${record.machine.cores} cores: other work was running)`,
    );
  }
  const disturbed = record.samples.filter((s) =>
    (s.metrics.other_cpu_pct ?? 0) > DISTURBED_PCT
  );
  if (disturbed.length > 0) {
    reasons.push(
      `${disturbed.length} of ${record.samples.length} measurements saw other work take more than ${DISTURBED_PCT}% of a core`,
    );
  }
  if (reasons.length === 0) return null;
  return `**Loaded machine**: ${
    reasons.join("; ")
  }. These figures are distorted; measure again on a quiet machine.`;
}

/**
 * The Markdown report of `record`.
 *
 * @example
 * ```ts
 * import { type ClientRunRecord, renderClientReport } from "./client_report.ts";
 * const markdown = (record: ClientRunRecord): string => renderClientReport(record);
 * ```
 */
export function renderClientReport(record: ClientRunRecord): string {
  const { settings, machine: info, versions } = record;
  const rows = clientRows(record.samples, settings.runtimes, settings.peers);
  const warning = loadWarning(record);
  const errors = clientErrors(rows);
  const workload =
    `echo ${settings.connections} × ${settings.inflight} × ${settings.size} B`;
  return [
    `# Client throughput: anyws's ClientSocket vs ws and the runtimes' own WebSocket${
      settings.quick ? " (quick run)" : ""
    }`,
    "",
    ...(warning === null ? [] : [`> ${warning}`, ""]),
    `Generated ${record.generated} in ${record.elapsedSeconds} s: ${workload} of text, ${settings.passes} interleaved pass(es), median shown${
      settings.quick ? " (**quick run**: short and single-pass)" : ""
    }; ${settings.warmupMs / 1000} s warm-up, ${
      settings.durationMs / 1000
    } s measured.`,
    "",
    `Machine: ${info.cpu}, ${info.cores} cores, Linux ${info.kernel}, load average ${info.loadAverageAtStart} at start and ${record.loadAverageAtEnd} at the end (the run itself keeps about two cores busy). ${
      settings.pin
        ? "Echo server pinned to core 0 and client to core 1 (`taskset`)."
        : "Not pinned."
    }`,
    "",
    `Runtimes: Node ${versions.node}, ${versions.deno}, Bun ${versions.bun}; ws ${versions.ws}, bufferutil ${versions.bufferutil}. Echo server: ${ECHO_SERVER.label} (\`${echoServerCommand()}\`).`,
    "",
    clientTable(rows),
    "",
    ...(errors ? ["## Errors", "", errors, ""] : []),
    "## Method",
    "",
    `- Workload (issue 15): one client process opens ${settings.connections} connections to the echo server and keeps ${settings.inflight} messages in flight on each: one is sent each time an echo comes back. Messages are ${settings.size}-byte ASCII text (so every client decodes UTF-8 text on receipt, as a chat client would), each connection cycling through distinct messages; every echo is checked against the message sent longest ago on its connection, character for character, and a mismatch fails the run. msgs/s counts the echoes received over the measured window, after the warm-up.`,
    `- CPU per msg: the client process's CPU time (user + system, every thread, from \`/proc/self/stat\`, 10 ms resolution) over the window divided by its echoes: the cost of one send plus one receive. The CPU % columns are shares of one core over the window: the client, the server (\`/proc/PID/stat\`), and the rest of the machine (\`/proc/stat\` busy time less both: other processes and interrupts). A client near 100% is the bottleneck, as it should be; a server near 100% would cap the figures; other CPU above ${DISTURBED_PCT}% marks a disturbed measurement.`,
    `- Echo server: ${ECHO_SERVER.label}, the fastest server measured on this machine (docs/bench/results.md: over 1 M echoes/s against the C load client), so that it is never what limits a JavaScript client, and neither anyws nor a client under test. A fresh server per measurement on a free port of 127.0.0.1; no compression (every client offers permessage-deflate by default; the server declines).`,
    `- Clients: ${
      (["anyws", ...settings.peers] as const).map((id) =>
        `${CLIENT_DEFS[id].label} (${
          CLIENT_DEFS[id].runtimes.map((r) => RUNTIME_DEFS[r].label).join(", ")
        }): ${CLIENT_DEFS[id].what}`
      ).join("; ")
    }. Each runs in \`scripts/bench/client_echo.ts\`, started fresh for each measurement. Passes are interleaved and the order of the clients flips every pass.`,
    "",
  ].join("\n");
}

/**
 * Prints the table and writes the Markdown report to `out` and the JSON
 * one beside it (`.json` for `.md`).
 *
 * @example
 * ```ts
 * import { type ClientRunRecord, writeClientReport } from "./client_report.ts";
 * const save = (record: ClientRunRecord) => writeClientReport(record, ".bench/client.md");
 * ```
 */
export function writeClientReport(record: ClientRunRecord, out: string): void {
  const markdown = renderClientReport(record);
  const { runtimes, peers } = record.settings;
  const rows = clientRows(record.samples, runtimes, peers);
  const json = out.replace(/\.md$/, "") + ".json";
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, markdown);
  writeFileSync(
    json,
    JSON.stringify(
      {
        schema: 1,
        ...record,
        server: { label: ECHO_SERVER.label, command: echoServerCommand() },
        rows,
      },
      null,
      2,
    ) + "\n",
  );
  const warning = loadWarning(record);
  console.log(
    [
      clientTable(rows),
      ...(warning === null ? [] : ["", warning]),
    ].join("\n"),
  );
  console.error(
    `bench:client: wrote ${relative(ROOT, out)} and ${relative(ROOT, json)}`,
  );
}
