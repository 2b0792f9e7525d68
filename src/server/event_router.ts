/**
 * JSON event routing: a text message `{"event": name, "data": …, "id"?: …}`
 * goes to the handlers of `name`, and with an `id` the last handler's result
 * goes back as an acknowledgement.
 *
 * @module
 */

import type { ServerConnection } from "./server_connection.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { type EventRegistry, isPromiseLike } from "../events/event_registry.ts";
import { jsonDepth } from "../events/json_depth.ts";
import { ValidationError } from "./validation.ts";

/**
 * Event names the library emits itself. A client's JSON message can never
 * trigger them: `{"event": "close"}` arrives as an ordinary `message`.
 *
 * @example
 * ```ts
 * import { RESERVED_EVENTS } from "@anyws/anyws";
 * console.log(RESERVED_EVENTS.has("open")); // true
 * ```
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "open",
  "message",
  "close",
  "error",
  "drain",
  "ping",
  "pong",
  "join",
  "leave",
  "presence",
  "connection",
  "upgrade",
  "request",
  "listening",
  "rejected",
]);

/** An acknowledgement id: a string of at most 128 characters or a finite number. */
type AckId = string | number;

function isAckId(value: unknown): value is AckId {
  return (typeof value === "string" && value.length <= 128) ||
    (typeof value === "number" && Number.isFinite(value));
}

/** The limits the router applies (from the server options). */
export interface RouterLimits {
  /** Largest text parsed as an event. */
  readonly maxJsonSize: number;
  /** Deepest nesting parsed. */
  readonly maxJsonDepth: number;
}

/**
 * Routes one server's JSON events to the handlers in its registry.
 *
 * @example
 * ```ts
 * import { EventRouter } from "./event_router.ts";
 * import { EventRegistry } from "../events/event_registry.ts";
 * import type { ServerConnection } from "./server_connection.ts";
 * declare const conn: ServerConnection<unknown>;
 * const registry = new EventRegistry((error) => console.error(error));
 * const router = new EventRouter<unknown>(
 *   registry,
 *   { maxJsonSize: 1 << 20, maxJsonDepth: 32 },
 *   (error) => console.error(error),
 * );
 * const text = '{"event":"say","data":"hi"}';
 * if (!router.route(conn, text)) registry.dispatch("message", text, conn);
 * ```
 */
export class EventRouter<Data> {
  #events: EventRegistry;
  #limits: RouterLimits;
  #errored: (error: unknown, conn: ServerConnection<Data>) => void;

  /** A router over `events`, reporting failures to `errored`. */
  constructor(
    events: EventRegistry,
    limits: RouterLimits,
    errored: (error: unknown, conn: ServerConnection<Data>) => void,
  ) {
    this.#events = events;
    this.#limits = limits;
    this.#errored = errored;
  }

  /** Routes `{"event": ..., "data": ...}`; returns whether a handler took it. */
  route(conn: ServerConnection<Data>, text: string): boolean {
    let first = 0;
    while (first < text.length && text.charCodeAt(first) <= 32) first++;
    if (text.charCodeAt(first) !== 123 /* { */) return false;
    const { maxJsonSize, maxJsonDepth } = this.#limits;
    if (text.length > maxJsonSize) {
      this.#refuse(
        conn,
        `JSON event too large: over ${maxJsonSize} characters`,
      );
      return true;
    }
    if (jsonDepth(text, maxJsonDepth) > maxJsonDepth) {
      this.#refuse(conn, `JSON event too deep: over ${maxJsonDepth} levels`);
      return true;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return false;
    }
    if (
      typeof parsed !== "object" || parsed === null || Array.isArray(parsed)
    ) {
      return false;
    }
    const { event, data, id } = parsed as {
      event?: unknown;
      data?: unknown;
      id?: unknown;
    };
    if (
      typeof event !== "string" || RESERVED_EVENTS.has(event) ||
      !this.#events.has(event)
    ) return false;
    this.#dispatch(conn, event, data, isAckId(id) ? id : undefined);
    return true;
  }

  /**
   * Runs the handlers of a routed event. With an `id`, the last handler's
   * result (awaited) is sent back as `{"ack": id, "data": result}`, or its
   * failure as `{"ack": id, "error": {"message": ...}}`.
   */
  #dispatch(
    conn: ServerConnection<Data>,
    event: string,
    data: unknown,
    id: AckId | undefined,
  ): void {
    const handlers = this.#events.handlers(event);
    for (let i = 0; i < handlers.length; i++) {
      const ackId = i === handlers.length - 1 ? id : undefined;
      let value: unknown;
      try {
        value = handlers[i](data, conn);
      } catch (error) {
        this.#failed(conn, event, error, ackId);
        continue;
      }
      if (isPromiseLike(value)) {
        value.then(
          (result) => ackId !== undefined && this.#ack(conn, ackId, result),
          (error) => this.#failed(conn, event, error, ackId),
        );
      } else if (ackId !== undefined) {
        this.#ack(conn, ackId, value);
      }
    }
  }

  #ack(conn: ServerConnection<Data>, id: AckId, result: unknown): void {
    let text: string;
    try {
      text = JSON.stringify({ ack: id, data: result ?? null });
    } catch (error) {
      this.#failed(conn, "ack", error, id);
      return;
    }
    conn.send(text);
  }

  /**
   * A routed event's handler failed: the server gets an `error`; the sender
   * gets the validation issues, or a generic message (internal errors are
   * not leaked).
   */
  #failed(
    conn: ServerConnection<Data>,
    event: string,
    error: unknown,
    id: AckId | undefined,
  ): void {
    this.#errored(error, conn);
    const invalid = error instanceof ValidationError;
    const message = invalid ? error.message : "Internal error";
    if (id !== undefined) {
      conn.send(JSON.stringify({
        ack: id,
        error: invalid ? { message, issues: error.issues } : { message },
      }));
    } else if (invalid) {
      conn.emit("error", { event, message, issues: error.issues });
    }
  }

  /** Drops a JSON event over the limits; the sender gets an `error` event. */
  #refuse(conn: ServerConnection<Data>, message: string): void {
    conn.emit("error", { message });
    this.#errored(new ProtocolError("policy", message), conn);
  }
}
