// Long file: the benchmark's process handling (spawning, pinning, CPU accounting, shutdown) as one documented unit.
/**
 * The processes of the benchmarks: every server and client runs in a
 * process group of its own, killed when the script is interrupted; servers
 * start fresh with their fd limit raised to the hard limit, pinned to core
 * 0, and are ready once they print their ready line; every wait is bounded.
 * Measuring processes (the load client of `load_client.ts`, the clients
 * under test of `client_sample.ts`) run pinned to core 1 and print a JSON
 * report last.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import process from "node:process";
import { BIN, ROOT } from "./paths.ts";

/** Process groups we started and have not reaped yet. */
const groups = new Set<number>();

/**
 * Sends `signal` to the process group led by `pid`, if it still exists.
 *
 * @example
 * ```ts
 * import { killGroup } from "./processes.ts";
 * killGroup(12345, "SIGKILL"); // nothing happens when it is gone
 * ```
 */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Remembers a process group to kill if the script is interrupted
 * (`pid` 0, a process that did not start, is ignored).
 *
 * @example
 * ```ts
 * import { forgetGroup, trackGroup } from "./processes.ts";
 * trackGroup(12345);
 * forgetGroup(12345); // once it has exited
 * ```
 */
export function trackGroup(pid: number): void {
  if (pid) groups.add(pid);
}

/**
 * Forgets a process group that has exited (see {@link trackGroup}).
 *
 * @example
 * ```ts
 * import { forgetGroup } from "./processes.ts";
 * forgetGroup(12345);
 * ```
 */
export function forgetGroup(pid: number): void {
  groups.delete(pid);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    for (const pid of groups) killGroup(pid, "SIGKILL");
    process.exit(130);
  });
}

function childEnv(): Record<string, string | undefined> {
  return {
    ...process.env,
    PATH: `${BIN}:${process.env.PATH ?? ""}`,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
  };
}

/**
 * Spawns `argv` in the repository with the pinned toolchain first on the
 * PATH and `env` added, in a process group of its own (tracked), its
 * output piped as text.
 */
