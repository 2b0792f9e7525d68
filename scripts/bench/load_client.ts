/**
 * The load client of every benchmark: `bench_client.c` (one epoll thread,
 * the same for every server), compiled with `cc -O2` into `.bench/`, run
 * pinned to core 1 in a process group of its own, killed after its budget.
 * It prints one JSON object, its report, as its last line.
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SCRATCH } from "./paths.ts";
import { forgetGroup, killGroup, tail, trackGroup } from "./processes.ts";

const CLIENT_SOURCE = join(ROOT, "scripts", "bench", "bench_client.c");
const CLIENT = join(SCRATCH, "bench_client");

/**
 * The load client's JSON report (its last line of output).
 *
 * @example
 * ```ts
 * import type { ClientReport } from "./load_client.ts";
 * const report: ClientReport = { msgs_per_s: 120_000, error: null };
 * ```
 */
export type ClientReport = Record<string, number | string | null | undefined>;

/**
 * What a run of the load client gave: its report, or why there is none.
 *
 * @example
 * ```ts
 * import type { ClientRun } from "./load_client.ts";
 * const ok = (run: ClientRun): boolean => run.error === null;
 * ```
 */
export interface ClientRun {
  report: ClientReport | null;
  error: string | null;
}

/**
 * Runs the load client (pinned to core 1 when `pin`), killed after `budgetMs`.
 *
 * @example
 * ```ts
 * import { runClient } from "./load_client.ts";
 * const run = await runClient(
 *   ["--port", "8080", "--mode", "idle", "--conns", "10"],
 *   30_000,
 *   false,
 * );
 * console.log(run.report?.alive);
 * ```
 */
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
  trackGroup(pid);
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
      forgetGroup(pid);
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
 *
 * @example
 * ```ts
 * import { compileClient } from "./load_client.ts";
 * const error = compileClient();
 * if (error !== null) throw new Error(error);
 * ```
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
