/**
 * Start-up errors of the `anyws` command in one line that says where: the
 * file, line and column of a syntax error in a handler module (each
 * runtime reports it its own way), and the stack frame a `register()`
 * error came from.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/**
 * Where a syntax error is, and what it is.
 *
 * @example
 * ```ts
 * import type { SourceLocation } from "./errors.ts";
 * const at: SourceLocation = { file: "/app/handler.ts", line: 3, column: 46, message: "Expected ';'" };
 * ```
 */
export interface SourceLocation {
  /** The file, as a path. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** The parser's message. */
  message: string;
}

/**
 * The location of a syntax error thrown by `import()`, from what each
 * runtime puts in the error: Bun an `AggregateError` of build messages with
 * a `position`; Deno `at file:///…:line:column` in the message; Node a stack
 * that starts with `path:line`, the source line and a caret under the
 * column. `undefined` when the error says nothing of the kind.
 *
 * @example
 * ```ts
 * import { syntaxErrorLocation } from "./errors.ts";
 * const error = new Error("SyntaxError: Unexpected token\n    at file:///app/h.ts:3:46");
 * console.log(syntaxErrorLocation(error)); // { file: "/app/h.ts", line: 3, column: 46, message: "Unexpected token" }
 * ```
 */
export function syntaxErrorLocation(
  error: unknown,
): SourceLocation | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  // Bun: a BuildMessage { message, position }, or an AggregateError of
  // them.
  type BuildMessage = {
    message?: string;
    position?: { file?: string; line?: number; column?: number };
  };
  const first =
    ((error as BuildMessage).position !== undefined
      ? error
      : (error as { errors?: unknown[] }).errors?.[0]) as
        | BuildMessage
        | undefined;
  const position = first?.position;
  if (
    position?.file !== undefined && position.line !== undefined &&
    position.column !== undefined
  ) {
    return {
      file: position.file,
      line: position.line,
      column: position.column,
      message: first!.message ?? "syntax error",
    };
  }
  const message = String((error as { message?: unknown }).message ?? "");
  // Deno: "SyntaxError: …\n  |\n3 | …\n  |   ~\n    at file:///…:3:46".
  const deno = /\bat (file:\/\/\S+?):(\d+):(\d+)\s*$/m.exec(message);
  if (deno !== null && /SyntaxError/.test(message)) {
    return {
      file: asPath(deno[1]),
      line: Number(deno[2]),
      column: Number(deno[3]),
      message: message.split("\n")[0].replace(/^SyntaxError:\s*/, ""),
    };
  }
  // Node, for TypeScript: the stack starts "path:line", then source lines
  // and a line of carets under the column of the last one.
  if ((error as Error).name !== "SyntaxError") return undefined;
  return caretLocation(
    String((error as { stack?: unknown }).stack ?? ""),
    message,
  );
}

/**
 * Node keeps the location of a syntax error in a JavaScript module out of
 * the error it throws (it prints it only when the error goes uncaught), so
 * ask `node --check`, which prints it: on Node only, and only for an error
 * that did not say where it was. The source goes in on standard input as a
 * module (`--check` on a `.js` file that the package does not declare a
 * module finds nothing to report).
 *
 * @example
 * ```ts
 * import { checkSyntax } from "./errors.ts";
 * const at = await checkSyntax("/app/handler.js");
 * if (at) console.log(`${at.file}:${at.line}:${at.column}`);
 * ```
 */
export async function checkSyntax(
  file: string,
): Promise<SourceLocation | undefined> {
  const global = globalThis as { Deno?: unknown; Bun?: unknown };
  if (global.Deno !== undefined || global.Bun !== undefined) return undefined;
  const { execFile } = await import("node:child_process");
  const { readFile } = await import("node:fs/promises");
  const { default: process } = await import("node:process");
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  const stderr = await new Promise<string>((resolve) => {
    const child = execFile(
      process.execPath,
      ["--input-type=module", "--check"],
      { timeout: 10_000 },
      (_error, _stdout, err) => resolve(String(err)),
    );
    child.stdin?.end(source);
  });
  const message = /^SyntaxError: (.*)$/m.exec(stderr)?.[1];
  if (message === undefined) return undefined;
  const at = caretLocation(stderr, message);
  return at === undefined ? undefined : { ...at, file };
}

/** "path:line", source lines, then carets under the column: where. */
function caretLocation(
  text: string,
  message: string,
): SourceLocation | undefined {
  const lines = text.split("\n");
  const head = /^(.+?):(\d+)$/.exec(lines[0]);
  const caret = lines.slice(1, 6).find((line) => /^ *\^+ *$/.test(line));
  if (head !== null && caret !== undefined) {
    return {
      file: asPath(head[1]),
      line: Number(head[2]),
      column: caret.indexOf("^") + 1,
      message,
    };
  }
  return undefined;
}

/**
 * The frame an error was thrown from (the first of its stack), with file
 * URLs as paths: `helper (/app/handler.ts:5:9)`.
 *
 * @example
 * ```ts
 * import { errorOrigin } from "./errors.ts";
 * const error = new Error("boom");
 * error.stack = "Error: boom\n    at helper (file:///app/handler.ts:5:9)";
 * console.log(errorOrigin(error)); // "helper (/app/handler.ts:5:9)"
 * ```
 */
export function errorOrigin(error: unknown): string | undefined {
  const stack = (error as { stack?: unknown } | null)?.stack;
  if (typeof stack !== "string") return undefined;
  const frame = stack.split("\n").find((line) => /^\s+at\s/.test(line));
  if (frame === undefined) return undefined;
  return frame.trim().replace(/^at\s+/, "").replace(
    /file:\/\/[^\s):]+/g,
    (url) => asPath(url),
  );
}

/**
 * An error as `Name: message`, on one line.
 *
 * @example
 * ```ts
 * import { errorSummary } from "./errors.ts";
 * console.log(errorSummary(new TypeError("x is null"))); // "TypeError: x is null"
 * ```
 */
export function errorSummary(error: unknown): string {
  if (!(error instanceof Error)) return String(error).split("\n")[0];
  return `${error.name}: ${error.message.split("\n")[0]}`;
}

function asPath(location: string): string {
  if (!location.startsWith("file:")) return location;
  try {
    return fileURLToPath(location);
  } catch {
    return location;
  }
}
