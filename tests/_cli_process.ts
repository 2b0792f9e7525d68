// A spawned process whose output tests read line by line: the anyws CLI
// (with this runtime) or any other command. Every wait is bounded; kill()
// signals by pid (Deno 2.9's child.kill() misreports a handled signal).
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { delay, withTimeout } from "./_clients.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const CLI = `${ROOT}cli/main.ts`;

/** How this runtime runs a script: Deno needs `run -A`, Bun and Node do not. */
export function runtimeCommand(script: string): [string, string[]] {
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  if (deno !== undefined) return [deno.execPath(), ["run", "-A", script]];
  return [process.execPath, [script]];
}

/** The parent's environment without WEBSOCKET_* variables. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith("WEBSOCKET_")) {
      env[name] = value;
    }
  }
  env.NO_COLOR = "1";
  return env;
}

export interface Exit {
  code: number | null;
  signal: string | null;
}

const running = new Set<Spawned>();

/** Kills (SIGKILL) every process still running; for `after` hooks. */
export async function killAll(): Promise<void> {
  for (const spawned of [...running]) {
    spawned.kill("SIGKILL");
    await spawned.exited;
  }
}

/** One child process with its output collected. */
export class Spawned {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  stdout = "";
  stderr = "";
  exit: Exit | undefined;

  constructor(
    command: string,
    args: readonly string[],
    options: {
      env?: Record<string, string>;
      stdin?: "pipe" | "ignore";
      cwd?: string;
    } = {},
  ) {
    this.child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...baseEnv(), ...options.env },
      stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
    });
    running.add(this);
    this.child.stdout!.setEncoding("utf8");
    this.child.stderr!.setEncoding("utf8");
    this.child.stdout!.on("data", (text: string) => this.stdout += text);
    this.child.stderr!.on("data", (text: string) => this.stderr += text);
    this.exited = new Promise((resolve) => {
      this.child.on("error", (error) => {
        this.stderr += `[spawn] ${error.message}\n`;
        this.exit ??= { code: -1, signal: null };
        running.delete(this);
        resolve(this.exit);
      });
      this.child.on("close", (code, signal) => {
        this.exit ??= { code, signal };
        running.delete(this);
        resolve(this.exit);
      });
    });
  }

  /** The anyws CLI with `args`, on this runtime. */
  static cli(
    args: readonly string[],
    options: { env?: Record<string, string> } = {},
  ): Spawned {
    const [command, prefix] = runtimeCommand(CLI);
    return new Spawned(command, [...prefix, ...args], options);
  }

  /** Complete lines so far of stdout (or stderr). */
  lines(stream: "stdout" | "stderr" = "stdout"): string[] {
    const lines = this[stream].split("\n");
    lines.pop();
    return lines;
  }

  /** Waits for the `nth` (0-based) line of `stream` matching `pattern`. */
  async line(
    pattern: RegExp,
    ms = 20_000,
    nth = 0,
    stream: "stdout" | "stderr" = "stdout",
  ): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const matches = this.lines(stream).map((line) => pattern.exec(line))
        .filter((
          m,
        ): m is RegExpExecArray => m !== null);
      if (matches.length > nth) return matches[nth];
      if (this.exit !== undefined) {
        throw new Error(
          `The process exited (${this.exit.code}) without printing ${pattern}${this.output()}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(`Timed out after ${ms} ms: ${pattern}${this.output()}`);
      }
      await delay(10);
    }
  }

  /** Waits (bounded) for the exit. */
  waitExit(ms = 30_000): Promise<Exit> {
    return withTimeout(this.exited, ms, `exit${this.output()}`);
  }

  /** Sends `signal` if the process still runs. */
  kill(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (this.exit !== undefined || pid === undefined) return;
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }

  output(): string {
    return `\n--- stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
  }
}
