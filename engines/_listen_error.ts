/**
 * Internal: one wording for a failed listen on every runtime. Node says
 * `listen EADDRINUSE: address already in use 127.0.0.1:8080`; Deno says
 * `Address already in use (os error 98)` and Bun `Failed to listen at
 * 127.0.0.1`, each with a `code`. The Deno and Bun engines reword theirs as
 * Node does, so a port in use reads the same everywhere.
 *
 * @module
 */

/** What the common error codes of a failed listen mean. */
const REASONS: Readonly<Record<string, string>> = Object.freeze({
  EADDRINUSE: "address already in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "address not available",
  ENOENT: "no such file or directory",
  EINVAL: "invalid argument",
});

/**
 * `error` reworded as Node words it, with its `code` kept and the original
 * as `cause`; an error without a known code is returned as it is.
 *
 * @example
 * ```ts
 * import { listenError } from "./_listen_error.ts";
 * const raw = Object.assign(new Error("Failed to listen at 127.0.0.1"), { code: "EADDRINUSE" });
 * console.log((listenError(raw, "127.0.0.1:8080") as Error).message);
 * // "listen EADDRINUSE: address already in use 127.0.0.1:8080"
 * ```
 */
export function listenError(error: unknown, address: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !Object.hasOwn(REASONS, code)) return error;
  const reworded = new Error(`listen ${code}: ${REASONS[code]} ${address}`, {
    cause: error,
  });
  return Object.assign(reworded, { code });
}
