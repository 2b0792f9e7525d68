/**
 * The names the event layer keeps for itself: the prefix of every library
 * message, the session messages, and the query parameter that marks an
 * event client at the handshake.
 *
 * @module
 */

/**
 * Every event name that starts with this prefix belongs to anyws. Neither a
 * server nor a client routes such a name to application handlers, and
 * neither lets an application register or emit one, so library messages can
 * never collide with an application's events.
 *
 * @example
 * ```ts
 * import { LIBRARY_EVENT_PREFIX } from "./names.ts";
 * console.log(LIBRARY_EVENT_PREFIX); // "anyws:"
 * ```
 */
export const LIBRARY_EVENT_PREFIX = "anyws:";

/**
 * Whether `event` is a library message name (starts with
 * {@link LIBRARY_EVENT_PREFIX}).
 *
 * @example
 * ```ts
 * import { isLibraryEvent } from "./names.ts";
 * isLibraryEvent("anyws:hello"); // true
 * isLibraryEvent("chat"); // false
 * ```
 */
export function isLibraryEvent(event: string): boolean {
  return event.startsWith(LIBRARY_EVENT_PREFIX);
}

/**
 * The first message an event client sends on every connection:
 * `{"event": "anyws:hello", "data": {"version": 1, "resume"?: token}}`.
 *
 * @example
 * ```ts
 * import { HELLO_EVENT } from "./names.ts";
 * console.log(HELLO_EVENT); // "anyws:hello"
 * ```
 */
export const HELLO_EVENT = "anyws:hello";

/**
 * The server's answer to {@link HELLO_EVENT}:
 * `{"event": "anyws:session", "data": {"id", "token", "resumed"}}`.
 *
 * @example
 * ```ts
 * import { SESSION_EVENT } from "./names.ts";
 * console.log(SESSION_EVENT); // "anyws:session"
 * ```
 */
export const SESSION_EVENT = "anyws:session";

/**
 * The query parameter an event client adds to the URL it connects to
 * (`?anyws=1`), so that the server knows at the handshake, before `open`,
 * that a hello will come first. Its value is {@link EVENT_PROTOCOL_VERSION};
 * it carries no secret (the resume token travels in the hello).
 *
 * @example
 * ```ts
 * import { EVENT_CLIENT_PARAM } from "./names.ts";
 * const url = new URL("ws://127.0.0.1:8080/chat");
 * url.searchParams.set(EVENT_CLIENT_PARAM, "1"); // ws://127.0.0.1:8080/chat?anyws=1
 * ```
 */
export const EVENT_CLIENT_PARAM = "anyws";

/**
 * The version of the event protocol this code speaks, sent in the marker
 * query parameter and in the hello.
 *
 * @example
 * ```ts
 * import { EVENT_PROTOCOL_VERSION } from "./names.ts";
 * console.log(EVENT_PROTOCOL_VERSION); // 1
 * ```
 */
export const EVENT_PROTOCOL_VERSION = 1;

/**
 * Whether a request target (`/chat?anyws=1`) carries the event-client
 * marker {@link EVENT_CLIENT_PARAM}, whatever its value (the hello says
 * which version the client speaks). Cheap for the targets without it: no
 * parsing unless the name appears.
 *
 * @example
 * ```ts
 * import { hasEventClientMarker } from "./names.ts";
 * hasEventClientMarker("/chat?anyws=1"); // true
 * hasEventClientMarker("/chat?room=anyws"); // false
 * hasEventClientMarker("/chat"); // false
 * ```
 */
export function hasEventClientMarker(target: string): boolean {
  const query = target.indexOf("?");
  if (query < 0 || !target.includes(EVENT_CLIENT_PARAM, query)) return false;
  const hash = target.indexOf("#");
  if (hash >= 0 && hash < query) return false;
  return new URLSearchParams(
    target.slice(query + 1, hash < 0 ? undefined : hash),
  ).has(EVENT_CLIENT_PARAM);
}
