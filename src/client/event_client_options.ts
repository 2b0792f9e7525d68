/**
 * The options of the event client, their defaults, and their checking.
 *
 * @module
 */

import { UsageError } from "../protocol/errors.ts";
import { type Clock, systemClock } from "../shared/clock.ts";
import { DEFAULT_MAX_PENDING_REQUESTS } from "../events/pending_requests.ts";
import { DEFAULT_WIRE_LIMITS, type WireLimits } from "../events/wire.ts";
import { type BackoffPolicy, resolveBackoff } from "./backoff.ts";
import { type Disconnect, isRetryable } from "./reconnect_policy.ts";
import { DEFAULT_QUEUE_LIMITS, type QueueLimits } from "./send_queue.ts";
import type { SocketFactory, SocketLike } from "./socket_like.ts";

/**
 * Options of an `EventClient`. Every one is optional.
 *
 * @example
 * ```ts
 * import type { EventClientOptions } from "./event_client_options.ts";
 * const options: EventClientOptions = {
 *   protocols: ["chat.v1"],
 *   reconnect: { maxDelay: 10_000 },
 *   queue: { maxMessages: 100 },
 *   requestTimeout: 5000,
 * };
 * ```
 */
export interface EventClientOptions {
  /** Subprotocols to offer. */
  protocols?: string | string[];
  /**
   * Creates the sockets. Default: the runtime's global `WebSocket`
   * (browsers and every runtime anyws supports).
   */
  socket?: SocketFactory;
  /**
   * Reconnect after a connection drops or an attempt fails: `true` (the
   * default, with {@link DEFAULT_BACKOFF}), `false`, or backoff settings
   * to change.
   */
  reconnect?: boolean | Partial<BackoffPolicy>;
  /**
   * Whether to retry after `disconnect` (default {@link isRetryable}).
   * `attempt` is the attempt that would come next.
   */
  shouldReconnect?: (disconnect: Disconnect, attempt: number) => boolean;
  /**
   * Speak the session protocol (hello, session, resume) of an anyws
   * server: default `true`. `false` talks plain JSON events to any
   * server (no id, no resume).
   */
  session?: boolean;
  /**
   * How long one attempt may take, in ms, from creating the socket to the
   * session message (to `open` with `session: false`). Default 10 000.
   */
  handshakeTimeout?: number;
  /** Default timeout of {@link EventClient.request}, in ms. Default 10 000. */
  requestTimeout?: number;
  /** How many requests may wait for an answer at once. Default 1024. */
  maxPendingRequests?: number;
  /** Bounds of the queue of messages sent while disconnected (default {@link DEFAULT_QUEUE_LIMITS}). */
  queue?: Partial<QueueLimits>;
  /** Limits on JSON from the server (default {@link DEFAULT_WIRE_LIMITS}). */
  limits?: Partial<WireLimits>;
  /** The clock for timers (tests pass a fake one). */
  clock?: Clock;
  /** Randomness for the jitter, in `[0, 1)`. Default `Math.random`. */
  random?: () => number;
}

/**
 * The default handshake timeout, in ms: python-websockets' `open_timeout`
 * (10 s); long enough for a slow mobile network, short enough that a
 * server that accepted TCP and went silent is left quickly.
 *
 * @example
 * ```ts
 * import { DEFAULT_HANDSHAKE_TIMEOUT } from "./event_client_options.ts";
 * console.log(DEFAULT_HANDSHAKE_TIMEOUT); // 10000
 * ```
 */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/**
 * The default request timeout, in ms: an action not answered within 10 s
 * should be shown as failed; a request made while disconnected waits
 * through the first reconnect attempts (1 + 2 + 4 s at most with the
 * default backoff, before jitter).
 *
 * @example
 * ```ts
 * import { DEFAULT_REQUEST_TIMEOUT } from "./event_client_options.ts";
 * console.log(DEFAULT_REQUEST_TIMEOUT); // 10000
 * ```
 */
export const DEFAULT_REQUEST_TIMEOUT = 10_000;

/** @ignore The options with defaults filled in, as the client uses them. */
export interface ResolvedClientOptions {
  readonly protocols: string[];
  readonly socket: SocketFactory;
  readonly backoff: BackoffPolicy | undefined;
  readonly shouldReconnect: (
    disconnect: Disconnect,
    attempt: number,
  ) => boolean;
  readonly session: boolean;
  readonly handshakeTimeout: number;
  readonly requestTimeout: number;
  readonly maxPendingRequests: number;
  readonly queue: QueueLimits;
  readonly limits: WireLimits;
  readonly clock: Clock;
  readonly random: () => number;
}

/** @ignore Fills in the defaults; throws a `UsageError` for a bad value. */
export function resolveClientOptions(
  options: EventClientOptions,
): ResolvedClientOptions {
  const {
    protocols = [],
    reconnect = true,
    shouldReconnect = isRetryable,
    session = true,
    handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT,
    requestTimeout = DEFAULT_REQUEST_TIMEOUT,
    maxPendingRequests = DEFAULT_MAX_PENDING_REQUESTS,
    clock = systemClock,
    random = Math.random,
  } = options;
  for (
    const [name, value] of [
      ["handshakeTimeout", handshakeTimeout],
      ["requestTimeout", requestTimeout],
    ] as const
  ) {
    if (!(value > 0)) {
      throw new UsageError(`${name} must be a positive number of ms: ${value}`);
    }
  }
  let backoff: BackoffPolicy | undefined;
  try {
    backoff = reconnect === false
      ? undefined
      : resolveBackoff(reconnect === true ? {} : reconnect);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    protocols: typeof protocols === "string" ? [protocols] : [...protocols],
    socket: options.socket ?? runtimeWebSocket(),
    backoff,
    shouldReconnect,
    session,
    handshakeTimeout,
    requestTimeout,
    maxPendingRequests,
    queue: { ...DEFAULT_QUEUE_LIMITS, ...options.queue },
    limits: { ...DEFAULT_WIRE_LIMITS, ...options.limits },
    clock,
    random,
  };
}

/** Sockets from the runtime's global `WebSocket`. */
function runtimeWebSocket(): SocketFactory {
  const WebSocketClass = (globalThis as {
    WebSocket?: new (url: string, protocols: string[]) => SocketLike;
  }).WebSocket;
  if (typeof WebSocketClass !== "function") {
    throw new UsageError(
      "This runtime has no global WebSocket: pass options.socket",
    );
  }
  return (url, protocols) => new WebSocketClass(url, protocols);
}
