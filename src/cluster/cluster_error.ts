/**
 * The one error class of the cluster layer, with a code saying what went
 * wrong.
 *
 * @module
 */

/**
 * What a {@link ClusterError} is about:
 *
 * - `dropped`: a cross-node message did not fit in the outage buffer and
 *   was dropped (reported once per outage; `stats.dropped` counts them all).
 * - `gap`: messages of another node never arrived (sequence numbers
 *   skipped); its presence is re-synchronised.
 * - `version`: a node speaks another version of the wire format (reported
 *   once per version).
 * - `malformed`: bytes on the cluster's channels that are not a message.
 * - `host`: a server callback threw while delivering a remote message.
 * - `backplane`: publishing failed.
 *
 * @example
 * ```ts
 * import type { ClusterErrorCode } from "./cluster_error.ts";
 * const code: ClusterErrorCode = "gap";
 * ```
 */
export type ClusterErrorCode =
  | "dropped"
  | "gap"
  | "version"
  | "malformed"
  | "host"
  | "backplane";

/**
 * A problem of the cluster layer, passed to `onError`; never thrown at the
 * caller of an operation.
 *
 * @example
 * ```ts
 * import { ClusterError } from "./cluster_error.ts";
 * const error = new ClusterError("gap", "missed 3 messages from node n2", "n2");
 * console.log(error.code, error.node); // gap n2
 * ```
 */
export class ClusterError extends Error {
  /** What went wrong. */
  readonly code: ClusterErrorCode;
  /** The node concerned, when there is one. */
  readonly node: string | undefined;

  /** An error of kind `code`; `cause` is the underlying failure. */
  constructor(
    code: ClusterErrorCode,
    message: string,
    node?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ClusterError";
    this.code = code;
    this.node = node;
  }
}
