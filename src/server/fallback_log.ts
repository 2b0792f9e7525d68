/**
 * The log of last resort: what the server prints for an error when the
 * application has no `error` handler. One line per error, at most a few per
 * window, and a count of the ones left out, so a client that sends bad
 * input in a loop cannot flood the log.
 *
 * @module
 */

/** Where the lines go (`console.error` by default). */
export type LogLine = (line: string) => void;

/**
 * A rate-limited, one-line-per-error log.
 *
 * @example
 * ```ts
 * import { FallbackLog } from "./fallback_log.ts";
 * const log = new FallbackLog({ perWindow: 2, windowMs: 10_000 });
 * for (let i = 0; i < 5; i++) log.error(new Error(`bad input ${i}`), "conn-1");
 * log.flush(); // "anyws: 3 more unhandled errors left out ..."
 * ```
 */
export class FallbackLog {
  #perWindow: number;
  #windowMs: number;
  #write: LogLine;
  #now: () => number;
  #windowStart = -Infinity;
  #printed = 0;
  #suppressed = 0;

  /**
   * @param options `perWindow` lines (default 5) per `windowMs` (default
   * 10 s), written with `write` (default `console.error`); `now` is the
   * clock (default `Date.now`).
   */
  constructor(
    options: {
      perWindow?: number;
      windowMs?: number;
      write?: LogLine;
      now?: () => number;
    } = {},
  ) {
    this.#perWindow = options.perWindow ?? 5;
    this.#windowMs = options.windowMs ?? 10_000;
    this.#write = options.write ?? ((line) => console.error(line));
    this.#now = options.now ?? Date.now;
  }

  /** Logs `error` (of connection `connectionId`, if any) in one line, unless the window is full. */
  error(error: unknown, connectionId?: string): void {
    const now = this.#now();
    if (now - this.#windowStart >= this.#windowMs) {
      this.flush();
      this.#windowStart = now;
      this.#printed = 0;
    }
    if (this.#printed >= this.#perWindow) {
      this.#suppressed++;
      return;
    }
    this.#printed++;
    const where = connectionId ? ` on connection ${connectionId}` : "";
    this.#write(
      `anyws: unhandled error${where}: ${describeError(error)}` +
        " (add an 'error' handler to handle it)",
    );
  }

  /** Writes the count of errors left out since the last line, if any. */
  flush(): void {
    if (this.#suppressed === 0) return;
    const count = this.#suppressed;
    this.#suppressed = 0;
    this.#write(
      `anyws: ${count} more unhandled error${count === 1 ? "" : "s"} ` +
        `left out of the log in the last ${this.#windowMs / 1000} s`,
    );
  }
}

/**
 * An error in one line: its name, message and where it was thrown (the
 * first frame of its stack).
 *
 * @example
 * ```ts
 * import { describeError } from "./fallback_log.ts";
 * console.log(describeError(new TypeError("x is null"))); // "TypeError: x is null (at …)"
 * ```
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return oneLine(String(error));
  const text = `${error.name}: ${oneLine(error.message)}`;
  const frame = error.stack?.split("\n").find((line) =>
    /^\s+at\s/.test(line) || /@/.test(line)
  );
  if (frame === undefined) return text;
  return `${text} (${oneLine(frame.trim().replace(/^at\s+/, "at "))})`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, " ");
  return flat.length > 500 ? `${flat.slice(0, 500)}…` : flat;
}
