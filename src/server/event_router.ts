/**
 * JSON event routing: a text message `{"event": name, "data": …, "id"?: …}`
 * goes to the handlers of `name`, and with an `id` the last handler's result
 * goes back as an acknowledgement; an answer `{"ack": id, …}` settles one of
 * the server's own requests to the client. The wire format is
 * `src/events/wire.ts`, the same module the clients use.
 *
 * @module
 */

import type { ServerConnection } from "./server_connection.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { type EventRegistry, isPromiseLike } from "../events/event_registry.ts";
import { isLibraryEvent } from "../events/names.ts";
import {
  type AckErrorBody,
  type AckId,
  encodeAck,
  encodeAckError,
  parseIncoming,
  type WireLimits,
} from "../events/wire.ts";
import { ValidationError } from "./validation.ts";

/**
 * Event names the library emits itself. A client's JSON message can never
 * trigger them: `{"event": "close"}` arrives as an ordinary `message`.
 * Names starting with `anyws:` are the library's too (see
 * `LIBRARY_EVENT_PREFIX`): they are never routed to handlers and
 * `server.on()` refuses them.
 *
 * @example
 * ```ts
 * import { RESERVED_EVENTS } from "@anyws/anyws";
 * console.log(RESERVED_EVENTS.has("open"), RESERVED_EVENTS.has("resume")); // true true
 * ```
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "open",
  "resume",
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

/**
 * The limits the router applies (from the server options).
 *
 * @example
 * ```ts
 * import type { RouterLimits } from "./event_router.ts";
 * const limits: RouterLimits = { maxJsonSize: 1 << 20, maxJsonDepth: 32 };
 * ```
 */
export type RouterLimits = WireLimits;

/**
 * What the router hands back to the server.
 *
 * @example
 * ```ts
 * import type { RouterHooks } from "./event_router.ts";
 * const hooks: RouterHooks<unknown> = {
 *   errored: (error) => console.error(error),
 *   answered: () => false,
 *   libraryEvent: (_conn, event) => console.log("library message", event),
 * };
 * ```
 */
export interface RouterHooks<Data> {
  /** A handler failed, or a JSON event was over the limits. */
  errored(error: unknown, conn: ServerConnection<Data>): void;
  /** An answer arrived; returns whether it settled one of `conn`'s requests. */
  answered(
    conn: ServerConnection<Data>,
    answer: { id: AckId; data: unknown; error?: AckErrorBody },
  ): boolean;
  /** A library message (`anyws:…`) arrived; it goes to no handler. */
  libraryEvent(conn: ServerConnection<Data>, event: string): void;
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
 *   {
 *     errored: (error) => console.error(error),
 *     answered: () => false,
 *     libraryEvent: () => {},
 *   },
 * );
 * const text = '{"event":"say","data":"hi"}';
 * if (!router.route(conn, text, false)) registry.dispatch("message", text, conn);
 * ```
 */
export class EventRouter<Data> {
  #events: EventRegistry;
  #limits: RouterLimits;
  #hooks: RouterHooks<Data>;

  /** A router over `events`, reporting to `hooks`. */
  constructor(
    events: EventRegistry,
    limits: RouterLimits,
    hooks: RouterHooks<Data>,
  ) {
    this.#events = events;
    this.#limits = limits;
    this.#hooks = hooks;
  }

  /**
   * Routes one text message; returns whether it was taken (by a handler,
   * an answer to a request, or a refusal), `false` when it is an ordinary
   * message. An answer that settles nothing (it came too late) is taken
   * from an event client, which never sends `{"ack"}` as an ordinary
   * message, and left as a message from any other client.
   */
  route(
    conn: ServerConnection<Data>,
    text: string,
    eventClient: boolean,
  ): boolean {
    const incoming = parseIncoming(text, this.#limits);
    switch (incoming.kind) {
      case "other":
        return false;
      case "refused":
        this.#refuse(conn, incoming.message);
        return true;
      case "ack":
        return this.#hooks.answered(conn, incoming) || eventClient;
    }
    const { event, data, id } = incoming;
    if (isLibraryEvent(event)) {
      this.#hooks.libraryEvent(conn, event);
      return true;
    }
    if (RESERVED_EVENTS.has(event) || !this.#events.has(event)) return false;
    this.#dispatch(conn, event, data, id);
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
      text = encodeAck(id, result);
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
    this.#hooks.errored(error, conn);
    const invalid = error instanceof ValidationError;
    const message = invalid ? error.message : "Internal error";
    if (id !== undefined) {
      conn.send(
        encodeAckError(
          id,
          invalid ? { message, issues: error.issues } : { message },
        ),
      );
    } else if (invalid) {
      conn.emit("error", { event, message, issues: error.issues });
    }
  }

  /** Drops a JSON event over the limits; the sender gets an `error` event. */
  #refuse(conn: ServerConnection<Data>, message: string): void {
    conn.emit("error", { message });
    this.#hooks.errored(new ProtocolError("policy", message), conn);
  }
}
