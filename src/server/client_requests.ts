/**
 * The server's requests to its clients: the server sends
 * `{"event": name, "data": data, "id": ackId}` on a connection and the
 * client answers `{"ack": ackId, "data": result}` or
 * `{"ack": ackId, "error": {"message": text}}`. One
 * {@link PendingRequests} per connection that has requests waiting: made
 * on its first request, dropped as soon as none waits (or it closes), so an
 * idle connection costs nothing here.
 *
 * @module
 */

import type { Clock } from "../shared/clock.ts";
import { PendingRequests } from "../events/pending_requests.ts";
import { DisconnectedError } from "../events/request_errors.ts";
import { type AckErrorBody, type AckId, encodeEvent } from "../events/wire.ts";

/**
 * Options of {@link ClientRequests}.
 *
 * @example
 * ```ts
 * import { ClientRequests, type ClientRequestsOptions } from "./client_requests.ts";
 * const options: ClientRequestsOptions = { timeout: 5000, maxPending: 64 };
 * const requests = new ClientRequests<object>(options);
 * ```
 */
export interface ClientRequestsOptions {
  /** Default timeout of a request, in ms. Default 10 000. */
  timeout?: number;
  /** How many requests may wait on one connection. Default 1024. */
  maxPending?: number;
  /** The clock for timeouts. Default the system clock. */
  clock?: Clock;
}

/**
 * Requests from the server to clients, per connection (`Conn` is whatever
 * object stands for a connection; it is only used as a key).
 *
 * The server wires it in three places: `request(conn, send, ...)` for
 * `conn.request(event, data, options)`; `settle(conn, ack)` when a text
 * from `conn` parses as an `ack`; `closed(conn, code)` when `conn` closes.
 *
 * @example
 * ```ts
 * import { ClientRequests } from "./client_requests.ts";
 * const requests = new ClientRequests<object>();
 * const conn = {};
 * const sent: string[] = [];
 * const answer = requests.request(conn, (text) => sent.push(text) > 0, "confirm", { text: "Delete?" });
 * // sent[0] is '{"event":"confirm","data":{"text":"Delete?"},"id":1}'; the client answers:
 * requests.settle(conn, { id: 1, data: true });
 * console.log(await answer); // true
 * ```
 */
export class ClientRequests<Conn extends object> {
  readonly #trackers = new Map<Conn, PendingRequests>();
  readonly #timeout: number;
  readonly #maxPending: number | undefined;
  readonly #clock: Clock | undefined;

  /** See {@link ClientRequestsOptions}. */
  constructor(options: ClientRequestsOptions = {}) {
    this.#timeout = options.timeout ?? 10_000;
    this.#maxPending = options.maxPending;
    this.#clock = options.clock;
  }

  /**
   * Sends `event` as a request on `conn` through `send` (which returns
   * `false` when the connection is not open) and resolves with the answer.
   * Rejects (never throws) like the client's `request`: timeout, error
   * answer, disconnect, too many pending, or data `JSON.stringify` refuses.
   */
  request(
    conn: Conn,
    send: (text: string) => boolean,
    event: string,
    data?: unknown,
    options: { timeout?: number } = {},
  ): Promise<unknown> {
    let tracker = this.#trackers.get(conn);
    if (tracker === undefined) {
      const created: PendingRequests = new PendingRequests({
        maxPending: this.#maxPending,
        clock: this.#clock,
        onEmpty: () => {
          if (this.#trackers.get(conn) === created) this.#trackers.delete(conn);
        },
      });
      this.#trackers.set(conn, created);
      tracker = created;
    }
    let request: { id: number; promise: Promise<unknown> };
    try {
      request = tracker.add(event, options.timeout ?? this.#timeout);
    } catch (error) {
      return Promise.reject(error);
    }
    let sent: boolean;
    try {
      sent = send(encodeEvent(event, data, request.id));
    } catch (error) {
      tracker.cancel(request.id, () => error as Error);
      return request.promise;
    }
    if (!sent) {
      tracker.cancel(
        request.id,
        (name) => new DisconnectedError(name, "the connection is not open"),
      );
    }
    return request.promise;
  }

  /** An answer came from `conn`; returns whether it matched a waiting request. */
  settle(
    conn: Conn,
    answer: { id: AckId; data?: unknown; error?: AckErrorBody },
  ): boolean {
    return this.#trackers.get(conn)?.settle(answer) ?? false;
  }

  /** How many requests wait on `conn`. */
  pending(conn: Conn): number {
    return this.#trackers.get(conn)?.size ?? 0;
  }

  /** How many connections have requests waiting (each holds one tracker). */
  get connections(): number {
    return this.#trackers.size;
  }

  /** Whether `conn` has requests waiting (a map lookup only when some has). */
  has(conn: Conn): boolean {
    return this.#trackers.size > 0 && this.#trackers.has(conn);
  }

  /** `conn` closed with `code`: its waiting requests reject with a `DisconnectedError`. */
  closed(conn: Conn, code: number): number {
    const tracker = this.#trackers.get(conn);
    if (tracker === undefined) return 0;
    this.#trackers.delete(conn);
    return tracker.rejectAll(
      (event) =>
        new DisconnectedError(event, `the connection closed (code ${code})`),
    );
  }
}
