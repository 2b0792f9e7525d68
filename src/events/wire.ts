/**
 * The JSON event wire format, one pure module for the server and both
 * clients:
 *
 * - an event: `{"event": name, "data": data}`, with `"id": ackId` when the
 *   sender wants an answer (a request);
 * - an answer: `{"ack": ackId, "data": result}`, or
 *   `{"ack": ackId, "error": {"message": text, "issues"?: [...]}}`.
 *
 * Both directions use the same shapes: a server's request to a client is
 * `{"event", "data", "id"}` and the client answers `{"ack": id, ...}`. Ack
 * ids are chosen by the sender of the request and only mean something to
 * it, so the two directions never mix: an `ack` always answers one of the
 * receiver's own requests, an `event` with an `id` is always the peer's.
 *
 * @module
 */

import { jsonDepth } from "./json_depth.ts";

/**
 * An acknowledgement id: a string of at most {@link MAX_ACK_ID_LENGTH}
 * characters or a finite number. Other ids are ignored (the event is
 * delivered without an answer).
 *
 * @example
 * ```ts
 * import type { AckId } from "./wire.ts";
 * const ids: AckId[] = [1, "req-7"];
 * ```
 */
export type AckId = string | number;

/**
 * The longest string accepted as an {@link AckId}.
 *
 * @example
 * ```ts
 * import { MAX_ACK_ID_LENGTH } from "./wire.ts";
 * console.log(MAX_ACK_ID_LENGTH); // 128
 * ```
 */
export const MAX_ACK_ID_LENGTH = 128;

/**
 * Whether `value` is a usable {@link AckId}.
 *
 * @example
 * ```ts
 * import { isAckId } from "./wire.ts";
 * isAckId(7); // true
 * isAckId(Number.NaN); // false
 * isAckId("x".repeat(129)); // false
 * ```
 */
export function isAckId(value: unknown): value is AckId {
  return (typeof value === "string" && value.length <= MAX_ACK_ID_LENGTH) ||
    (typeof value === "number" && Number.isFinite(value));
}

/**
 * The limits applied to an incoming JSON text before it is parsed: its
 * length in UTF-16 code units and its nesting depth (the server's
 * `maxJsonSize` and `maxJsonDepth` options).
 *
 * @example
 * ```ts
 * import type { WireLimits } from "./wire.ts";
 * const limits: WireLimits = { maxJsonSize: 64 * 1024, maxJsonDepth: 16 };
 * ```
 */
export interface WireLimits {
  /** Longest JSON text parsed, in characters (UTF-16 code units). */
  readonly maxJsonSize: number;
  /** Deepest nesting of objects and arrays parsed. */
  readonly maxJsonDepth: number;
}

/**
 * The server's defaults: 1 MiB of text, 32 levels.
 *
 * @example
 * ```ts
 * import { DEFAULT_WIRE_LIMITS, parseIncoming } from "./wire.ts";
 * parseIncoming('{"event":"hi"}', DEFAULT_WIRE_LIMITS).kind; // "event"
 * ```
 */
export const DEFAULT_WIRE_LIMITS: WireLimits = Object.freeze({
  maxJsonSize: 1024 * 1024,
  maxJsonDepth: 32,
});

/**
 * The `error` of a failed answer: a message and, for validation failures,
 * the issues (as Standard Schema reports them).
 *
 * @example
 * ```ts
 * import type { AckErrorBody } from "./wire.ts";
 * const error: AckErrorBody = { message: "Invalid", issues: [{ message: "Expected string" }] };
 * ```
 */
export interface AckErrorBody {
  /** What went wrong. */
  readonly message: string;
  /** Validation issues, when the data was refused by a schema. */
  readonly issues?: readonly unknown[];
}

/**
 * An incoming text message, classified.
 *
 * - `event`: `{"event": name, "data"?, "id"?}`; `id` is set only when it is a
 *   valid {@link AckId} (then the sender waits for an answer).
 * - `ack`: `{"ack": id, "data"}` or `{"ack": id, "error": {...}}` (then
 *   `error` is set).
 * - `refused`: a JSON object over the size or depth limit; it was not
 *   parsed. `message` says which limit.
 * - `other`: anything else (not JSON, not an object, no string `event` and
 *   no valid `ack`): an ordinary message.
 *
 * @example
 * ```ts
 * import { DEFAULT_WIRE_LIMITS, type Incoming, parseIncoming } from "./wire.ts";
 * const incoming: Incoming = parseIncoming('{"ack":1,"data":2}', DEFAULT_WIRE_LIMITS);
 * if (incoming.kind === "ack") console.log(incoming.id, incoming.data); // 1 2
 * ```
 */
