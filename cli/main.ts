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
import { Server, type ServerOptions } from "../mod.ts";
import {
  CLI_USAGE,
  type CliConfig,
  CliError,
  parseCliConfig,
} from "./config.ts";
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
    throw new CliError(
      `Cannot load handler ${config.handler}: ${firstLine(error)}`,
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

async function start(config: CliConfig): Promise<void> {
  const options: ServerOptions = {
    hostname: config.host,
    port: config.port,
    // The browser event client at /anyws.js: the demo chat's page loads it.
    clientScript: true,
    ...config.limits,
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
  const log = config.quiet ? () => {} : (line: string) => console.log(line);
  server.on("open", (request, conn) => {
    log(`open ${conn.id} ${conn.remoteAddress} ${request.path}`);
  });
  server.on("close", ({ code }, conn) => {
    log(`close ${conn.id} ${conn.remoteAddress} ${code}`);
  });
  const handler = await loadHandler(config);
  await handler.register?.(server);
  try {
    await server.listen();
  } catch (error) {
    throw new CliError(
      `Cannot listen on ${config.host}:${config.port}: ${firstLine(error)}`,
    );
  }
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  const http = config.tlsCert ? "https" : "http";
  console.log(
    `anyws listening on ${server.url} (open ${http}://${host}:${server.port}/)`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: closing ${server.connections.size} connection(s)`);
    await server.stop({ code: 1001, reason: "Server shutting down" });
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