function spawnGroup(
  argv: string[],
  env: Record<string, string> | undefined,
): { child: ChildProcess; pid: number } {
  const child = spawn(argv[0], argv.slice(1), {
    cwd: ROOT,
    env: { ...childEnv(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const pid = child.pid ?? 0;
  trackGroup(pid);
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  return { child, pid };
}

/**
 * The gist of a process's output: its error line and its last lines.
 *
 * @example
 * ```ts
 * import { tail } from "./processes.ts";
 * tail("starting\nError: EADDRINUSE\n    at listen (net.js:1)\n");
 * // "starting / Error: EADDRINUSE"
 * ```
 */
export function tail(text: string, lines = 4): string {
  const all = text.split("\n").map((l) => l.trimEnd()).filter((l) =>
    l.trim() !== "" && !/^\s+at /.test(l)
  );
  const last = all.slice(-lines);
  const error = all.find((l) => /error/i.test(l));
  if (error !== undefined && !last.includes(error)) last.unshift(error);
  return last.join(" / ").slice(0, 600);
}

/**
 * A server we started: its pid (the runtime itself, after `exec`).
 *
 * @example
 * ```ts
 * import type { RunningServer } from "./processes.ts";
 * const died = (server: RunningServer): boolean => server.exited() !== null;
 * ```
 */
export interface RunningServer {
  pid: number;
  child: ChildProcess;
  output: () => string;
  exit: Promise<string>;
  /** How it ended, or `null` while it runs. */
  exited: () => string | null;
}

/**
 * A free TCP port on 127.0.0.1.
 *
 * @example
 * ```ts
 * import { freePort } from "./processes.ts";
 * const port = await freePort();
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const READY = /listening on ws:\/\/127\.0\.0\.1:(\d+)/;
const START_TIMEOUT_MS = 30_000;

/**
 * Starts `command port` with the fd limit raised to the hard limit, pinned
 * to core 0 when `pin`, with `env` added to the environment, and resolves
 * once it prints its ready line (`listening on ws://127.0.0.1:PORT`).
 *
 * @example
 * ```ts
 * import { freePort, startServer, stopServer } from "./processes.ts";
 * const server = await startServer(
 *   ["node", "examples/bench_server.ts"],
 *   await freePort(),
 *   { pin: false },
 * );
 * if ("error" in server) console.error(server.error);
 * else await stopServer(server);
 * ```
 */
export function startServer(
  command: string[],
  port: number,
  options: { pin: boolean; env?: Record<string, string> },
): Promise<RunningServer | { error: string }> {
  const pinning = options.pin ? ["taskset", "-c", "0"] : [];
  const { child, pid } = spawnGroup([
    "bash",
    "-c",
    'ulimit -n "$(ulimit -Hn)" || exit 97; exec "$@"',
    "bench-server",
    ...pinning,
    ...command,
    String(port),
  ], options.env);
  let output = "";
  let exitNote: string | null = null;
  const exit = new Promise<string>((resolve) => {
    child.once("error", (error) => {
      exitNote = `cannot start: ${error.message}`;
      resolve(exitNote);
    });
    child.once("exit", (code, signal) => {
      forgetGroup(pid);
      exitNote = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve(exitNote);
    });
  });
  const collect = (text: string): void => {
    if (output.length < 64 * 1024) output += text;
  };
  child.stderr?.on("data", collect);
  const server: RunningServer = {
    pid,
    child,
    output: () => output,
    exit,
    exited: () => exitNote,
  };
  return new Promise((resolve) => {
    let done = false;
    const finish = (value: RunningServer | { error: string }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => {
      killGroup(pid, "SIGKILL");
      finish({
        error: `Server not ready after ${START_TIMEOUT_MS / 1000} s: ${
          tail(output)
        }`,
      });
    }, START_TIMEOUT_MS);
    child.stdout?.on("data", (text: string) => {
      collect(text);
      if (READY.test(output)) finish(server);
    });
    exit.then((note) =>
      finish({ error: `Server did not start (${note}): ${tail(output)}` })
    );
  });
}

/**
 * Stops a server: SIGTERM, then SIGKILL after 3 s.
 *
 * @example
 * ```ts
 * import { type RunningServer, stopServer } from "./processes.ts";
 * const done = (server: RunningServer): Promise<void> => stopServer(server);
 * ```
 */
export async function stopServer(server: RunningServer): Promise<void> {
  if (server.exited() !== null) return;
  killGroup(server.pid, "SIGTERM");
  const timeout = (ms: number): Promise<string> =>
    new Promise((resolve) => setTimeout(() => resolve("timeout"), ms).unref());
  if (await Promise.race([server.exit, timeout(3_000)]) === "timeout") {
    killGroup(server.pid, "SIGKILL");
    await Promise.race([server.exit, timeout(3_000)]);
  }
  forgetGroup(server.pid);
}

/**
 * Starts a server (see {@link startServer}), runs `use` with it and stops
 * it, whatever happens. `error` says why the server did not start (then
 * `use` did not run) or that it exited while `use` ran; `result` is what
 * `use` returned.
 *
 * @example
 * ```ts
 * import { freePort, withServer } from "./processes.ts";
 * const { result, error } = await withServer(
 *   ["node", "examples/bench_server.ts"],
 *   await freePort(),
 *   { pin: false },
 *   (server) => Promise.resolve(server.pid),
 * );
 * ```
 */
export async function withServer<T>(
  command: string[],
  port: number,
  options: { pin: boolean; env?: Record<string, string> },
  use: (server: RunningServer) => Promise<T>,
): Promise<{ result: T | null; error: string | null }> {
  const server = await startServer(command, port, options);
  if ("error" in server) return { result: null, error: server.error };
  try {
    const result = await use(server);
    const died = server.exited();
    return {
      result,
      error: died === null
        ? null
        : `Server exited while measuring (${died}): ${tail(server.output())}`,
    };
  } finally {
    await stopServer(server);
  }
}

/**
 * The JSON object a measuring process prints as its last line.
 *
 * @example
 * ```ts
 * import type { Reported } from "./processes.ts";
 * const report: Reported = { msgs_per_s: 120_000, error: null };
 * ```
 */
export type Reported = Record<string, number | string | null | undefined>;

/**
 * What a measuring process gave: its report, or why there is none.
 *
 * @example
 * ```ts
 * import type { ReportingRun } from "./processes.ts";
 * const ok = (run: ReportingRun): boolean => run.error === null;
 * ```
 */
export interface ReportingRun {
  report: Reported | null;
  error: string | null;
}

/**
 * Runs a measuring process (`command`, pinned to core 1 when `pin`, with
 * `env` added to the pinned toolchain's environment) in a process group
 * of its own, killed after `budgetMs`, and reads the JSON object it prints
 * last. `what` names it in errors ("Client").
 *
 * @example
 * ```ts
 * import { runReporting } from "./processes.ts";
 * const run = await runReporting(["node", "-e", "console.log('{\"n\":1}')"], {
 *   budgetMs: 10_000,
 *   pin: false,
 *   what: "Probe",
 * });
 * console.log(run.report?.n); // 1
 * ```
 */
export function runReporting(
  command: string[],
  options: {
    budgetMs: number;
    pin: boolean;
    what: string;
    env?: Record<string, string>;
  },
): Promise<ReportingRun> {
  const { budgetMs, what } = options;
  const { child, pid } = spawnGroup(
    options.pin ? ["taskset", "-c", "1", ...command] : command,
    options.env,
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (text: string) => stdout += text);
  child.stderr?.on("data", (text: string) => stderr += text);
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(pid, "SIGKILL");
    }, budgetMs);
    const finish = (note: string): void => {
      clearTimeout(timer);
      forgetGroup(pid);
      const line = stdout.trim().split("\n").pop() ?? "";
      let report: Reported | null = null;
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed && typeof parsed === "object") {
          report = parsed as Reported;
        }
      } catch {
        // Reported below.
      }
      if (timedOut) {
        resolve({
          report,
          error: `${what} killed after ${Math.round(budgetMs / 1000)} s`,
        });
      } else if (report === null) {
        resolve({
          report,
          error: `${what} failed (${note}): ${tail(stderr || stdout)}`,
        });
      } else {
        resolve({ report, error: null });
      }
    };
    child.once("error", (error) => finish(error.message));
    child.once(
      "close",
      (code, signal) =>
        finish(signal ? `killed by ${signal}` : `exit code ${code}`),
    );
  });
}
