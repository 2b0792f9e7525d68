/**
 * The machine and the software a benchmark run measures on: CPU, cores,
 * kernel, fd limit and load, the versions of the tools, and whether server
 * and client can be pinned to cores of their own.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, release } from "node:os";

/**
 * The first line `command args` prints (a version), or "unknown".
 *
 * @example
 * ```ts
 * import { version } from "./machine.ts";
 * version("cc", ["--version"]); // "cc (Debian 12.2.0-14) 12.2.0"
 * ```
 */
export function version(command: string, args: string[]): string {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    timeout: 20_000,
  });
  return (result.stdout ?? "").trim().split("\n")[0] || "unknown";
}

/**
 * Whether server and client can be pinned to cores 0 and 1.
 *
 * @example
 * ```ts
 * import { canPin } from "./machine.ts";
 * if (!canPin()) console.error("not pinning");
 * ```
 */
export function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  const probe = spawnSync("taskset", ["-c", "1", "true"]);
  return probe.status === 0;
}

/**
 * The machine a run measures on.
 *
 * @example
 * ```ts
 * import { machine } from "./machine.ts";
 * const { cpu, cores, loadAverageAtStart } = machine();
 * ```
 */
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
