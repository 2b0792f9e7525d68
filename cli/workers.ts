/**
 * `anyws start --workers N`: a supervisor process that runs N workers of
 * the same runtime on one port (SO_REUSEPORT: the kernel spreads the
 * connections), each a node of the cluster on the `--redis` backplane.
 *
 * - A worker that dies is restarted after a backoff (see
 *   `restart_policy.ts`); crashes in a loop end the supervisor with a
 *   one-line reason and exit code 1. A worker that fails its configuration
 *   (exit code 2 before it listened) ends it at once, with code 2.
 * - SIGINT and SIGTERM are passed on as SIGTERM: every worker closes its
 *   clients with 1001 and exits; the supervisor exits 0 once all did
 *   (1 if one had to be killed after {@link SHUTDOWN_TIMEOUT}).
 * - Workers read their stdin, a pipe from the supervisor: when it closes
 *   (the supervisor died, even by SIGKILL) they stop too.
 * - Worker output is passed on line by line, prefixed with `[w<n>] `.
 *
 * Linux only: elsewhere SO_REUSEPORT does not spread connections (or does
 * not exist), so `--workers` > 1 is refused there with one line.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import process from "node:process";
import { type CliConfig, CliError } from "./config.ts";
import { RestartPolicy, type RestartPolicyOptions } from "./restart_policy.ts";

/** The environment variable that tells a process it is worker number n. */
export const WORKER_ENV = "ANYWS_WORKER";

/** How long workers get to close their clients after SIGTERM, in ms. */
const SHUTDOWN_TIMEOUT = 15_000;

interface Worker {
  slot: number;
  child: ChildProcess;
  startedAt: number;
  ready: boolean;
  exited: Promise<void>;
}

/**
 * Runs the supervisor until it stops; resolves with the exit code.
 *
 * @example
 * ```ts
 * import { parseCliConfig } from "./config.ts";
 * import { supervise } from "./workers.ts";
 * const args = ["start", "--workers", "2", "--redis", "redis://127.0.0.1:6379"];
 * const config = parseCliConfig(args, {});
 * const main = new URL("./main.ts", import.meta.url).pathname;
 * if (config.workers > 1) console.log("exit code", await supervise(config, args.slice(1), main));
 * ```
 */
export async function supervise(
  config: CliConfig,
  args: readonly string[],
  main: string,
  policyOptions?: RestartPolicyOptions,
): Promise<number> {
  if (process.platform !== "linux") {
    throw new CliError(
      `--workers needs SO_REUSEPORT connection spreading, which anyws uses on Linux only (this is ${process.platform}): run one process per port behind a load balancer instead`,
    );
  }
  const port = config.port === 0 ? await freePort(config.host) : config.port;
  const workerArgs = [...args, "--port", String(port)];
  const policy = new RestartPolicy(policyOptions);
  const workers = new Map<number, Worker>();
  const restarts = new Map<number, ReturnType<typeof setTimeout>>();
  let stopping = false;
  let announced = false;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => finish = resolve);

  const say = (line: string) => console.log(`anyws supervisor: ${line}`);
  const complain = (line: string) => console.error(`anyws supervisor: ${line}`);

  const start = (slot: number): void => {
    restarts.delete(slot);
    if (stopping) return;
    const [command, commandArgs] = workerCommand(main, workerArgs);
    const child = spawn(command, commandArgs, {
      env: { ...process.env, [WORKER_ENV]: String(slot) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const worker: Worker = {
      slot,
      child,
      startedAt: Date.now(),
      ready: false,
      exited: new Promise((resolve) => child.once("close", () => resolve())),
    };
    workers.set(slot, worker);
    // Never written: its end tells the worker the supervisor is gone.
    child.stdin?.on("error", () => {});
    forwardLines(child.stdout, (line) => {
      console.log(`[w${slot}] ${line}`);
      if (!worker.ready && line.startsWith("anyws listening on ")) {
        worker.ready = true;
        if (!announced && [...workers.values()].every((w) => w.ready)) {
          announced = workers.size === config.workers;
          if (announced) {
            const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
            const scheme = config.tlsCert ? "wss" : "ws";
            say(
              `${config.workers} workers listening on ${scheme}://${host}:${port} (pid ${process.pid})`,
            );
          }
        }
      }
    });
    forwardLines(child.stderr, (line) => console.error(`[w${slot}] ${line}`));
    child.once("error", (error) => {
      complain(`cannot start worker w${slot}: ${error.message}`);
    });
    child.once("exit", (code, signal) => {
      const how = signal
        ? `was killed by ${signal}`
        : `exited with code ${code}`;
      if (stopping) return;
      workers.delete(slot);
      if (code === 2 && !worker.ready) {
        complain(
          `worker w${slot} ${how} before it listened (see its message above); stopping`,
        );
        void stopAll(2);
        return;
      }
      const decision = policy.crashed(
        slot,
        Date.now(),
        Date.now() - worker.startedAt,
      );
      if ("reason" in decision) {
        complain(
          `${decision.reason} (last: worker w${slot} ${how}); giving up`,
        );
        void stopAll(1);
        return;
      }
      complain(
        `worker w${slot} (pid ${child.pid}) ${how}; restarting it in ${decision.delay} ms`,
      );
      restarts.set(slot, setTimeout(() => start(slot), decision.delay));
    });
  };

  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const timer of restarts.values()) clearTimeout(timer);
    restarts.clear();
    const running = [...workers.values()];
    for (const worker of running) worker.child.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const allExited = Promise.all(running.map((w) => w.exited));
    const inTime = await Promise.race([
      allExited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), SHUTDOWN_TIMEOUT);
      }),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      complain(
        `workers still running ${
          SHUTDOWN_TIMEOUT / 1000
        } s after SIGTERM: killing them`,
      );
      for (const worker of running) worker.child.kill("SIGKILL");
      await allExited;
    }
    const clean = running.every((w) =>
      w.child.exitCode === 0 || w.child.signalCode === "SIGTERM"
    );
    finish(code === 0 && !(inTime && clean) ? 1 : code);
  };

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      say(`${signal}: stopping ${workers.size} worker(s)`);
      void stopAll(0);
    });
  }

  say(
    `starting ${config.workers} workers on port ${port}, Redis at ${
      redact(config.redis ?? "")
    }`,
  );
  for (let slot = 1; slot <= config.workers; slot++) start(slot);
  return await finished;
}

/** How to run the CLI's `main` again with this runtime (Deno with `--unstable-net` for reusePort). */
function workerCommand(
  main: string,
  args: readonly string[],
): [string, string[]] {
  if ("Deno" in globalThis) {
    return [
      process.execPath,
      ["run", "-A", "--unstable-net", main, ...args],
    ];
  }
  // Node and Bun: the same executable and runtime flags.
  return [process.execPath, [...process.execArgv, main, ...args]];
}

function forwardLines(
  stream: NodeJS.ReadableStream | null,
  write: (line: string) => void,
): void {
  if (stream === null) return;
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    rest += chunk;
    let newline: number;
    while ((newline = rest.indexOf("\n")) >= 0) {
      write(rest.slice(0, newline));
      rest = rest.slice(newline + 1);
    }
  });
  stream.on("end", () => {
    if (rest !== "") write(rest);
    rest = "";
  });
}

/** A port free on `host` now, for `--port 0` (every worker must bind the same one). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once(
      "error",
      (error) =>
        reject(
          new CliError(`Cannot find a free port on ${host}: ${error.message}`),
        ),
    );
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The URL without its password. */
function redact(url: string): string {
  return url.replace(/\/\/([^@/]*):[^@/]*@/, "//$1:***@");
}
