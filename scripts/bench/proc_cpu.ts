/**
 * The CPU time of a process, read from Linux's `/proc/PID/stat`: user +
 * system time of all its threads. Runs on Deno, Bun and Node (it reads
 * the file through `node:fs`).
 *
 * @module
 */

import { readFileSync } from "node:fs";

/**
 * Clock ticks per second of `/proc/PID/stat` (`USER_HZ`, 100 on every
 * Linux architecture): a figure read from it is exact to 10 ms.
 *
 * @example
 * ```ts
 * import { CLOCK_TICKS_PER_SECOND } from "./proc_cpu.ts";
 * const resolutionMs = 1000 / CLOCK_TICKS_PER_SECOND; // 10
 * ```
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system, every thread) that process `pid` (or this
 * process, `"self"`) has used so far, or `NaN` when it cannot be read
 * (not Linux, the process is gone).
 *
 * @example
 * ```ts
 * import { cpuSeconds } from "./proc_cpu.ts";
 * const before = cpuSeconds("self");
 * for (let i = 0; i < 1e7; i++);
 * console.log(cpuSeconds("self") - before); // about 0.01
 * ```
 */
export function cpuSeconds(pid: number | "self"): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): utime is the
    // 14th field, stime the 15th, in clock ticks.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds the whole machine has spent busy so far (user, nice,
 * system, interrupts and steal, summed over every core: `/proc/stat`), or
 * `NaN` when it cannot be read. Over a window, busy time less the time of
 * the processes measured is what other work took.
 *
 * @example
 * ```ts
 * import { machineBusySeconds } from "./proc_cpu.ts";
 * const before = machineBusySeconds();
 * await new Promise((resolve) => setTimeout(resolve, 1000));
 * console.log(machineBusySeconds() - before); // 0 to the number of cores
 * ```
 */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
    // cpu user nice system idle iowait irq softirq steal ...
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(
      /\s+/,
    ).slice(1).map(Number);
    return (user + nice + system + irq + softirq + (steal || 0)) /
      CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}
