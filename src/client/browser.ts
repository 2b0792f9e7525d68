/**
 * The browser build of the event client: the same `EventClient` over the
 * page's own `WebSocket`, as one dependency-free ES module
 * (`scripts/build_browser.ts` bundles this file).
 *
 * ```html
 * <script type="module">
 *   import { connect } from "/anyws.js";
 *   const client = connect("/chat"); // ws(s):// on the page's own host
 *   client.on("said", ({ from, text }) => console.log(`${from}: ${text}`));
 *   client.emit("say", { text: "hello" });
 * </script>
 * ```
 *
 * @module
 */

import type { EventMap } from "../driver/connection.ts";
import { EventClient } from "./event_client.ts";
import type { EventClientOptions } from "./event_client_options.ts";

export { EventClient, type RequestOptions } from "./event_client.ts";
export type { EventClientOptions } from "./event_client_options.ts";
export type {
  ClientCloseInfo,
  ClientEvents,
  ReconnectedInfo,
  ReconnectingInfo,
} from "./client_events.ts";
export {
  backoffDelay,
  type BackoffPolicy,
  DEFAULT_BACKOFF,
} from "./backoff.ts";
export { type Disconnect, isRetryable } from "./reconnect_policy.ts";
export { DEFAULT_QUEUE_LIMITS, QueueFullError } from "./send_queue.ts";
export type { SocketFactory, SocketLike } from "./socket_like.ts";
export {
  DisconnectedError,
  RequestError,
  RequestRejectedError,
  RequestTimeoutError,
  TooManyRequestsError,
} from "../events/request_errors.ts";
export { UsageError } from "../protocol/errors.ts";
export type { EventMap } from "../driver/connection.ts";

/**
 * Creates an {@link EventClient} for `url`, which may be relative to the
 * page (`"/chat"` becomes `ws://host/chat`, or `wss://` on an HTTPS page).
 *
 * @example
 * ```ts
 * import { connect } from "./browser.ts";
 * const client = connect("ws://127.0.0.1:8080/chat", { reconnect: { maxDelay: 10_000 } });
 * client.on("open", ({ id }) => console.log("connected as", id));
 * ```
 */
export function connect<
  In extends EventMap = EventMap,
  Out extends EventMap = EventMap,
  Answers extends EventMap = EventMap,
>(
  url: string | URL,
  options?: EventClientOptions,
): EventClient<In, Out, Answers> {
  return new EventClient<In, Out, Answers>(resolveAgainstPage(url), options);
}

/** `url` resolved against the page's address, when there is a page. */
function resolveAgainstPage(url: string | URL): string | URL {
  if (typeof url !== "string") return url;
  try {
    // Outside a page `location` may be missing, or a getter that throws.
    const page = (globalThis as { location?: { href?: unknown } }).location;
    return typeof page?.href === "string" ? new URL(url, page.href) : url;
  } catch {
    return url; // The client reports an invalid URL.
  }
}
