/**
 * The two library messages that open every event-client connection and
 * make session resume work. The exchange, after the WebSocket handshake to
 * a URL carrying the marker `?anyws=1`:
 *
 * ```text
 * client → server  {"event":"anyws:hello","data":{"version":1}}
 *                  {"event":"anyws:hello","data":{"version":1,"resume":"<token>"}}
 * server → client  {"event":"anyws:session","data":{"id":"<id>","token":"<new token>","resumed":false}}
 * ```
 *
 * The hello is the client's first message; the client sends nothing else
 * until the session message arrives. `resumed` is `true` when the token was
 * known and unexpired: the id is then the one the client had before, and
 * the server restored that session's rooms, user and data. Every session
 * message carries a fresh token; a token is good for one resume only.
 *
 * @module
 */

import { EVENT_PROTOCOL_VERSION, HELLO_EVENT, SESSION_EVENT } from "./names.ts";
import { encodeEvent } from "./wire.ts";

/**
 * The longest resume token accepted; tokens are base64url text.
 *
 * @example
 * ```ts
 * import { MAX_RESUME_TOKEN_LENGTH } from "./session_messages.ts";
 * console.log(MAX_RESUME_TOKEN_LENGTH); // 128
 * ```
 */
export const MAX_RESUME_TOKEN_LENGTH = 128;

const TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * Whether `value` looks like a resume token (base64url, 1 to
 * {@link MAX_RESUME_TOKEN_LENGTH} characters). It says nothing about
 * whether the token is known.
 *
 * @example
 * ```ts
 * import { isResumeToken } from "./session_messages.ts";
 * isResumeToken("q1w2e3_-"); // true
 * isResumeToken("a b"); // false
 * ```
 */
export function isResumeToken(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 &&
    value.length <= MAX_RESUME_TOKEN_LENGTH && TOKEN.test(value);
}

/**
 * The `data` of a hello.
 *
 * @example
 * ```ts
 * import type { Hello } from "./session_messages.ts";
 * const hello: Hello = { version: 1, resume: "q1w2e3" };
 * ```
 */
export interface Hello {
  /** The event protocol version the client speaks. */
  readonly version: number;
  /** The token of the session the client wants back, if any. */
  readonly resume?: string;
}

/**
 * The `data` of a session message.
 *
 * @example
 * ```ts
 * import type { SessionInfo } from "./session_messages.ts";
 * const session: SessionInfo = { id: "3b241101-e2bb-4255-8caf-4136c566a962", token: "q1w2e3", resumed: false };
 * ```
 */
export interface SessionInfo {
  /** The connection id (the old one when resumed). */
  readonly id: string;
  /** The token to present on the next reconnect. */
  readonly token: string;
  /** Whether the session presented in the hello was restored. */
  readonly resumed: boolean;
}

/**
 * Encodes the client's hello, with the token of the session to resume.
 *
 * @example
 * ```ts
 * import { encodeHello } from "./session_messages.ts";
 * encodeHello(); // '{"event":"anyws:hello","data":{"version":1}}'
 * encodeHello("q1w2e3"); // '{"event":"anyws:hello","data":{"version":1,"resume":"q1w2e3"}}'
 * ```
 */
export function encodeHello(resume?: string): string {
  const data: Hello = resume === undefined
    ? { version: EVENT_PROTOCOL_VERSION }
    : { version: EVENT_PROTOCOL_VERSION, resume };
  return encodeEvent(HELLO_EVENT, data);
}

/**
 * Reads a hello's `data` (server side). Returns `undefined` when it is not
 * a hello at all; a `resume` that is not a well-formed token is dropped
 * (the client gets a new session).
 *
 * @example
 * ```ts
 * import { readHello } from "./session_messages.ts";
 * readHello({ version: 1, resume: "q1w2e3" }); // { version: 1, resume: "q1w2e3" }
 * readHello({ version: 1, resume: "not a token" }); // { version: 1 }
 * readHello("hi"); // undefined
 * ```
 */
export function readHello(data: unknown): Hello | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const { version, resume } = data as { version?: unknown; resume?: unknown };
  if (typeof version !== "number" || !Number.isInteger(version)) {
    return undefined;
  }
  return isResumeToken(resume) ? { version, resume } : { version };
}

/**
 * Encodes the server's session message.
 *
 * @example
 * ```ts
 * import { encodeSession } from "./session_messages.ts";
 * encodeSession({ id: "c1", token: "q1w2e3", resumed: true });
 * // '{"event":"anyws:session","data":{"id":"c1","token":"q1w2e3","resumed":true}}'
 * ```
 */
export function encodeSession(session: SessionInfo): string {
  const { id, token, resumed } = session;
  return encodeEvent(SESSION_EVENT, { id, token, resumed });
}

/**
 * Reads a session message's `data` (client side); `undefined` when it is
 * malformed.
 *
 * @example
 * ```ts
 * import { readSession } from "./session_messages.ts";
 * readSession({ id: "c1", token: "q1w2e3", resumed: false });
 * // { id: "c1", token: "q1w2e3", resumed: false }
 * readSession({ id: 1 }); // undefined
 * ```
 */
export function readSession(data: unknown): SessionInfo | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const { id, token, resumed } = data as {
    id?: unknown;
    token?: unknown;
    resumed?: unknown;
  };
  if (typeof id !== "string" || id.length === 0 || id.length > 128) {
    return undefined;
  }
  if (!isResumeToken(token) || typeof resumed !== "boolean") return undefined;
  return { id, token, resumed };
}
