/**
 * Why a request (an event sent with an ack id) did not get its answer. The
 * same classes serve both directions: a client's `request` and a server's
 * request to a client.
 *
 * @module
 */

/**
 * The base class: the request for `event` failed. Catch this to handle
 * every failure alike, or one of the subclasses for one cause.
 *
 * @example
 * ```ts
 * import { RequestError, RequestTimeoutError } from "./request_errors.ts";
 * const error = new RequestTimeoutError("save", 5000);
 * console.log(error instanceof RequestError, error.event); // true save
 * ```
 */
export class RequestError extends Error {
  /** The event the request was for. */
  readonly event: string;

  /**
   * A failed request for `event`.
   *
   * @param event The event the request was for.
   * @param message What happened.
   * @param options Standard error options (`cause`).
   */
  constructor(event: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RequestError";
    this.event = event;
  }
}

/**
 * No answer came within the request's timeout.
 *
 * @example
 * ```ts
 * import { RequestTimeoutError } from "./request_errors.ts";
 * const error = new RequestTimeoutError("save", 5000);
 * console.log(error.message); // No answer to "save" within 5000 ms
 * ```
 */
export class RequestTimeoutError extends RequestError {
  /** The timeout that passed, in ms. */
  readonly timeout: number;

  /**
   * No answer to `event` within `timeout` ms.
   *
   * @param event The event the request was for.
   * @param timeout The timeout that passed, in ms.
   */
  constructor(event: string, timeout: number) {
    super(event, `No answer to "${event}" within ${timeout} ms`);
    this.name = "RequestTimeoutError";
    this.timeout = timeout;
  }
}

/**
 * The peer answered with an error (`{"ack": id, "error": {...}}`): its
 * handler threw, or a schema refused the data (then `issues` lists why).
 *
 * @example
 * ```ts
 * import { RequestRejectedError } from "./request_errors.ts";
 * const error = new RequestRejectedError("save", "Invalid data", [{ message: "Expected string" }]);
 * console.log(error.message, error.issues?.length); // Invalid data 1
 * ```
 */
export class RequestRejectedError extends RequestError {
  /** Validation issues the peer sent, if any. */
  readonly issues?: readonly unknown[];

  /**
   * The peer answered the request for `event` with an error.
   *
   * @param event The event the request was for.
   * @param message The peer's error message.
   * @param issues The peer's validation issues, if any.
   */
  constructor(event: string, message: string, issues?: readonly unknown[]) {
    super(event, message);
    this.name = "RequestRejectedError";
    if (issues !== undefined) this.issues = issues;
  }
}

/**
 * The connection the request was sent on closed before the answer came (or
 * the client was closed before the request could be sent). Whether the peer
 * handled the request is unknown.
 *
 * @example
 * ```ts
 * import { DisconnectedError } from "./request_errors.ts";
 * const error = new DisconnectedError("save", "the connection closed (code 1006)");
 * console.log(error.message);
 * // No answer to "save": the connection closed (code 1006)
 * ```
 */
export class DisconnectedError extends RequestError {
  /**
   * The request for `event` lost its connection.
   *
   * @param event The event the request was for.
   * @param why What ended the connection, such as `the connection closed (code 1006)`.
   */
  constructor(event: string, why: string) {
    super(event, `No answer to "${event}": ${why}`);
    this.name = "DisconnectedError";
  }
}

/**
 * Too many requests are waiting for an answer already; this one was not
 * sent.
 *
 * @example
 * ```ts
 * import { TooManyRequestsError } from "./request_errors.ts";
 * const error = new TooManyRequestsError("save", 1024);
 * console.log(error.message); // Not sent: "save" would be request 1025 waiting for an answer (limit 1024)
 * ```
 */
export class TooManyRequestsError extends RequestError {
  /** The limit on pending requests. */
  readonly limit: number;

  /**
   * The request for `event` was over the limit of pending requests.
   *
   * @param event The event the request was for.
   * @param limit The limit on pending requests.
   */
  constructor(event: string, limit: number) {
    super(
      event,
      `Not sent: "${event}" would be request ${
        limit + 1
      } waiting for an answer (limit ${limit})`,
    );
    this.name = "TooManyRequestsError";
    this.limit = limit;
  }
}
