/**
 * The options of `npm run bench:client`, read with the conventions of
 * every benchmark (`args.ts`: `--name VALUE` or `--name=VALUE`, and the
 * options npm kept for itself when written before `--`).
 *
 * @module
 */

import { join, resolve as resolvePath } from "node:path";
import {
  type GivenOptions,
  numberOption,
  type OptionSpec,
  parseList,
  readOptions,
} from "./args.ts";
import { type ClientId, PEER_IDS } from "./client_kinds.ts";
import { DOCS, SCRATCH } from "./paths.ts";
import { type Runtime, RUNTIMES } from "./servers.ts";

/**
 * The run's knobs.
 *
 * @example
 * ```ts
 * import { type ClientSettings, parseClientSettings } from "./client_options.ts";
 * const settings: ClientSettings = parseClientSettings(["--quick"]);
 * settings.passes; // 1
 * ```
 */
export interface ClientSettings {
  quick: boolean;
  passes: number;
  warmupMs: number;
  durationMs: number;
  /** Client connections, each with `inflight` messages of `size` bytes. */
  connections: number;
  inflight: number;
  size: number;
  runtimes: Runtime[];
  /** The peer clients compared with anyws (where they run). */
  peers: ClientId[];
  pin: boolean;
  /** The Markdown report; the JSON one is beside it (`.json`). */
  out: string;
  /** Whether `out` is where results are published. */
  publish: boolean;
  /** Print the settings and stop (`--dry-run`). */
  dryRun: boolean;
}

/** The workload of the issue: echo 100 × 16 × 32 B. */
const CONNECTIONS = 100;
const INFLIGHT = 16;
const SIZE = 32;

const HELP = `Usage: node scripts/bench/client.ts [options]

Client throughput: echo ${CONNECTIONS} connections × ${INFLIGHT} messages in flight × ${SIZE} B
of text, driven by one client process (anyws's ClientSocket, ws, ws+bufferutil,
the runtime's own WebSocket) against the same echo server (Bun.serve).

  --quick              1 pass, 0.5 s warm-up, 1.5 s measurement (~30 s)
  --passes N           interleaved passes (default 3; --quick: 1)
  --warmup SECONDS     warm-up per measurement (default 1)
  --duration SECONDS   measurement (default 5)
  --runtime LIST       runtimes of the clients: ${
  RUNTIMES.join(",")
} (default all)
  --clients LIST       peer clients compared with anyws where they run:
                       ${PEER_IDS.join(",")} (default all)
  --connections N      client connections (default ${CONNECTIONS})
  --no-pin             do not pin server (core 0) and client (core 1) with taskset
  --out FILE           the Markdown report, JSON beside it (default
                       docs/bench/client.md for a full run, .bench/client.md
                       otherwise)
  --dry-run            print the settings these options give, measure nothing

Through npm: npm run bench:client -- --quick (or npm run bench:client --quick).
`;

/**
 * The options of `npm run bench:client`, for `args.ts`.
 *
 * @example
 * ```ts
 * import { npmConfigOptions } from "./args.ts";
 * import { CLIENT_BENCH_OPTIONS } from "./client_options.ts";
 * npmConfigOptions({ npm_config_quick: "true" }, [], CLIENT_BENCH_OPTIONS); // ["--quick"]
 * ```
 */
export const CLIENT_BENCH_OPTIONS: OptionSpec = {
  script: "bench:client",
  values: [
    "passes",
    "warmup",
    "duration",
    "runtime",
    "clients",
    "connections",
    "out",
  ],
  flags: ["quick", "no-pin", "dry-run"],
  help: HELP,
};

/**
 * The settings `argv` asks for (defaults for what it leaves out). Prints
 * the help and exits 0 on `--help`; exits 2 on a bad option. A run of the
 * whole workload on every runtime, not `--quick`, publishes to
 * `docs/bench/client.md`; any other run writes `.bench/client.md` unless
 * `--out` says where.
 *
 * @example
 * ```ts
 * import { parseClientSettings } from "./client_options.ts";
 * const settings = parseClientSettings(["--runtime=node", "--duration", "2"]);
 * settings.durationMs; // 2000
 * settings.publish; // false: one runtime is a partial run
 * ```
 */
export function parseClientSettings(argv: readonly string[]): ClientSettings {
  const given: GivenOptions = readOptions(argv, CLIENT_BENCH_OPTIONS);
  const { values, flags } = given;
  const quick = flags.has("quick");
  const runtimes = values.has("runtime")
    ? parseList(values.get("runtime") ?? "", RUNTIMES, "runtime")
    : [...RUNTIMES];
  const peers = values.has("clients")
    ? parseList(values.get("clients") ?? "", PEER_IDS, "peer client")
    : [...PEER_IDS];
  const connections = Math.floor(
    numberOption(given, "connections", CONNECTIONS, 1),
  );
  const full = !quick && runtimes.length === RUNTIMES.length &&
    peers.length === PEER_IDS.length && connections === CONNECTIONS;
  const outArg = values.get("out");
  return {
    quick,
    passes: Math.floor(numberOption(given, "passes", quick ? 1 : 3, 1)),
    warmupMs: Math.round(
      numberOption(given, "warmup", quick ? 0.5 : 1, 0) * 1000,
    ),
    durationMs: Math.round(
      numberOption(given, "duration", quick ? 1.5 : 5, 0.2) * 1000,
    ),
    connections,
    inflight: INFLIGHT,
    size: SIZE,
    runtimes,
    peers,
    pin: !flags.has("no-pin"),
    out: outArg !== undefined
      ? resolvePath(outArg)
      : join(full ? DOCS : SCRATCH, "client.md"),
    publish: full || outArg !== undefined,
    dryRun: flags.has("dry-run"),
  };
}