export type Incoming =
  | {
    readonly kind: "event";
    readonly event: string;
    readonly data: unknown;
    readonly id?: AckId;
  }
  | {
    readonly kind: "ack";
    readonly id: AckId;
    readonly data: unknown;
    readonly error?: AckErrorBody;
  }
  | { readonly kind: "refused"; readonly message: string }
  | { readonly kind: "other" };

const OTHER: Incoming = Object.freeze({ kind: "other" });

/**
 * Encodes an event, with `id` when an answer is wanted. Throws what
 * `JSON.stringify` throws for data it cannot encode (a cycle, a BigInt).
 *
 * @example
 * ```ts
 * import { encodeEvent } from "./wire.ts";
 * encodeEvent("say", { text: "hi" }); // '{"event":"say","data":{"text":"hi"}}'
 * encodeEvent("add", [1, 2], 7); // '{"event":"add","data":[1,2],"id":7}'
 * ```
 */
export function encodeEvent(event: string, data?: unknown, id?: AckId): string {
  return JSON.stringify({ event, data, id });
}

/**
 * Encodes a successful answer; `undefined` is sent as `null` so that the
 * `data` key is always there.
 *
 * @example
 * ```ts
 * import { encodeAck } from "./wire.ts";
 * encodeAck(7, 3); // '{"ack":7,"data":3}'
 * encodeAck("a", undefined); // '{"ack":"a","data":null}'
 * ```
 */
export function encodeAck(id: AckId, data: unknown): string {
  return JSON.stringify({ ack: id, data: data ?? null });
}

/**
 * Encodes a failed answer.
 *
 * @example
 * ```ts
 * import { encodeAckError } from "./wire.ts";
 * encodeAckError(7, { message: "Internal error" });
 * // '{"ack":7,"error":{"message":"Internal error"}}'
 * ```
 */
export function encodeAckError(id: AckId, error: AckErrorBody): string {
  const body = error.issues === undefined
    ? { message: error.message }
    : { message: error.message, issues: error.issues };
  return JSON.stringify({ ack: id, error: body });
}

/**
 * Classifies an incoming text message (see {@link Incoming}). Texts that
 * do not start with `{` (after white space) are `other` at once; an object
 * over `limits` is `refused` before `JSON.parse` runs, so a huge or deeply
 * nested message costs one linear scan at most.
 *
 * @example
 * ```ts
 * import { DEFAULT_WIRE_LIMITS, parseIncoming } from "./wire.ts";
 * parseIncoming('{"event":"add","data":[1,2],"id":7}', DEFAULT_WIRE_LIMITS);
 * // { kind: "event", event: "add", data: [1, 2], id: 7 }
 * parseIncoming("hello", DEFAULT_WIRE_LIMITS); // { kind: "other" }
 * parseIncoming('{"a":{"b":{}}}', { maxJsonSize: 100, maxJsonDepth: 2 });
 * // { kind: "refused", message: "JSON event too deep: over 2 levels" }
 * ```
 */
export function parseIncoming(text: string, limits: WireLimits): Incoming {
  let first = 0;
  while (first < text.length && text.charCodeAt(first) <= 32) first++;
  if (text.charCodeAt(first) !== 123 /* { */) return OTHER;
  const { maxJsonSize, maxJsonDepth } = limits;
  if (text.length > maxJsonSize) {
    return {
      kind: "refused",
      message: `JSON event too large: over ${maxJsonSize} characters`,
    };
  }
  if (jsonDepth(text, maxJsonDepth) > maxJsonDepth) {
    return {
      kind: "refused",
      message: `JSON event too deep: over ${maxJsonDepth} levels`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return OTHER;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return OTHER;
  }
  const { event, data, id, ack, error } = parsed as Record<string, unknown>;
  if (typeof event === "string") {
    return isAckId(id)
      ? { kind: "event", event, data, id }
      : { kind: "event", event, data };
  }
  if (!isAckId(ack)) return OTHER;
  if (error === undefined || error === null) {
    return { kind: "ack", id: ack, data };
  }
  return { kind: "ack", id: ack, data, error: toErrorBody(error) };
}

/** A peer's `error` member as an {@link AckErrorBody}, whatever it held. */
function toErrorBody(error: unknown): AckErrorBody {
  const { message, issues } = typeof error === "object" && error !== null
    ? error as { message?: unknown; issues?: unknown }
    : { message: error, issues: undefined };
  const text = typeof message === "string"
    ? message
    : "Request failed (the answer had no error message)";
  return Array.isArray(issues) ? { message: text, issues } : { message: text };
}
