/**
 * The configuration of the `anyws start` command: flags over environment
 * variables (Larafony's `WEBSOCKET_*` names) over defaults. Pure: the caller
 * passes the arguments and the environment in.
 *
 * @module
 */

/**
 * A configuration error, reported as one line without a stack trace.
 *
 * @example
 * ```ts
 * import { CliError } from "./config.ts";
 * const error = new CliError("Invalid port: abc");
 * console.log(error.message);
 * ```
 */
export class CliError extends Error {
  /** A one-line message for the user. */
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

/**
 * What `anyws start` runs with.
 *
 * @example
 * ```ts
 * import { parseCliConfig } from "./config.ts";
 * const config = parseCliConfig(["start", "--port", "9000"], {});
 * console.log(config.port); // 9000
 * ```
 */
export interface CliConfig {
  /** `start` or `help`. */
  command: "start" | "help";
  /** Interface to bind. */
  host: string;
  /** Port to bind. */
  port: number;
  /** Module exporting `register(server)`; the demo chat app when absent. */
  handler?: string;
  /** PEM certificate file, with `tlsKey`. */
  tlsCert?: string;
  /** PEM key file, with `tlsCert`. */
  tlsKey?: string;
  /** No per-connection log lines. */
  quiet: boolean;
  /** Numeric server options given on the command line or in the environment. */
  limits: CliLimits;
  /** Allowed origins (`--origins a,b` or `*`), when given. */
  origins?: string[];
  /** The Redis backplane's URL (`--redis`): the server becomes a cluster node. */
  redis?: string;
  /** Worker processes sharing the port (`--workers N`, `auto` = cores); 1 runs no supervisor. */
  workers: number;
  /** The lowest level logged. */
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** Plain lines or JSON lines. */
  logFormat: "plain" | "json";
  /** The path the Prometheus metrics are served on, when on. */
  metrics?: string;
  /** A Unix domain socket to listen on instead of host and port. */
  socket?: string;
  /** Milliseconds to keep serving with readiness false when stopping. */
  stopGrace: number;
}

/**
 * The server limits the command exposes.
 *
 * @example
 * ```ts
 * import type { CliLimits } from "./config.ts";
 * const limits: CliLimits = { maxMessageSize: 1048576 };
 * ```
 */
export interface CliLimits {
  /** `--max-message-size`, `WEBSOCKET_MAX_MESSAGE_SIZE` (bytes). */
  maxMessageSize?: number;
  /** `--max-connections`, `WEBSOCKET_MAX_CONNECTIONS`. */
  maxConnections?: number;
  /** `--max-connections-per-ip`, `WEBSOCKET_MAX_CONNECTIONS_PER_IP`. */
  maxConnectionsPerIp?: number;
  /** `--ping-interval`, `WEBSOCKET_PING_INTERVAL` (ms). */
  pingInterval?: number;
  /** `--idle-timeout`, `WEBSOCKET_IDLE_TIMEOUT` (ms). */
  idleTimeout?: number;
}

/** Flag name → [config key, environment variable, kind]. */
const OPTIONS: Record<string, [key: string, env: string, kind: Kind]> = {
  "--host": ["host", "WEBSOCKET_HOST", "string"],
  "--port": ["port", "WEBSOCKET_PORT", "port"],
  "--handler": ["handler", "WEBSOCKET_HANDLER", "string"],
  "--tls-cert": ["tlsCert", "WEBSOCKET_TLS_CERT", "string"],
  "--tls-key": ["tlsKey", "WEBSOCKET_TLS_KEY", "string"],
  "--origins": ["origins", "WEBSOCKET_ORIGINS", "list"],
  "--log-level": ["logLevel", "WEBSOCKET_LOG_LEVEL", "level"],
  "--log-format": ["logFormat", "WEBSOCKET_LOG_FORMAT", "format"],
  "--metrics": ["metrics", "WEBSOCKET_METRICS", "path"],
  "--socket": ["socket", "WEBSOCKET_SOCKET", "string"],
  "--stop-grace": ["stopGrace", "WEBSOCKET_STOP_GRACE", "count"],
  "--max-message-size": [
    "maxMessageSize",
    "WEBSOCKET_MAX_MESSAGE_SIZE",
    "count",
  ],
  "--max-connections": [
    "maxConnections",
    "WEBSOCKET_MAX_CONNECTIONS",
    "count",
  ],
  "--max-connections-per-ip": [
    "maxConnectionsPerIp",
    "WEBSOCKET_MAX_CONNECTIONS_PER_IP",
    "count",
  ],
  "--ping-interval": ["pingInterval", "WEBSOCKET_PING_INTERVAL", "count"],
  "--idle-timeout": ["idleTimeout", "WEBSOCKET_IDLE_TIMEOUT", "count"],
  "--redis": ["redis", "WEBSOCKET_REDIS_URL", "redis"],
  "--workers": ["workers", "WEBSOCKET_WORKERS", "workers"],
};

type Kind =
  | "string"
  | "port"
  | "count"
  | "list"
  | "level"
  | "format"
  | "path"
  | "redis"
  | "workers";

/** Most worker processes `--workers` accepts. */
const MAX_WORKERS = 1024;

const LIMIT_KEYS = new Set([
  "maxMessageSize",
  "maxConnections",
  "maxConnectionsPerIp",
  "pingInterval",
  "idleTimeout",
]);

/**
 * The usage text of `anyws`.
 *
 * @example
 * ```ts
 * import { CLI_USAGE } from "./config.ts";
 * console.log(CLI_USAGE.split("\n")[0]);
 * ```
 */
export const CLI_USAGE: string = `Usage: anyws start [options]

Starts a WebSocket server: the demo chat app, or your handler module.

Options (environment variable in brackets; flags win over the environment):
  --host H                    interface to bind [WEBSOCKET_HOST] (0.0.0.0)
  --port P                    port to bind [WEBSOCKET_PORT] (8080)
  --handler FILE              module exporting register(server) [WEBSOCKET_HANDLER]
                              (default: the demo chat app)
  --tls-cert FILE             PEM certificate for wss:// [WEBSOCKET_TLS_CERT]
  --tls-key FILE              PEM private key for wss:// [WEBSOCKET_TLS_KEY]
  --origins A,B               allowed browser origins, or * [WEBSOCKET_ORIGINS]
                              (default: same-origin)
  --socket PATH               listen on a Unix domain socket instead
                              [WEBSOCKET_SOCKET]
  --max-message-size BYTES    [WEBSOCKET_MAX_MESSAGE_SIZE] (16777216)
  --max-connections N         [WEBSOCKET_MAX_CONNECTIONS] (50000)
  --max-connections-per-ip N  [WEBSOCKET_MAX_CONNECTIONS_PER_IP] (0: no limit)
  --ping-interval MS          [WEBSOCKET_PING_INTERVAL] (30000; 0 disables)
  --idle-timeout MS           [WEBSOCKET_IDLE_TIMEOUT] (60000; 0 disables)
  --log-level LEVEL           debug, info, warn, error or silent
                              [WEBSOCKET_LOG_LEVEL] (info)
  --log-format FORMAT         plain or json (one JSON object per line)
                              [WEBSOCKET_LOG_FORMAT] (plain)
  --metrics                   serve Prometheus metrics on GET /metrics
                              (--metrics=PATH: on PATH) [WEBSOCKET_METRICS]
  --stop-grace MS             on SIGTERM, answer /readyz with 503 this long
                              before closing [WEBSOCKET_STOP_GRACE] (0)
  --redis URL                 join a cluster on this Redis (redis:// or rediss://)
                              [WEBSOCKET_REDIS_URL]: broadcasts, rooms, users and
                              presence span every server on it
  --workers N|auto            N worker processes share the port (SO_REUSEPORT,
                              Linux), restarted when they die; auto = one per
                              core; N > 1 needs --redis [WEBSOCKET_WORKERS] (1)
  --quiet                     no log line per connection
  --help                      this text

GET /readyz answers 200 while the server takes connections, 503 once stopping.`;

/**
 * Parses the command line (`args` without the runtime and script) and the
 * environment into a configuration. Throws {@link CliError} on bad input.
 *
 * @example
 * ```ts
 * import { parseCliConfig } from "./config.ts";
 * const config = parseCliConfig(["start", "--host", "127.0.0.1"], { WEBSOCKET_PORT: "9000" });
 * console.log(config.host, config.port); // "127.0.0.1" 9000
 * ```
 */
export function parseCliConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  machine: { cores: number } = { cores: 1 },
): CliConfig {
  const flags = new Map<string, string>();
  let command: CliConfig["command"] | undefined;
  let quiet = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h" || arg === "help") {
      command = "help";
      continue;
    }
    if (arg === "--quiet" || arg === "-q") {
      quiet = true;
      continue;
    }
    if (arg === "--metrics") {
      flags.set(arg, "/metrics");
      continue;
    }
    if (!arg.startsWith("-")) {
      if (arg !== "start") throw new CliError(`Unknown command: ${arg}`);
      command ??= "start";
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (!(name in OPTIONS)) throw new CliError(`Unknown option: ${name}`);
    const value = eq < 0 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq < 0 && value.startsWith("--"))) {
      throw new CliError(`Missing value for ${name}`);
    }
    flags.set(name, value);
  }
  const config: CliConfig = {
    command: command ?? "help",
    host: "0.0.0.0",
    port: 8080,
    quiet,
    limits: {},
    workers: 1,
    logLevel: "info",
    logFormat: "plain",
    stopGrace: 0,
  };
  const record = config as unknown as Record<string, unknown>;
  for (const [flag, [key, envName, kind]] of Object.entries(OPTIONS)) {
    const raw = flags.get(flag) ?? nonEmpty(env[envName]);
    if (raw === undefined) continue;
    const source = flags.has(flag) ? flag : envName;
    const value = kind === "workers"
      ? workersOf(raw, source, machine.cores)
      : convert(raw, kind, source);
    if (value === undefined) continue;
    if (LIMIT_KEYS.has(key)) {
      (config.limits as Record<string, unknown>)[key] = value;
    } else {
      record[key] = value;
    }
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new CliError("TLS needs both --tls-cert and --tls-key");
  }
  if (config.workers > 1 && config.redis === undefined) {
    throw new CliError(
      `--workers ${config.workers} needs a backplane: add --redis URL (or WEBSOCKET_REDIS_URL); without one, rooms, broadcasts and presence would split across the workers`,
    );
  }
  return config;
}

