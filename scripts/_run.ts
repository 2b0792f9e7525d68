/**
 * Internal helper for the repository scripts: runs one command in its own
 * process group, streams or captures its output, and bounds it in time.
 *
 * Scripts run on Node 24 (type stripping); they are not part of the library
 * and may use `node:` APIs.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";

/**
 * Options for {@link run}.
 *
 * @example
 * ```ts
 * import type { RunOptions } from "./_run.ts";
 * const options: RunOptions = { timeoutMs: 60_000, stream: false };
 * ```
 */
export interface RunOptions {
  /** Working directory; defaults to the current one. */
  cwd?: string;
  /** Full environment for the child; defaults to the parent's. */
  env?: Record<string, string | undefined>;
  /**
   * Kill the whole process group (SIGTERM, then SIGKILL 5 s later) after
   * this many milliseconds. Defaults to 15 minutes.
   */
  timeoutMs?: number;
  /** Copy the child's output to ours as it arrives (default `true`). */
  stream?: boolean;
}

/**
 * What {@link run} reports once the child has exited.
 *
 * @example
 * ```ts
 * import type { RunResult } from "./_run.ts";
 * const failed = (r: RunResult): boolean => r.code !== 0 || r.timedOut;
 * ```
 */
export interface RunResult {
  /** Exit code, or `null` when the child was ended by a signal. */
  code: number | null;
  /** The signal that ended the child, if any. */
  signal: string | null;
  /** Whether the child was killed for running past `timeoutMs`. */
  timedOut: boolean;
  /** Interleaved stdout and stderr, as text. */
  output: string;
  /** Wall-clock duration in milliseconds. */
  durationMs: number;
}

const KILL_GRACE_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 15 * 60_000;

/** Process groups of the children still running, killed if we are stopped. */
const running = new Set<number>();
let signalsHooked = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // A negative pid addresses the whole process group: the child and any
    // server, browser or client it spawned.
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      for (const pid of running) killGroup(pid, "SIGKILL");
      process.exit(130);
    });
  }
}

/**
 * Runs `command` with `args` in a new process group, without stdin, and
 * resolves when it exits. Never rejects: a command that cannot start
 * resolves with code 127 and the reason in `output`. When the child exits,
 * whatever it left running in its process group is killed, so a leaked
 * server cannot hang the caller.
 *
 * @example
 * ```ts
 * import { run } from "./_run.ts";
 * const result = await run("deno", ["lint"], { stream: false });
 * if (result.code !== 0) console.log(result.output);
 * ```
 */
export function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const stream = options.stream ?? true;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = performance.now();
  const chunks: string[] = [];
  hookSignals();

  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);

    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      chunks.push(text);
      if (stream) process.stdout.write(text);
    });
    child.stderr.on("data", (text: string) => {
      chunks.push(text);
      if (stream) process.stderr.write(text);
    });

    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const timer = setTimeout(() => {
      if (pid === undefined) return;
      timedOut = true;
      const note = `\n[run] Timed out after ${
        Math.round(timeoutMs / 1000)
      } s: killing ${command}\n`;
      chunks.push(note);
      process.stderr.write(note);
      killGroup(pid, "SIGTERM");
      killTimer = setTimeout(() => killGroup(pid, "SIGKILL"), KILL_GRACE_MS);
    }, timeoutMs);

    const finish = (
      code: number | null,
      signal: string | null,
      extra = "",
    ): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (pid !== undefined) running.delete(pid);
      if (extra !== "") chunks.push(extra);
      resolve({
        code,
        signal,
        timedOut,
        output: chunks.join(""),
        durationMs: performance.now() - started,
      });
    };

    child.on("error", (error: Error) => {
      finish(127, null, `[run] Cannot start ${command}: ${error.message}\n`);
    });
    child.on("exit", (code, signal) => {
      // Whatever is left in the process group (a server a test forgot to
      // close) would hold our pipes open: kill it, give the pipes a moment
      // to deliver the last output, then finish even if something outside
      // the group still holds them.
      if (pid !== undefined) killGroup(pid, "SIGKILL");
      let closed = false;
      const grace = setTimeout(() => {
        if (!closed) finish(code, signal);
      }, 2_000);
      child.once("close", () => {
        closed = true;
        clearTimeout(grace);
        finish(code, signal);
      });
    });
  });
}
