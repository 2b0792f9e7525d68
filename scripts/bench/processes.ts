/**
 * The processes of the benchmarks (`scripts/bench/main.ts`, `scripts/bench/idle_floor.ts`):
 * the load client (`scripts/bench/bench_client.c`, compiled into `.bench/`), servers
 * started fresh with their fd limit raised to the hard limit and pinned to
 * core 0, the client pinned to core 1, every process in a group of its own
 * that is killed when the script is interrupted, every wait bounded.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, cpus, release } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository's root. */
export const ROOT: string = fileURLToPath(new URL("../..", import.meta.url))
  .replace(/\/$/, "");
const BIN = join(ROOT, "node_modules", ".bin");
/** Scratch output of the benchmarks (the compiled client, quick runs). */
export const SCRATCH: string = join(ROOT, ".bench");
const CLIENT_SOURCE = join(ROOT, "scripts", "bench", "bench_client.c");
const CLIENT = join(SCRATCH, "bench_client");

/** The devDependency's binary in node_modules/.bin, or `name` from PATH. */
export function tool(name: string): string {
  const local = join(BIN, name);
  return existsSync(local) ? local : name;
}

/** The load client's JSON report (its last line of output). */
export type ClientReport = Record<string, number | string | null | undefined>;

/** Process groups we started and have not reaped yet. */
const groups = new Set<number>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
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

/** The gist of a process's output: its error line and its last lines. */
export function tail(text: string, lines = 4): string {
  const all = text.split("\n").map((l) => l.trimEnd()).filter((l) =>
    l.trim() !== "" && !/^\s+at /.test(l)
  );
  const last = all.slice(-lines);
  const error = all.find((l) => /error/i.test(l));
  if (error !== undefined && !last.includes(error)) last.unshift(error);
  return last.join(" / ").slice(0, 600);
}

/** A server we started: its pid (the runtime itself, after `exec`). */
export interface RunningServer {
  pid: number;
  child: ChildProcess;
  output: () => string;
  exit: Promise<string>;
  /** How it ended, or `null` while it runs. */
  exited: () => string | null;
}

/** A free TCP port on 127.0.0.1. */
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
 */
export function startServer(
  command: string[],
  port: number,
  options: { pin: boolean; env?: Record<string, string> },
): Promise<RunningServer | { error: string }> {
  const pinning = options.pin ? ["taskset", "-c", "0"] : [];
  const child = spawn(
    "bash",
    [
      "-c",
      'ulimit -n "$(ulimit -Hn)" || exit 97; exec "$@"',
      "bench-server",
      ...pinning,
      ...command,
      String(port),
    ],
    {
      cwd: ROOT,
      env: { ...childEnv(), ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  const pid = child.pid ?? 0;
  if (pid) groups.add(pid);
  let output = "";
  let exitNote: string | null = null;
  const exit = new Promise<string>((resolve) => {
    child.once("error", (error) => {
      exitNote = `cannot start: ${error.message}`;
      resolve(exitNote);
    });
    child.once("exit", (code, signal) => {
      groups.delete(pid);
      exitNote = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve(exitNote);
    });
  });
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
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

/** Stops a server: SIGTERM, then SIGKILL after 3 s. */
export async function stopServer(server: RunningServer): Promise<void> {
  if (server.exited() !== null) return;
  killGroup(server.pid, "SIGTERM");
  const timeout = (ms: number): Promise<string> =>
    new Promise((resolve) => setTimeout(() => resolve("timeout"), ms).unref());
  if (await Promise.race([server.exit, timeout(3_000)]) === "timeout") {
    killGroup(server.pid, "SIGKILL");
    await Promise.race([server.exit, timeout(3_000)]);
  }
  groups.delete(server.pid);
}

/** What a run of the load client gave: its report, or why there is none. */
export interface ClientRun {
  report: ClientReport | null;
  error: string | null;
}

/** Runs the load client (pinned to core 1 when `pin`), killed after `budgetMs`. */
export function runClient(
  args: string[],
  budgetMs: number,
  pin: boolean,
): Promise<ClientRun> {
  const command = pin ? "taskset" : CLIENT;
  const argv = pin ? ["-c", "1", CLIENT, ...args] : args;
  const child = spawn(command, argv, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const pid = child.pid ?? 0;
  if (pid) groups.add(pid);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (text: string) => stdout += text);
  child.stderr.on("data", (text: string) => stderr += text);
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(pid, "SIGKILL");
    }, budgetMs);
    const finish = (note: string): void => {
      clearTimeout(timer);
      groups.delete(pid);
      const line = stdout.trim().split("\n").pop() ?? "";
      let report: ClientReport | null = null;
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed && typeof parsed === "object") {
          report = parsed as ClientReport;
        }
      } catch {
        // Reported below.
      }
      if (timedOut) {
        resolve({
          report,
          error: `Client killed after ${Math.round(budgetMs / 1000)} s`,
        });
      } else if (report === null) {
        resolve({
          report,
          error: `Client failed (${note}): ${tail(stderr || stdout)}`,
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

/**
 * Compiles the load client with `cc -O2` unless it is newer than its source
 * and than every file of `alsoNewerThan`; returns why it failed, or `null`.
 */
export function compileClient(alsoNewerThan: string[] = []): string | null {
  mkdirSync(SCRATCH, { recursive: true });
  const built = existsSync(CLIENT) ? statSync(CLIENT).mtimeMs : -1;
  const fresh = [CLIENT_SOURCE, ...alsoNewerThan].every((file) =>
    built >= statSync(file).mtimeMs
  );
  if (fresh) return null;
  const cc = spawnSync(
    "cc",
    ["-O2", "-Wall", "-o", CLIENT, CLIENT_SOURCE],
    { encoding: "utf8" },
  );
  if (cc.status === 0) return null;
  return `Cannot compile the load client with cc: ${
    cc.error?.message ?? tail(cc.stderr ?? "", 20)
  }`;
}

/** The first line `command args` prints (a version), or "unknown". */
export function version(command: string, args: string[]): string {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    timeout: 20_000,
  });
  return (result.stdout ?? "").trim().split("\n")[0] || "unknown";
}

/** Whether server and client can be pinned to cores 0 and 1. */
export function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  const probe = spawnSync("taskset", ["-c", "1", "true"]);
  return probe.status === 0;
}

/** The median of `values`, `null` when there are none. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The machine a run measures on. */
export function machine(): Record<string, string | number | boolean> {
  const hard = spawnSync("bash", ["-c", "ulimit -Hn"], { encoding: "utf8" });
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: availableParallelism(),
    kernel: release(),
    fdHardLimit: Number((hard.stdout ?? "").trim()) || 0,
    loadAverageAtStart: readFileSync("/proc/loadavg", "utf8").split(" ")[0],
  };
}