/** `auto` (one per core) or a count from 1 to {@link MAX_WORKERS}. */
function workersOf(raw: string, source: string, cores: number): number {
  if (raw.trim().toLowerCase() === "auto") return Math.max(1, cores);
  const count = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(count >= 1 && count <= MAX_WORKERS)) {
    throw new CliError(
      `Invalid number of workers in ${source}: ${raw} (1 to ${MAX_WORKERS}, or auto)`,
    );
  }
  return count;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function convert(
  raw: string,
  kind: Exclude<Kind, "workers">,
  source: string,
): string | number | string[] | undefined {
  switch (kind) {
    case "redis":
      if (!/^rediss?:\/\/[^\s]+$/i.test(raw.trim())) {
        throw new CliError(
          `Invalid Redis URL in ${source}: ${raw} (redis://host:port or rediss://host:port)`,
        );
      }
      return raw.trim();
    case "level":
      if (!["debug", "info", "warn", "error", "silent"].includes(raw)) {
        throw new CliError(
          `Invalid log level in ${source}: ${raw} (debug, info, warn, error or silent)`,
        );
      }
      return raw;
    case "format":
      if (raw !== "plain" && raw !== "json") {
        throw new CliError(
          `Invalid log format in ${source}: ${raw} (plain or json)`,
        );
      }
      return raw;
    case "path":
      // The environment may say yes or no rather than name the path.
      if (/^(1|true|yes|on)$/i.test(raw)) return "/metrics";
      if (/^(0|false|no|off)$/i.test(raw)) return undefined;
      if (!/^\/[\x21-\x7e]*$/.test(raw)) {
        throw new CliError(
          `Invalid path in ${source}: ${raw} (a path such as /metrics)`,
        );
      }
      return raw;
    case "string":
      if (raw.trim() === "") throw new CliError(`Empty value for ${source}`);
      return raw;
    case "list": {
      const items = raw.split(",").map((item) => item.trim()).filter((item) =>
        item !== ""
      );
      if (items.length === 0) throw new CliError(`Empty list for ${source}`);
      return items;
    }
    case "port": {
      const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(port >= 0 && port <= 65535)) {
        throw new CliError(`Invalid port in ${source}: ${raw}`);
      }
      return port;
    }
    case "count": {
      const count = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(count)) {
        throw new CliError(`Invalid number in ${source}: ${raw}`);
      }
      return count;
    }
  }
}
