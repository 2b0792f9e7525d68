#!/usr/bin/env node
/**
 * The `anyws` command, on every runtime:
 *
 *     deno run -A cli/main.ts start --port 8080
 *     bun cli/main.ts start --port 8080
 *     node cli/main.ts start --port 8080
 *
 * Without `--handler` it runs the demo chat app. `--help` lists the options.
 * `--redis URL` makes the server a node of a cluster; `--workers N` runs a
 * supervisor with N worker processes on one port (cli/workers.ts).
 *
 * @module
 */

import process from "node:process";
import { availableParallelism } from "node:os";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createLogger,
  describeRejection,
  type Logger,
  OPTION_HINTS,
  type RejectInfo,
  rejectionFields,
  Server,
  type ServerOptions,
} from "../mod.ts";
import {
  CLI_USAGE,
  type CliConfig,
  CliError,
  parseCliConfig,
} from "./config.ts";
import {
  checkSyntax,
  errorOrigin,
  errorSummary,
  syntaxErrorLocation,
} from "./errors.ts";
import { supervise, WORKER_ENV } from "./workers.ts";

/** A handler module: Larafony's `registerDefaultHandlers`, as a function. */
type HandlerModule = { register?: (server: Server) => unknown };

async function loadHandler(config: CliConfig): Promise<HandlerModule> {
  if (config.handler === undefined) {
    return await import("../examples/chat/app.ts");
  }
  const url = pathToFileURL(resolve(config.handler)).href;
  let module: HandlerModule;
  try {
    module = await import(url);
  } catch (error) {
    const at = syntaxErrorLocation(error) ??
      (isSyntaxError(error)
        ? await checkSyntax(resolve(config.handler))
        : undefined);
    if (at !== undefined) {
      throw new CliError(
        `Cannot load handler ${config.handler}: syntax error in ${at.file}:${at.line}:${at.column}: ${
          firstLine(at.message)
        }`,
      );
    }
    throw new CliError(
      `Cannot load handler ${config.handler}: ${withOrigin(error)}`,
    );
  }
  if (typeof module.register !== "function") {
    throw new CliError(
      `Handler ${config.handler} does not export a register(server) function`,
    );
  }
  return module;
}

/** The Redis engine, loaded only for `--redis` (`redis` is an optional peer dependency). */
async function loadRedis(): Promise<typeof import("../engines/redis.ts")> {
  try {
    return await import("../engines/redis.ts");
  } catch (error) {
    throw new CliError(
      `--redis needs the redis package (npm install redis): ${
        firstLine(error)
      }`,
    );
  }
}

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(`Cannot read ${flag} file ${path}: ${firstLine(error)}`);
  }
}

/**
 * The hints of a refusal in the command's terms: the flag that would let
 * the request in.
 */
function cliHints(info: RejectInfo): string | undefined {
  switch (info.cause) {
    case "origins": {
      const origin = info.request?.headers.get("origin");
      return origin == null
        ? "set --origins to allow it"
        : `set --origins ${origin} to allow it, or --origins '*' for any`;
    }
    case "maxConnections":
      return "see --max-connections";
    case "maxConnectionsPerIp":
      return "see --max-connections-per-ip";
    default:
      return OPTION_HINTS(info);
  }
}

async function start(config: CliConfig): Promise<void> {
  const logger: Logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
  });
  const options: ServerOptions = {
    hostname: config.host,
    port: config.port,
    // The browser event client at /anyws.js: the demo chat's page loads it.
    clientScript: true,
    ...config.limits,
    logger,
    readiness: "/readyz",
    metrics: config.metrics,
    socketPath: config.socket,
  };
  if (config.origins !== undefined) {
    options.origins = config.origins.includes("*") ? "*" : config.origins;
  }
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    options.tls = {
      cert: await readPem(config.tlsCert, "--tls-cert"),
      key: await readPem(config.tlsKey, "--tls-key"),
    };
  }
  // A worker of `--workers`: shares the port with its siblings.
  const worker = process.env[WORKER_ENV];
  if (worker !== undefined) options.reusePort = true;
  if (config.redis !== undefined) {
    const { redisBackplane } = await loadRedis();
    options.backplane = redisBackplane({ url: config.redis });
    options.cluster = worker === undefined ? {} : { nodeName: `w${worker}` };
  }
  const server = new Server(options);
  if (!config.quiet) {
    server.on("open", (request, conn) => {
      logger.log(
        "info",
        `open ${conn.id} ${conn.remoteAddress} ${request.path}`,
        {
          event: "open",
          id: conn.id,
          remoteAddress: conn.remoteAddress,
          path: request.path,
        },
      );
    });
    server.on("close", ({ code }, conn) => {
      logger.log("info", `close ${conn.id} ${conn.remoteAddress} ${code}`, {
        event: "close",
        id: conn.id,
        remoteAddress: conn.remoteAddress,
        code,
      });
    });
  }
  // Every refused handshake, with the flag that would let it in: a foreign
  // Origin's 403 must not go unnoticed.
  server.on("rejected", (info) => {
    logger.log(
      "info",
      describeRejection(info, cliHints),
      rejectionFields(info),
    );
  });
  const handler = await loadHandler(config);
  try {
    await handler.register?.(server);
  } catch (error) {
    throw new CliError(
      `register() of ${config.handler ?? "the demo"} failed: ${
        withOrigin(error)
      }`,
    );
  }
  try {
    await server.listen();
  } catch (error) {
    const where = config.socket ?? `${config.host}:${config.port}`;
    throw new CliError(`Cannot listen on ${where}: ${firstLine(error)}`);
  }
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  const http = config.tlsCert ? "https" : "http";
  const open = config.socket === undefined
    ? ` (open ${http}://${host}:${server.port}/)`
    : "";
  logger.log("info", `anyws listening on ${server.url}${open}`, {
    event: "listening",
    url: server.url,
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!config.quiet) {
      logger.log(
        "info",
        `${signal}: closing ${server.connections.size} connection(s)`,
        { event: "stopping", signal, connections: server.connections.size },
      );
    }
    await server.stop({
      code: 1001,
      reason: "Server shutting down",
      grace: config.stopGrace,
    });
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  if (worker !== undefined) {
    // The supervisor holds our stdin open: its end means the supervisor died.
    process.stdin.on("end", () => void stop("supervisor gone"));
    process.stdin.on("error", () => void stop("supervisor gone"));
    process.stdin.resume();
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}

function isSyntaxError(error: unknown): boolean {
  return error instanceof Error && error.name === "SyntaxError";
}

/** `Name: message (thrown from frame)`, on one line. */
function withOrigin(error: unknown): string {
  const origin = errorOrigin(error);
  return origin === undefined
    ? errorSummary(error)
    : `${errorSummary(error)}, thrown from ${origin}`;
}

try {
  const args = process.argv.slice(2);
  const config = parseCliConfig(args, process.env, {
    cores: availableParallelism(),
  });
  if (config.command === "help") console.log(CLI_USAGE);
  else if (config.workers > 1 && process.env[WORKER_ENV] === undefined) {
    // Workers run this very file (main.ts here, main.js in the npm package).
    process.exit(
      await supervise(config, args, fileURLToPath(import.meta.url)),
    );
  } else await start(config);
} catch (error) {
  console.error(`anyws: ${firstLine(error)}`);
  process.exit(error instanceof CliError ? 2 : 1);
}
